"""Text normalization for keyword matching: accents, case, punctuation and spacing ignored."""

from __future__ import annotations

import re
import unicodedata

from vocab import case_code as case_code  # shared with the NLU and the cases

_NUMBER = re.compile(r"^#?\s?(\d{1,4})\s?[.)]?$")
#: What normalize turns into a space: not alphanumeric (\w is str.isalnum() plus "_") nor kept.
_NOT_KEPT = re.compile(r"[^\w ,;/&+\-#.']|_")
_MULTI_SEP = re.compile(r"\s*(?:,|;|/|&|\+|-|\s|\by\b|\band\b|\bat\b|\bet\b)+\s*")


def normalize(text: str) -> str:
    """Fold a message for comparison: '¡MENÚ!' -> 'menu', '  Sí, claro ' -> 'si, claro'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = stripped.casefold()
    folded = _NOT_KEPT.sub(" ", folded)
    folded = re.sub(r"\s+", " ", folded).strip(" .,;!?'-")
    return folded


def words(text: str) -> list[str]:
    """The alphanumeric words of a normalized text."""
    return re.findall(r"[a-z0-9]+", normalize(text))


def bare_number(text: str, number_words: dict[str, int]) -> int | None:
    """A message that is only a number ('2', '2.', '#2', 'dos', 'two') -> 2; anything else None."""
    folded = normalize(text)
    match = _NUMBER.match(folded)
    if match:
        return int(match.group(1))
    return number_words.get(normalize(text))


def number_list(text: str, number_words: dict[str, int]) -> list[int] | None:
    """A message made only of numbers ('1 3 5', '1,3', '1 y 3') -> [1, 3, 5]; else None."""
    folded = normalize(text)
    if not folded:
        return None
    parts = [p for p in _MULTI_SEP.split(folded) if p]
    if not parts:
        return None
    numbers: list[int] = []
    for part in parts:
        value = bare_number(part, number_words)
        if value is None:
            return None
        numbers.append(value)
    return numbers


def integer(text: str, number_words: dict[str, int]) -> int | None:
    """The one integer a message states ('about 12', '12 workers'); None if none or several."""
    found = re.findall(r"\d{1,7}", normalize(text).replace(",", "").replace(".", ""))
    if len(found) == 1:
        return int(found[0])
    if not found:
        return bare_number(text, number_words)
    return None
