"""Text normalization shared by the classifier and the language detector.

Workers text without accents, stretch letters ("siii", "holaaa"), and use SMS shortcuts
(q, xq, pls, d2). Folding all of that to one form lets a few hundred examples cover the ways
people actually write.
"""

from __future__ import annotations

import re
import unicodedata

# Shortcuts expanded to the word they stand for (after folding; keys are whole tokens).
ABBREVIATIONS: dict[str, str] = {
    # Spanish
    "q": "que",
    "ke": "que",
    "xq": "porque",
    "pq": "porque",
    "porq": "porque",
    "xk": "porque",
    "x": "por",
    "xfa": "por favor",
    "xfavor": "por favor",
    "porfa": "por favor",
    "porfis": "por favor",
    "porfavor": "por favor",
    "estra": "extra",  # "horas estras": the x said as s
    "estras": "extras",
    "pfa": "por favor",
    "tb": "tambien",
    "tmb": "tambien",
    "tmbn": "tambien",
    "dnd": "donde",
    "dnde": "donde",
    "msj": "mensaje",
    "msjs": "mensajes",
    "tng": "tengo",
    "tngo": "tengo",
    "bn": "bien",
    "cmo": "como",
    "grax": "gracias",
    "grs": "gracias",
    "grasias": "gracias",
    "toy": "estoy",
    "hrs": "horas",
    "hr": "hora",
    "d": "de",
    "amenasa": "amenaza",  # z said as s (seseo)
    "amenasan": "amenazan",
    "amenaso": "amenazo",
    "amenasaron": "amenazaron",
    "amenasando": "amenazando",
    "sr": "senor",
    "sra": "senora",
    # Tagalog
    "d2": "dito",
    "dto": "dito",
    "lng": "lang",
    "lang": "lang",
    "nmn": "naman",
    "tlga": "talaga",
    "sna": "sana",
    "kc": "kasi",
    "kse": "kasi",
    "wla": "wala",
    "pde": "pwede",
    "pwd": "pwede",
    "bkt": "bakit",
    "ung": "yung",
    "nde": "hindi",
    "hnd": "hindi",
    "hndi": "hindi",
    "mgkno": "magkano",
    "mgkano": "magkano",
    "pra": "para",
    "sya": "siya",
    "slmt": "salamat",
    "salamt": "salamat",
    "slamat": "salamat",
    "slmat": "salamat",
    "ngaun": "ngayon",
    "gud": "good",
    # English
    "pls": "please",
    "plz": "please",
    "pliz": "please",
    "plse": "please",
    "tnx": "thanks",
    "thx": "thanks",
    "tnks": "thanks",
    "thnx": "thanks",
    "ty": "thank you",
    "u": "you",
    "ur": "your",
    "r": "are",
    "ot": "overtime",  # also in Tagalog ("di nagbabayad ng OT")
    "msg": "message",
    "msgs": "messages",
    "txt": "text",
    "wat": "what",
    "wen": "when",
    "nite": "night",
    "tonite": "tonight",
    "cyaan": "cant",  # Jamaican English
    "kyaan": "cant",
    "mawning": "morning",
    "mawnin": "morning",
    "mornin": "morning",
    "til": "until",
    "till": "until",
    "abt": "about",
    "b4": "before",
    "2day": "today",
    "2moro": "tomorrow",
    "coz": "because",
    "cuz": "because",
    "bcoz": "because",
    "im": "i am",
    "dont": "dont",
    "cant": "cant",
    "wont": "wont",
    "gonna": "going to",
    "wanna": "want to",
}

_TOKEN = re.compile(r"[a-z0-9]+")
_REPEAT = re.compile(r"([a-z])\1{2,}")
_APOSTROPHE = re.compile(r"(?<=\w)['’`](?=\w)")


def fold(text: str) -> str:
    """Casefold and strip accents (ñ -> n), keeping the character count of ASCII text."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _squeeze(token: str) -> str:
    """Collapse stretched letters: 'siii' -> 'si'; a lone run of o's is Tagalog 'oo' (yes)."""
    if len(token) >= 2 and set(token) == {"o"}:
        return "oo"
    return _REPEAT.sub(r"\1", token)


def tokens(text: str) -> list[str]:
    """Folded, squeezed, abbreviation-expanded word tokens (digits kept, punctuation and emoji dropped)."""
    folded = _APOSTROPHE.sub("", fold(text))
    out: list[str] = []
    for token in _TOKEN.findall(folded):
        token = _squeeze(token)
        out.extend(ABBREVIATIONS.get(token, token).split())
    return out


def normalize(text: str) -> str:
    """The normalized text the classifier sees: tokens joined by single spaces."""
    return " ".join(tokens(text))
