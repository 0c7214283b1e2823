"""The words administrators read for the codes the event log holds, in the portal's languages.

The codes themselves stay in the CSV exports; the words come from the portal's catalog
(``analytics.*`` and the portal's own ``abuse.*``, ``sector.*``, ``outcome.*``, ``channel.*``,
``worker_language.*``), so the dashboard reads in English or French like the rest of the portal.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from bot.analytics.suppression import Cell
from bot.text import catalogs

DIMENSIONS = ("province", "language", "sector", "channel")
SECTORS = ("agriculture", "caregiving", "food_processing", "construction", "hospitality", "other")
UNKNOWN = "unknown"

#: The portal's message family for a code of each dimension (provinces are shown as their codes).
_FAMILY = {"language": "worker_language", "channel": "channel", "sector": "sector"}


class Words:
    """The dashboard's words in one language: ``words("analytics.x", **params)`` and the names of codes."""

    def __init__(self, language: str = "en", *, strict: bool | None = None):
        self.language = language
        self.translator = catalogs.translator(language, domain="portal", strict=strict)
        self.locale = catalogs.BABEL_LOCALES.get(language, "en_CA")

    def __call__(self, msgid: str, **params: object) -> str:
        return self.translator.gettext(msgid, **params)

    def _named(self, family: str, code: str) -> str:
        msgid = f"{family}.{code}"
        return (
            self(msgid)
            if self.translator.catalogs.text(self.translator.catalogs.fallback, msgid)
            else code
        )

    def value(self, dimension: str, code: str) -> str:
        """A row's name: the code's name in its dimension (``unknown``: the worker never said)."""
        if code == UNKNOWN:
            return self("analytics.unknown")
        family = _FAMILY.get(dimension)
        return self._named(family, code) if family else code

    def dimension(self, dimension: str) -> str:
        return self(f"analytics.dimension.{dimension}")

    def topic(self, code: str) -> str:
        return self._named("analytics.topic", code)

    def abuse(self, code: str) -> str:
        return self._named("abuse", code)

    def outcome(self, code: str) -> str:
        return self._named("outcome", code)

    def relay(self, code: str) -> str:
        return self._named("analytics.relay", code)

    def triage(self, code: str) -> str:
        return self._named("analytics.triage", code)

    def gap(self, code: str) -> str:
        kind, _, what = code.partition(":")
        name = self.value(kind, what) if kind in _FAMILY else what.replace("_", " ")
        return self("analytics.gap", kind=self._named("analytics.gap_kind", kind), what=name)

    def flow(self, code: str) -> str:
        """A flow's name: a rights topic's (``topic.wages``), else ``analytics.flow.<id>``."""
        if code.startswith("topic."):
            return self.topic(code.removeprefix("topic."))
        return self._named("analytics.flow", code)

    def step(self, code: str) -> str:
        flow, _, where = code.partition(" @ ")
        return self(
            "analytics.step", flow=self.flow(flow), step=self._named("analytics.step_name", where)
        )

    def figure(self, cell: Cell) -> str:
        """A protected cell as this language writes it: "1,234" / "1 234", "45%" / "45 %",
        "12.5 h" / "12,5 h", "+3"; a suppressed cell keeps its mark ("<5", "x")."""
        if cell.number is None or not cell.shown:
            return cell.text
        if cell.kind == "percent":
            return format_percent(cell.number / 100, locale=self.locale)
        if cell.kind == "hours":
            return format_decimal(cell.number, "#,##0.0", locale=self.locale) + " h"
        if cell.kind == "change":
            return format_decimal(cell.number, "+#,##0;-#,##0", locale=self.locale)
        return self.number(cell.number)

    def number(self, value: float) -> str:
        """A count as this language writes it (a chart's axis, a figure)."""
        return format_decimal(value, locale=self.locale)

    def month(self, month: str) -> str:
        """ "2026-10" as "October 2026" / "octobre 2026"."""
        year, mon = map(int, month.split("-"))
        return format_date(date(year, mon, 1), "MMMM y", locale=self.locale)

    def short_month(self, month: str) -> str:
        """ "2026-10" as "Oct 26" / "oct. 26" for a chart's axis."""
        year, mon = map(int, month.split("-"))
        return format_date(date(year, mon, 1), "MMM yy", locale=self.locale)
