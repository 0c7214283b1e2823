"""One way to turn a turn's replies into what a channel can carry.

SMS gets plain text (WhatsApp's ``*bold*`` and ``_italic_`` would show as stray
symbols and may cost UCS-2), optionally transliterated to GSM-7 (``prepare``); the
replies are packed into messages that each stay within a segment budget (``fitter``,
``pack``), and ``take`` sends a few of them now, the last ending with the "reply MORE"
hint when others wait. WhatsApp keeps its markup and only needs messages under
Twilio's 1,600-character body limit. Pure and deterministic: text in, messages out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from bot.text.segments import count_segments, transliterate_gsm7, utf16_len
from vocab import Channel

# Twilio rejects a Body longer than 1,600 characters (error 21617); counted here in
# UTF-16 code units, which is never fewer than characters.
MAX_BODY_CHARS = 1600
HINT_SEPARATOR = "\n"

# Whitespace before a cut is preferred if the page is at least this full.
_MIN_FILL = 0.5
_SENTENCE_END = ".!?\u2026"
# A label ending in a colon ("Service Canada:") stays with what follows it (a number, a name).
_LABEL_END = ":"
_CLOSERS = "\"')]\u00bb\u201d\u2019"

_BULLET = re.compile(r"^([ \t]*)(?:[*\u2022\u00b7\u25aa\u25e6\u2023-])[ \t]+", re.MULTILINE)
_QUOTE = re.compile(r"^[ \t]*>[ \t]?", re.MULTILINE)
_FENCE = re.compile(r"```")
_SPANS = [
    re.compile(rf"(?<![\w{m}]){m}(?=\S)([^{m}\n]+?)(?<=\S){m}(?![\w{m}])")
    for m in (r"\*", "_", "~")
]
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")
_WHITESPACE = re.compile(r"\s+")


def prepare(text: str, channel: Channel, *, transliterate: bool = False) -> str:
    """``text`` as ``channel`` carries it: plain (and maybe GSM-7) on SMS, markup kept on WhatsApp."""
    if channel == "sms":
        text = sms_text(text)
        return transliterate_gsm7(text) if transliterate else text
    if channel == "whatsapp":
        return _newlines(text)
    raise ValueError(f"unknown channel {channel!r}; expected 'sms' or 'whatsapp'")


def fitter(channel: Channel, budget_segments: int) -> Callable[[str], bool]:
    """Whether one message fits ``channel``: ``budget_segments`` SMS segments, or Twilio's body limit."""
    if channel == "whatsapp":
        return lambda page: utf16_len(page) <= MAX_BODY_CHARS
    if budget_segments < 1:
        raise ValueError(f"budget_segments must be at least 1, got {budget_segments}")
    return lambda page: (
        utf16_len(page) <= MAX_BODY_CHARS and count_segments(page) <= budget_segments
    )


def pack(blocks: list[str], fits: Callable[[str], bool]) -> list[str]:
    """One turn's replies (already prepared) as the fewest messages, each within ``fits``.

    Consecutive replies share a message while it fits, so an answer and the question after it
    travel together when they can; a reply is never cut across messages unless it alone is too
    long, and then only at a paragraph, line or sentence end (never after a label's colon).
    """
    messages: list[str] = []
    for block in (b.strip() for b in blocks):
        if not block:
            continue
        joined = f"{messages[-1]}\n\n{block}" if messages else block
        if messages and fits(joined):
            messages[-1] = joined
        else:
            messages.extend(paginate(block, fits))
    return messages


def take(
    messages: list[str], fits: Callable[[str], bool], more_hint: str, limit: int
) -> tuple[list[str], list[str]]:
    """(messages to send now, messages held for MORE): at most ``limit`` now, the last of them
    ending with ``more_hint`` when some are held (as a message of its own if it does not fit)."""
    if len(messages) <= limit:
        return list(messages), []
    now, held = list(messages[:limit]), list(messages[limit:])
    with_hint = now[-1] + HINT_SEPARATOR + more_hint
    if fits(with_hint):
        now[-1] = with_hint
    else:
        now.append(more_hint)
    return now, held


def sms_text(text: str) -> str:
    """``text`` as plain SMS: WhatsApp markup removed, bullets as "- ", spare blank lines dropped.

    NFC normalisation matters for cost: a decomposed "é" (e + accent) is UCS-2,
    the composed one is GSM-7.
    """
    text = unicodedata.normalize("NFC", _newlines(text))
    text = _FENCE.sub("", text)
    text = _QUOTE.sub("", text)
    text = _BULLET.sub(r"\1- ", text)
    for span in _SPANS:
        text = span.sub(r"\1", text)
    text = _TRAILING_SPACE.sub("", text)
    return _BLANK_LINES.sub("\n\n", text)


def paginate(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Split ``text`` into the fewest natural pages for which ``fits`` holds.

    ``fits`` must be monotone (a longer text never fits where a shorter one did not).
    """
    text = text.strip()
    if not text:
        return []
    pages: list[str] = []
    start = 0
    while not fits(text[start:]):
        end = _longest_fit(text, start, fits)
        cut, resume = _best_break(text, start, end)
        pages.append(text[start:cut].rstrip())
        start = resume
    pages.append(text[start:])
    return pages


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _longest_fit(text: str, start: int, fits: Callable[[str], bool]) -> int:
    """Largest end such that text[start:end] (trailing space trimmed) fits; at least start + 1."""
    lo, hi = start + 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(text[start:mid].rstrip()):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _level(text: str, run: re.Match[str]) -> int:
    """How natural a break at this whitespace run is: 0 paragraph, 1 line, 2 sentence, 3 word,
    4 after a label's colon (only when nothing else is left)."""
    newlines = run.group().count("\n")
    if newlines >= 2:
        return 0
    if newlines == 1:
        return 1
    before = text[: run.start()].rstrip(_CLOSERS)
    if before and before[-1] in _SENTENCE_END:
        return 2
    return 4 if before and before[-1] in _LABEL_END else 3


def _best_break(text: str, start: int, end: int) -> tuple[int, int]:
    """Where to end the page that may run to ``end``, and where the next page starts."""
    best: dict[int, re.Match[str]] = {}
    for run in _WHITESPACE.finditer(text, start + 1):
        if run.start() > end:
            break
        best[_level(text, run)] = run  # the latest run of each level wins
    enough = start + (end - start) * _MIN_FILL
    for level in (0, 1, 2):
        found = best.get(level)
        if found is not None and found.start() >= enough:
            return found.start(), found.end()
    # A short page ending a sentence reads better than a full one ending mid-sentence.
    for levels in ((0, 1, 2), (3,), (4,)):
        runs = [best[level] for level in levels if level in best]
        if runs:
            run = max(runs, key=lambda m: m.start())
            return run.start(), run.end()
    # One word longer than a page: cut it, but not between a letter and its accent.
    while end > start + 1 and unicodedata.combining(text[end]):
        end -= 1
    return end, end
