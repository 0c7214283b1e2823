"""Filing a report and answering a case code: the cases' side of the conversation.

``file_report`` turns the report flow's answers into an encrypted report with a fresh case code
(only its keyed hash is kept), notes the employer for repeat alerts, fetches the evidence in a
job, and routes the case to an NGO when the worker agreed. ``case_status`` answers a texted code
with the status only, throttles guessing per conversation and alerts administrators when many
numbers guess together.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.cases import alerts, casecode, evidence, referrals, repeat, timeline
from bot.cases.draft import ReportDraft
from bot.cases.models import CaseLookup, EmployerMention, Report, ReportStatus
from bot.directory.models import NgoRecord
from bot.runtime import Runtime, after_commit
from bot.store.db import utcnow
from bot.store.models import Conversation
from flows import Reply

log = logging.getLogger(__name__)

CODE_KEY_PURPOSE = "case-code-v1"


@dataclass(frozen=True)
class Filed:
    """A filed report: its id, the code to show the worker (``XXXX-XXXX``), its first referral and
    the name of the organization that has it (both None when no organization could take it)."""

    report_id: int
    code: str
    referral_id: int | None
    ngo_name: str | None = None


def file_report(
    session: Session,
    runtime: Runtime,
    conversation: Conversation,
    data: dict[str, Any],
    *,
    kind: str = "report",
    services: Iterable[str] = (),
    now: datetime | None = None,
) -> Filed:
    """Store a report from a ``file_report`` effect's data and route it if the worker consented."""
    now = now or utcnow()
    # Filed "that day": to the second, the time would match the worker's messages in a copy of the
    # database, linking the anonymous report to their conversation.
    filed_on = now.replace(hour=0, minute=0, second=0, microsecond=0)
    vault = runtime.vault
    draft = ReportDraft.from_effect(data, runtime.settings.conversation.default_language)
    code, code_hash = _new_code(session, runtime)
    details = dict(draft.details)
    if draft.media and not runtime.settings.reports.store_media:
        details["evidence_not_kept"] = len(draft.media)
    report = Report(
        kind=kind,
        case_code_hash=code_hash,
        reporter_key=vault.keyed_hash("reporter", conversation.address_key),
        conversation_key=vault.keyed_hash("report-link", conversation.address_key),
        bot_address=conversation.bot_address,
        language=draft.language,
        channel=conversation.channel,
        province=draft.province,
        sector=draft.sector,
        abuse_types=list(draft.abuse_types),
        danger=draft.danger,
        consent_ngo=draft.consent_ngo,
        consent_tip_line=draft.consent_tip_line,
        contact_pref=draft.contact_pref,
        status=ReportStatus.NEW,
        created_at=filed_on,
        data_key_id=runtime.envelope.new_key(session, "report"),
    )
    session.add(report)
    session.flush()  # its id: each field is sealed to its row
    seal = partial(runtime.envelope.put, session, report.sealing_key, report)
    seal("conversation_ref_enc", conversation.address_key)
    seal("town_enc", draft.town)
    seal("employer_enc", draft.employer)
    seal("details_enc", json.dumps(details, ensure_ascii=False) if details else None)
    seal(
        "contact_enc",
        runtime.envelope.get(session, conversation, "address_enc")
        if draft.contact_pref == "share_number"
        else None,
    )
    media = evidence.attach(session, runtime, report, draft.media)
    timeline.record(
        session,
        report.id,
        "filed",
        actor="worker",
        now=filed_on,
        report_kind=kind,
        evidence_items=media,
        shared_with_ngo=draft.consent_ngo,
    )
    if repeat.add_mention(session, runtime, report, draft) is not None:
        after_commit(session, repeat.check_employer_alerts, report.id)
    referral = None
    if draft.consent_ngo:
        referral = referrals.route(
            session,
            runtime,
            report,
            now=now,
            services=services,
            contact_request=kind == "contact_request",
            notify=False,
        )
    log.info(
        "%s %s filed (%s, %s types, shared: %s)",
        kind,
        report.id,
        report.province or "no province",
        len(report.abuse_types),
        draft.consent_ngo,
    )
    if referral is None:
        return Filed(report.id, casecode.display(code), None)
    return Filed(
        report.id,
        casecode.display(code),
        referral.id,
        session.get_one(NgoRecord, referral.ngo_id).name,
    )


def _new_code(session: Session, runtime: Runtime) -> tuple[str, str]:
    key = runtime.vault.derive(CODE_KEY_PURPOSE)
    while True:
        code = casecode.new_code()
        code_hash = casecode.code_hash(code, key)
        if session.scalar(select(Report.id).where(Report.case_code_hash == code_hash)) is None:
            return code, code_hash


def case_status(
    session: Session,
    runtime: Runtime,
    conversation: Conversation,
    text: str | None,
    *,
    now: datetime | None = None,
) -> Reply:
    """The status of the case behind a texted code, or why not; never the report's details."""
    now = now or utcnow()
    settings = runtime.settings.reports
    lookup_key = runtime.vault.keyed_hash("case-lookup", conversation.address_key)
    hour_ago = now - timedelta(hours=1)
    misses = select(func.count(CaseLookup.id)).where(
        CaseLookup.found.is_(False), CaseLookup.created_at > hour_ago
    )
    if (
        session.scalars(misses.where(CaseLookup.conversation_key == lookup_key)).one()
        >= settings.code_attempts_per_hour
    ):
        log.warning(
            "case code lookups throttled for one conversation (too many wrong codes in the last hour)"
        )
        return Reply("case.status.wait")
    code = casecode.normalize(text or "")
    report = None
    if code is not None:
        code_hash = casecode.code_hash(code, runtime.vault.derive(CODE_KEY_PURPOSE))
        report = session.scalar(select(Report).where(Report.case_code_hash == code_hash))
    session.add(CaseLookup(conversation_key=lookup_key, found=report is not None, created_at=now))
    if code is None or report is None:
        _alert_if_guessing(session, runtime, session.scalars(misses).one() + 1, now)
        return Reply("case.status.unknown")
    timeline.record(session, report.id, "status_checked", actor="worker", now=now)
    return Reply(f"case.status.{report.status}", {"code": casecode.display(code)})


def _alert_if_guessing(session: Session, runtime: Runtime, misses: int, now: datetime) -> None:
    """Many wrong codes from many numbers: administrators are alerted (one alert per hour, its
    count growing). Nobody is blocked: a global lockout would let one attacker lock every worker out."""
    if misses >= runtime.settings.reports.code_attempts_per_hour_global:
        alerts.raise_alert(
            session,
            runtime,
            "case_code_guessing",
            now.strftime("%Y-%m-%dT%H"),
            detail={"wrong_codes_last_hour": misses},
        )


def reports_of(session: Session, runtime: Runtime, conversation: Conversation) -> list[Report]:
    """The reports still linked to this worker (for the erase flow and the relay)."""
    key = runtime.vault.keyed_hash("report-link", conversation.address_key)
    return list(session.scalars(select(Report).where(Report.conversation_key == key)).all())


def open_contact_request(
    session: Session, runtime: Runtime, conversation: Conversation
) -> Report | None:
    """The worker's open request to talk to an NGO, if any (the relay sends their messages to it)."""
    open_ = [
        r
        for r in reports_of(session, runtime, conversation)
        if r.kind == "contact_request" and r.status != ReportStatus.CLOSED
    ]
    return max(open_, key=lambda r: r.id) if open_ else None


def unlink(session: Session, runtime: Runtime, conversation: Conversation) -> int:
    """Cut every link between the worker and their reports (erase_data, after a second yes).

    The reports stay, anonymous: no conversation key, no shared number, and a fresh random
    reporter key (so a later report from the same number is not tied to these; repeat alerts
    still count them as another worker's). Their case codes stop answering: whoever finds one
    written down must not learn the case's status (the stored hash becomes one of nothing).
    """
    reports = reports_of(session, runtime, conversation)
    for report in reports:
        anonymous = secrets.token_hex(32)
        report.case_code_hash = secrets.token_hex(32)
        report.conversation_key = report.conversation_ref_enc = report.contact_enc = None
        session.execute(
            update(EmployerMention)
            .where(EmployerMention.report_id == report.id)
            .values(reporter_key=anonymous)
        )
        report.reporter_key = anonymous
        timeline.record(session, report.id, "unlinked", actor="worker")
    return len(reports)
