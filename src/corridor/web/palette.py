"""The map's colours beside the corridors', and the check that no reader confuses them.

Corridor lines take the static maps' colours (viz.palette: Okabe & Ito's, which readers with any
kind of colour blindness tell apart), so that the web map and a brief's maps agree. What the map
draws under a route (bloc fills, the sanctions marks) takes its colour from here, chosen so that it stays
apart from every corridor colour for normal vision and for the three kinds of colour blindness
(simulated with Machado, Oliveira and Fernandes 2009, full severity): bloc fills are pale and
sanctions are grey hatching, so a route keeps its colour on any country. The scenario diff's
gains and losses are drawn on a map without routes, solid and dashed as well as blue and
vermilion (the static maps' pair).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations

import numpy as np

# pale tints (CIELAB L* 80-92): a corridor line (L* 45-70) stands out on any of them
BLOC_FILLS = {"EU": "#f7e58f", "EAEU": "#c9d3ea", "OTS": "#b5e2d0", "SCO": "#ecc6b8", "CSTO": "#dcd0ea",
              "TITR": "#d3e6b5"}
LAND = "#f3f1ea"
# sanctions: grey hatching and a dashed dark outline, never a hue a corridor has
SANCTIONS = {"eu_us_sectoral": "#4a4a4a", "un_comprehensive": "#2b2b2b"}  # sparse and dense hatching
SANCTIONS_OUTLINE = "#3b3b3b"
# the scenario diff (no route drawn beside it): Okabe-Ito blue (more load, solid) and vermilion
# (less, dashed), as the static maps
DIFF = {"more": "#0072b2", "less": "#d55e00"}

VISIONS = ("normal", "protan", "deutan", "tritan")
_MACHADO = {  # linear RGB, severity 1.0
    "protan": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
               (-0.003882, -0.048116, 1.051998)),
    "deutan": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
               (-0.011820, 0.042940, 0.968881)),
    "tritan": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
               (0.004733, 0.691367, 0.303900)),
}
_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
_WHITE = np.array([0.95047, 1.0, 1.08883])


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(hex_colour: str, vision: str = "normal") -> np.ndarray:
    """CIELAB of a colour as a reader with `vision` sees it."""
    rgb = _linear(hex_colour)
    if vision != "normal":
        rgb = np.clip(np.array(_MACHADO[vision]) @ rgb, 0.0, 1.0)
    t = (_XYZ @ rgb) / _WHITE
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def difference(a: str, b: str, vision: str = "normal") -> float:
    """CIE76 colour difference (about 2.3 is just noticeable; 20 and more is plainly another colour)."""
    return float(np.linalg.norm(lab(a, vision) - lab(b, vision)))


def layer_colours() -> dict[str, str]:
    """Every colour the map draws under a corridor, by name."""
    return {**{f"bloc {k}": v for k, v in BLOC_FILLS.items()},
            **{f"sanctions {k}": v for k, v in SANCTIONS.items()}, "sanctions outline": SANCTIONS_OUTLINE}


def corridor_colours(names: Iterable[str]) -> dict[str, str]:
    """Each family's line colour, as the static maps draw it."""
    from ..viz.palette import corridor_colour

    return {n: corridor_colour(n) for n in names}


def closest_pairs(corridors: dict[str, str]) -> list[dict]:
    """Per vision, the corridor and layer colours closest to each other, and the closest two
    corridors."""
    layers = layer_colours()
    out = []
    for v in VISIONS:
        d, c, layer = min((difference(cc, lc, v), cn, ln) for cn, cc in corridors.items()
                          for ln, lc in layers.items())
        row = {"vision": v, "corridor": c, "layer": layer, "difference": round(d, 1)}
        if len(corridors) > 1:
            d2, c1, c2 = min((difference(x, y, v), xn, yn)
                             for (xn, x), (yn, y) in combinations(corridors.items(), 2))
            row["corridors"] = [c1, c2]
            row["corridor_difference"] = round(d2, 1)
        out.append(row)
    return out


def payload() -> dict:
    """The palette as /api/meta serves it."""
    return {"blocs": BLOC_FILLS, "land": LAND, "sanctions": SANCTIONS, "sanctions_outline": SANCTIONS_OUTLINE,
            "diff": DIFF}
