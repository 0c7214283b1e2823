"""Repeat-employer alerts from the database: store each employer mention, then look for clusters.

Names, towns and numbers are stored encrypted (with a keyed hash of the normalized name for exact
repeats) and read back only in memory, where bot.cases.employers groups the spellings. An alert
for administrators holds counts, types and the province; the employer's name and town are kept
encrypted in it; no alert ever says who reported.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import alerts
from bot.cases.draft import ReportDraft
from bot.cases.employers import (
    Alert,
    EmployerMention,
    normalize_employer,
    repeat_alerts,
    same_employer,
)
from bot.cases.models import AdminAlert, Report
from bot.cases.models import EmployerMention as MentionRow
from bot.runtime import Runtime, current
from bot.store.db import utcnow
from bot.store.eventlog import record_employer_alert

log = logging.getLogger(__name__)

KIND = "repeat_employer"


def add_mention(
    session: Session, runtime: Runtime, report: Report, draft: ReportDraft
) -> MentionRow | None:
    """Keep the employer a report names (nothing if it names none)."""
    if not draft.employer:
        return None
    mention = MentionRow(
        report_id=report.id,
        reporter_key=report.reporter_key,
        name_key=runtime.vault.keyed_hash("employer-name", normalize_employer(draft.employer)),
        name_enc="",
        province=report.province,
        abuse_types=list(report.abuse_types or []),
        created_at=report.created_at,
    )
    session.add(mention)
    session.flush()  # its id: each field is sealed to its row, under the report's data key
    seal = partial(runtime.envelope.put, session, report.sealing_key, mention)
    for column, value in (
        ("name_enc", draft.employer),
        ("town_enc", draft.town),
        ("phone_enc", draft.employer_phone),
        ("lmia_enc", draft.lmia),
    ):
        seal(column, value)
    return mention


def check_employer_alerts(report_id: int) -> list[int]:
    """Job, after a report naming an employer: alert administrators if enough workers named it."""
    return check(current())


def check(runtime: Runtime, *, now: datetime | None = None) -> list[int]:
    """Raise or update an alert for every employer named by at least ``reports.alert_k`` workers
    within ``reports.alert_window_days``; return the alerts' ids."""
    settings = runtime.settings.reports
    now = now or utcnow()
    with runtime.db.session() as session:
        mentions = _mentions(session, runtime, now - timedelta(days=settings.alert_window_days))
        found = repeat_alerts(mentions, settings.alert_k, settings.alert_window_days, now=now)
        ids = [_upsert(session, runtime, alert, now) for alert in found]
    return ids


def _mentions(session: Session, runtime: Runtime, since: datetime) -> list[EmployerMention]:
    rows = session.scalars(
        select(MentionRow).where(MentionRow.created_at > since).order_by(MentionRow.id)
    ).all()
    read = partial(runtime.envelope.get, session)
    return [
        EmployerMention(
            report_id=str(row.report_id),
            reporter_key=row.reporter_key,
            employer=read(row, "name_enc") or "",
            town=read(row, "town_enc"),
            province=row.province,
            abuse_types=tuple(row.abuse_types or ()),
            created_at=row.created_at,
            phone=read(row, "phone_enc"),
            lmia=read(row, "lmia_enc"),
        )
        for row in rows
    ]


def _upsert(session: Session, runtime: Runtime, alert: Alert, now: datetime) -> int:
    """One alert per employer: an earlier alert naming the same employer is updated, not repeated."""
    existing = _same_alert(session, runtime, alert)
    detail = {
        "reporters": alert.reporters,
        "reports": alert.reports,
        "types": dict(alert.types),
        "window_days": (alert.window_end - alert.window_start).days,
    }
    grew = existing is None or existing.detail.get("reporters", 0) < alert.reporters
    # The first alert's key stays, though the cluster's earliest mention moves as the window slides.
    subject_key = alerts.subject_of(runtime, existing)["key"] if existing else alert.cluster_key
    row = alerts.raise_alert(
        session,
        runtime,
        KIND,
        subject_key,
        province=alert.province,
        detail=detail,
        subject={"name": alert.name, "town": alert.town, "key": subject_key},
        notify=grew,
        now=now,
    )
    if existing is None:  # the indicator counts alerts, not the reports that grow one
        record_employer_alert(session, alert.province)
    if grew:
        log.warning(
            "repeat employer alert %s: %s workers in %s", row.id, alert.reporters, alert.province
        )
    return row.id


def _same_alert(session: Session, runtime: Runtime, alert: Alert) -> AdminAlert | None:
    candidates = session.scalars(
        select(AdminAlert).where(AdminAlert.kind == KIND, AdminAlert.province == alert.province)
    ).all()
    for candidate in candidates:
        subject = alerts.subject_of(runtime, candidate)
        if subject.get("name") and same_employer(
            alert.name, subject["name"], alert.town, subject.get("town")
        ):
            return candidate
    return None
