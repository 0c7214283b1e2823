"""The indicators: one SQL query each over the event log, returning counts at the finest grain.

Each function takes a session and the months wanted and runs exactly one statement; it returns
``Counts``: measure -> month -> (province, language, sector, channel, subject) -> count. Margins
(all provinces, all languages...) are sums of these, done by the suppression cube, so any
filter of the dashboard reads from the same numbers. Nothing here is suppressed yet: these raw
counts never leave the analytics package (see :mod:`bot.analytics.dashboard`).

Reach counts workers, not messages: ``conversation_started`` rows carry a pseudonym valid for one
month, so a worker is counted once per month (in the province, language, sector and channel
last known that month); months are never linked, so yearly reach is not the sum of months.
Referral performance is read per cohort: the referrals sent in a month, however late their
acknowledgement came.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Label, Row, case, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.store.eventlog import AnalyticsEvent as E

DIMS = ("province", "language", "sector", "channel", "subject")
Coords = tuple[str | None, ...]
#: A column the indicators group by: one of the event's, or a subject computed from them.
Dimension = InstrumentedAttribute[str | None] | Label[str | None]
#: Hours within which a referral counts as acknowledged in time.
ACK_TARGET_HOURS = 48


@dataclass
class Counts:
    """measure -> month -> coords -> count; ``values`` keeps measured hours for percentiles."""

    data: dict[str, dict[str, dict[Coords, int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(dict))
    )
    values: dict[str, dict[str, dict[Coords, list[float]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(dict))
    )

    def add(self, measure: str, month: str, coords: Coords, n: int) -> None:
        cells = self.data[measure][month]
        cells[coords] = cells.get(coords, 0) + int(n or 0)

    def merge(self, other: Counts) -> Counts:
        for measure, months in other.data.items():
            for month, cells in months.items():
                for coords, n in cells.items():
                    self.add(measure, month, coords, n)
        for measure, measured in other.values.items():
            for month, lists in measured.items():
                for coords, values in lists.items():
                    self.values[measure][month].setdefault(coords, []).extend(values)
        return self


def _dims(subject: Label[str | None] | None = None) -> tuple[Dimension, ...]:
    return (
        E.province,
        E.language,
        E.sector,
        E.channel,
        subject if subject is not None else E.subject,
    )


def _grouped(
    session: Session,
    kinds: Sequence[str],
    months: Sequence[str],
    *extra: Label[Any],
    period: InstrumentedAttribute[str | None] = E.month,
    subject: Label[str | None] | None = None,
) -> Sequence[Row[Any]]:
    dims = _dims(subject)
    columns = [period.label("period"), E.kind, *dims, func.count().label("n"), *extra]
    query = (
        select(*columns)
        .where(E.kind.in_(kinds), period.in_(list(months)))
        .group_by(period, E.kind, *dims)
    )
    return session.execute(query).all()


def _coords(row: Row[Any], subject: str | None = None) -> Coords:
    return (row.province, row.language, row.sector, row.channel, subject)


def reach(session: Session, months: Sequence[str]) -> Counts:
    """Distinct workers (monthly pseudonyms) and their conversations, per month."""
    per_worker = (
        select(
            E.month,
            E.worker,
            func.max(E.province).label("province"),
            func.max(E.language).label("language"),
            func.max(E.sector).label("sector"),
            func.max(E.channel).label("channel"),
            func.sum(case((E.kind == "conversation_started", 1), else_=0)).label("sessions"),
        )
        .where(E.kind.in_(("conversation_started", "worker_profile")), E.month.in_(list(months)))
        .group_by(E.month, E.worker)
        .subquery()
    )
    w = per_worker.c
    rows = session.execute(
        select(
            w.month,
            w.province,
            w.language,
            w.sector,
            w.channel,
            func.count().label("workers"),
            func.sum(w.sessions).label("sessions"),
        ).group_by(w.month, w.province, w.language, w.sector, w.channel)
    ).all()
    counts = Counts()
    for row in rows:
        counts.add("workers", row.month, _coords(row), row.workers)
        counts.add("conversations", row.month, _coords(row), row.sessions)
    return counts


def knowledge(session: Session, months: Sequence[str]) -> Counts:
    """Rights questions recognized (typed by workers) and answers given, by topic."""
    counts = Counts()
    for row in _grouped(session, ("topic_asked", "topic_answered"), months):
        measure = "topics_asked" if row.kind == "topic_asked" else "topics_answered"
        counts.add(measure, row.period, _coords(row, row.subject), row.n)
    return counts


def reports(session: Session, months: Sequence[str]) -> Counts:
    """Reports filed, and the abuse types they name (a report may name several)."""
    counts = Counts()
    for row in _grouped(session, ("report_filed", "report_type"), months):
        if row.kind == "report_filed":
            counts.add("reports", row.period, _coords(row), row.n)
        else:
            counts.add("report_types", row.period, _coords(row, row.subject), row.n)
    return counts


def referrals(session: Session, cohorts: Sequence[str]) -> Counts:
    """Referrals sent in each month and what became of them: acknowledged (how fast), accepted,
    declined, closed (with the outcome)."""
    hours = E.value
    in_time = func.sum(case((hours <= ACK_TARGET_HOURS, 1), else_=0)).label("in_time")
    if session.get_bind().dialect.name == "postgresql":
        listed = func.array_agg(hours).label("hours")
    else:
        listed = func.group_concat(hours).label("hours")
    kinds = (
        "referral_sent",
        "referral_acknowledged",
        "referral_accepted",
        "referral_declined",
        "referral_closed",
    )
    counts = Counts()
    for row in _grouped(session, kinds, cohorts, in_time, listed, period=E.cohort):
        stage = row.kind.removeprefix("referral_")
        subject = row.subject if stage == "closed" else None
        counts.add(f"referrals_{stage}", row.period, _coords(row, subject), row.n)
        if stage == "acknowledged":
            counts.add("acknowledged_in_time", row.period, _coords(row), row.in_time)
            values = _floats(row.hours)
            counts.values["ack_hours"][row.period].setdefault(_coords(row), []).extend(values)
    return counts


def _floats(listed: str | Iterable[float | str | None] | None) -> list[float]:
    if listed is None:
        return []
    if isinstance(listed, str):
        return [float(v) for v in listed.split(",") if v]
    return [float(v) for v in listed if v is not None]


_FLOW_MEASURES = {
    "flow_completed": "flows_completed",
    "flow_cancelled": "flows_cancelled",
    "flow_abandoned": "flows_abandoned",
}


def dropoff(session: Session, months: Sequence[str]) -> Counts:
    """Flows completed, cancelled by the worker (a report not sent) and abandoned, and the step
    where each abandoned run stopped."""
    counts = Counts()
    rows = _grouped(
        session,
        ("flow_completed", "flow_cancelled", "flow_abandoned"),
        months,
        subject=(E.subject + literal(" @ ") + func.coalesce(E.step, "?")).label("subject"),
    )
    for row in rows:
        flow, _, step = row.subject.partition(" @ ") if row.subject else ("?", "", "?")
        counts.add(_FLOW_MEASURES[row.kind], row.period, _coords(row, flow), row.n)
        if row.kind == "flow_abandoned":
            counts.add("abandoned_at", row.period, _coords(row, f"{flow} @ {step}"), row.n)
    return counts


def coverage(session: Session, months: Sequence[str]) -> Counts:
    """Cases routed, how often only the national fallback could take them, nobody at all, and the
    gaps matching found (a province, language, service or sector no organization covers)."""
    subject = case((E.flag.is_(True), E.subject + literal("+fallback")), else_=E.subject).label(
        "subject"
    )
    counts = Counts()
    for row in _grouped(session, ("match", "coverage_gap"), months, subject=subject):
        if row.kind == "coverage_gap":
            counts.add("gaps", row.period, _coords(row, row.subject), row.n)
            continue
        counts.add("cases_routed", row.period, _coords(row), row.n)
        if row.subject and row.subject.endswith("+fallback"):
            counts.add("fallback_used", row.period, _coords(row), row.n)
        if row.subject and row.subject.startswith("unmatched"):
            counts.add("unmatched", row.period, _coords(row), row.n)
    return counts


def activity(session: Session, months: Sequence[str]) -> Counts:
    """Opt-outs, erasures, emergencies (by triage category) and relay messages (by direction), per month."""
    counts = Counts()
    kinds = ("opt_out", "opt_in", "erase_data", "emergency", "relay_message")
    for row in _grouped(session, kinds, months):
        subject = row.subject if row.kind in ("relay_message", "emergency") else None
        counts.add(row.kind, row.period, _coords(row, subject), row.n)
    return counts


def employer_alerts(session: Session, months: Sequence[str]) -> Counts:
    """Repeat-employer alerts raised: counts only, never the employer."""
    counts = Counts()
    for row in _grouped(session, ("employer_alert",), months):
        counts.add("employer_alerts", row.period, _coords(row, None), row.n)
    return counts


#: Every indicator, in the order the dashboard and the digest show them.
INDICATORS = {
    "reach": reach,
    "knowledge": knowledge,
    "reports": reports,
    "referrals": referrals,
    "dropoff": dropoff,
    "coverage": coverage,
    "activity": activity,
    "employer_alerts": employer_alerts,
}


def compute(session: Session, months: Iterable[str]) -> Counts:
    """All indicators for these months (one query each)."""
    months = sorted(set(months))
    total = Counts()
    for indicator in INDICATORS.values():
        total.merge(indicator(session, months))
    return total


def quantile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks, as SQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def has_data(session: Session, month: str) -> bool:
    """Whether anything at all was recorded in this month."""
    return session.scalar(select(E.id).where(E.month == month).limit(1)) is not None
