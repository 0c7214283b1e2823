"""The administrators' dashboard at /admin: indicators, charts, filters, CSV of every table.

Signing in is the portal's (its session cookie, idle timeout and CSRF token); only
administrators see these pages, anyone else gets 404. Every page and export is written to the
portal's audit log. Nothing here leads from a figure to a case: there is no drill-down.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from bot.analytics import charts, dashboard, digest, labels
from bot.analytics.dashboard import Filters, MonthError, MonthReport, Table
from bot.portal import audit, web
from vocab import CHANNELS, LANGUAGES, PROVINCES, STAFF_LANGUAGES

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.before_request
def _session() -> BaseResponse | None:
    """The portal's request setup (session user, language, CSRF on POST), then administrators only."""
    refused = web._before()
    if refused is not None:
        return refused
    if g.user is None:
        return web.to_login()
    if not g.user.is_admin:
        abort(404)
    return None


@bp.after_request
def _after(response: BaseResponse) -> BaseResponse:
    return web._after(response)


@bp.teardown_request
def _teardown(exc: BaseException | None) -> None:
    web._teardown(exc)


@bp.context_processor
def _globals() -> dict[str, Any]:
    return {
        "_": web._,
        "user": g.get("user"),
        "lang": g.get("lang", "en"),
        "languages": STAFF_LANGUAGES,
    }


def _report(language: str | None = None) -> MonthReport:
    """The month asked for, in ``language`` (the user's by default)."""
    language = language or g.get("lang", "en")
    settings = current_app.extensions["puente"].settings.analytics
    try:
        month = dashboard.parse_month(request.args.get("month") or dashboard.current_month())
    except MonthError as exc:
        abort(Response(f"{exc}\n", status=400, mimetype="text/plain"))
    return dashboard.build_configured(
        web.db(), month, settings, language, Filters.from_args(request.args)
    )


def _target(report: MonthReport) -> str:
    filters = ",".join(f"{k}={v}" for k, v in report.filters.as_dict().items())
    return f"analytics:{report.month}" + (f":{filters}" if filters else "")


@bp.get("/")
def index() -> str:
    report = _report()
    audit.record(web.db(), g.user.id, "admin.analytics", _target(report))
    return render_template(
        "admin/dashboard.html",
        report=report,
        svg=_charts(report),
        months=dashboard.previous_months(dashboard.current_month(), 24)[::-1],
        choices=_choices(report.words),
    )


@bp.get("/export.csv")
def export_all() -> Response:
    report = _report()
    audit.record(web.db(), g.user.id, "admin.export", _target(report) + ":all")
    rows = [["table", "code", "label", "column", "value"]]
    for table in report.tables:
        for code, label, cells in table.rows:
            rows += [
                [table.key, code, label, column, cell.text]
                for column, cell in zip(table.columns, cells, strict=True)
            ]
    return _csv(rows, f"puente-{report.month}.csv")


@bp.get("/export/<key>.csv")
def export_table(key: str) -> Response:
    report = _report()
    table = next((t for t in report.tables if t.key == key), None)
    if table is None:
        abort(404)
    audit.record(web.db(), g.user.id, "admin.export", _target(report) + f":{key}")
    return _csv(table_rows(table), f"puente-{report.month}-{key}.csv")


@bp.get("/digest")
def digest_page() -> Response:
    """The digest in the language asked for (``?lang=fr``), else the portal's."""
    language = request.args.get("lang")
    report = _report(language if language in STAFF_LANGUAGES else None)
    audit.record(web.db(), g.user.id, "admin.digest", _target(report))
    response = Response(digest.to_html(report))
    # The digest is a file of its own with its styles inline.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    return response


def table_rows(table: Table) -> list[list[str]]:
    """A table as CSV rows: the code, its name, then each column's shown text ("<5", "x" included)."""
    return [["code", "label", *table.columns]] + [
        [code, label, *(cell.text for cell in cells)] for code, label, cells in table.rows
    ]


def _csv(rows: list[list[str]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([_no_formula(value) for value in row])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _no_formula(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; a leading quote stops that."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") and not value[1:2].isdigit() else value


def _charts(report: MonthReport) -> dict[str, Markup]:
    """Inline SVG for each headline trend and each table's first column (both already protected)."""
    words, out = report.words, {}
    for section in report.sections:
        for headline in section.headlines:
            if headline.trend:
                out[headline.key] = Markup(
                    charts.line_chart(
                        headline.trend,
                        words("analytics.chart.trend", label=headline.label),
                        month_label=words.short_month,
                        figure=words.figure,
                    )
                )
        for table in section.tables:
            if table.rows:
                out[table.key] = Markup(
                    charts.bar_chart(
                        [(label, cells[0]) for _, label, cells in table.rows],
                        words("analytics.chart.bars", column=table.columns[0], table=table.title),
                        no_data=words("analytics.no_data"),
                        figure=words.figure,
                    )
                )
    return out


def _choices(words: labels.Words) -> dict[str, list[tuple[str, str]]]:
    return {
        "province": [(p, p) for p in PROVINCES],
        "language": [(code, words.value("language", code)) for code in LANGUAGES],
        "sector": [
            (code, words.value("sector", code)) for code in (*labels.SECTORS, labels.UNKNOWN)
        ],
        "channel": [(code, words.value("channel", code)) for code in CHANNELS],
    }
