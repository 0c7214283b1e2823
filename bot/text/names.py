"""Names as workers type them: one form for a town or an employer however it is spelled.

Both the employer alerts (bot.cases.employers) and NGO matching by town (bot.directory.matching)
compare names this way, so "Saint-Rémi", "St. Remi" and "ST REMI" are one town in both.
"""

from __future__ import annotations

import re
import unicodedata

_SYNONYMS = {
    "bros": "brothers",
    "hnos": "brothers",
    "hermanos": "brothers",
    "st": "saint",
    "ste": "sainte",
}


def words(text: str) -> list[str]:
    """The words of a name, casefolded, without accents or punctuation, abbreviations spelled out."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("&", " and "))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = re.sub(r"\b([ld])['\u2019]", r"\1 ", plain)  # French elision: l'erable -> l erable
    plain = re.sub(r"(?<=\w)[.'\u2019](?=\w)", "", plain)  # s.a. -> sa, o'brien -> obrien
    found = re.sub(r"[^\w]+|_", " ", plain).split()
    return [_SYNONYMS.get(word, word) for word in found]


def normalize_town(town: str) -> str:
    """One town however it is written: "Saint-Rémi", "St. Remi" and "ST REMI" give "saint remi"."""
    return " ".join(words(town))
