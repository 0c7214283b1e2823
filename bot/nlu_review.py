"""The NLU review queue: what the classifier was unsure of, for annotators to label.

Kept encrypted, with phone numbers masked, for the message retention period (the purge job deletes
older rows); ``nlu.review_queue: false`` turns it off. ``puente nlu review --database`` exports it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.logs import redact
from bot.models import NluReview
from bot.runtime import Runtime


def keep(session: Session, runtime: Runtime, text: str, parse: dict) -> bool:
    """Queue a message the NLU could not place (``nlu_fallback``) or placed with little confidence
    (below ``nlu.review_below``), if it has words to learn from."""
    intent, settings = parse.get("intent") or {}, runtime.settings.nlu
    confidence = float(intent.get("confidence") or 0.0)
    if not settings.review_queue or (intent.get("name") != "nlu_fallback" and confidence >= settings.review_below):
        return False
    if not any(ch.isalpha() for ch in text):
        return False  # a number, an emoji, nothing: no words to label
    session.add(NluReview(text_enc=runtime.vault.encrypt(redact(text.strip())[:500]),
                          intent=str(intent.get("name")), confidence=confidence,
                          language=parse.get("language")))
    return True


def records(runtime: Runtime) -> list[dict]:
    """The queue as the records `nlu review` turns into Rasa-format candidates."""
    with runtime.db.session() as session:
        rows = session.scalars(select(NluReview).order_by(NluReview.id)).all()
        return [{"text": runtime.vault.decrypt(row.text_enc), "intent": row.intent,
                 "confidence": row.confidence, "language": row.language} for row in rows]
