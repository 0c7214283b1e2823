"""A month's indicators as administrators see them: suppressed cells, tables, trends, a summary.

Built from the raw counts of :mod:`bot.analytics.indicators` through one protected cube per
measure and month; the views, the CSV export and the digest all read this object and nothing
else, so no path shows a number the suppression did not let through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property

from sqlalchemy.orm import Session

from bot.analytics import indicators, labels
from bot.analytics import suppression as sup
from bot.analytics.suppression import Cell, Cube
from bot.errors import PuenteError
from bot.settings import AnalyticsSettings
from vocab import CHANNELS, LANGUAGES, PROVINCES

FILTER_DIMS = ("province", "language", "sector", "channel")
#: The flow whose ends the reports section shows beside the reports filed (flows/report.yaml).
REPORT_FLOW = "report"
_ALLOWED: dict[str, set[str]] = {
    "province": set(PROVINCES),
    "language": set(LANGUAGES),
    "sector": set(labels.SECTORS) | {labels.UNKNOWN},
    "channel": set(CHANNELS),
}


class MonthError(PuenteError):
    """A month that cannot be reported on (malformed, or not begun yet)."""


def parse_month(text: str, *, today: date | None = None) -> str:
    """A month as YYYY-MM, refused with a clear message when malformed or in the future."""
    text = (text or "").strip()
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise MonthError(f"month must be written YYYY-MM, e.g. 2026-10 (got {text!r})")
    today = today or datetime.now(UTC).date()
    if text > today.strftime("%Y-%m"):
        raise MonthError(
            f"{text} has not begun yet (today is {today.isoformat()}): "
            "there is nothing to report for a future month"
        )
    return text


def current_month(today: date | None = None) -> str:
    return (today or datetime.now(UTC).date()).strftime("%Y-%m")


def month_name(month: str, language: str = "en") -> str:
    return labels.Words(language).month(month)


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
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        """Filters from a query string; unknown values are ignored rather than trusted."""
        return cls(
            **{
                dim: (args.get(dim) if args.get(dim) in _ALLOWED[dim] else None)
                for dim in FILTER_DIMS
            }
        )

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
    words: labels.Words = field(default_factory=labels.Words)

    @property
    def month_name(self) -> str:
        return self.words.month(self.month)

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables] + [
            self.headline_table
        ]

    @property
    def headline_table(self) -> Table:
        rows = [
            (h.key, h.label, [h.cell, h.change or sup.hidden()])
            for s in self.sections
            for h in s.headlines
        ]
        words = self.words
        return Table(
            "headlines",
            words("analytics.table.headlines"),
            [words("analytics.column.this_month"), words("analytics.column.change")],
            rows,
        )


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
        values = [
            v
            for key, vs in self.counts.values.get("ack_hours", {}).get(month, {}).items()
            if _matches(key, wanted)
            for v in vs
        ]
        return sup.statistic(indicators.quantile(values, q), len(values), self.k)


def _matches(key: indicators.Coords, wanted: dict[str, str]) -> bool:
    return all(
        (key[indicators.DIMS.index(dim)] or "unknown") == value for dim, value in wanted.items()
    )


def build_configured(
    session: Session,
    month: str,
    settings: AnalyticsSettings,
    language: str,
    filters: Filters | None = None,
) -> MonthReport:
    """:func:`build` with the deployment's suppression threshold and trend length (config.yaml
    ``analytics``): what the dashboard, the digest file and the digest e-mail all show."""
    return build(
        session,
        month,
        k=settings.small_cell_threshold,
        trend_months=settings.trend_months,
        filters=filters,
        words=labels.Words(language),
    )


def build(
    session: Session,
    month: str,
    *,
    k: int = 5,
    trend_months: int = 12,
    filters: Filters | None = None,
    today: date | None = None,
    words: labels.Words | None = None,
) -> MonthReport:
    """The month's report (the month must already be checked with :func:`parse_month`), in the
    language of ``words`` (English by default)."""
    filters, words = filters or Filters(), words or labels.Words()
    months = previous_months(month, max(trend_months, 2))
    counts = indicators.compute(session, months)
    builder = _Builder(_Figures(counts, k, filters), month, months, filters, words)
    today = today or datetime.now(UTC).date()
    empty = not indicators.has_data(session, month)
    sections = builder.sections
    return MonthReport(
        month,
        filters,
        k,
        empty,
        month == today.strftime("%Y-%m"),
        sections,
        builder.summary(empty),
        words,
    )


class _Builder:
    """The sections of a month's report; every word from the catalog (``analytics.*``): a headline
    ``analytics.headline.<key>``, a section ``analytics.section.<key>`` and its ``analytics.intro.<key>``,
    a column ``analytics.column.<measure>``, a table ``analytics.table.<key>``."""

    def __init__(
        self,
        figures: _Figures,
        month: str,
        months: list[str],
        filters: Filters,
        words: labels.Words,
    ):
        self.f, self.month, self.months, self.filters, self.w = (
            figures,
            month,
            months,
            filters,
            words,
        )
        self.previous = months[-2]

    def headline(
        self, key: str, measure: str | None = None, *, trend: bool = False, **coords: str
    ) -> Headline:
        """A headline figure: ``measure`` (``key`` by default), for ``coords`` (e.g. one flow)."""
        measure = measure or key
        cell = self.f.cell(measure, self.month, **coords)
        change = sup.difference(cell, self.f.cell(measure, self.previous, **coords))
        series = [(m, self.f.cell(measure, m, **coords)) for m in self.months] if trend else []
        return Headline(key, self.w(f"analytics.headline.{key}"), cell, change, series)

    def section(
        self, key: str, headlines: list[Headline], tables: list[Table | None], **params: str
    ) -> Section:
        return Section(
            key,
            self.w(f"analytics.section.{key}"),
            self.w(f"analytics.intro.{key}", **params),
            headlines,
            [t for t in tables if t is not None],
        )

    def by(
        self,
        key: str,
        dim: str,
        measures: list[str],
        *,
        name: Callable[[str], str] | None = None,
        title: str | None = None,
        note: bool = False,
        extra: _Extra | None = None,
    ) -> Table | None:
        """A table of several measures broken down by one dimension (none for a filtered one)."""
        if dim != "subject" and getattr(self.filters, dim):
            return None
        codes: list[str] = []
        for measure in measures:
            codes += [c for c in self.f.labels_of(measure, self.month, dim) if c not in codes]
        name = name or (lambda code: self.w.value(dim, code))
        rows = []
        for code in codes:
            cells = [self.f.cell(measure, self.month, **{dim: code}) for measure in measures]
            if extra:
                cells += extra(code)
            rows.append((code, name(code), cells))
        columns = [self.w(f"analytics.column.{measure}") for measure in measures] + (
            extra.columns if extra else []
        )
        return Table(
            key,
            title or self.w(f"analytics.table.{key}"),
            columns,
            rows,
            self.w(f"analytics.note.{key}") if note else "",
        )

    def by_dimensions(
        self, prefix: str, measures: list[str], extra: Callable[[str], _Extra] | None = None
    ) -> list[Table | None]:
        """One table per dimension: "<what> by province", "... by language" ..."""
        what = self.w(f"analytics.what.{prefix}")
        return [
            self.by(
                f"{prefix}_by_{dim}",
                dim,
                measures,
                extra=extra and extra(dim),
                title=self.w(
                    "analytics.table.by", what=what, dimension=self.w.dimension(dim).lower()
                ),
            )
            for dim in FILTER_DIMS
        ]

    @cached_property
    def sections(self) -> list[Section]:
        return [
            self.reach(),
            self.knowledge(),
            self.reports(),
            self.referrals(),
            self.dropoff(),
            self.coverage(),
            self.safety(),
        ]

    def reach(self) -> Section:
        return self.section(
            "reach",
            [self.headline("workers", trend=True), self.headline("conversations")],
            self.by_dimensions("reach", ["workers", "conversations"]),
        )

    def knowledge(self) -> Section:
        measures = ["topics_asked", "topics_answered"]
        topics = self.by("knowledge_by_topic", "subject", measures, name=self.w.topic, note=True)
        return self.section(
            "knowledge",
            [self.headline("topics_answered", trend=True), self.headline("topics_asked")],
            [topics, *self.by_dimensions("knowledge", measures)],
        )

    def reports(self) -> Section:
        types = self.by(
            "reports_by_type", "subject", ["report_types"], name=self.w.abuse, note=True
        )
        # A report the worker cancelled at the summary, or left and dropped, is not a report
        # filed: the report flow's own ends, counted apart.
        headlines = [
            self.headline("reports", trend=True),
            self.headline("reports_cancelled", "flows_cancelled", subject=REPORT_FLOW),
            self.headline("reports_abandoned", "flows_abandoned", subject=REPORT_FLOW),
        ]
        return self.section(
            "reports", headlines, [types, *self.by_dimensions("reports", ["reports"])]
        )

    def referrals(self) -> Section:
        m, f = self.month, self.f

        def timing(code: str | None = None, dim: str | None = None) -> list[Cell]:
            coords = {dim: code} if dim else {}
            return [
                sup.share(
                    f.cell("acknowledged_in_time", m, **coords),
                    f.cell("referrals_sent", m, **coords),
                    f.k,
                ),
                f.hours(m, 0.5, **coords),
                f.hours(m, 0.9, **coords),
            ]

        headlines = [
            self.headline("referrals_sent", trend=True),
            self.headline("referrals_acknowledged"),
            self.headline("referrals_accepted"),
            self.headline("referrals_declined"),
        ]
        share, median, p90 = timing()
        headlines += [
            Headline(key, self.w(f"analytics.headline.{key}"), cell)
            for key, cell in (("ack_48h", share), ("ack_median", median), ("ack_p90", p90))
        ]
        outcomes = self.by(
            "referral_outcomes", "subject", ["referrals_closed"], name=self.w.outcome
        )
        columns = [
            self.w(f"analytics.column.{c}") for c in ("within_48h", "median_hours", "p90_hours")
        ]
        tables = self.by_dimensions(
            "referrals",
            ["referrals_sent", "referrals_acknowledged"],
            extra=lambda dim: _Extra(lambda code: timing(code, dim), columns),
        )
        return self.section("referrals", headlines, [outcomes, *tables], month=self.w.month(m))

    def dropoff(self) -> Section:
        flows = self.by(
            "flows",
            "subject",
            ["flows_completed", "flows_cancelled", "flows_abandoned"],
            name=self.w.flow,
        )
        steps = self.by("abandoned_steps", "subject", ["abandoned_at"], name=self.w.step)
        return self.section("dropoff", [], [flows, steps])

    def coverage(self) -> Section:
        gaps = self.by("coverage_gaps", "subject", ["gaps"], name=self.w.gap)
        return self.section(
            "coverage",
            [
                self.headline("cases_routed"),
                self.headline("fallback_used"),
                self.headline("unmatched"),
            ],
            [gaps, *self.by_dimensions("coverage", ["cases_routed", "fallback_used", "unmatched"])],
        )

    def safety(self) -> Section:
        emergencies = self.by("emergencies", "subject", ["emergency"], name=self.w.triage)
        relay = self.by("relay", "subject", ["relay_message"], name=self.w.relay)
        return self.section(
            "safety",
            [
                self.headline("emergency"),
                self.headline("opt_out"),
                self.headline("erase_data"),
                self.headline("relay_message"),
                self.headline("employer_alerts"),
            ],
            [emergencies, relay],
        )

    def summary(self, empty: bool) -> list[str]:
        return _summary(self, empty)


class _Extra:
    """Extra cells for each row of a table (derived figures), with their column names."""

    def __init__(self, func: Callable[[str], list[Cell]], columns: list[str]):
        self.func, self.columns = func, columns

    def __call__(self, code: str) -> list[Cell]:
        return self.func(code)


def _say(cell: Cell, words: labels.Words, k: int) -> str:
    """A figure inside a sentence, saying what its table cell says: the number, "fewer than k" for
    "<k", and for "x" words that are followed by the noun ("an undisclosed number of")."""
    if cell.status == "small":
        return words("analytics.figure.small", k=k)
    if cell.status == "hidden":
        return words("analytics.figure.hidden")
    return words.figure(cell)


def _top(b: _Builder, measure: str) -> tuple[str, Cell] | None:
    """The largest shown row of a subject breakdown (None when every row is suppressed)."""
    rows = b.f.cube(measure, b.month).view(**b.filters.as_dict()).by.get("subject", [])
    return next(((code, cell) for code, cell in rows if cell.shown), None)


def _summary(b: _Builder, empty: bool) -> list[str]:
    """A few sentences a program officer reads first; built only from cells already protected,
    each figure said as its table shows it."""
    w, f, m, k = b.w, b.f, b.month, b.f.k
    if empty:
        return [w("analytics.summary.empty", month=w.month(m))]

    def say(measure: str) -> str:
        return _say(f.cell(measure, m), w, k)

    workers = f.cell("workers", m)
    change = sup.difference(workers, f.cell("workers", b.previous))
    reach = {"month": w.month(m), "workers": say("workers"), "conversations": say("conversations")}
    lines = [
        w(
            "analytics.summary.reach_change",
            change=w.figure(change),
            previous=w.month(b.previous),
            **reach,
        )
        if change.shown
        else w("analytics.summary.reach", **reach)
    ]
    top = _top(b, "topics_answered")
    lines.append(
        w(
            "analytics.summary.answers_top",
            answers=say("topics_answered"),
            topic=w.topic(top[0]).lower(),
            count=w.figure(top[1]),
        )
        if top
        else w("analytics.summary.answers", answers=say("topics_answered"))
    )
    top = _top(b, "report_types")
    lines.append(
        w("analytics.summary.reports_top", reports=say("reports"), type=w.abuse(top[0]).lower())
        if top
        else w("analytics.summary.reports", reports=say("reports"))
    )
    figures = {h.key: h.cell for s in b.sections if s.key == "referrals" for h in s.headlines}
    share, median = figures["ack_48h"], figures["ack_median"]
    timing = (
        w("analytics.summary.timing", share=w.figure(share), median=w.figure(median))
        if share.shown and median.shown
        else w("analytics.summary.timing_hidden")
    )
    lines.append(w("analytics.summary.referrals", referrals=say("referrals_sent")) + " " + timing)
    lines.append(
        w("analytics.summary.coverage", fallback=say("fallback_used"), unmatched=say("unmatched"))
    )
    return lines
