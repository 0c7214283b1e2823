"""Evidence phrases (cues.yml): what a message says that puts it in a triage category for sure.

Matched on normalized tokens (nlu.normalize: no accents, no case, SMS shortcuts expanded), as a
run of words, with one typo allowed in a word of five letters or more ("golpio" for "golpeo").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.errors import TrainingDataError
from nlu.normalize import tokens

CUES_FILE = Path(__file__).with_name("cues.yml")
FUZZY_MIN_LENGTH = 5


def near(word: str, cue: str) -> bool:
    """Equal, or one edit apart (substitution, insertion, deletion) for words of 5+ letters."""
    if word == cue:
        return True
    if min(len(word), len(cue)) < FUZZY_MIN_LENGTH or abs(len(word) - len(cue)) > 1:
        return False
    if len(word) == len(cue):
        return sum(a != b for a, b in zip(word, cue, strict=True)) == 1
    short, long = sorted((word, cue), key=len)
    for i in range(len(long)):
        if long[:i] + long[i + 1 :] == short:
            return True
    return False


@dataclass(frozen=True)
class Cue:
    category: str
    language: str
    words: tuple[str, ...]

    def found_in(self, message: Sequence[str]) -> bool:
        n = len(self.words)
        return any(
            all(near(message[i + k], self.words[k]) for k in range(n))
            for i in range(len(message) - n + 1)
        )


def load_cues(path: str | Path = CUES_FILE, categories: Sequence[str] = ()) -> tuple[Cue, ...]:
    """Read cues.yml; raises TrainingDataError naming the file and key of a bad entry."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    cues = []
    for category, by_language in data.items():
        if categories and category not in categories:
            raise TrainingDataError(f"{path}: unknown category {category!r}")
        for language, phrases in (by_language or {}).items():
            for phrase in phrases or ():
                words = tuple(tokens(str(phrase)))
                if not words:
                    raise TrainingDataError(f"{path}: {category}.{language}: empty phrase {phrase!r}")
                cues.append(Cue(category, language, words))
    return tuple(cues)


def matching(cues: Sequence[Cue], message: Sequence[str]) -> list[Cue]:
    """The cues found in a tokenized message, in file order."""
    return [cue for cue in cues if cue.found_in(message)]
