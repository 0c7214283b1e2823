"""A message of emoji alone: the classifier reads words and sees nothing, yet "😢😢" says enough.

Only emoji whose meaning does not depend on the question are read: sadness is `distress`, an SOS
is an `emergency`. A thumbs-up is left alone: at "are you in danger now?" it is no answer.
Both backends use this (nlu.embedded, nlu.rasa.client), so the intent does not depend on which runs.
"""

from __future__ import annotations

#: Emoji -> intent. Variation selectors and skin tones are ignored (see ``emoji_intent``).
INTENTS = {
    **dict.fromkeys("😢😭😞😔😥😿💔🥺😩😫☹🙁😓😟😖😣", "distress"),
    **dict.fromkeys("🆘🚨", "emergency"),
}
#: Characters that only change how the emoji before them is drawn.
MODIFIERS = frozenset("\ufe0f\ufe0e\u200d") | frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


def emoji_intent(text: str) -> str | None:
    """The intent a message of emoji only says, when all its emoji say the same; else None (words,
    digits, an emoji not listed, or two meanings)."""
    said = None
    for c in text:
        if c.isspace() or c in MODIFIERS:
            continue
        intent = INTENTS.get(c)
        if intent is None or said not in (None, intent):
            return None  # a word, a digit, an emoji not listed, or a second meaning: at once
        said = intent
    return said
