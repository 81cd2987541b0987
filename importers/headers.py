"""Column headers matched without regard to case, accents, spacing or punctuation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)  # the same few words (headers, statuses, names) recur on every row
def normalise(text: object) -> str:
    """``"N° d'Enregistrement "`` → ``"n_d_enregistrement"``: the key headers and names match on."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = plain.replace("œ", "oe").replace("æ", "ae")
    return _NON_ALNUM.sub("_", plain).strip("_")


def name_key(text: object) -> str:
    """A name compared tolerant of case, accents and spacing (for cooperatives, provinces…)."""
    return normalise(text).replace("_", " ")
