"""Evidence phrases (cues.yml): what a message says that puts it in a triage category for sure.

Matched on normalized tokens (nlu.normalize: no accents, no case, SMS shortcuts expanded), as a
run of words, with one typo allowed in a word of five letters or more ("golpio" for "golpeo"),
unless the typed word is itself a word of ordinary messages ("pagaron" is not "pegaron").
Idioms (the `idioms` key: "me muero de sueno") are no evidence of anything: the classifier reads
the message without them, so "morir" in a figure of speech does not count towards suicide.
Tagalog's politeness particles may stand anywhere in a phrase and are skipped ("sinasaktan po ako"
is the cue "sinasaktan ako").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.errors import TrainingDataError
from nlu.normalize import tokens

CUES_FILE = Path(__file__).with_name("cues.yml")
FUZZY_MIN_LENGTH = 5
#: The key of cues.yml whose phrases are idioms, not a triage category.
IDIOMS = "idioms"
#: Words skipped in a cue and in the message matched against it: Tagalog's "po" and "ho" of
#: respect, which a worker puts between any two words.
PARTICLES = frozenset({"po", "ho"})


def near(word: str, cue: str) -> bool:
    """Equal, or one edit apart (substitution, insertion, deletion) for words of 5+ letters."""
    if word == cue:
        return True
    if min(len(word), len(cue)) < FUZZY_MIN_LENGTH or abs(len(word) - len(cue)) > 1:
        return False
    if len(word) == len(cue):
        return sum(a != b for a, b in zip(word, cue, strict=True)) == 1
    short, long = sorted((word, cue), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


@dataclass(frozen=True)
class Cue:
    category: str
    language: str
    words: tuple[str, ...]


class CueIndex:
    """The cues indexed by word, so a message is checked in time linear in its length."""

    def __init__(self, cues: Iterable[Cue], ordinary_words: Iterable[str] = ()) -> None:
        self.cues = tuple(cues)
        self.ordinary = frozenset(ordinary_words)
        self.by_first: dict[str, list[Cue]] = defaultdict(list)
        self.variants: dict[str, set[str]] = defaultdict(set)
        for cue in self.cues:
            self.by_first[cue.words[0]].append(cue)
            for word in cue.words:
                if len(word) >= FUZZY_MIN_LENGTH:
                    for variant in _deletions(word):
                        self.variants[variant].add(word)

    def _readings(self, token: str) -> set[str]:
        """The cue words a typed token may stand for."""
        found = {token}
        if len(token) >= FUZZY_MIN_LENGTH and token not in self.ordinary:
            for variant in _deletions(token):
                found |= {w for w in self.variants.get(variant, ()) if near(token, w)}
        return found

    def matching(self, message: Sequence[str]) -> list[Cue]:
        """The evidence cues found in a tokenized message: not the idioms, nor a cue that lies
        wholly inside one ("kill mi" in "mi back a kill mi"); a cue reaching beyond an idiom still
        counts ("me quiero morir" beside "morir de")."""
        return self.read(message)[0]

    def without_idioms(self, message: Sequence[str]) -> list[str]:
        """The message with the words of its idioms removed."""
        return self.read(message)[1]

    def read(self, message: Sequence[str]) -> tuple[list[Cue], list[str]]:
        """``matching`` and ``without_idioms`` from one scan of the message."""
        found = self.found(message)
        masked = _idiom_words(found)
        cues = [cue for at, cue in found if cue.category != IDIOMS and not set(at) <= masked]
        return cues, [word for i, word in enumerate(message) if i not in masked]

    def found(self, message: Sequence[str]) -> list[tuple[tuple[int, ...], Cue]]:
        """Every cue and idiom in a tokenized message, with the positions of its words."""
        kept = [i for i, token in enumerate(message) if token not in PARTICLES]
        readings = [self._readings(message[i]) for i in kept]
        found: list[tuple[tuple[int, ...], Cue]] = []
        for j, words in enumerate(readings):
            for word in words:
                for cue in self.by_first.get(word, ()):
                    n = len(cue.words)
                    if j + n <= len(kept) and all(
                        cue.words[k] in readings[j + k] for k in range(1, n)
                    ):
                        found.append((tuple(kept[j : j + n]), cue))
        return found


def _idiom_words(found: Sequence[tuple[tuple[int, ...], Cue]]) -> set[int]:
    """The positions of the words of the idioms among ``found``."""
    return {i for at, cue in found if cue.category == IDIOMS for i in at}


def load_cues(path: str | Path = CUES_FILE, categories: Sequence[str] = ()) -> tuple[Cue, ...]:
    """Read cues.yml; raises TrainingDataError naming the file and key of a bad entry."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    cues = []
    for category, by_language in data.items():
        if categories and category not in (*categories, IDIOMS):
            raise TrainingDataError(f"{path}: unknown category {category!r}")
        for language, phrases in (by_language or {}).items():
            for phrase in phrases or ():
                words = tuple(w for w in tokens(str(phrase)) if w not in PARTICLES)
                if not words:
                    raise TrainingDataError(
                        f"{path}: {category}.{language}: empty phrase {phrase!r}"
                    )
                cues.append(Cue(category, language, words))
    return tuple(cues)
