"""The monthly digest for program officers and network stakeholders: one HTML file (and a PDF
when a headless Chromium is installed), and the job that e-mails it.

It holds the month's summary, headline figures with their change, trend charts and the main
tables, read from the same protected report as the dashboard, so it shows nothing the
dashboard would hide. It is written in the report's language (the portal's: English or French,
from the same ``analytics.*`` catalog), numbers and months as that language writes them.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.analytics import charts
from bot.analytics.dashboard import MonthReport
from bot.errors import PuenteError

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
#: Browsers that can print a page to PDF without a display, tried in this order.
RENDERERS = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "headless_shell",
)
#: Tables the digest shows in full (the dashboard has them all).
DIGEST_TABLES = (
    "reach_by_province",
    "reach_by_language",
    "knowledge_by_topic",
    "reports_by_type",
    "reports_by_province",
    "referral_outcomes",
    "referrals_by_province",
    "coverage_gaps",
    "coverage_by_province",
    "flows",
    "abandoned_steps",
)


class DigestError(PuenteError):
    """The digest could not be written, rendered to PDF or sent; the message says what to do."""


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def to_html(report: MonthReport) -> str:
    """The digest as one self-contained HTML page (styles inline, charts as inline SVG)."""
    words = report.words
    trends = [
        Markup(
            charts.line_chart(
                h.trend,
                words("analytics.chart.trend", label=h.label),
                month_label=words.short_month,
                figure=words.figure,
            )
        )
        for s in report.sections
        for h in s.headlines
        if h.trend
    ]
    tables = {t.key: t for t in report.tables}
    chosen = [tables[key] for key in DIGEST_TABLES if key in tables and tables[key].rows]
    bars = {
        t.key: Markup(
            charts.bar_chart(
                [(label, cells[0]) for _, label, cells in t.rows],
                words("analytics.chart.bars", column=t.columns[0], table=t.title),
                limit=10,
                no_data=words("analytics.no_data"),
                figure=words.figure,
            )
        )
        for t in chosen
    }
    filters = ", ".join(
        f"{words.dimension(dim).lower()} {words.value(dim, code)}"
        for dim, code in report.filters.as_dict().items()
    )
    return (
        _environment()
        .get_template("admin/digest.html")
        .render(
            report=report,
            w=words,
            month_name=report.month_name,
            trends=trends,
            tables=chosen,
            bars=bars,
            filters=filters,
        )
    )


def write(report: MonthReport, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_html(report), encoding="utf-8")
    return path


def renderer() -> str | None:
    """The first headless browser found on PATH, or None."""
    return next((found for name in RENDERERS if (found := shutil.which(name))), None)


def to_pdf(html_path: str | Path, pdf_path: str | Path, *, timeout: float = 90) -> Path:
    """Print the HTML file to PDF with headless Chromium; DigestError when none is installed."""
    browser = renderer()
    if browser is None:
        raise DigestError(
            "no PDF renderer found (install Debian's `chromium` package); the HTML digest "
            "was written and prints to PDF from any browser"
        )
    pdf_path = Path(pdf_path).resolve()
    with tempfile.TemporaryDirectory(prefix="puente-pdf-") as profile:
        command = [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf_path}",
            Path(html_path).resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise DigestError(
                f"{Path(browser).name} did not finish the PDF within {timeout:.0f} s"
            ) from None
    if done.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
        raise DigestError(f"{Path(browser).name} could not print the PDF (exit {done.returncode})")
    return pdf_path


def subject(report: MonthReport) -> str:
    return report.words("analytics.digest.title", month=report.month_name)


def plain_text(report: MonthReport) -> str:
    """The e-mail's text part: the summary and the headline figures."""
    words = report.words
    lines = [subject(report), "", *report.summary, ""]
    for section in report.sections:
        for h in section.headlines:
            lines.append(words("analytics.digest.line", label=h.label, figure=words.figure(h.cell)))
    lines += ["", words("analytics.suppression_note", below=report.k - 1, k=report.k)]
    return "\n".join(lines)
