"""`puente digest`: the month's HTML report (PDF when Chromium is there), e-mailed on request;
an empty month says so, a future month is refused. Also: erasing a worker unlinks their reach."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.analytics import dashboard, digest, labels
from bot.analytics.jobs import email_digest
from bot.cli import main
from bot.store.db import Database
from bot.store.eventlog import AnalyticsEvent, reach_pseudonym, record
from bot.store.vault import Vault
from tests.analytics.conftest import MailReceiver
from tests.conftest import SECRET

LAST_MONTH = dashboard.previous_months(dashboard.current_month(), 2)[0]
AT = datetime.strptime(LAST_MONTH + "-15", "%Y-%m-%d").replace(tzinfo=UTC)


@pytest.fixture
def filled(database_url):
    """Last month: 12 workers in Ontario and 3 in Manitoba, 7 reports."""
    database, vault = Database(database_url), Vault(SECRET)
    with database.session() as session:
        for n in range(15):
            province = "ON" if n < 12 else "MB"
            record(
                session,
                "conversation_started",
                at=AT,
                channel="sms",
                language="es",
                province=province,
                worker=reach_pseudonym(vault, LAST_MONTH, vault.address_key(f"+1519555{n:04d}")),
            )
            record(
                session, "topic_answered", at=AT, subject="wages", language="es", province=province
            )
        for _ in range(7):
            record(session, "report_filed", at=AT, province="ON", language="es", channel="sms")
            record(
                session,
                "report_type",
                at=AT,
                subject="wages",
                province="ON",
                language="es",
                channel="sms",
            )
    database.dispose()
    return database_url


def run(database_url: str, *args: str, **env: str):
    environ = {
        "DATABASE_URL": database_url,
        "PUENTE_SECRET_KEY": SECRET,
        "PUENTE_CONFIG": "",
        "PUENTE__ROUTING__SEED_DIRECTORY": "null",
        **env,
    }
    return CliRunner().invoke(main, ["digest", *args], env=environ, catch_exceptions=False)


def test_the_digest_is_one_html_file_with_summary_figures_and_charts(filled, tmp_path):
    out = tmp_path / "digest.html"
    result = run(filled, "--month", LAST_MONTH, "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text()
    name = dashboard.month_name(LAST_MONTH)
    assert f"Puente digest: {name}" in page
    assert f"In {name}, Puente reached 15 workers in 15 conversations" in page
    assert "Workers filed 7 reports; the abuse named most often was wages." in page
    assert page.count("<svg") >= 4 and "<script" not in page
    assert "src=" not in page and "href=" not in page, "self-contained: nothing fetched"
    assert '<td class="num small">&lt;5</td>' in page, "Manitoba's 3 workers"


def test_an_empty_month_gives_a_digest_that_says_so(database_url, tmp_path):
    out = tmp_path / "empty.html"
    result = run(database_url, "--month", "2025-02", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "nothing was recorded that month" in result.output
    assert "Nothing was recorded in February 2025" in out.read_text()


def test_a_future_month_is_refused_with_a_clear_message(database_url, tmp_path):
    result = run(database_url, "--month", "2999-01", "--out", str(tmp_path / "x.html"))
    assert result.exit_code == 2
    assert "2999-01 has not begun yet" in result.output
    assert not (tmp_path / "x.html").exists()
    assert "YYYY-MM" in run(database_url, "--month", "10/2026").output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_digest_prints_to_pdf_when_a_renderer_is_installed(filled, tmp_path):
    out = tmp_path / "digest.html"
    result = run(filled, "--month", LAST_MONTH, "--out", str(out), "--pdf")
    assert result.exit_code == 0
    if digest.renderer() is None:
        assert "no PDF renderer found" in result.output
    else:
        assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF")


@pytest.fixture
def with_referrals(filled):
    """``filled``, and 6 referrals sent last month, acknowledged after 10.5 to 15.5 hours (median 13)."""
    database = Database(filled)
    with database.session() as session:
        for n in range(6):
            dims = {
                "at": AT,
                "cohort": LAST_MONTH,
                "province": "ON",
                "language": "es",
                "channel": "sms",
            }
            record(session, "referral_sent", flag=False, **dims)
            record(session, "referral_acknowledged", value=10.5 + n, **dims)
    database.dispose()
    return filled


def _figures(page: str) -> list[str]:
    """Every figure of the digest's tables, in order."""
    return re.findall(r'<td class="num[^"]*">(.*?)</td>', page)


def _plain(figure: str) -> str:
    """A French figure written the English way ("1 234,5 %" -> "1234.5%"), to compare the two."""
    return figure.replace("\u00a0", "").replace("\u202f", "").replace(",", ".")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_digest_reads_in_french_with_the_same_figures(with_referrals, tmp_path):
    english, french = tmp_path / "en.html", tmp_path / "fr.html"
    assert (
        run(
            with_referrals, "--month", LAST_MONTH, "--out", str(english), "--language", "en"
        ).exit_code
        == 0
    )
    result = run(with_referrals, "--month", LAST_MONTH, "--out", str(french), "--language", "fr")
    assert result.exit_code == 0, result.output
    assert "(fr)" in result.output
    en, fr = english.read_text(), html.unescape(french.read_text())
    month = labels.Words("fr").month(LAST_MONTH)
    assert '<html lang="fr">' in fr
    assert f"Bilan Puente : {month}" in fr
    assert f"En {month}, Puente a joint 15 travailleurs en 15 conversations" in fr
    assert "Les travailleurs ont déposé 7 signalements" in fr
    for heading in (
        "En bref",
        "Chiffres clés",
        "Tendances",
        "Détails",
        "Comment lire ce bilan",
        "Signalements déposés",
        "Travailleurs joints",
        "Signalements annulés par le travailleur",
    ):
        assert heading in fr, heading
    # Numbers as French writes them: a decimal comma, a space before % and h.
    assert "(médiane 13,0 h)" in fr and "100\u00a0% ont été pris en compte en 48 heures" in fr
    assert "13.0 h" in en and "100%" in en
    for english_only in (
        "Puente digest",
        "Headline figures",
        "In short",
        "How to read this",
        "Workers reached",
        "Reports filed",
        "by province",
        "No data",
    ):
        assert english_only not in fr, english_only
    figures = _figures(fr)
    assert len(figures) > 30
    assert [_plain(f) for f in figures] == [html.unescape(f) for f in _figures(en)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_french_digest_is_emailed_in_french(filled, tmp_path, mail):
    env = {
        "PUENTE__SMTP__HOST": "127.0.0.1",
        "PUENTE__SMTP__PORT": str(mail.port),
        "PUENTE__SMTP__STARTTLS": "false",
        "PUENTE__ANALYTICS__DIGEST_RECIPIENTS": "[reseau@example.org]",
    }
    result = run(
        filled,
        "--month",
        LAST_MONTH,
        "--out",
        str(tmp_path / "d.html"),
        "--email",
        "--language",
        "fr",
        **env,
    )
    assert result.exit_code == 0, result.output
    message = mail.wait_for(1)[0]
    month = labels.Words("fr").month(LAST_MONTH)
    assert message["Subject"] == f"Bilan Puente : {month}"
    text = message.get_body(("plain",)).get_content()
    assert (
        f"En {month}, Puente a joint 15 travailleurs" in text and "Signalements déposés : 7" in text
    )


def test_without_a_language_the_digest_follows_the_portals(filled, tmp_path):
    out = tmp_path / "d.html"
    result = run(
        filled, "--month", LAST_MONTH, "--out", str(out), PUENTE__PORTAL__DEFAULT_LANGUAGE="fr"
    )
    assert result.exit_code == 0, result.output
    assert "Bilan Puente" in out.read_text()
    assert "--language" in run(filled, "--month", LAST_MONTH, "--language", "es").output, (
        "en or fr only"
    )


@pytest.fixture
def mail():
    receiver = MailReceiver()
    receiver._controller.start()
    yield receiver
    receiver._controller.stop()


def test_the_digest_is_emailed_to_the_stakeholder_list(filled, tmp_path, mail):
    env = {
        "PUENTE__SMTP__HOST": "127.0.0.1",
        "PUENTE__SMTP__PORT": str(mail.port),
        "PUENTE__SMTP__STARTTLS": "false",
        "PUENTE__ANALYTICS__DIGEST_RECIPIENTS": "[officer@program.example.org, network@example.org]",
    }
    result = run(filled, "--month", LAST_MONTH, "--out", str(tmp_path / "d.html"), "--email", **env)
    assert result.exit_code == 0, result.output
    assert "e-mailed to 2 recipient(s)" in result.output
    message = mail.wait_for(1)[0]
    assert message["To"] == "officer@program.example.org, network@example.org"
    assert message["Subject"] == f"Puente digest: {dashboard.month_name(LAST_MONTH)}"
    html = message.get_body(("html",)).get_content()
    assert "reached 15 workers" in html and "&lt;5" in html


def test_emailing_without_recipients_says_what_to_configure(filled, tmp_path):
    result = run(filled, "--month", LAST_MONTH, "--out", str(tmp_path / "d.html"), "--email")
    assert result.exit_code == 1
    assert "analytics.digest_recipients is empty" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_with_redis_the_email_is_an_rq_job_carrying_only_the_month_and_language(
    filled, tmp_path, redis_url, mail
):
    from redis import Redis
    from rq import Queue

    env = {
        "REDIS_URL": redis_url,
        "PUENTE__SMTP__HOST": "127.0.0.1",
        "PUENTE__SMTP__PORT": str(mail.port),
        "PUENTE__SMTP__STARTTLS": "false",
        "PUENTE__ANALYTICS__DIGEST_RECIPIENTS": "[officer@program.example.org]",
    }
    result = run(
        filled,
        "--month",
        LAST_MONTH,
        "--out",
        str(tmp_path / "d.html"),
        "--email",
        "--language",
        "fr",
        **env,
    )
    assert "e-mail queued" in result.output
    jobs = Queue("puente-housekeeping", connection=Redis.from_url(redis_url)).jobs
    assert [(job.func, job.args) for job in jobs] == [(email_digest, (LAST_MONTH, "fr"))]


def test_erasing_data_leaves_reach_counted_but_no_longer_linked_to_the_number(program):
    sender = "+15195550177"
    program.say(sender, "hola")
    program.say(sender, "BORRAR")
    program.say(sender, "si")
    program.say(sender, "no")  # the unlink question is asked of everyone
    runtime = program.runtime
    key = runtime.vault.address_key(sender)
    with runtime.db.session() as session:
        workers = session.scalars(
            select(AnalyticsEvent.worker).where(AnalyticsEvent.worker.is_not(None))
        ).all()
        erasures = session.scalar(select(func.count()).where(AnalyticsEvent.kind == "erase_data"))
    assert erasures == 1
    assert reach_pseudonym(runtime.vault, dashboard.current_month(), key) not in workers
    assert len(set(workers)) == 1, "still one worker reached this month"
