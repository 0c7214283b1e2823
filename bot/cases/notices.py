"""Notices about a referral to its organization: signed webhook, e-mail, SMS to a staff phone.

The referral itself is delivered when it is in the organization's portal inbox (``route``); these
are notices about it. Each channel is a ``Delivery`` row tried on its own, claimed under a lease
(never two senders at once), retried with backoff (``routing.delivery_backoff_seconds``) and failed
after ``routing.delivery_max_attempts``. A failed notice raises an administrators' alert; it never
moves, hides or escalates the case (only an unacknowledged one moves on, bot.cases.escalation).

Before the organization acknowledged the case, a notice carries no details (bot.delivery.payload);
once it did, the details go by the ``webhook:details`` and (with an OpenPGP key) ``email:details``
channels, as any other delivery. Webhooks are https only (plain http is allowed to this machine
alone, for tests), never following a redirect.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.cases import alerts, timeline
from bot.cases.models import Delivery, DeliveryStatus, MediaStatus, Referral, Report, ReportMedia
from bot.delivery import transports
from bot.delivery.errors import DeliveryFailed
from bot.delivery.payload import details_delivery_id, notice_payload, referral_payload
from bot.directory import store
from bot.directory.models import NgoRecord
from bot.directory.ngo import DETAILS
from bot.jobs.queue import runs_in
from bot.runtime import Runtime, after_commit, current
from bot.store.db import rowcount, utcnow

log = logging.getLogger(__name__)


@runs_in("referrals")
def deliver_referral(referral_id: int) -> dict[str, str]:
    """Job: try the due channels of one referral (retries queue themselves with backoff)."""
    return send_due(current(), referral_id)


def send_due(runtime: Runtime, referral_id: int, *, now: datetime | None = None) -> dict[str, str]:
    """Try every due channel of a referral once; return what happened per channel."""
    now = now or utcnow()
    with runtime.db.session() as session:
        rows = session.execute(
            select(Delivery.id, Delivery.channel)
            .where(
                Delivery.referral_id == referral_id,
                Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
            )
            .order_by(Delivery.id)
        ).all()
    return {channel: _attempt(runtime, delivery_id, now) for delivery_id, channel in rows}


def _claim(session: Session, runtime: Runtime, delivery_id: int, now: datetime) -> bool:
    lease_expired = now - timedelta(seconds=runtime.settings.jobs.send_lease_seconds)
    return bool(
        rowcount(
            session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    or_(
                        (Delivery.status == DeliveryStatus.PENDING)
                        & or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
                        (Delivery.status == DeliveryStatus.SENDING)
                        & (Delivery.claimed_at < lease_expired),
                    ),
                )
                .values(
                    status=DeliveryStatus.SENDING, claimed_at=now, attempts=Delivery.attempts + 1
                )
                .execution_options(synchronize_session=False)
            )
        )
    )


def _attempt(runtime: Runtime, delivery_id: int, now: datetime) -> str:
    with runtime.db.session() as session:
        if not _claim(session, runtime, delivery_id, now):
            return "not_due"
        delivery = session.get_one(Delivery, delivery_id)
        referral = delivery.referral
        report = session.get_one(Report, referral.report_id)
        ngo = store.from_row(session.get_one(NgoRecord, referral.ngo_id), runtime.vault)
        media = session.scalars(
            select(func.count(ReportMedia.id)).where(
                ReportMedia.report_id == report.id, ReportMedia.status == MediaStatus.STORED
            )
        ).one()
        details = delivery.channel.endswith(DETAILS)
        if details:
            payload = details_delivery_id(
                referral_payload(
                    partial(runtime.envelope.get, session, report),
                    referral,
                    report,
                    ngo,
                    media,
                    _portal_url(runtime, referral),
                )
            )
        else:
            payload = notice_payload(referral, report, ngo, _portal_url(runtime, referral))
        channel, sms_from = (
            delivery.channel,
            runtime.settings.routing.sms_from or report.bot_address,
        )
        if channel == "sms":
            # The outbox sends (and retries) it; queued is as far as this job goes.
            try:
                transports.staff_sms(session, runtime, ngo, sms_from, payload)
            except DeliveryFailed as exc:
                error = exc
            else:
                _sent(session, delivery, now)
                return "sent"
    if channel == "sms":
        return _failed(runtime, delivery_id, now, error)
    try:
        if channel in ("webhook", f"webhook{DETAILS}"):
            transports.webhook(runtime, ngo, payload)
        elif channel == "email":
            transports.email(runtime, ngo, payload)
        elif channel == f"email{DETAILS}":
            transports.encrypted_email(runtime, ngo, payload)
        else:
            raise DeliveryFailed(f"unknown channel {channel}", retryable=False)
    except DeliveryFailed as exc:
        return _failed(runtime, delivery_id, now, exc)
    with runtime.db.session() as session:
        _sent(session, session.get_one(Delivery, delivery_id), now)
    return "sent"


def _sent(session: Session, delivery: Delivery, now: datetime) -> None:
    delivery.status, delivery.sent_at, delivery.claimed_at, delivery.last_error = (
        DeliveryStatus.SENT,
        now,
        None,
        None,
    )
    referral = delivery.referral
    details = delivery.channel.endswith(DETAILS)
    timeline.record(
        session,
        referral.report_id,
        "details_sent" if details else "notified",
        referral_id=referral.id,
        now=now,
        channel=delivery.channel,
        attempts=delivery.attempts,
    )
    log.info(
        "referral %s: %s %s sent (attempt %s)",
        referral.id,
        delivery.channel,
        "details" if details else "notice",
        delivery.attempts,
    )


def _failed(runtime: Runtime, delivery_id: int, now: datetime, exc: DeliveryFailed) -> str:
    routing = runtime.settings.routing
    with runtime.db.session() as session:
        delivery = session.get_one(Delivery, delivery_id)
        referral = delivery.referral
        delivery.last_error, delivery.claimed_at = str(exc)[:300], None
        if delivery.status == DeliveryStatus.CANCELLED:
            return "cancelled"
        if exc.retryable and delivery.attempts < routing.delivery_max_attempts:
            backoff = routing.delivery_backoff_seconds
            delay = backoff[min(delivery.attempts - 1, len(backoff) - 1)]
            delivery.status, delivery.next_attempt_at = (
                DeliveryStatus.PENDING,
                now + timedelta(seconds=delay),
            )
            after_commit(session, deliver_referral, referral.id, delay=delay)
            log.warning(
                "referral %s %s attempt %s failed (%s); retrying in %ss",
                referral.id,
                delivery.channel,
                delivery.attempts,
                exc,
                delay,
            )
            return "retry"
        delivery.status = DeliveryStatus.FAILED
        timeline.record(
            session,
            referral.report_id,
            "notice_failed",
            referral_id=referral.id,
            now=now,
            channel=delivery.channel,
            attempts=delivery.attempts,
            error=str(exc)[:200],
        )
        alerts.raise_alert(
            session,
            runtime,
            "notice_failed",
            f"{referral.ngo_id}:{delivery.channel}",
            detail={
                "ngo_id": referral.ngo_id,
                "channel": delivery.channel,
                "error": str(exc)[:200],
            },
            now=now,
        )
    log.error(
        "referral %s: %s notice failed for good after %s attempt(s) (the case stays in the "
        "portal inbox): %s",
        referral.id,
        delivery.channel,
        delivery.attempts,
        exc,
    )
    return "failed"


def redrive(runtime: Runtime, *, now: datetime | None = None) -> int:
    """Queue again deliveries whose delayed retry was lost (a Redis outage, a dead worker)."""
    now = now or utcnow()
    jobs = runtime.settings.jobs
    stale = now - timedelta(seconds=jobs.redrive_after_seconds)
    lease = now - timedelta(seconds=jobs.send_lease_seconds)
    with runtime.db.session() as session:
        referral_ids = session.scalars(
            select(Delivery.referral_id)
            .distinct()
            .join(Referral)
            .where(
                (
                    (Delivery.status == DeliveryStatus.PENDING)
                    & (func.coalesce(Delivery.next_attempt_at, Referral.created_at) < stale)
                )
                | ((Delivery.status == DeliveryStatus.SENDING) & (Delivery.claimed_at < lease))
            )
        ).all()
    return sum(runtime.enqueue(deliver_referral, referral_id) for referral_id in referral_ids)


def _portal_url(runtime: Runtime, referral: Referral) -> str | None:
    base = runtime.settings.public_base_url
    return f"{base}/portal/referrals/{referral.id}" if base else None
