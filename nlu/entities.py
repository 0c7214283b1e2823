"""Entity extraction from the training data's own resources: lookup tables, synonyms, regexes.

Provinces come out as 2-letter codes whether the worker wrote "Ontario", "ontaryo", "Leamington"
or "ON"; sectors as their canonical name; case codes as ``XXXX-XXXX`` in capitals. Bare 2-letter
codes are taken only in capitals or after a place preposition ("en bc", "sa AB"), because "on"
and "ns" are ordinary words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extractOne

from nlu.training_data import TrainingData
from vocab import CASE_ALPHABET, PROVINCES

DEFAULT_CASE_REGEX = r"\b[2-9A-HJKMNP-Za-hjkmnp-z]{4}[- ]?[2-9A-HJKMNP-Za-hjkmnp-z]{4}\b"
EXTRACTOR = "RegexEntityExtractor"

# Words that precede a place: "en BC", "in bc", "sa AB", "from qc", "desde on".
_PLACE_PREPOSITIONS = {
    "en",
    "in",
    "sa",
    "from",
    "at",
    "desde",
    "de",
    "del",
    "taga",
    "near",
    "around",
}
# Real words one typo away from a place name: never read them as a place.
_NOT_PLACES = {
    "alberto",
    "albert",
    "london",
    "windsor",
    "quebrada",
    "regina",
    "hamilton",
    "colombia",
}
_ABBREVIATION_DOTS = re.compile(r"(?<![a-z])(?:[a-z]\.){2,}")


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold text for matching (lowercase, no accents, punctuation as spaces) and map each
    folded character back to its index in the original."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        decomposed = unicodedata.normalize("NFKD", char.casefold())
        for piece in decomposed:
            if unicodedata.combining(piece) or piece in "'’`":
                continue
            chars.append(piece if piece.isalnum() or piece == "." else " ")
            offsets.append(index)
    folded = "".join(chars)
    # "b.c." and "p.e.i." lose their dots; any other dot separates words.
    keep = [True] * len(folded)
    for match in _ABBREVIATION_DOTS.finditer(folded):
        for i in range(match.start(), match.end()):
            if folded[i] == ".":
                keep[i] = False
    chars = [c if c != "." else " " for c, k in zip(folded, keep, strict=True) if k]
    offsets = [o for o, k in zip(offsets, keep, strict=True) if k]
    return "".join(chars), offsets


def _fold_phrase(phrase: str) -> str:
    return " ".join(fold_with_offsets(phrase)[0].split())


class PhraseMatcher:
    """Longest-match search of folded phrases, with a guarded one-typo match for long words."""

    def __init__(self, phrases: dict[str, str], known_words: Iterable[str] = ()) -> None:
        self.phrases = {p: v for p, v in phrases.items() if p}
        ordered = sorted(self.phrases, key=len, reverse=True)
        body = "|".join(r"\s+".join(map(re.escape, p.split())) for p in ordered) or r"(?!x)x"
        self.pattern = re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")
        self.fuzzy_targets = [p for p in self.phrases if " " not in p and len(p) >= 6]
        self.known_words = set(known_words) | _NOT_PLACES

    def find(self, folded: str) -> list[tuple[int, int, str]]:
        found = [
            (m.start(), m.end(), self.phrases[" ".join(m.group(0).split())])
            for m in self.pattern.finditer(folded)
        ]
        taken = [(s, e) for s, e, _ in found]
        for m in re.finditer(r"[a-z]{6,}", folded):
            word = m.group(0)
            if word in self.known_words or any(s < m.end() and m.start() < e for s, e in taken):
                continue
            limit = 1 if len(word) < 9 else 2
            best = extractOne(
                word, self.fuzzy_targets, scorer=Levenshtein.distance, score_cutoff=limit
            )
            if best is not None:
                found.append((m.start(), m.end(), self.phrases[best[0]]))
        return found


class EntityExtractor:
    """Finds province, sector and case_code entities (and any other lookup or regex entity)."""

    def __init__(
        self,
        lookups: dict[str, dict[str, str]],
        regexes: dict[str, list[str]],
        known_words: Iterable[str] = (),
    ) -> None:
        known = set(known_words)
        self.matchers = {
            name: PhraseMatcher(phrases, known_words=known - set(phrases))
            for name, phrases in lookups.items()
        }
        self.regexes = {
            name: [re.compile(p, re.IGNORECASE) for p in patterns]
            for name, patterns in regexes.items()
        }
        self.regexes.setdefault("case_code", [re.compile(DEFAULT_CASE_REGEX, re.IGNORECASE)])
        self.codes = re.compile(
            r"(?<![A-Za-z0-9])(" + "|".join(PROVINCES) + r")(?![A-Za-z0-9])", re.IGNORECASE
        )

    @classmethod
    def from_training_data(
        cls, data: TrainingData, known_words: Iterable[str] = ()
    ) -> EntityExtractor:
        lookups: dict[str, dict[str, str]] = {}
        for name, items in data.lookups.items():
            table = lookups.setdefault(name, {})
            for item in items:
                table[_fold_phrase(item)] = data.synonyms.get(item.lower(), item)
        province = lookups.setdefault("province", {})
        for surface, value in data.synonyms.items():
            if value in PROVINCES and len(_fold_phrase(surface).replace(" ", "")) > 2:
                province.setdefault(_fold_phrase(surface), value)
        return cls(lookups, dict(data.regexes), known_words)

    def extract(self, text: str) -> list[dict[str, Any]]:
        entities = self._case_codes(text)
        for name, patterns in self.regexes.items():
            if name != "case_code":
                entities += [
                    _entity(name, m.group(0), m.start(), m.end())
                    for p in patterns
                    for m in p.finditer(text)
                ]
        folded, offsets = fold_with_offsets(text)
        for name, matcher in self.matchers.items():
            for start, end, value in matcher.find(folded):
                entities.append(_entity(name, value, offsets[start], offsets[end - 1] + 1))
        entities += self._province_codes(text)
        return _without_overlaps(entities)

    def _case_codes(self, text: str) -> list[dict[str, Any]]:
        found = []
        for pattern in self.regexes["case_code"]:
            for match in pattern.finditer(text):
                code = re.sub(r"[- ]", "", match.group(0)).upper()
                digits = sum(c.isdigit() for c in code)
                if (
                    len(code) == 8
                    and set(code) <= set(CASE_ALPHABET)
                    and digits >= 2
                    and 8 - digits >= 2
                ):
                    found.append(
                        _entity("case_code", f"{code[:4]}-{code[4:]}", match.start(), match.end())
                    )
        return found

    def _province_codes(self, text: str) -> list[dict[str, Any]]:
        letters = [c for c in text if c.isalpha()]
        shouting = len(letters) > 3 and sum(c.isupper() for c in letters) > 0.6 * len(letters)
        found = []
        for match in self.codes.finditer(text):
            before = text[: match.start()].split()
            after_preposition = (
                bool(before) and fold_with_offsets(before[-1])[0].strip() in _PLACE_PREPOSITIONS
            )
            written_as_code = match.group(0).isupper() and not shouting
            if written_as_code or after_preposition:
                found.append(
                    _entity("province", match.group(0).upper(), match.start(), match.end())
                )
        return found


def _entity(name: str, value: str, start: int, end: int) -> dict[str, Any]:
    return {"entity": name, "value": value, "start": start, "end": end, "extractor": EXTRACTOR}


def _without_overlaps(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the first-found entity of overlapping spans (case codes, then lookups), in text order."""
    kept: list[dict[str, Any]] = []
    for entity in entities:
        if all(entity["end"] <= k["start"] or k["end"] <= entity["start"] for k in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: e["start"])
