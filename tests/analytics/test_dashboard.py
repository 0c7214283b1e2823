"""Workers chat and report through the signed webhook; the administrator reads the indicators.

One scripted month per database (SQLite and PostgreSQL): 22 workers, 17 asking about the minimum
wage (8 in Ontario in Spanish, 5 in Quebec and 4 in Prince Edward Island in English), 5 reporting
abuse in Ontario; the Ontario organization acknowledges every referral and closes one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from bot import create_app
from bot.cases import referrals
from bot.cases.models import Referral
from bot.runtime import Runtime, set_current
from bot.store import migrate
from bot.store.db import utcnow
from bot.store.eventlog import AnalyticsEvent
from tests.analytics.conftest import STAFF, MailReceiver, Program, setup_program, text
from tests.conftest import Bot, drop_postgres_schema, fresh_postgres_schema, make_settings

ONTARIO = [f"+1519555{n:04d}" for n in range(100, 108)]
QUEBEC = [f"+1514555{n:04d}" for n in range(200, 205)]
ISLAND = [f"whatsapp:+1902555{n:04d}" for n in range(300, 304)]
REPORTERS = [f"+1226555{n:04d}" for n in range(400, 405)]
WORKERS = ONTARIO + QUEBEC + ISLAND + REPORTERS


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def month(request, tmp_path_factory, twilio_server) -> Iterator[Program]:
    tmp = tmp_path_factory.mktemp(f"analytics-{request.param}")
    url = f"sqlite:///{tmp / 'puente.db'}" if request.param == "sqlite" else fresh_postgres_schema()
    migrate.upgrade(url)
    twilio_server.reset()
    receiver = MailReceiver()
    receiver._controller.start()
    settings = make_settings(
        tmp,
        url,
        twilio_server,
        **{
            "routing.seed_directory": None,
            "smtp.host": "127.0.0.1",
            "smtp.port": receiver.port,
            "smtp.starttls": False,
            "analytics.digest_recipients": ["officer@program.example.org"],
        },
    )
    runtime = Runtime.build(settings)
    program = setup_program(Bot(create_app(settings, runtime=runtime), runtime, twilio_server), tmp)
    program.mail = receiver
    for sender in ONTARIO:
        program.ask_wages(sender, "es", "ON")
    for sender in QUEBEC:
        program.ask_wages(sender, "en", "QC")
    for sender in ISLAND:
        program.ask_wages(sender, "en", "PE")
    for sender in REPORTERS:
        program.report(sender, "ON")
    staff = program.users[STAFF]
    with runtime.db.session() as session:
        ids = session.scalars(
            select(Referral.id).where(Referral.ngo_id == "ngo-on").order_by(Referral.id)
        ).all()
        for referral_id in ids:
            referrals.acknowledge(session, runtime, referral_id, staff)
        referrals.close(session, runtime, ids[0], staff, "resolved")
    yield program
    receiver._controller.stop()
    runtime.close()
    set_current(None)
    if request.param == "postgresql":
        drop_postgres_schema(url)


def this_month() -> str:
    return utcnow().strftime("%Y-%m")


def cells(page: str, caption: str) -> dict[str, list[str]]:
    """A table of the dashboard as {row label: [cell texts]}."""
    table = page.split(f"<caption>{caption}</caption>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", table, re.S)
    return {label: re.findall(r"<td[^>]*>(.*?)</td>", rest) for label, rest in rows}


def headline(page: str, label: str) -> str:
    found = re.search(
        rf'<span class="label">{re.escape(label)}</span>\s*<span class="figure">(.*?)</span>', page
    )
    assert found, f"no headline {label!r}"
    return found.group(1)


def test_headline_figures_match_what_the_workers_did(month: Program):
    page = text(month.browser().get("/admin/"))
    assert headline(page, "Workers reached") == str(len(WORKERS))
    assert headline(page, "Conversations") == str(len(WORKERS))
    assert headline(page, "Answers given") == str(len(ONTARIO + QUEBEC + ISLAND))
    assert headline(page, "Reports filed") == str(len(REPORTERS))
    assert headline(page, "Referrals sent") == "5"
    assert headline(page, "Acknowledged") == "5"
    assert headline(page, "Acknowledged within 48 h") == "100%"
    assert headline(page, "National fallback used") == "0"


def test_small_provinces_are_suppressed_with_a_companion_cell(month: Program):
    page = text(month.browser().get("/admin/"))
    reach = cells(page, "Workers and conversations by province")
    assert reach["PE"][0] == "<5", "4 workers in Prince Edward Island"
    assert reach["QC"][0] == "x", "Quebec hidden, or 22 - 13 - 5 would give PE"
    assert reach["ON"][0] == str(len(ONTARIO + REPORTERS))
    languages = cells(page, "Workers and conversations by language")
    assert languages == {"Spanish": ["13", "13"], "English": ["9", "9"]}


def test_a_filter_shows_that_slice_with_the_same_protection(month: Program):
    page = text(month.browser().get("/admin/?language=en"))
    assert headline(page, "Workers reached") == str(len(QUEBEC + ISLAND))
    reach = cells(page, "Workers and conversations by province")
    assert reach["PE"][0] == "<5" and reach["QC"][0] == "x"
    assert "Workers and conversations by language" not in page


def test_staff_of_an_organization_and_strangers_cannot_open_the_dashboard(month: Program):
    staff = month.browser(STAFF)
    assert staff.get("/admin/").status_code == 404
    assert staff.get("/admin/export.csv").status_code == 404
    stranger = month.bot.app.test_client()
    response = stranger.get("/admin/")
    assert response.status_code == 302 and "/portal/login" in response.headers["Location"]


def test_every_table_exports_to_csv_with_small_cells_suppressed(month: Program):
    browser = month.browser()
    rows = list(
        csv.DictReader(io.StringIO(browser.get("/admin/export.csv").get_data(as_text=True)))
    )
    tables = {row["table"] for row in rows}
    assert {
        "headlines",
        "reach_by_province",
        "reports_by_type",
        "referral_outcomes",
        "coverage_by_province",
    } <= tables
    pe = [r for r in rows if r["table"] == "reach_by_province" and r["code"] == "PE"]
    assert pe and all(r["value"] == "<5" for r in pe)
    qc = [r for r in rows if r["table"] == "reach_by_province" and r["code"] == "QC"]
    assert qc and all(r["value"] == "x" for r in qc)
    one = browser.get("/admin/export/reach_by_province.csv")
    assert one.headers["Content-Disposition"].endswith('.csv"')
    assert "PE,PE,<5,<5" in one.get_data(as_text=True)
    assert browser.get("/admin/export/nothing.csv").status_code == 404


def test_every_view_and_export_is_in_the_audit_log(month: Program):
    browser = month.browser()
    browser.get("/admin/?province=ON")
    browser.get("/admin/export.csv")
    with month.runtime.db.session() as session:
        actions = session.execute(
            sql("SELECT action, target FROM audit_log WHERE action LIKE 'admin.%'")
        ).all()
    assert ("admin.analytics", f"analytics:{this_month()}:province=ON") in actions
    assert any(a == "admin.export" for a, _ in actions)


def test_a_future_month_is_refused_and_a_malformed_one_too(month: Program):
    browser = month.browser()
    response = browser.get("/admin/?month=2999-01")
    assert response.status_code == 400 and "has not begun yet" in text(response)
    assert browser.get("/admin/?month=October").status_code == 400


def test_the_analytics_tables_hold_nothing_that_identifies_a_worker(month: Program):
    runtime = month.runtime
    with runtime.db.session() as session:
        events = session.scalars(select(AnalyticsEvent)).all()
        dump = [
            {c.name: getattr(e, c.name) for c in AnalyticsEvent.__table__.columns} for e in events
        ]
        conversation_keys = set(session.scalars(sql("SELECT address_key FROM conversations")).all())
        report_keys = {
            v
            for row in session.execute(sql("SELECT reporter_key, conversation_key FROM reports"))
            for v in row
            if v
        }
    assert len(dump) > 50
    flat = " ".join(str(v) for row in dump for v in row.values() if v is not None)
    for sender in WORKERS:
        digits = re.sub(r"\D", "", sender)
        assert digits not in flat and digits[-7:] not in flat
    for body in set(month.sent_bodies):
        if len(body) > 3:
            assert body not in flat, f"message text {body!r} stored"
    assert not (conversation_keys | report_keys) & {str(v) for row in dump for v in row.values()}
    for row in dump:
        if row["worker"] is not None:
            assert row["kind"] in ("conversation_started", "worker_profile")
        for column in ("subject", "step", "sector", "province", "language", "channel"):
            assert row[column] is None or re.fullmatch(r"[A-Za-z_.:@ -]+", row[column]), row
    # The reach pseudonym is keyed by month: the same worker next month is another value.
    key = runtime.vault.address_key(ONTARIO[0])
    assert runtime.vault.keyed_hash(f"reach-{this_month()}", key) in {r["worker"] for r in dump}
    assert runtime.vault.keyed_hash("reach-2099-01", key) != runtime.vault.keyed_hash(
        f"reach-{this_month()}", key
    )


def test_the_digest_page_reads_like_the_dashboard(month: Program):
    page = text(month.browser().get("/admin/digest"))
    assert f"Puente reached {len(WORKERS)} workers" in page
    assert "<svg" in page and "<script" not in page
