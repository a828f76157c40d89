"""Place names as keys: case-, accent- and punctuation-blind, so users find places as they spell them."""

from __future__ import annotations

import re
import unicodedata

_TRANSLIT = str.maketrans({"ł": "l", "Ł": "l", "ə": "e", "Ə": "e", "ı": "i", "ß": "ss",
                           "ø": "o", "Ø": "o", "đ": "d", "ð": "d", "æ": "ae"})


def normalize_name(name: str) -> str:
    """Case-, accent- and punctuation-blind key, so Xi'an, Xian and XI’AN all match."""
    s = unicodedata.normalize("NFKD", str(name).translate(_TRANSLIT))
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", s.lower())
