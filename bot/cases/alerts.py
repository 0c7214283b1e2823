"""Administrators' alerts: a repeat employer, a case nobody can take, an escalation, an NGO that
cannot be reached. One row per subject (raised again, it is updated, not duplicated), and an
e-mail to ``routing.admin_alert_emails`` when it is new or has grown.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.models import AdminAlert
from bot.runtime import Runtime, after_commit
from bot.store.db import utcnow

log = logging.getLogger(__name__)

EMAIL_JOB = "bot.cases.jobs.email_alert"


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
    fresh = alert is None or alert.status != "open"
    if alert is None:
        alert = AdminAlert(kind=kind, key=key, count=0, created_at=now)
        session.add(alert)
    alert.count = (alert.count or 0) + 1
    alert.province, alert.detail, alert.updated_at = province, dict(detail or {}), now
    alert.status = "open"
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
    alert.email_status, alert.email_error = "sending", None
    after_commit(session, EMAIL_JOB, alert.id)
    return True


def acknowledge(
    session: Session, alert: AdminAlert, user_id: int, *, now: datetime | None = None
) -> None:
    """An administrator has seen to the alert; raised again, it opens again."""
    alert.status, alert.acknowledged_at, alert.acknowledged_by = (
        "acknowledged",
        now or utcnow(),
        user_id,
    )


def subject_of(runtime: Runtime, alert: AdminAlert) -> dict[str, Any]:
    """The alert's encrypted subject (e.g. an employer's name and town), for administrators."""
    return json.loads(runtime.vault.decrypt(alert.subject_enc)) if alert.subject_enc else {}
