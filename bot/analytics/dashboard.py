"""A month's indicators as administrators see them: suppressed cells, tables, trends, a summary.

Built from the raw counts of :mod:`bot.analytics.indicators` through one protected cube per
measure and month; the views, the CSV export and the digest all read this object and nothing
else, so no path shows a number the suppression did not let through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property

from sqlalchemy.orm import Session

from bot.analytics import indicators, labels
from bot.analytics import suppression as sup
from bot.analytics.suppression import Cell, Cube
from bot.errors import PuenteError

FILTER_DIMS = ("province", "language", "sector", "channel")
_ALLOWED = {"province": set(labels.PROVINCES), "language": set(labels.LANGUAGES),
            "sector": set(labels.SECTORS) | {"unknown"}, "channel": set(labels.CHANNELS)}


class MonthError(PuenteError):
    """A month that cannot be reported on (malformed, or not begun yet)."""


def parse_month(text: str, *, today: date | None = None) -> str:
    """A month as YYYY-MM, refused with a clear message when malformed or in the future."""
    text = (text or "").strip()
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise MonthError(f"month must be written YYYY-MM, e.g. 2026-10 (got {text!r})")
    today = today or datetime.now(UTC).date()
    if text > today.strftime("%Y-%m"):
        raise MonthError(f"{text} has not begun yet (today is {today.isoformat()}): "
                         "there is nothing to report for a future month")
    return text


def current_month(today: date | None = None) -> str:
    return (today or datetime.now(UTC).date()).strftime("%Y-%m")


def month_name(month: str) -> str:
    return datetime.strptime(month, "%Y-%m").strftime("%B %Y")


def previous_months(month: str, n: int) -> list[str]:
    """The ``n`` months ending with ``month``, oldest first."""
    year, mon = map(int, month.split("-"))
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return out[::-1]


@dataclass(frozen=True)
class Filters:
    province: str | None = None
    language: str | None = None
    sector: str | None = None
    channel: str | None = None

    @classmethod
    def from_args(cls, args: dict) -> Filters:
        """Filters from a query string; unknown values are ignored rather than trusted."""
        return cls(**{dim: (args.get(dim) if args.get(dim) in _ALLOWED[dim] else None) for dim in FILTER_DIMS})

    def as_dict(self) -> dict[str, str]:
        return {dim: getattr(self, dim) for dim in FILTER_DIMS if getattr(self, dim)}


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[tuple[str, str, list[Cell]]]  # code, label, cells
    note: str = ""


@dataclass
class Headline:
    key: str
    label: str
    cell: Cell
    change: Cell | None = None
    trend: list[tuple[str, Cell]] = field(default_factory=list)


@dataclass
class Section:
    key: str
    title: str
    intro: str
    headlines: list[Headline]
    tables: list[Table]


@dataclass
class MonthReport:
    month: str
    filters: Filters
    k: int
    empty: bool
    in_progress: bool
    sections: list[Section]
    summary: list[str]

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables] + [self.headline_table]

    @property
    def headline_table(self) -> Table:
        rows = [(h.key, h.label, [h.cell, h.change or sup.hidden()]) for s in self.sections for h in s.headlines]
        return Table("headlines", "Headline figures", ["This month", "Change on last month"], rows)


class _Figures:
    """Protected cubes for one set of raw counts, built on first use."""

    def __init__(self, counts: indicators.Counts, k: int, filters: Filters):
        self.counts, self.k, self.filters = counts, k, filters
        self._cubes: dict[tuple[str, str], Cube] = {}

    def cube(self, measure: str, month: str) -> Cube:
        if (measure, month) not in self._cubes:
            rows = self.counts.data.get(measure, {}).get(month, {})
            self._cubes[(measure, month)] = Cube(indicators.DIMS, rows, self.k)
        return self._cubes[(measure, month)]

    def cell(self, measure: str, month: str, **coords: str | None) -> Cell:
        return self.cube(measure, month).cell(**self.filters.as_dict(), **coords)

    def labels_of(self, measure: str, month: str, dim: str) -> list[str]:
        view = self.cube(measure, month).view(**self.filters.as_dict())
        return [code for code, _ in view.by.get(dim, [])]

    def hours(self, month: str, q: float, **coords: str | None) -> Cell:
        wanted = {**self.filters.as_dict(), **{k: v for k, v in coords.items() if v}}
        values = [v for key, vs in self.counts.values.get("ack_hours", {}).get(month, {}).items()
                  if _matches(key, wanted) for v in vs]
        return sup.statistic(indicators.quantile(values, q), len(values), self.k)


def _matches(key: indicators.Coords, wanted: dict[str, str]) -> bool:
    return all((key[indicators.DIMS.index(dim)] or "unknown") == value for dim, value in wanted.items())


def build(session: Session, month: str, *, k: int = 5, trend_months: int = 12,
          filters: Filters | None = None, today: date | None = None) -> MonthReport:
    """The month's report (the month must already be checked with :func:`parse_month`)."""
    filters = filters or Filters()
    months = previous_months(month, max(trend_months, 2))
    counts = indicators.compute(session, months)
    builder = _Builder(_Figures(counts, k, filters), month, months, filters)
    today = today or datetime.now(UTC).date()
    empty = not indicators.has_data(session, month)
    sections = builder.sections
    return MonthReport(month, filters, k, empty, month == today.strftime("%Y-%m"), sections,
                       builder.summary(empty))


class _Builder:
    def __init__(self, figures: _Figures, month: str, months: list[str], filters: Filters):
        self.f, self.month, self.months, self.filters = figures, month, months, filters
        self.previous = months[-2]

    def headline(self, key: str, label: str, measure: str, *, trend: bool = False) -> Headline:
        cell = self.f.cell(measure, self.month)
        change = sup.difference(cell, self.f.cell(measure, self.previous))
        series = [(m, self.f.cell(measure, m)) for m in self.months] if trend else []
        return Headline(key, label, cell, change, series)

    def by(self, key: str, title: str, dim: str, measures: list[tuple[str, str]], *,
           name=None, note: str = "", extra=None) -> Table | None:
        """A table of several measures broken down by one dimension (none for a filtered one)."""
        if dim != "subject" and getattr(self.filters, dim):
            return None
        codes: list[str] = []
        for measure, _ in measures:
            codes += [c for c in self.f.labels_of(measure, self.month, dim) if c not in codes]
        name = name or (lambda code: labels.value(dim, code))
        rows = []
        for code in codes:
            cells = [self.f.cell(measure, self.month, **{dim: code}) for measure, _ in measures]
            if extra:
                cells += extra(code)
            rows.append((code, name(code), cells))
        columns = [label for _, label in measures] + (extra.columns if extra else [])
        return Table(key, title, columns, rows, note)

    def by_dimensions(self, prefix: str, what: str, measures: list[tuple[str, str]]) -> list[Table]:
        tables = [self.by(f"{prefix}_by_{dim}", f"{what} by {labels.DIMENSIONS[dim].lower()}", dim, measures)
                  for dim in FILTER_DIMS]
        return [t for t in tables if t is not None]

    @cached_property
    def sections(self) -> list[Section]:
        return [self.reach(), self.knowledge(), self.reports(), self.referrals(), self.dropoff(),
                self.coverage(), self.safety()]

    def reach(self) -> Section:
        measures = [("workers", "Workers"), ("conversations", "Conversations")]
        return Section("reach", "Reach", "Distinct workers who wrote to Puente this month (each counted "
                       "once, where last known), and their conversations.",
                       [self.headline("workers", "Workers reached", "workers", trend=True),
                        self.headline("conversations", "Conversations", "conversations")],
                       self.by_dimensions("reach", "Workers and conversations", measures))

    def knowledge(self) -> Section:
        measures = [("topics_asked", "Questions recognized"), ("topics_answered", "Answers given")]
        tables = [self.by("knowledge_by_topic", "Rights topics", "subject", measures,
                          name=lambda c: labels.TOPICS.get(c, c),
                          note="Answers include topics chosen from the menu, so they can exceed questions.")]
        tables += self.by_dimensions("knowledge", "Questions and answers", measures)
        return Section("knowledge", "Knowledge", "Rights questions workers typed and answers Puente gave.",
                       [self.headline("topics_answered", "Answers given", "topics_answered", trend=True),
                        self.headline("topics_asked", "Questions recognized", "topics_asked")],
                       [t for t in tables if t])

    def reports(self) -> Section:
        types = self.by("reports_by_type", "Abuse types named", "subject", [("report_types", "Reports naming it")],
                        name=lambda c: labels.ABUSE_TYPES.get(c, c),
                        note="A report may name several types.")
        return Section("reports", "Reports", "Anonymous reports of abuse filed by workers.",
                       [self.headline("reports", "Reports filed", "reports", trend=True)],
                       [types] + self.by_dimensions("reports", "Reports", [("reports", "Reports")]))

    def referrals(self) -> Section:
        m, f = self.month, self.f

        def timing(code: str | None = None, dim: str | None = None) -> list[Cell]:
            coords = {dim: code} if dim else {}
            return [sup.share(f.cell("acknowledged_in_time", m, **coords), f.cell("referrals_sent", m, **coords), f.k),
                    f.hours(m, 0.5, **coords), f.hours(m, 0.9, **coords)]

        headlines = [self.headline("referrals_sent", "Referrals sent", "referrals_sent", trend=True),
                     self.headline("referrals_acknowledged", "Acknowledged", "referrals_acknowledged"),
                     self.headline("referrals_accepted", "Accepted", "referrals_accepted"),
                     self.headline("referrals_declined", "Declined (re-routed)", "referrals_declined")]
        share, median, p90 = timing()
        headlines += [Headline("ack_48h", "Acknowledged within 48 h", share),
                      Headline("ack_median", "Median time to acknowledge", median),
                      Headline("ack_p90", "90th percentile time to acknowledge", p90)]
        tables = [self.by("referral_outcomes", "Outcomes of closed cases", "subject",
                          [("referrals_closed", "Closed")], name=lambda c: labels.OUTCOMES.get(c, c))]
        measures = [("referrals_sent", "Sent"), ("referrals_acknowledged", "Acknowledged")]
        for dim in FILTER_DIMS:
            extra = _Extra(lambda code, dim=dim: timing(code, dim),
                           ["Within 48 h", "Median hours", "90th percentile hours"])
            tables.append(self.by(f"referrals_by_{dim}", f"Referrals by {dim}", dim, measures, extra=extra))
        return Section("referrals", "Referral performance",
                       f"Referrals sent to organizations in {month_name(m)} and what became of them since.",
                       headlines, [t for t in tables if t])

    def dropoff(self) -> Section:
        flows = self.by("flows", "Conversations by flow", "subject",
                        [("flows_completed", "Completed"), ("flows_abandoned", "Abandoned")])
        steps = self.by("abandoned_steps", "Where workers stopped", "subject",
                        [("abandoned_at", "Abandoned here")], name=labels.step)
        return Section("dropoff", "Drop-off", "Flows workers finished, and the question where they left "
                       "the others.", [], [t for t in (flows, steps) if t])

    def coverage(self) -> Section:
        measures = [("cases_routed", "Cases routed"), ("fallback_used", "National fallback"),
                    ("unmatched", "No organization")]
        gaps = self.by("coverage_gaps", "Gaps found when routing", "subject", [("gaps", "Cases")],
                       name=labels.gap)
        return Section("coverage", "Coverage gaps",
                       "Demand where no organization matched: the evidence for testing local interest "
                       "before expanding.",
                       [self.headline("cases_routed", "Cases routed", "cases_routed"),
                        self.headline("fallback_used", "National fallback used", "fallback_used"),
                        self.headline("unmatched", "No organization could take the case", "unmatched")],
                       [t for t in [gaps] + self.by_dimensions("coverage", "Routing", measures) if t])

    def safety(self) -> Section:
        relay = self.by("relay", "Relay messages", "subject", [("relay_message", "Messages")],
                        name=lambda c: labels.RELAY.get(c, c))
        emergencies = self.by("emergencies", "Emergencies by triage category", "subject",
                              [("emergency", "Messages")], name=lambda c: labels.TRIAGE.get(c, c))
        return Section("safety", "Safety, consent and follow-up",
                       "Counts only. Emergencies are messages the safety triage classed as one, by its category.",
                       [self.headline("emergency", "Emergency messages", "emergency"),
                        self.headline("opt_out", "Opt-outs", "opt_out"),
                        self.headline("erase_data", "Data erasures", "erase_data"),
                        self.headline("relay_message", "Relay messages", "relay_message"),
                        self.headline("employer_alerts", "Repeat-employer alerts", "employer_alerts")],
                       [t for t in [emergencies, relay] if t])

    def summary(self, empty: bool) -> list[str]:
        return _summary(self, empty)


class _Extra:
    """Extra cells for each row of a table (derived figures), with their column names."""

    def __init__(self, func, columns: list[str]):
        self.func, self.columns = func, columns

    def __call__(self, code: str) -> list[Cell]:
        return self.func(code)


def _say(cell: Cell, k: int) -> str:
    if cell.status == "small":
        return f"fewer than {k}"
    if cell.status == "hidden":
        return "a number not shown (to protect small counts)"
    return f"{int(cell.number or 0):,}"


def _summary(b: _Builder, empty: bool) -> list[str]:
    """A few sentences a program officer reads first; built only from cells already protected."""
    name, f, m, k = month_name(b.month), b.f, b.month, b.f.k
    if empty:
        return [f"Nothing was recorded in {name}: no worker wrote to Puente and no case moved."]
    workers, previous = f.cell("workers", m), f.cell("workers", b.previous)
    change = sup.difference(workers, previous)
    lines = [f"In {name}, Puente reached {_say(workers, k)} workers in {_say(f.cell('conversations', m), k)} "
             f"conversations" + (f" ({change.text} on {month_name(b.previous)})." if change.shown else ".")]
    answered = f.cell("topics_answered", m)
    topics = f.cube("topics_answered", m).view(**b.filters.as_dict()).by.get("subject", [])
    top = next(((c, cell) for c, cell in topics if cell.shown), None)
    lines.append(f"It answered {_say(answered, k)} rights questions"
                 + (f"; the most asked about was {labels.TOPICS.get(top[0], top[0]).lower()} ({top[1].text})."
                    if top else "."))
    reports = f.cell("reports", m)
    types = f.cube("report_types", m).view(**b.filters.as_dict()).by.get("subject", [])
    top = next(((c, cell) for c, cell in types if cell.shown), None)
    lines.append(f"Workers filed {_say(reports, k)} reports"
                 + (f"; the abuse named most often was {labels.ABUSE_TYPES.get(top[0], top[0]).lower()}."
                    if top else "."))
    referrals = next(s for s in b.sections if s.key == "referrals")
    figures = {h.key: h.cell for h in referrals.headlines}
    sent = figures["referrals_sent"]
    timing = (f" {figures['ack_48h'].text} were acknowledged within 48 hours (median "
              f"{figures['ack_median'].text})." if figures["ack_48h"].shown and figures["ack_median"].shown
              else " Too few were acknowledged to show how fast without pointing at single cases.")
    lines.append(f"{_say(sent, k).capitalize()} referrals were sent to organizations.{timing}")
    fallback, unmatched = f.cell("fallback_used", m), f.cell("unmatched", m)
    lines.append(f"The national fallback took {_say(fallback, k)} cases and {_say(unmatched, k)} found no "
                 "organization at all: see the coverage gaps for where local partners are missing.")
    return lines
