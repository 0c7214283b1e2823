"""A report the worker cancels is counted as cancelled, never as completed or sent.

Through the signed webhook: one worker sends a report, one cancels it at the summary ("send /
change / cancel"), one leaves a report unfinished and drops it when it is offered back. Every
figure that counts reports (the headlines, the flows table, the digest) must read 1 sent,
1 cancelled, 1 abandoned, and never 2 completed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot import create_app
from bot.analytics import dashboard, digest, indicators
from bot.runtime import Runtime, set_current
from bot.store import migrate
from tests.analytics.conftest import Program, setup_program, text
from tests.analytics.test_dashboard import cells, headline
from tests.conftest import Bot, make_settings

SENDING, CANCELLING, LEAVING = "+12265550701", "+12265550702", "+12265550703"


@pytest.fixture(scope="module")
def scripted(tmp_path_factory, twilio_server) -> Iterator[Program]:
    tmp = tmp_path_factory.mktemp("cancelled")
    url = f"sqlite:///{tmp / 'puente.db'}"
    migrate.upgrade(url)
    twilio_server.reset()
    settings = make_settings(
        tmp,
        url,
        twilio_server,
        **{"routing.seed_directory": None, "analytics.small_cell_threshold": 2},
    )
    runtime = Runtime.build(settings)
    program = setup_program(Bot(create_app(settings, runtime=runtime), runtime, twilio_server), tmp)
    program.report(SENDING, "ON")
    program.report(CANCELLING, "ON", confirm="3")  # "Cancel, send nothing" at the summary
    assert program.state(CANCELLING).get("flow") == "menu"
    program.say(LEAVING, "hola")
    program.say(LEAVING, "2")  # a report...
    program.say(LEAVING, "no")  # ...one answer, then the menu
    program.say(LEAVING, "0")
    program.say(LEAVING, "2")  # offered back: "start again" drops it
    program.say(LEAVING, "2")
    yield program
    runtime.close()
    set_current(None)


def _exact(program: Program) -> dashboard.MonthReport:
    """The month's report with no small-count threshold, so a 1 reads as 1 (the pages use k=2)."""
    with program.runtime.db.session() as session:
        return dashboard.build(session, dashboard.current_month(), k=1)


def _headlines(report: dashboard.MonthReport) -> dict[str, str]:
    return {h.key: h.cell.text for s in report.sections for h in s.headlines}


def _flows(report: dashboard.MonthReport) -> dict[str, dict[str, str]]:
    table = next(t for t in report.tables if t.key == "flows")
    return {
        code: {column: cell.text for column, cell in zip(table.columns, row, strict=True)}
        for code, _, row in table.rows
    }


def test_the_raw_indicators_count_one_sent_one_cancelled_one_abandoned(scripted: Program):
    month = dashboard.current_month()
    with scripted.runtime.db.session() as session:
        counts = indicators.compute(session, [month])

    def total(measure: str, flow: str | None = None) -> int:
        cells_ = counts.data.get(measure, {}).get(month, {})
        return sum(n for coords, n in cells_.items() if flow is None or coords[-1] == flow)

    assert total("reports") == 1
    assert total("flows_completed", "report") == 1
    assert total("flows_cancelled", "report") == 1
    assert total("flows_abandoned", "report") == 1


def test_headlines_and_flows_table_say_one_sent_one_cancelled(scripted: Program):
    report = _exact(scripted)
    figures = _headlines(report)
    assert (figures["reports"], figures["reports_cancelled"], figures["reports_abandoned"]) == (
        "1",
        "1",
        "1",
    )
    assert _flows(report)["report"] == {"Completed": "1", "Cancelled": "1", "Abandoned": "1"}


def test_the_dashboard_page_shows_the_cancelled_report_apart(scripted: Program):
    page = text(scripted.browser().get("/admin/"))
    assert headline(page, "Reports filed") == "<2"
    assert headline(page, "Reports cancelled by the worker") == "<2"
    assert headline(page, "Reports left unfinished") == "<2"
    row = cells(page, "Conversations by flow")["Report"]
    assert row == ["<2", "<2", "<2"], "completed, cancelled, abandoned: one each, not 2 completed"


def test_the_digest_counts_the_cancelled_report_as_cancelled(scripted: Program):
    html = digest.to_html(_exact(scripted))
    figures = dict(
        re.findall(r'<tr><th scope="row">(.*?)</th><td class="num shown">(.*?)</td>', html)
    )
    assert figures["Reports filed"] == "1"
    assert figures["Reports cancelled by the worker"] == "1"
    assert figures["Reports left unfinished"] == "1"
    flows = cells(html, "Conversations by flow")["Report"]
    assert flows == ["1", "1", "1"]
    page = text(scripted.browser().get("/admin/digest"))
    assert (
        "Reports cancelled by the worker" in page
        and "<caption>Conversations by flow</caption>" in page
    )


def test_the_french_dashboard_names_the_cancelled_reports_and_the_flows(scripted: Program):
    browser = scripted.browser()
    page = text(scripted.post_language(browser, "fr"))
    scripted.post_language(browser, "en")
    assert headline(page, "Signalements annulés par le travailleur") == "<2"
    assert headline(page, "Signalements laissés inachevés") == "<2"
    flows = page.split("<caption>Conversations par parcours</caption>", 1)[1].split("</table>", 1)[
        0
    ]
    assert (
        '<th scope="col">Annulés</th>' in flows
        and cells(page, "Conversations par parcours")["Signalement"]
    )
    # Where the dropped report stopped, named in French (it was the step's id, « story »).
    assert (
        "Signalement à « Ce qui s&#39;est passé, dans ses mots »" in page
        or "Signalement à « Ce qui s'est passé, dans ses mots »" in page
    )
    assert "« story »" not in page
    for english_only in (
        "Cancelled",
        "Reports left unfinished",
        ">report<",
        "Digest for this month",
    ):
        assert english_only not in page, english_only
