"""A case's way to an organization: route it to the best match, then follow what staff do with it.

``route`` ranks the directory with the pure matcher, stores the chosen organization with the
reasons, and queues the delivery; the lifecycle functions (what the portal calls) move the
referral and the report, write the case's timeline, and tell the worker when the case moves.
Every function works in the caller's session: the caller commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cases import alerts, timeline
from bot.cases.draft import MATCHING_TYPES
from bot.cases.models import (
    OPEN_REFERRAL,
    OUTCOMES,
    TAKEN_REFERRAL,
    WAITING_REFERRAL,
    Delivery,
    DeliveryStatus,
    Referral,
    ReferralStatus,
    Report,
    ReportStatus,
)
from bot.cases.notices import deliver_referral
from bot.cases.notify import notify_worker
from bot.directory import store
from bot.directory.matching import CaseNeeds, MatchResult, match
from bot.directory.models import NgoRecord
from bot.directory.ngo import Ngo
from bot.errors import PuenteError
from bot.metrics import REFERRAL_ACK
from bot.runtime import Runtime, after_commit
from bot.store.db import to_the_hour, utcnow
from bot.store.eventlog import record_match, record_referral

log = logging.getLogger(__name__)


class LifecycleError(PuenteError):
    """A referral cannot make this move (e.g. accepting a closed one); the message says why."""


def open_load(session: Session) -> dict[str, int]:
    """Open referrals per organization: what matching weighs against capacity."""
    rows = session.execute(
        select(Referral.ngo_id, func.count(Referral.id))
        .where(Referral.status.in_(OPEN_REFERRAL))
        .group_by(Referral.ngo_id)
    ).all()
    return {ngo_id: count for ngo_id, count in rows}


def route(
    session: Session,
    runtime: Runtime,
    report: Report,
    *,
    now: datetime | None = None,
    exclude: Iterable[str] = (),
    services: Iterable[str] = (),
    contact_request: bool = False,
    notify: bool = True,
) -> Referral | None:
    """Refer the report to the best organization not tried yet; None (and an alert) if nobody can take it.

    The referral is delivered once it is in the organization's portal inbox, that is when this
    transaction commits; webhook, e-mail and SMS notices about it follow (bot.cases.notices).
    ``notify`` False when the worker is told in the reply of the turn that filed the report.
    """
    now = now or utcnow()
    previous = session.scalars(select(Referral).where(Referral.report_id == report.id)).all()
    if len(previous) > runtime.settings.routing.max_escalations:
        # Each organization offered the case learns it exists: the chain stops, people take over.
        report.status = ReportStatus.NEW
        timeline.record(session, report.id, "unrouted", now=now, reason="max_escalations")
        alerts.raise_alert(
            session,
            runtime,
            "unrouted",
            f"report:{report.id}",
            province=report.province,
            detail={
                "report_id": report.id,
                "tried": len(previous),
                "reason": "routing.max_escalations",
            },
            now=now,
        )
        return None
    tried = set(exclude) | {r.ngo_id for r in previous}
    ngos = [ngo for ngo in store.load_ngos(session, runtime.vault)]
    result = match(
        _needs(session, runtime, report, services),
        ngos,
        open_load(session),
        exclude=tried,
        now=now,
    )
    if not previous:  # demand is counted once per case, not again when it is re-routed
        record_match(session, report, result, at=now)
    _alert_gaps(session, runtime, report, result, now)
    best = result.best
    if best is None:
        report.status = ReportStatus.NEW
        timeline.record(session, report.id, "unrouted", now=to_the_hour(now), tried=sorted(tried))
        alerts.raise_alert(
            session,
            runtime,
            "unrouted",
            f"report:{report.id}",
            province=report.province,
            detail={"report_id": report.id, "tried": len(tried)},
            now=now,
        )
        return None
    at = to_the_hour(now)  # made at filing: its time must not date the report (filed to the day)
    referral = Referral(
        report_id=report.id,
        ngo_id=best.ngo.id,
        rank=len(previous) + 1,
        status=ReferralStatus.DELIVERED,
        reasons=best.explanation,
        fallback=result.fallback_used,
        contact_request=contact_request,
        created_at=at,
        delivered_at=at,
    )
    session.add(referral)
    session.flush()
    record_referral(session, referral, "sent", report=report)
    _plan_deliveries(session, referral, best.ngo)
    report.status = ReportStatus.ASSIGNED
    timeline.record(
        session,
        report.id,
        "assigned",
        referral_id=referral.id,
        now=at,
        ngo_id=best.ngo.id,
        rank=referral.rank,
        fallback=result.fallback_used,
        reasons=[reason.to_dict() for reason in best.reasons],
    )
    timeline.record(
        session, report.id, "delivered", referral_id=referral.id, now=at, channel="portal"
    )
    after_commit(session, deliver_referral, referral.id)
    if notify:
        notify_worker(
            session, runtime, report, "assigned", assigned_params(runtime, best.ngo.name), now=now
        )
    log.info(
        "report %s referred to %s (rank %s%s)",
        report.id,
        best.ngo.id,
        referral.rank,
        ", national fallback" if result.fallback_used else "",
    )
    return referral


def assigned_params(runtime: Runtime, ngo_name: str) -> dict[str, object]:
    """The worker's ``case.update.assigned``: who has the case and within how many hours they
    answer (the acknowledgement deadline, after which the case moves on)."""
    return {"ngo": ngo_name, "hours": round(runtime.settings.routing.ack_timeout_hours)}


def _needs(
    session: Session, runtime: Runtime, report: Report, services: Iterable[str]
) -> CaseNeeds:
    return CaseNeeds(
        province=report.province,
        language=report.language,
        abuse_types=tuple(MATCHING_TYPES.get(t, t) for t in report.abuse_types or ()),
        sector=report.sector if report.sector != "other" else None,
        town=runtime.envelope.get(session, report, "town_enc"),
        services=tuple(services),
    )


def _plan_deliveries(session: Session, referral: Referral, ngo: Ngo) -> None:
    """One delivery per contact channel; example contacts (the seed directory) are never contacted."""
    for channel in ngo.contacts.channels:
        delivery = Delivery(referral_id=referral.id, channel=channel)
        if ngo.example_contacts:
            delivery.status, delivery.last_error = (
                DeliveryStatus.SKIPPED,
                "example contact in the directory",
            )
        session.add(delivery)
    if ngo.example_contacts:
        timeline.record(
            session,
            referral.report_id,
            "delivery_skipped",
            referral_id=referral.id,
            reason="example_contacts",
            ngo_id=ngo.id,
        )


def _alert_gaps(
    session: Session, runtime: Runtime, report: Report, result: MatchResult, now: datetime
) -> None:
    if not result.gap and not result.fallback_used:
        return
    gap = sorted(result.gap)
    alerts.raise_alert(
        session,
        runtime,
        "coverage_gap",
        f"{report.province}:{','.join(gap)}:{result.fallback_used}",
        province=report.province,
        detail={"gap": gap, "fallback": result.fallback_used},
        now=now,
    )


# -- lifecycle (the portal) ------------------------------------------------------------------


def acknowledge(
    session: Session,
    runtime: Runtime,
    referral_id: int,
    user_id: int,
    *,
    now: datetime | None = None,
) -> Referral:
    """Staff have seen the referral: it stops counting toward escalation."""
    now = now or utcnow()
    referral, report = _load(session, referral_id)
    if referral.status in TAKEN_REFERRAL:
        return referral
    _require(referral, WAITING_REFERRAL, "acknowledge")
    referral.status = ReferralStatus.ACKNOWLEDGED
    _acknowledged(referral, user_id, now)
    _send_details(session, runtime, referral)
    record_referral(session, referral, "acknowledged", report=report)
    if report.status in (ReportStatus.NEW, ReportStatus.ASSIGNED):
        report.status = ReportStatus.ACKNOWLEDGED
    timeline.record(
        session,
        report.id,
        "acknowledged",
        actor=timeline.user_actor(user_id),
        referral_id=referral.id,
        now=now,
    )
    notify_worker(session, runtime, report, "acknowledged", now=now)
    return referral


def _send_details(session: Session, runtime: Runtime, referral: Referral) -> None:
    """The organization acknowledged: the details now go by its webhook and encrypted e-mail
    (they were a notice until now); without either, staff read them in the portal."""
    record = session.get(NgoRecord, referral.ngo_id)
    ngo = store.from_row(record, runtime.vault) if record else None
    if ngo is None or ngo.example_contacts:
        return
    known = set(
        session.scalars(select(Delivery.channel).where(Delivery.referral_id == referral.id))
    )
    planned = [channel for channel in ngo.contacts.details_channels if channel not in known]
    for channel in planned:
        session.add(Delivery(referral_id=referral.id, channel=channel))
    if planned:
        session.flush()
        after_commit(session, deliver_referral, referral.id)


def _acknowledged(referral: Referral, user_id: int, now: datetime) -> None:
    referral.acknowledged_at, referral.acknowledged_by = now, user_id
    REFERRAL_ACK.observe(max(0.0, (now - referral.created_at).total_seconds()))


def accept(
    session: Session,
    runtime: Runtime,
    referral_id: int,
    user_id: int,
    *,
    now: datetime | None = None,
) -> Referral:
    """The organization takes the case."""
    now = now or utcnow()
    referral, report = _load(session, referral_id)
    if referral.status == ReferralStatus.ACCEPTED:
        return referral
    _require(referral, (*WAITING_REFERRAL, ReferralStatus.ACKNOWLEDGED), "accept")
    if referral.acknowledged_at is None:
        _acknowledged(referral, user_id, now)
        _send_details(session, runtime, referral)
        record_referral(session, referral, "acknowledged", report=report)
    referral.status, referral.accepted_at = ReferralStatus.ACCEPTED, now
    record_referral(session, referral, "accepted", report=report)
    report.status = ReportStatus.IN_PROGRESS
    timeline.record(
        session,
        report.id,
        "accepted",
        actor=timeline.user_actor(user_id),
        referral_id=referral.id,
        now=now,
    )
    notify_worker(session, runtime, report, "accepted", now=now)
    return referral


def assign(
    session: Session,
    referral_id: int,
    user_id: int,
    assignee: int | None,
    *,
    now: datetime | None = None,
) -> Referral:
    """Staff give the case to one of them (``assignee``) or to nobody; worker replies then notify them."""
    now = now or utcnow()
    referral, report = _load(session, referral_id)
    _require(referral, OPEN_REFERRAL, "be assigned")
    if referral.assigned_to == assignee:
        return referral
    referral.assigned_to, referral.assigned_at = assignee, now if assignee else None
    timeline.record(
        session,
        report.id,
        "owner_set",
        actor=timeline.user_actor(user_id),
        referral_id=referral.id,
        now=now,
        assignee=assignee,
    )
    return referral


def decline(
    session: Session,
    runtime: Runtime,
    referral_id: int,
    user_id: int,
    reason: str,
    *,
    now: datetime | None = None,
) -> Referral | None:
    """The organization cannot take the case: it goes to the next match. Returns the new referral."""
    now = now or utcnow()
    referral, report = _load(session, referral_id)
    _require(referral, (*WAITING_REFERRAL, ReferralStatus.ACKNOWLEDGED), "decline")
    referral.status, referral.closed_at = ReferralStatus.DECLINED, now
    record_referral(session, referral, "declined", report=report)
    cancel_deliveries(session, referral)
    timeline.record(
        session,
        report.id,
        "declined",
        actor=timeline.user_actor(user_id),
        referral_id=referral.id,
        now=now,
        reason=str(reason)[:200],
    )
    return route(session, runtime, report, now=now, contact_request=referral.contact_request)


def close(
    session: Session,
    runtime: Runtime,
    referral_id: int,
    user_id: int,
    outcome: str,
    *,
    now: datetime | None = None,
) -> Referral:
    """The case is over, with one of OUTCOMES; the worker is told in their language."""
    if outcome not in OUTCOMES:
        raise LifecycleError(f"outcome must be one of {', '.join(OUTCOMES)}")
    now = now or utcnow()
    referral, report = _load(session, referral_id)
    if referral.status == ReferralStatus.CLOSED:
        return referral
    _require(referral, OPEN_REFERRAL, "close")
    referral.status, referral.closed_at, referral.outcome = ReferralStatus.CLOSED, now, outcome
    record_referral(session, referral, "closed", report=report)
    cancel_deliveries(session, referral)
    report.status, report.closed_at, report.outcome = ReportStatus.CLOSED, now, outcome
    timeline.record(
        session,
        report.id,
        "closed",
        actor=timeline.user_actor(user_id),
        referral_id=referral.id,
        now=now,
        outcome=outcome,
    )
    notify_worker(
        session,
        runtime,
        report,
        "closed",
        {"outcome": f"case.outcome.{outcome}"},
        {"outcome": "msgid"},
        now=now,
    )
    return referral


def add_note(
    session: Session,
    runtime: Runtime,
    referral_id: int,
    user_id: int,
    *,
    note_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Record in the timeline that staff added a note (the note itself is the portal's, encrypted)."""
    referral, report = _load(session, referral_id)
    timeline.record(
        session,
        report.id,
        "note_added",
        actor=timeline.user_actor(user_id),
        referral_id=referral.id,
        now=now,
        note_id=note_id,
    )


def _load(session: Session, referral_id: int) -> tuple[Referral, Report]:
    referral = session.scalar(select(Referral).where(Referral.id == referral_id).with_for_update())
    if referral is None:
        raise LifecycleError(f"referral {referral_id} does not exist")
    return referral, session.get_one(Report, referral.report_id)


def _require(referral: Referral, allowed: tuple[str, ...], action: str) -> None:
    if referral.status not in allowed:
        raise LifecycleError(f"referral {referral.id} is {referral.status}: it cannot {action}")


def cancel_deliveries(session: Session, referral: Referral) -> None:
    """Stop retrying deliveries to an organization that no longer holds the case."""
    for delivery in referral.deliveries:
        if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
            delivery.status, delivery.last_error = (
                DeliveryStatus.CANCELLED,
                "referral no longer open",
            )
