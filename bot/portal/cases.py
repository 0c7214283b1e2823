"""What a staff member may see of the cases referred to their NGO: the inbox and one case.

Every query is bounded by the user's NGO: a referral of another organization is simply not found,
so the page answers 404 and does not even confirm that the case exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from bot.cases.models import (
    TAKEN_REFERRAL,
    WAITING_REFERRAL,
    CaseEvent,
    EmployerMention,
    MediaStatus,
    Note,
    Referral,
    ReferralStatus,
    RelayMessage,
    Report,
    ReportMedia,
)
from bot.portal.models import User
from bot.store.db import utcnow
from bot.store.envelope import Envelope
from bot.store.models import OutboxMessage, OutboxStatus
from vocab import LANGUAGES

#: Inbox tabs and the referral statuses in each. Declined and escalated referrals went elsewhere.
BUCKETS: dict[str, tuple[ReferralStatus, ...]] = {
    "new": WAITING_REFERRAL,
    "acknowledged": (ReferralStatus.ACKNOWLEDGED,),
    "in_progress": (ReferralStatus.ACCEPTED,),
    "closed": (ReferralStatus.CLOSED,),
}
VISIBLE = tuple(status for statuses in BUCKETS.values() for status in statuses)
AGES: dict[str, tuple[timedelta | None, timedelta | None]] = {
    "1d": (None, timedelta(days=1)),
    "7d": (None, timedelta(days=7)),
    "30d": (None, timedelta(days=30)),
    "older": (timedelta(days=30), None),
}
PAGE_SIZE = 50


OWNERS = ("mine", "unassigned")


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    abuse_type: str | None = None
    province: str | None = None
    age: str | None = None
    language: str | None = None
    owner: str | None = None
    danger: str | None = None  # "1": only cases where the worker is in danger now
    needs_reply: str | None = None  # "1": only cases where the worker wrote last

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        def pick(name: str, allowed: Any) -> str | None:
            value = (args.get(name) or "").strip()
            return value if value and (allowed is None or value in allowed) else None

        return cls(
            status=pick("status", BUCKETS),
            abuse_type=pick("abuse_type", None),
            province=(pick("province", None) or "").upper()[:2] or None,
            age=pick("age", AGES),
            language=pick("language", LANGUAGES),
            owner=pick("owner", OWNERS),
            danger=pick("danger", ("1",)),
            needs_reply=pick("needs_reply", ("1",)),
        )

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    def without(self, name: str) -> dict[str, str]:
        return {k: v for k, v in self.as_args().items() if k != name}


@dataclass(frozen=True)
class InboxRow:
    referral_id: int
    status: str
    bucket: str
    created_at: datetime
    province: str | None
    abuse_types: list[str]
    danger: bool | None
    contact_request: bool
    waiting_replies: int
    language: str = "es"
    channel: str = "sms"
    employer: str | None = None
    repeat_employer: bool = False
    assignee: str | None = None
    mine: bool = False
    #: When the case moves to another organization unless acknowledged (waiting cases only).
    ack_deadline: datetime | None = None

    @property
    def overdue(self) -> bool:
        return self.ack_deadline is not None and self.ack_deadline <= utcnow()

    @property
    def hours_left(self) -> int | None:
        """Whole hours left to acknowledge (0 in the last hour), None when nothing is due."""
        if self.ack_deadline is None:
            return None
        return max(0, int((self.ack_deadline - utcnow()).total_seconds() // 3600))


@dataclass(frozen=True)
class Inbox:
    rows: list[InboxRow]
    counts: dict[str, int]
    total: int
    page: int
    pages: int


def bucket_of(status: str) -> str:
    return next((name for name, statuses in BUCKETS.items() if status in statuses), "closed")


def triage_key(row: InboxRow) -> tuple[int, float, int]:
    """Danger first, then cases where the worker wrote last, then new ones oldest first (the
    nearest to moving on), then the rest of the open work newest first, closed cases last."""
    age = row.created_at.timestamp()
    if row.bucket == "closed":
        return (5, -age, -row.referral_id)
    if row.danger:
        return (0, age, row.referral_id)
    if row.waiting_replies:
        return (1, age, row.referral_id)
    if row.bucket == "new":
        return (2, age, row.referral_id)
    return (3, -age, -row.referral_id)


def ack_deadline(referral: Referral, ack_timeout_hours: float) -> datetime | None:
    """When a waiting referral moves to another organization unless acknowledged (bot.cases.escalation)."""
    if referral.status not in WAITING_REFERRAL:
        return None
    return referral.created_at + timedelta(hours=ack_timeout_hours)


def inbox(
    session: Session,
    envelope: Envelope,
    user: User,
    filters: Filters,
    page: int = 1,
    *,
    ack_timeout_hours: float = 24,
    repeat_k: int = 3,
    now: datetime | None = None,
) -> Inbox:
    """The NGO's referrals with the filters applied, in triage order (``triage_key``); the counts
    per tab ignore the tab filter. An NGO holds hundreds of cases, not millions: the triage order
    and the "needs a reply" filter are computed here, only the page's rows are decrypted."""
    now = now or utcnow()
    base = (
        select(Referral, Report)
        .join(Report, Report.id == Referral.report_id)
        .where(Referral.ngo_id == user.ngo_id, Referral.status.in_(VISIBLE))
    )
    if filters.abuse_type:
        # JSON lists hold quoted strings on SQLite and PostgreSQL alike.
        base = base.where(
            cast(Report.abuse_types, String).like(f"%{json.dumps(filters.abuse_type)}%")
        )
    if filters.province:
        base = base.where(Report.province == filters.province)
    if filters.language:
        base = base.where(Report.language == filters.language)
    if filters.danger:
        base = base.where(Report.danger.is_(True))
    if filters.owner == "mine":
        base = base.where(Referral.assigned_to == user.id)
    elif filters.owner == "unassigned":
        base = base.where(Referral.assigned_to.is_(None))
    if filters.age:
        older_than, newer_than = AGES[filters.age]
        if older_than is not None:
            base = base.where(Referral.created_at < now - older_than)
        if newer_than is not None:
            base = base.where(Referral.created_at >= now - newer_than)
    found = session.execute(base).tuples().all()
    waiting = _unread_replies(session, [referral.id for referral, _ in found])
    if filters.needs_reply:
        found = [(referral, report) for referral, report in found if waiting.get(referral.id)]
    counts = dict.fromkeys(BUCKETS, 0)
    for referral, _ in found:
        counts[bucket_of(referral.status)] += 1
    if filters.status:
        found = [
            (referral, report)
            for referral, report in found
            if referral.status in BUCKETS[filters.status]
        ]
    names = _names(session, user.ngo_id)
    rows = sorted(
        (
            InboxRow(
                referral.id,
                referral.status,
                bucket_of(referral.status),
                referral.created_at,
                report.province,
                list(report.abuse_types or []),
                report.danger,
                bool(referral.contact_request),
                waiting.get(referral.id, 0),
                report.language,
                report.channel,
                assignee=names.get(referral.assigned_to) if referral.assigned_to else None,
                mine=referral.assigned_to == user.id,
                ack_deadline=ack_deadline(referral, ack_timeout_hours),
            )
            for referral, report in found
        ),
        key=triage_key,
    )
    total = len(rows)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    reports = {referral.id: report for referral, report in found}
    repeated = _repeat_employers(session, [reports[row.referral_id].id for row in rows], repeat_k)
    rows = [
        replace(
            row,
            employer=envelope.get(session, reports[row.referral_id], "employer_enc"),
            repeat_employer=reports[row.referral_id].id in repeated,
        )
        for row in rows
    ]
    return Inbox(rows, counts, total, page, pages)


def _repeat_employers(session: Session, report_ids: list[int], k: int) -> set[int]:
    """Reports naming an employer that at least ``k`` different workers named (the exact name;
    administrators' alerts also group spellings, bot.cases.repeat)."""
    if not report_ids:
        return set()
    mentions = session.execute(
        select(EmployerMention.report_id, EmployerMention.name_key).where(
            EmployerMention.report_id.in_(report_ids)
        )
    ).all()
    keys = {name_key for _, name_key in mentions}
    if not keys:
        return set()
    reporters = dict(
        session.execute(
            select(
                EmployerMention.name_key, func.count(func.distinct(EmployerMention.reporter_key))
            )
            .where(EmployerMention.name_key.in_(keys))
            .group_by(EmployerMention.name_key)
        ).all()
    )
    return {report_id for report_id, name_key in mentions if reporters.get(name_key, 0) >= k}


def _unread_replies(session: Session, referral_ids: list[int]) -> dict[int | None, int]:
    """Worker messages newer than the NGO's last message to them: what waits for an answer."""
    if not referral_ids:
        return {}
    last_out = (
        select(RelayMessage.referral_id, func.max(RelayMessage.id).label("last"))
        .where(RelayMessage.referral_id.in_(referral_ids), RelayMessage.direction == "to_worker")
        .group_by(RelayMessage.referral_id)
        .subquery()
    )
    rows = session.execute(
        select(RelayMessage.referral_id, func.count(RelayMessage.id))
        .outerjoin(last_out, last_out.c.referral_id == RelayMessage.referral_id)
        .where(
            RelayMessage.referral_id.in_(referral_ids),
            RelayMessage.direction == "from_worker",
            RelayMessage.id > func.coalesce(last_out.c.last, 0),
        )
        .group_by(RelayMessage.referral_id)
    )
    return dict(rows.tuples().all())


def find_case(
    session: Session, ngo_id: str | None, referral_id: int
) -> tuple[Referral, Report] | None:
    """The referral and its report if it is this NGO's and still theirs to see; else None (404)."""
    if ngo_id is None:
        return None
    found = session.execute(
        select(Referral, Report)
        .join(Report, Report.id == Referral.report_id)
        .where(Referral.id == referral_id, Referral.ngo_id == ngo_id, Referral.status.in_(VISIBLE))
    ).first()
    return (found[0], found[1]) if found else None


@dataclass(frozen=True)
class Entry:
    """One line of a case's thread, timeline or notes, decrypted for display (Jinja escapes it)."""

    at: datetime
    kind: str
    who: str
    text: str | None = None
    status: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseView:
    referral: Referral
    report: Report
    details: dict[str, Any]
    town: str | None
    employer: str | None
    contact: str | None
    media: list[ReportMedia]
    reasons: list[dict[str, Any]]
    thread: list[Entry]
    notes: list[Entry]
    timeline: list[Entry]


def case_view(session: Session, envelope: Envelope, referral: Referral, report: Report) -> CaseView:
    """What the case page shows. Only what the worker consented to share reaches an NGO at all;
    their number only if they chose to share it, and only once this NGO has taken the case."""
    names = _names(session, referral.ngo_id)
    read = partial(envelope.get, session)
    contact = None
    if (
        report.contact_pref == "share_number"
        and report.contact_enc
        and referral.status in TAKEN_REFERRAL
    ):
        contact = read(report, "contact_enc")
    details = json.loads(read(report, "details_enc") or "{}")
    media = session.scalars(
        select(ReportMedia)
        .where(ReportMedia.report_id == report.id, ReportMedia.status == MediaStatus.STORED)
        .order_by(ReportMedia.id)
    ).all()
    messages = session.scalars(
        select(RelayMessage)
        .where(RelayMessage.referral_id == referral.id)
        .order_by(RelayMessage.created_at, RelayMessage.id)
    ).all()
    delivery = _delivery(session, [m.outbox_id for m in messages if m.outbox_id])
    thread = [
        Entry(
            m.created_at,
            m.direction,
            _who(m.user_id, names) if m.user_id else "worker",
            read(m, "body_enc"),
            delivery.get(m.outbox_id, m.status) if m.outbox_id is not None else m.status,
        )
        for m in messages
    ]
    notes = [
        Entry(n.created_at, "note", _who(n.user_id, names), read(n, "body_enc"))
        for n in session.scalars(
            select(Note).where(Note.referral_id == referral.id).order_by(Note.created_at, Note.id)
        )
    ]
    events = session.scalars(
        select(CaseEvent)
        .where(
            CaseEvent.report_id == report.id,
            (CaseEvent.referral_id == referral.id) | CaseEvent.referral_id.is_(None),
        )
        .order_by(CaseEvent.created_at, CaseEvent.id)
    )
    timeline = [
        Entry(e.created_at, e.kind, _actor(e.actor, names), detail=dict(e.detail or {}))
        for e in events
    ]
    reasons = next(
        (
            list(e.detail.get("reasons") or [])
            for e in timeline
            if e.kind == "assigned" and e.detail.get("ngo_id") == referral.ngo_id
        ),
        None,
    )
    if reasons is None:  # no structured reasons recorded: the stored English explanation
        reasons = [{"key": None, "params": {}, "text": str(r)} for r in referral.reasons or []]
    return CaseView(
        referral=referral,
        report=report,
        details=details if isinstance(details, dict) else {},
        town=read(report, "town_enc"),
        employer=read(report, "employer_enc"),
        contact=contact,
        media=list(media),
        reasons=reasons,
        thread=thread,
        notes=notes,
        timeline=timeline,
    )


#: What staff read of an outbox row's progress (bot.store.models.OUTBOX_PROGRESS).
_DELIVERY = {
    OutboxStatus.PENDING: "queued",
    OutboxStatus.SENDING: "queued",
    OutboxStatus.QUEUED: "sent",
    OutboxStatus.ACCEPTED: "sent",
    OutboxStatus.SENT: "sent",
    OutboxStatus.DELIVERED: "delivered",
    OutboxStatus.READ: "delivered",
    OutboxStatus.UNDELIVERED: "failed",
    OutboxStatus.FAILED: "failed",
    OutboxStatus.CANCELLED: "cancelled",
}


def _delivery(session: Session, outbox_ids: list[int]) -> dict[int, str]:
    if not outbox_ids:
        return {}
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.status).where(OutboxMessage.id.in_(outbox_ids))
    )
    return {outbox_id: _DELIVERY.get(status, "queued") for outbox_id, status in rows}


def colleagues(session: Session, ngo_id: str) -> dict[int, str]:
    """The NGO's active staff, by id: who a case can be assigned to."""
    users = session.execute(
        select(User.id, User.name, User.email)
        .where(User.ngo_id == ngo_id, User.active.is_(True))
        .order_by(User.name, User.email)
    )
    return {uid: name or email for uid, name, email in users}


def _names(session: Session, ngo_id: str | None) -> dict[int, str]:
    """Names of this NGO's own staff; anyone else (another NGO, an administrator) stays unnamed."""
    users = session.execute(select(User.id, User.name, User.email).where(User.ngo_id == ngo_id))
    return {uid: name or email for uid, name, email in users}


def _who(user_id: int | None, names: dict[int, str]) -> str:
    return names.get(user_id, "staff") if user_id else "system"


def _actor(actor: str, names: dict[int, str]) -> str:
    if actor.startswith("user:"):
        try:
            return names.get(int(actor[5:]), "staff")
        except ValueError:
            return "staff"
    return actor if actor in ("system", "worker") else "system"


def media_for(session: Session, report_id: int, media_id: int) -> ReportMedia | None:
    media = session.get(ReportMedia, media_id)
    if (
        media is None
        or media.report_id != report_id
        or media.status != MediaStatus.STORED
        or not media.data_enc
    ):
        return None
    return media
