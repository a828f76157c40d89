"""The colours of static maps, chosen together so that they never collide: corridor lines, the fills
behind them (blocs, sanctions, the regions of a question, transit shares) and gains and losses.

Corridor lines take the Okabe & Ito (2008) palette, which readers with any of the three kinds of
colour blindness can tell apart; fills are pale (light enough that no line is lost on them) and
sanctions are marked by hatching, not by a colour a corridor could also have. `separation` checks
a set of colours as normal, deuteranope, protanope and tritanope readers see them (Machado, Oliveira
& Fernandes 2009, full severity), in CIELAB ΔE.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ..network.families import FAMILIES
from ..network.families import colour as data_colour

# the families' colours as families.csv gives them: Okabe-Ito (vermilion, blue, bluish green, reddish
# purple, orange); a line of no family is grey. A new family is a row there (and passes the check below).
CORRIDOR_COLOURS: Mapping[str, str] = {f: data_colour(f) for f in FAMILIES}
OTHER_COLOUR = "#555555"

GAIN, LOSS = "#0072b2", "#d55e00"  # a change in load: more (blue) and less (vermilion)

# pale fills behind the lines: blocs (as the web map has them), a question's two regions, and
# transit shares (light to dark sand)
LAND, SEA, BORDER = "#f4f1ea", "#dde8f0", "#a5a5a5"
BLOC_FILLS: Mapping[str, str] = {"EU": "#dfe6f2", "EAEU": "#f2e3dc"}
REGION_FILL = "#e3dcef"  # the region cargo leaves (a gateway question)
REGION_TO_FILL = "#d5eadf"  # the region it goes to
# what corridor lines may be drawn on
BACKGROUNDS = (LAND, SEA, REGION_FILL, REGION_TO_FILL, *BLOC_FILLS.values())
# transit shares, light to dark: drawn only under FLOW_LINE
SHARE_FILLS = ("#fbf3e2", "#f6e2b8", "#efca85", "#e2ab55", "#c98a2f")
FLOW_LINE = "#262626"  # loads on a map without families (a gateway question)
AVOIDED_HATCH = "////"  # countries a policy avoids (or sanctions): hatched, never a colour
AVOIDED_EDGE = "#8c8c8c"

# Machado et al. (2009), severity 1.0, on linear RGB
_CVD = {
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def corridor_colour(name: str) -> str:
    """The line colour of a corridor family (families.csv), grey for a line of no family."""
    return CORRIDOR_COLOURS.get(name, OTHER_COLOUR)


def _linear(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    c = np.array([int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ np.clip(linear, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen_as(hex_colour: str, vision: str = "normal") -> np.ndarray:
    """The colour in CIELAB as a reader with `vision` (normal, deuteranopia, protanopia, tritanopia)
    sees it."""
    c = _linear(hex_colour)
    return _lab(c if vision == "normal" else _CVD[vision] @ c)


def separation(colours: Iterable[str], against: Iterable[str] = ()) -> dict[str, float]:
    """Per vision: the smallest ΔE (CIE76) between any two of `colours`, and between any of them and
    any of `against` (fills they are drawn on). Above about 20 two lines are told apart at a glance."""
    cs, bg = list(colours), list(against)
    out = {}
    for vision in ("normal", *_CVD):
        labs = [seen_as(c, vision) for c in cs]
        d = [float(np.linalg.norm(a - b)) for i, a in enumerate(labs) for b in labs[i + 1:]]
        d += [float(np.linalg.norm(a - seen_as(f, vision))) for a in labs for f in bg]
        out[vision] = min(d) if d else float("inf")
    return out
