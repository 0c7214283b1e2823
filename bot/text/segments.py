"""How many SMS segments a text costs, and how to make it cost less.

SMS is billed per segment. A message that fits the GSM 03.38 alphabet travels as
7-bit septets (160 in one segment, 153 per part once concatenated); a single
character outside it switches the whole message to UCS-2 (70, then 67 per part,
counted in UTF-16 code units, so an emoji costs two). Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet (one septet each). The escape code 0x1B is omitted:
# it only introduces the extension table below.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs an escape septet plus itself.
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

# Look-alikes that NFKD decomposition does not reduce to GSM-7.
_TRANSLITERATIONS = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4`\u2039\u203a", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),  # dashes
    **dict.fromkeys("\u2022\u00b7\u25aa\u25e6\u2023", "-"),  # bullets
    **dict.fromkeys("\t\u00a0\u202f\u2007\u2009\u200a", " "),
    **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff\ufe0f", ""),  # invisible
    **dict.fromkeys("\u2028\u2029", "\n"),
    "\u2026": "...",
    "\u00e7": "c",  # GSM-7 only has the capital Ç
    "\u0153": "oe",
    "\u0152": "OE",
    "\u0111": "d",
    "\u0110": "D",
    "\u0142": "l",
    "\u0141": "L",
    "\u00f0": "d",
    "\u00d0": "D",
    "\u00fe": "th",
    "\u00de": "Th",
    "\u00d7": "x",
    "\u00f7": "/",
    "\u00b0": "o",
    "\u00a9": "(c)",
    "\u00ae": "(R)",
    "\u2122": "TM",
    "\u00a2": "c",
}


_GSM7 = GSM7_BASIC | GSM7_EXTENDED
#: Characters outside the Basic Multilingual Plane: two UTF-16 code units each.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in GSM-7 (basic or extension table)."""
    return _GSM7.issuperset(text)


def encoding(text: str) -> Encoding:
    """The encoding a carrier will use for ``text``: one character outside GSM-7 means UCS-2."""
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of UCS-2 segments and Twilio's body limits."""
    return len(text) + len(_ASTRAL.findall(text))


def septets(text: str) -> int:
    """Length in GSM-7 septets (extension characters count two). Only meaningful for GSM-7 text."""
    return len(text) + sum(text.count(ch) for ch in GSM7_EXTENDED)


def _widths(text: str, enc: Encoding) -> list[int]:
    if enc == "GSM-7":
        return [2 if ch in GSM7_EXTENDED else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def count_segments(text: str) -> int:
    """Number of SMS segments ``text`` is billed as; 0 for the empty string.

    Parts of a concatenated message are packed greedily without splitting an
    escape sequence or a surrogate pair across parts, as handsets and Twilio do.
    """
    if not text:
        return 0
    enc = encoding(text)
    widths = _widths(text, enc)
    single, part = (GSM7_SINGLE, GSM7_PART) if enc == "GSM-7" else (UCS2_SINGLE, UCS2_PART)
    if sum(widths) <= single:
        return 1
    segments, used = 1, 0
    for width in widths:
        if used + width > part:
            segments, used = segments + 1, 0
        used += width
    return segments


def _transliterate_char(ch: str) -> str:
    if ch in GSM7_BASIC or ch in GSM7_EXTENDED:
        return ch
    if ch in _TRANSLITERATIONS:
        return _TRANSLITERATIONS[ch]
    composed = unicodedata.normalize("NFC", ch)  # e.g. the Angstrom sign is GSM-7's Å
    if is_gsm7(composed):
        return composed
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(_TRANSLITERATIONS.get(c, c) for c in decomposed if not unicodedata.combining(c))
    return base if is_gsm7(base) else ""


def transliterate_gsm7(text: str) -> str:
    """``text`` rewritten in GSM-7 only, for deployments that choose cost over accents.

    Letters GSM-7 holds (é, ñ, ü, à, ¿, ¡ ...) are kept; others lose their accent
    (á -> a, ó -> o), typographic quotes and dashes become plain ones, and what has
    no GSM-7 equivalent (emoji, other scripts) is dropped, with the space it leaves
    doubled collapsed.
    """
    if is_gsm7(text):
        return text  # the common case: each character would be kept as it is
    out: list[str] = []
    dropped = False
    for ch in text:
        replacement = _transliterate_char(ch)
        if replacement:
            if dropped and replacement == " " and (not out or out[-1] in " \n"):
                dropped = False
                continue
            out.append(replacement)
            dropped = False
        elif ch not in _TRANSLITERATIONS:
            dropped = True
    return "".join(out)
