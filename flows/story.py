"""What a worker's own account of a report already says: the employer, the town, the problems.

A report starts with "tell me what happened"; whatever that text (or the message that started the
report) names is not asked again. Pure and forgiving: a wrong guess is shown in the summary
before anything is sent, where the worker can change it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .keywords import Keywords
from .parse import Parse
from .text import normalize, words

#: Most words a workplace's name is taken to have ("Granja Los Pinos del Sur").
NAME_WORDS = 5
#: Lower-case words that may sit inside a capitalized name ("Granja de los Pinos", "Bank of X").
_JOINERS = frozenset({"de", "del", "la", "los", "las", "y", "of", "the", "and", "&"})
_TOKEN = re.compile(r"[^\W_](?:[\w'&-]|\.(?=\w))*|[,.;:!?()\n]", re.UNICODE)
#: Confidence from which a message's top intent counts as a problem it names.
PROBLEM_CONFIDENCE = 0.5
#: A message that starts a report with this many words already tells what happened.
ACCOUNT_WORDS = 12


def _tokens(text: str) -> list[tuple[str, str]]:
    """(as typed, folded) per word; punctuation kept as a word of its own (a break)."""
    return [(m.group(0).strip(".'"), normalize(m.group(0))) for m in _TOKEN.finditer(text or "")]


def _is_break(token: tuple[str, str]) -> bool:
    return not token[1] or not token[1][0].isalnum()


def _capitalized(token: tuple[str, str]) -> bool:
    return token[0][:1].isupper()


def _phrase_at(folded: list[str], start: int, phrases: frozenset[str]) -> int:
    """Length in words of the longest of ``phrases`` starting at ``start`` (0 if none)."""
    best = 0
    for length in range(1, 6):
        if start + length <= len(folded) and " ".join(folded[start : start + length]) in phrases:
            best = length
    return best


def employer_in(text: str, keywords: Keywords) -> str | None:
    """The employer's name a text gives ("Trabajo en la Granja Sol en Leamington" -> "Granja Sol")."""
    cues = keywords.employer
    if not cues:
        return None
    tokens = _tokens(text)
    folded = [t[1] for t in tokens]
    found = [
        name
        for i in range(len(tokens))
        if not _is_break(tokens[i]) and (name := _name_at(tokens, folded, i, cues))
    ]
    # A capitalized name ("Greenleaf Farms") beats words in lower case around a workplace noun
    # ("farm sa leamington kinuha passport" is the story going on, not a name).
    return next((name for name in found if name[:1].isupper()), found[0] if found else None)


def _name_at(
    tokens: list[tuple[str, str]], folded: list[str], i: int, cues: dict[str, frozenset[str]]
) -> str | None:
    if naming := _phrase_at(folded, i, cues["naming"]):
        return _named(tokens, i + naming, cues)
    if folded[i] in cues["names"]:
        return _name_around(tokens, i, cues)
    length = _phrase_at(folded, i, cues["before"])
    return _name_after(tokens, i + length, cues) if length else None


def _name_after(
    tokens: list[tuple[str, str]], start: int, cues: dict[str, frozenset[str]]
) -> str | None:
    """A name right after an introducing phrase: capitalized words, or one starting with a noun."""
    while start < len(tokens) and tokens[start][1] in cues["articles"]:
        start += 1
    if start >= len(tokens) or _is_break(tokens[start]):
        return None
    if tokens[start][1] in cues["names"]:
        return _name_around(tokens, start, cues)
    if not _capitalized(tokens[start]) or tokens[start][1] in cues["stop"]:
        return None
    return _join(_capital_run(tokens, start))


def _named(
    tokens: list[tuple[str, str]], start: int, cues: dict[str, frozenset[str]]
) -> str | None:
    """The words after "se llama", "is called" up to a break, in whatever case a worker writes
    them ("la granja se llama sunny acres, esta en leamington" -> "sunny acres")."""
    return _join(_words_until(tokens, start, cues["stop"]))


def _name_around(
    tokens: list[tuple[str, str]], at: int, cues: dict[str, frozenset[str]]
) -> str | None:
    """A name holding a workplace noun: the capitalized words around it ("Sunny Farms"), or in
    lower case the noun and the words after it up to a break ("granja los pinos")."""
    if _capitalized(tokens[at]):
        start = at
        while (
            start > 0
            and _capitalized(tokens[start - 1])
            and tokens[start - 1][1] not in cues["articles"]
            and tokens[start - 1][1] not in cues["before"]
            and tokens[start - 1][1] not in cues["stop"]
        ):
            start -= 1
        words = _capital_run(tokens, start)
        return _join(words) if len(words) > 1 else None
    words = [
        tokens[at],
        *_words_until(tokens, at + 1, cues["stop"] | cues["before"], NAME_WORDS - 1),
    ]
    return _join(words) if len(words) > 1 else None


def _words_until(
    tokens: list[tuple[str, str]], start: int, stops: frozenset[str], most: int = NAME_WORDS
) -> list[tuple[str, str]]:
    """The words from ``start`` up to a break, a stop word or ``most`` words."""
    words: list[tuple[str, str]] = []
    for token in tokens[start:]:
        if _is_break(token) or token[1] in stops or len(words) >= most:
            break
        words.append(token)
    return words


def _capital_run(tokens: list[tuple[str, str]], start: int) -> list[tuple[str, str]]:
    words: list[tuple[str, str]] = []
    for token in tokens[start:]:
        if _is_break(token) or len(words) >= NAME_WORDS:
            break
        if _capitalized(token) or token[0][:1].isdigit():
            words.append(token)
        elif token[1] in _JOINERS and words:
            words.append(token)
        else:
            break
    while words and words[-1][1] in _JOINERS:
        words.pop()
    return words


def _join(words: list[tuple[str, str]]) -> str | None:
    text = " ".join(w[0] for w in words).strip(" ,.")
    return text or None


def town_in(parse: Parse, keywords: Keywords) -> str | None:
    """The first place the NLU found that is a town, not a province's own name or code."""
    for place in parse.places:
        folded = normalize(place)
        if len(folded.replace(" ", "").replace(".", "")) <= 3 or keywords.province(place):
            continue
        if any(name[:5] == folded[:5] for name in keywords.provinces if len(name) > 3):
            continue  # a misspelt province ("ontaryo", "british colombia")
        return " ".join(word[:1].upper() + word[1:] for word in place.split())
    return None


def without_place(text: str, town: str) -> str:
    """A text answer with its town taken out ("Granja Sol, Leamington" -> "Granja Sol")."""
    cut = re.sub(re.escape(town), " ", text, flags=re.IGNORECASE)
    cut = re.sub(r"(?i)(?:[\s,;]+(?:en|in|sa|at|near|cerca de))+\s*$", "", cut.strip(" ,;.-\n"))
    return " ".join(cut.split()).strip(" ,;.-")


def is_account(text: str) -> bool:
    """Whether a message is long enough to be the worker's own account of what happened."""
    return len(words(text)) >= ACCOUNT_WORDS


def problems_named(parse: Parse, extra: Iterable[str] = ()) -> list[str]:
    """The rights problems (``ask_*`` intents) a message names: its confident top intent and each
    problem the NLU found in its parts (nlu/problems.py), after ``extra`` (noted before), once each."""
    found = list(extra)
    if parse.confidence >= PROBLEM_CONFIDENCE:
        found.append(parse.intent)
    found.extend(parse.problems)
    return list(
        dict.fromkeys(name for name in found if isinstance(name, str) and name.startswith("ask_"))
    )
