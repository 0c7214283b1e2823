"""The NLU review queue: what the classifier was unsure of, for annotators to label.

Only navigation text is kept: never an answer to a question (a report's employer, a town, a PIN),
nothing said during a relay to an NGO or with a case code, nothing of a sensitive flow. Rows are
encrypted, phone numbers masked, linked to their conversation by a keyed hash only (so erasing the
conversation erases them) and kept ``nlu.review_retention_days``; ``puente nlu review --database``
masks codes, names and long numbers again before anything leaves. ``nlu.review_queue: false``
turns it off.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.conversation.areas import Area
from bot.conversation.effects import Context, Handlers
from bot.logs import redact
from bot.runtime import Runtime
from bot.store.models import Conversation, NluReview
from flows import Effect, Parse
from flows.text import normalize
from vocab import FALLBACK

#: This module's effect handlers (its area's ``AREA`` carries them).
HANDLERS = Handlers()

KEY_PURPOSE = "nlu-review"
#: Effects that mean the message carried something for a case: never kept, whatever the NLU made of it.
CASE_EFFECTS = frozenset({"relay_to_agent", "case_status", "file_report", "handoff_agent"})

_CODE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z0-9]{4}[\s\-\u2010-\u2014]?[A-Za-z0-9]{4}(?![A-Za-z0-9])"
)
_EMAIL = re.compile(r"\S+@\S+")
_LONG_NUMBER = re.compile(r"\d[\d\s.-]{3,}\d")
_WORD = re.compile(r"\w+", re.UNICODE)


def keep(
    session: Session,
    runtime: Runtime,
    conversation: Conversation,
    before: dict[str, Any],
    text: str,
    parse: dict[str, Any],
    effects: list[Effect],
) -> bool:
    """Queue a message the NLU could not place (``nlu_fallback``) or placed with little confidence
    (below ``nlu.review_below``), if it has words to learn from and is not worker content:
    ``before`` is the (unsealed) state the message was answering."""
    read, settings = Parse.of(parse, text), runtime.settings.nlu
    if not settings.review_queue or (
        read.intent != FALLBACK and read.confidence >= settings.review_below
    ):
        return False
    if not any(ch.isalpha() for ch in text):
        return False  # a number, an emoji, nothing: no words to label
    if _is_content(runtime, before) or any(e.kind in CASE_EFFECTS for e in effects):
        return False
    row = NluReview(
        text_enc="",
        intent=read.intent,
        confidence=read.confidence,
        language=read.language,
        conversation_key=_key(runtime, conversation),
    )
    session.add(row)
    session.flush()  # its id: the text is sealed to its row, under the conversation's data key
    runtime.envelope.put(
        session, conversation.sealing_key, row, "text_enc", redact(text.strip())[:500]
    )
    return True


def _is_content(runtime: Runtime, state: dict[str, Any]) -> bool:
    """Whether a message in this state is the worker's own content rather than navigation: during a
    relay, in a sensitive flow, or answering a question whose answer is stored (a slot)."""
    if state.get("handoff"):
        return True
    flow = runtime.engine.flows.get(state.get("flow") or "")
    if flow is None:
        return False
    step = flow.steps.get(state.get("step") or "")
    return flow.sensitive or (step is not None and bool(step.slot))


def _key(runtime: Runtime, conversation: Conversation) -> str:
    return runtime.vault.keyed_hash(KEY_PURPOSE, conversation.address_key)


@HANDLERS.on("erase_data", first=True)
def _erase(context: Context, effect: Effect) -> None:
    """What the queue kept of this worker goes with their conversation."""
    context.session.execute(
        delete(NluReview).where(
            NluReview.conversation_key == _key(context.runtime, context.conversation)
        )
    )


def scrub(text: str, keep_words: frozenset[str] = frozenset()) -> str:
    """Text as it may leave for annotators: numbers, e-mail addresses, case codes and names masked.

    A name is taken to be a capitalized word that does not start a sentence (unless it is in
    ``keep_words``, normalized: provinces, language names): rough, so it masks too much rather
    than too little."""
    text = _EMAIL.sub("[email]", redact(text))
    text = _CODE.sub(lambda m: m.group() if m.group().isalpha() else "[code]", text)
    text = _LONG_NUMBER.sub("[number]", text)
    out, start = [], True
    for piece in re.split(r"(\W+)", text):
        if piece and _WORD.fullmatch(piece):
            if (
                not start
                and piece[:1].isupper()
                and piece.isalpha()
                and normalize(piece) not in keep_words
            ):
                piece = "[name]"
            start = False
        elif any(ch in ".!?\n" for ch in piece):
            start = True
        out.append(piece)
    return "".join(out)


def records(runtime: Runtime) -> list[dict[str, Any]]:
    """The queue as the records `nlu review` turns into Rasa-format candidates, scrubbed."""
    keywords = runtime.engine.keywords
    keep_words = frozenset(keywords.provinces) | frozenset(keywords.languages)
    with runtime.db.session() as session:
        rows = session.scalars(select(NluReview).order_by(NluReview.id)).all()
        return [
            {
                "text": scrub(runtime.envelope.get_str(session, row, "text_enc"), keep_words),
                "intent": row.intent,
                "confidence": row.confidence,
                "language": row.language,
            }
            for row in rows
        ]


#: The review queue as an area of its own: its erasure runs with the other areas'.
AREA = Area("nlu_review", handlers=(HANDLERS,))
