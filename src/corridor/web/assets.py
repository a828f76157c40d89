"""The page's static files, and the browser libraries `make web-assets` copies in from npm.

MapLibre GL JS draws the map; Noto Sans (@fontsource/noto-sans) draws its labels. MapLibre
renders each label glyph in the browser from the font file (the style's font-faces), so no
glyph server and no download at run time: a missing font only falls back to the system's
sans-serif.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

# the label fonts: MapLibre font stack name -> weight of the Noto Sans files
LABEL_FONTS = {"Noto Sans Regular": 400, "Noto Sans SemiBold": 600}
SUBSETS = ("latin", "latin-ext")


def static_dir() -> Path:
    return Path(str(resources.files("corridor.web") / "static"))


def maplibre_installed() -> bool:
    v = static_dir() / "vendor"
    return (v / "maplibre-gl.mjs").is_file() and (v / "maplibre-gl-worker.mjs").is_file()


def label_fonts() -> dict[str, list[dict]]:
    """The style's `font-faces`: each label font's files with their unicode ranges (empty when
    `make web-assets` has not installed them)."""
    folder = static_dir() / "vendor" / "fonts"
    try:
        ranges = json.loads((folder / "unicode.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, list[dict]] = {}
    for name, weight in LABEL_FONTS.items():
        faces = []
        for subset in SUBSETS:
            file = f"noto-sans-{subset}-{weight}-normal.woff2"
            if (folder / file).is_file() and isinstance(ranges.get(subset), str):
                faces.append({"url": f"/static/vendor/fonts/{file}",
                              "unicode-range": [r.strip() for r in ranges[subset].split(",") if r.strip()]})
        if faces:
            out[name] = faces
    return out
