"""What the purge job erases in the cases, and when.

Case-code lookups are kept one day (they only throttle guessing); evidence whose fetch never
succeeded loses its Twilio URL at the message retention; a closed case keeps its details and
evidence ``reports.erase_closed_after_days``, and every case at most ``reports.erase_after_days``
from filing; then its relay thread and staff notes go too, and only its counts and timeline remain.
A case with ``legal_hold`` (set by its NGO) is left whole.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.cases import timeline
from bot.cases.models import (
    CaseLookup,
    EmployerMention,
    MediaStatus,
    Note,
    RelayMessage,
    Report,
    ReportMedia,
    ReportStatus,
)
from bot.runtime import current
from bot.store.db import rowcount, utcnow

log = logging.getLogger(__name__)

LOOKUP_DAYS = 1


def set_legal_hold(session: Session, report: Report, on: bool, user_id: int) -> None:
    """The NGO must keep this case (a court, an investigation): the age purge leaves it whole."""
    report.legal_hold = on
    timeline.record(
        session,
        report.id,
        "legal_hold_on" if on else "legal_hold_off",
        actor=timeline.user_actor(user_id),
    )


def purge(session: Session, cutoff: datetime) -> dict[str, int]:
    """The cases' purge hook (bot.conversation.areas.PurgeHook): ``cutoff`` is the end of the message retention period."""
    now = utcnow()
    lookups = rowcount(
        session.execute(
            delete(CaseLookup).where(CaseLookup.created_at < now - timedelta(days=LOOKUP_DAYS))
        )
    )
    unfetched = rowcount(
        session.execute(
            update(ReportMedia)
            .where(ReportMedia.status == MediaStatus.PENDING, ReportMedia.created_at < cutoff)
            .values(status=MediaStatus.FAILED, url_enc=None)
        )
    )
    runtime = current()
    settings = runtime.settings.reports
    closed = session.scalars(
        select(Report.id).where(
            Report.legal_hold.is_(False),
            (Report.status == ReportStatus.CLOSED)
            & (Report.closed_at < now - timedelta(days=settings.erase_closed_after_days))
            | (Report.created_at < now - timedelta(days=settings.erase_after_days)),
            Report.details_enc.is_not(None)
            | Report.employer_enc.is_not(None)
            | Report.town_enc.is_not(None)
            | Report.contact_enc.is_not(None)
            | Report.conversation_key.is_not(None)
            | select(RelayMessage.id).where(RelayMessage.report_id == Report.id).exists()
            | select(Note.id).where(Note.report_id == Report.id).exists(),
        )
    ).all()
    if closed:
        # Crypto-shredding first: a copy of these rows left anywhere can no longer be read.
        runtime.envelope.destroy(
            session, *session.scalars(select(Report.data_key_id).where(Report.id.in_(closed)))
        )
        session.execute(
            update(Report)
            .where(Report.id.in_(closed))
            .values(
                details_enc=None,
                employer_enc=None,
                town_enc=None,
                contact_enc=None,
                conversation_key=None,
                conversation_ref_enc=None,
                data_key_id=None,
            )
        )
        session.execute(delete(ReportMedia).where(ReportMedia.report_id.in_(closed)))
        session.execute(delete(EmployerMention).where(EmployerMention.report_id.in_(closed)))
        session.execute(delete(RelayMessage).where(RelayMessage.report_id.in_(closed)))
        session.execute(delete(Note).where(Note.report_id.in_(closed)))
    log.info(
        "reports purge: %s lookups, %s unfetched media, %s closed cases erased",
        lookups,
        unfetched,
        len(closed),
    )
    return {"lookups": lookups, "unfetched_media": unfetched, "closed_erased": len(closed)}
