"""Administrators' alerts: a repeat employer, a case nobody can take, an escalation, an NGO that
cannot be reached. One row per subject (raised again, it is updated, not duplicated), and an
e-mail to ``routing.admin_alert_emails`` when it is new or has grown.
"""

from __future__ import annotations

import html
import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.models import AdminAlert, AlertEmailStatus, AlertStatus
from bot.delivery.mail import MailError, send_mail
from bot.runtime import Runtime, after_commit, current
from bot.store.db import utcnow

log = logging.getLogger(__name__)


def raise_alert(
    session: Session,
    runtime: Runtime,
    kind: str,
    subject_key: str,
    *,
    province: str | None = None,
    detail: dict[str, Any] | None = None,
    subject: dict[str, Any] | None = None,
    notify: bool | None = None,
    now: datetime | None = None,
) -> AdminAlert:
    """Open (or update) the alert for ``subject_key`` of this kind; e-mail administrators if asked.

    ``subject_key`` may hold names (an employer's): only its keyed hash is stored. ``subject`` is
    kept encrypted, for administrators' eyes. Administrators are e-mailed when the alert is new
    or was dismissed before (``notify`` None), or as ``notify`` says.
    """
    now = now or utcnow()
    key = runtime.vault.keyed_hash("admin-alert", f"{kind}:{subject_key}")
    alert = session.scalar(select(AdminAlert).where(AdminAlert.key == key))
    fresh = alert is None or alert.status != AlertStatus.OPEN
    if alert is None:
        alert = AdminAlert(kind=kind, key=key, count=0, created_at=now)
        session.add(alert)
    alert.count = (alert.count or 0) + 1
    alert.province, alert.detail, alert.updated_at = province, dict(detail or {}), now
    alert.status = AlertStatus.OPEN
    if subject is not None:
        alert.subject_enc = runtime.vault.encrypt(json.dumps(subject, ensure_ascii=False))
    session.flush()
    log.warning("administrators' alert %s #%s (%s)", kind, alert.id, province or "no province")
    if notify or (notify is None and fresh):
        queue_email(session, runtime, alert)
    return alert


def queue_email(session: Session, runtime: Runtime, alert: AdminAlert) -> bool:
    """E-mail administrators about the alert once this transaction commits (retried on failure)."""
    if not runtime.settings.routing.admin_alert_emails:
        return False
    alert.email_status, alert.email_error = AlertEmailStatus.SENDING, None
    after_commit(session, email_alert, alert.id)
    return True


def acknowledge(
    session: Session, alert: AdminAlert, user_id: int, *, now: datetime | None = None
) -> None:
    """An administrator has seen to the alert; raised again, it opens again."""
    alert.status, alert.acknowledged_at, alert.acknowledged_by = (
        AlertStatus.ACKNOWLEDGED,
        now or utcnow(),
        user_id,
    )


def subject_of(runtime: Runtime, alert: AdminAlert) -> dict[str, Any]:
    """The alert's encrypted subject (e.g. an employer's name and town), for administrators."""
    return json.loads(runtime.vault.decrypt(alert.subject_enc)) if alert.subject_enc else {}


def email_alert(alert_id: int, attempt: int = 1) -> bool:
    """E-mail administrators about an alert (counts, types, province; never who reported).

    A failure that may pass (the SMTP server down) is retried like a referral notice, with
    ``routing.delivery_backoff_seconds`` up to ``routing.delivery_max_attempts``; the alert keeps
    how it went (``email_status``) for the administrators' page, which can ask again."""
    runtime = current()
    routing = runtime.settings.routing
    if not routing.admin_alert_emails:
        return False
    with runtime.db.session() as session:
        alert = session.get(AdminAlert, alert_id)
        if alert is None:
            return False
        subject, text = _alert_text(runtime, alert)
        try:
            send_mail(
                runtime.settings.smtp,
                routing.admin_alert_emails,
                subject,
                text,
                f"<pre>{html.escape(text)}</pre>",
                message_id_key=f"alert-{alert_id}",
            )
        except MailError as exc:
            alert.email_error = str(exc)[:300]
            if exc.retryable and attempt < routing.delivery_max_attempts:
                backoff = routing.delivery_backoff_seconds
                delay = backoff[min(attempt - 1, len(backoff) - 1)]
                alert.email_status = AlertEmailStatus.RETRYING
                log.warning(
                    "alert %s not e-mailed to administrators (attempt %s, retrying in %ss): %s",
                    alert_id,
                    attempt,
                    delay,
                    exc,
                )
                after_commit(session, email_alert, alert_id, attempt + 1, delay=delay)
            else:
                alert.email_status = AlertEmailStatus.FAILED
                log.error(
                    "alert %s not e-mailed to administrators after %s attempt(s): %s",
                    alert_id,
                    attempt,
                    exc,
                )
            return False
        alert.notified_at, alert.email_status, alert.email_error = (
            utcnow(),
            AlertEmailStatus.SENT,
            None,
        )
    return True


def _alert_text(runtime: Runtime, alert: AdminAlert) -> tuple[str, str]:
    lines = [
        f"Puente alert #{alert.id}: {alert.kind.replace('_', ' ')}",
        f"Province: {alert.province or 'not given'}",
    ]
    subject = subject_of(runtime, alert)
    if subject.get("name"):
        lines.append(
            f"Employer: {subject['name']}"
            + (f" ({subject['town']})" if subject.get("town") else "")
        )
    lines += [
        f"{key.replace('_', ' ').capitalize()}: {value}"
        for key, value in sorted(alert.detail.items())
    ]
    lines += ["", "See the administrators' pages of the Puente portal."]
    return f"[Puente] {lines[0].split(': ', 1)[1]} ({alert.province or '-'})", "\n".join(lines)
