"""The indicator queries on SQLite and PostgreSQL: one statement each, right counts, portable
percentiles, referral cohorts, and reach that counts workers without linking months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select, text

from bot.analytics import dashboard, indicators
from bot.store.db import Database
from bot.store.eventlog import AnalyticsEvent, reach_pseudonym, record, record_referral
from bot.store.vault import Vault
from tests.conftest import SECRET

OCT = datetime(2026, 10, 12, 15, tzinfo=UTC)
NOV = datetime(2026, 11, 3, 9, tzinfo=UTC)
TODAY = datetime(2026, 11, 20, tzinfo=UTC).date()


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


def statements(database: Database):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    return seen


def test_each_indicator_is_a_single_query(db):
    with db.session() as session:
        record(session, "report_filed", at=OCT, province="ON")
    seen = statements(db)
    for name, indicator in indicators.INDICATORS.items():
        before = len(seen)
        with db.session() as session:
            indicator(session, ["2026-09", "2026-10"])
        assert len(seen) - before == 1, name


def test_reach_counts_each_worker_once_a_month_where_last_known(db):
    vault = Vault(SECRET)
    keys = [vault.address_key(f"+1519555{n:04d}") for n in range(6)]
    with db.session() as session:
        for key in keys:
            for _ in range(3):  # three conversations each in October
                record(
                    session,
                    "conversation_started",
                    at=OCT,
                    channel="sms",
                    language="es",
                    worker=reach_pseudonym(vault, "2026-10", key),
                )
            record(
                session,
                "worker_profile",
                at=OCT,
                province="ON",
                language="es",
                worker=reach_pseudonym(vault, "2026-10", key),
            )
        for key in keys[:2]:
            record(
                session,
                "conversation_started",
                at=NOV,
                channel="whatsapp",
                language="es",
                worker=reach_pseudonym(vault, "2026-11", key),
            )
    with db.session() as session:
        counts = indicators.reach(session, ["2026-10", "2026-11"])
        rows = session.scalars(
            select(AnalyticsEvent.worker).where(AnalyticsEvent.worker.is_not(None))
        ).all()
    october = counts.data["workers"]["2026-10"]
    assert sum(october.values()) == 6
    assert october == {("ON", "es", None, "sms", None): 6}, "the province given later places them"
    assert sum(counts.data["conversations"]["2026-10"].values()) == 18
    assert sum(counts.data["workers"]["2026-11"].values()) == 2
    october_ids = {reach_pseudonym(vault, "2026-10", k) for k in keys}
    november_ids = {reach_pseudonym(vault, "2026-11", k) for k in keys}
    assert not october_ids & november_ids, "months cannot be linked through the pseudonym"
    assert not set(rows) & set(keys)


def _referral(
    sent: datetime,
    acknowledged: datetime | None = None,
    closed: datetime | None = None,
    outcome: str | None = None,
):
    return SimpleNamespace(
        created_at=sent,
        acknowledged_at=acknowledged,
        accepted_at=None,
        closed_at=closed,
        outcome=outcome,
        fallback=False,
        report_id=0,
    )


REPORT = SimpleNamespace(channel="sms", language="es", province="ON", sector="agriculture")


def test_time_to_acknowledge_is_read_per_cohort_with_percentile_cont_semantics(db):
    hours = [1, 2, 3, 10, 50, 70]
    with db.session() as session:
        for h in hours:
            referral = _referral(OCT, OCT + timedelta(hours=h))
            record_referral(session, referral, "sent", report=REPORT)
            record_referral(session, referral, "acknowledged", report=REPORT)
        late = _referral(OCT.replace(day=30), NOV)  # sent in October, acknowledged in November
        record_referral(session, late, "sent", report=REPORT)
        record_referral(session, late, "acknowledged", report=REPORT)
    with db.session() as session:
        report = dashboard.build(session, "2026-10", today=TODAY)
        if db.dialect == "postgresql":
            sql_median, sql_p90 = session.execute(
                text(
                    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY value), "
                    "percentile_cont(0.9) WITHIN GROUP (ORDER BY value) FROM analytics_events "
                    "WHERE kind = 'referral_acknowledged' AND cohort = '2026-10'"
                )
            ).one()
    figures = {h.key: h.cell for s in report.sections for h in s.headlines}
    assert figures["referrals_sent"].text == "7"
    assert figures["referrals_acknowledged"].text == "7"
    all_hours = sorted(hours + [(NOV - OCT.replace(day=30)).total_seconds() / 3600])
    assert figures["ack_median"].number == pytest.approx(
        indicators.quantile(all_hours, 0.5), abs=0.05
    )
    assert figures["ack_median"].text == "10.0 h"
    assert figures["ack_p90"].number == pytest.approx(indicators.quantile(all_hours, 0.9), abs=0.05)
    if db.dialect == "postgresql":
        assert figures["ack_median"].number == pytest.approx(sql_median, abs=0.05)
        assert figures["ack_p90"].number == pytest.approx(sql_p90, abs=0.05)
    assert figures["ack_48h"].text == "x", "2 of 7 were late: a count below 5"


def test_coverage_gaps_count_demand_where_no_organization_matched(db):
    from bot.store.eventlog import record_match

    def case(province: str, gap: tuple[str, ...], matched: bool = True):
        result = SimpleNamespace(
            candidates=[object()] if matched else [], fallback_used=matched, gap=gap
        )
        return SimpleNamespace(**{**vars(REPORT), "province": province}), result

    cases = (
        [case("PE", ("province:PE",))] * 12
        + [case("YT", ("province:YT",))] * 6
        + [case("NU", ("province:NU", "language:tl"), matched=False)]
    )
    with db.session() as session:
        for report, result in cases:
            record_match(session, report, result, at=OCT)
    with db.session() as session:
        report = dashboard.build(session, "2026-10", today=TODAY)
    figures = {h.key: h.cell.text for s in report.sections for h in s.headlines}
    assert (figures["cases_routed"], figures["fallback_used"], figures["unmatched"]) == (
        "19",
        "18",
        "<5",
    )
    gaps = {
        label: [c.text for c in cells]
        for _, label, cells in next(t for t in report.tables if t.key == "coverage_gaps").rows
    }
    assert gaps["No organization in the province: YT"] == ["6"]
    assert gaps["No organization in the province: NU"] == ["<5"]
    assert gaps["Nobody speaks the language: Tagalog"] == ["<5"]
    assert gaps["No organization in the province: PE"] == ["x"], (
        "else 20 - 6 - 12 gives the two small ones"
    )


def test_a_month_without_events_is_reported_as_empty(db):
    with db.session() as session:
        report = dashboard.build(session, "2026-08", today=TODAY)
    assert report.empty
    assert report.summary == [
        "Nothing was recorded in August 2026: no worker wrote to Puente and no case moved."
    ]


def test_months_in_the_future_or_malformed_are_refused():
    with pytest.raises(dashboard.MonthError, match="has not begun yet"):
        dashboard.parse_month("2026-12", today=TODAY)
    with pytest.raises(dashboard.MonthError, match="YYYY-MM"):
        dashboard.parse_month("2026-13", today=TODAY)
    assert dashboard.parse_month("2026-11", today=TODAY) == "2026-11"


def test_values_outside_the_vocabularies_never_reach_the_log(db):
    with db.session() as session:
        row = record(
            session,
            "topic_asked",
            at=OCT,
            subject="my boss +15195550101 hits me",
            province="Ontario",
            language="fr",
            channel="fax",
            sector="farm work",
            step="Hi there",
        )
    assert (row.subject, row.province, row.language, row.channel, row.step) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert row.sector == "other"
    with pytest.raises(ValueError):
        record(None, "message_text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        record(None, "opt_out", body="hello")  # type: ignore[arg-type]
