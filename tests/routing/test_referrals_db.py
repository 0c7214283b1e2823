"""A filed report reaching the matched NGO's portal inbox, with notices by signed webhook, e-mail and
SMS; a failing notice alerts administrators and never moves the case; escalation when nobody
acknowledges; what staff do moving the case and telling the worker."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.cases import escalation, referrals
from bot.cases.models import AdminAlert, CaseEvent, Delivery, Referral, Report
from bot.delivery.transports import DELIVERY_HEADER
from bot.directory import store
from bot.store.db import utcnow
from bot.store.models import Conversation
from bot.text import catalogs
from bot.text.segments import transliterate_gsm7
from tests.reports.chat import case_code, file_report
from tests.support.ngo_receivers import MailReceiver, WebhookReceiver, directory_yaml, ngo_entry
from tests.support.services import wait_until

WORKER = "+15195550101"
SECRET = "first-ngo-shared-secret-0123456789"
FIRST, SECOND = "first-centre", "second-centre"


@pytest.fixture
def webhook():
    with WebhookReceiver(SECRET) as receiver:
        yield receiver


@pytest.fixture
def mail():
    with MailReceiver() as receiver:
        yield receiver


def routed_bot(make_bot, database_url, tmp_path, mail, *entries, **overrides):
    """A bot with SMTP pointed at ``mail`` and exactly these organizations in its directory."""
    settings = {
        "routing__seed_directory": None,
        "smtp__host": "127.0.0.1",
        "smtp__port": mail.port,
        "smtp__starttls": False,
        "routing__admin_alert_emails": ["admins@puente.example"],
        "routing__delivery_backoff_seconds": [0.05],
        "routing__delivery_max_attempts": 3,
    } | overrides
    bot = make_bot(database_url, **settings)
    path = tmp_path / "ngos.yaml"
    path.write_text(directory_yaml(*entries))
    with bot.runtime.db.session() as session:
        store.import_file(session, bot.runtime.vault, path)
    return bot


def two_centres(webhook: WebhookReceiver, **first_contacts: str) -> tuple[dict, dict]:
    """The first speaks Spanish and takes webhooks (and e-mail); the second speaks English only."""
    first = ngo_entry(
        FIRST,
        languages=("es", "en"),
        webhook_url=webhook.url,
        webhook_secret=SECRET,
        **first_contacts,
    )
    second = ngo_entry(SECOND, languages=("en",), email="intake@second.example")
    return first, second


def referrals_of(bot) -> list[Referral]:
    with bot.runtime.db.session() as session:
        return list(session.scalars(select(Referral).order_by(Referral.id)))


def events_of(bot) -> list[str]:
    with bot.runtime.db.session() as session:
        return [e.kind for e in session.scalars(select(CaseEvent).order_by(CaseEvent.id))]


def test_referral_reaches_the_matched_ngo_webhook_signed_with_the_consented_details_only(
    make_bot, database_url, tmp_path, webhook, mail
):
    bot = routed_bot(
        make_bot, database_url, tmp_path, mail, *two_centres(webhook, email="intake@first.example")
    )
    bodies = file_report(bot, WORKER, "es", answers={"contact": "2"})  # shares the number
    code = case_code(bodies)

    [notice] = webhook.wait_for(1)  # a notice first (tests/security/test_referral_disclosure.py)
    assert notice.signed and notice.json["type"] == "puente.referral.notice"
    [referral] = referrals_of(bot)
    with bot.runtime.db.session() as session:
        referrals.acknowledge(session, bot.runtime, referral.id, user_id=1)
    _, delivery = webhook.wait_for(2)  # the details, once acknowledged
    assert delivery.signed and delivery.answered == 204
    assert delivery.headers[DELIVERY_HEADER] == delivery.json["delivery_id"]
    payload = delivery.json
    assert payload["organization"] == FIRST and payload["fallback"] is False
    assert any("speaks es" in reason for reason in payload["reasons"])
    case = payload["case"]
    assert case["employer"] == "Granja Los Pinos" and case["town"] == "Leamington"
    assert case["abuse_types"] == ["wages", "housing"] and case["province"] == "ON"
    assert case["contact"] == "share_number" and case["consent_tip_line"] is False
    for body in (notice.body.decode(), delivery.body.decode()):
        for secret in ("5195550101", code, code.replace("-", ""), "reporter", "conversation"):
            assert secret not in body
    wait_until(
        lambda: [m for m in mail.messages if m["To"] == "intake@first.example"], 5, "the e-mail"
    )
    [message] = [m for m in mail.messages if m["To"] == "intake@first.example"]
    parts = {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert set(parts) == {"text/plain", "text/html"}  # a notice: no key, no details by e-mail
    assert all(
        "Granja Los Pinos" not in body and "5195550101" not in body for body in parts.values()
    )
    [referral] = referrals_of(bot)
    assert referral.status == "acknowledged" and referral.ngo_id == FIRST
    wait_until(lambda: "details_sent" in events_of(bot), 5, "the details recorded")
    assert events_of(bot)[:5] == ["filed", "assigned", "delivered", "notified", "notified"]
    assert events_of(bot)[5:] == ["acknowledged", "details_sent"]


def test_a_report_not_shared_with_an_ngo_goes_nowhere(
    make_bot, sqlite_url, tmp_path, webhook, mail
):
    bot = routed_bot(make_bot, sqlite_url, tmp_path, mail, *two_centres(webhook))
    bodies = file_report(bot, WORKER, "es", answers={"share": "3"})
    assert case_code(bodies)
    assert referrals_of(bot) == [] and webhook.received == [] and mail.messages == []
    with bot.runtime.db.session() as session:
        assert session.scalar(select(Report.status)) == "new"


def test_staff_phone_gets_a_short_sms_notice_without_details(
    make_bot, sqlite_url, tmp_path, mail, twilio
):
    staff = "+14165550177"
    bot = routed_bot(
        make_bot,
        sqlite_url,
        tmp_path,
        mail,
        ngo_entry(FIRST, sms=staff),
        routing__sms_from="+15550109999",
    )
    file_report(bot, WORKER, "es")
    wait_until(lambda: [m for m in twilio.messages if m.to == staff], 5, "the staff SMS")
    [notice] = [m for m in twilio.messages if m.to == staff]
    assert notice.from_ == "+15550109999" and "referral #" in notice.body
    assert "Granja" not in notice.body and "5195550101" not in notice.body


def test_an_unacknowledged_referral_is_rerouted_to_the_next_match(
    make_bot, database_url, tmp_path, webhook, mail
):
    bot = routed_bot(make_bot, database_url, tmp_path, mail, *two_centres(webhook))
    file_report(bot, WORKER, "es")
    webhook.wait_for(1)
    later = utcnow() + timedelta(hours=23)
    assert escalation.escalate_overdue(bot.runtime, now=later) == 0

    assert escalation.escalate_overdue(bot.runtime, now=utcnow() + timedelta(hours=25)) == 1

    first, second = referrals_of(bot)
    assert (first.ngo_id, first.status) == (FIRST, "escalated")
    assert (second.ngo_id, second.rank, second.status) == (SECOND, 2, "delivered")
    messages = mail.wait_for(3)
    assert [m["To"] for m in messages].count("intake@second.example") == 1
    alert_mail = [m for m in messages if m["To"] == "admins@puente.example"]
    assert any("escalation" in m["Subject"] for m in alert_mail)
    assert [e for e in events_of(bot) if e != "notified"] == [
        "filed",
        "assigned",
        "delivered",
        "escalated",
        "assigned",
        "delivered",
    ]
    with bot.runtime.db.session() as session:
        assert (
            session.scalar(select(AdminAlert.kind).where(AdminAlert.kind == "escalation"))
            == "escalation"
        )
        assert session.scalar(select(Report.status)) == "assigned"


def test_an_acknowledged_referral_is_not_escalated(make_bot, sqlite_url, tmp_path, webhook, mail):
    bot = routed_bot(make_bot, sqlite_url, tmp_path, mail, *two_centres(webhook))
    file_report(bot, WORKER, "es")
    [referral] = referrals_of(bot)
    with bot.runtime.db.session() as session:
        referrals.acknowledge(session, bot.runtime, referral.id, user_id=7)
    assert escalation.escalate_overdue(bot.runtime, now=utcnow() + timedelta(days=3)) == 0
    assert [r.status for r in referrals_of(bot)] == ["acknowledged"]


def test_a_failing_notice_is_retried_and_alerts_administrators_but_the_case_stays(
    make_bot, database_url, tmp_path, webhook, mail
):
    webhook.always_fail(503)
    bot = routed_bot(make_bot, database_url, tmp_path, mail, *two_centres(webhook))
    file_report(bot, WORKER, "es")

    wait_until(lambda: "notice_failed" in events_of(bot), 15, "the notice to fail for good")
    assert len(webhook.received) == 3 and all(d.signed for d in webhook.received)
    assert len({d.json["delivery_id"] for d in webhook.received}) == 1  # one notice, retried
    [referral] = referrals_of(bot)
    assert (referral.ngo_id, referral.status) == (FIRST, "delivered")  # still in FIRST's inbox
    assert "escalated" not in events_of(bot)
    with bot.runtime.db.session() as session:
        failed = session.scalar(select(Delivery).where(Delivery.referral_id == referral.id))
        assert (failed.status, failed.attempts) == ("failed", 3)
        kinds = set(session.scalars(select(AdminAlert.kind)))
        assert "notice_failed" in kinds and "escalation" not in kinds
    wait_until(
        lambda: [m for m in mail.messages if "notice failed" in m["Subject"]],
        5,
        "the administrators' e-mail",
    )


def test_without_a_mail_server_the_case_is_in_the_inbox_and_the_worker_told_the_truth(
    make_bot, database_url, tmp_path, webhook, mail, twilio
):
    """The README's default: no smtp.host. The e-mail notice cannot go; the case is delivered all the same."""
    first = ngo_entry(FIRST, languages=("es", "en"), email="intake@first.example")
    bot = routed_bot(make_bot, database_url, tmp_path, mail, first, smtp__host=None)
    bodies = file_report(bot, WORKER, "es")

    es = catalogs.translator("es")
    # As SMS carries it: the default settings transliterate to GSM-7 (está -> esta).
    told = transliterate_gsm7(
        es.gettext("case.update.assigned", ngo="First Centre Workers Centre", hours=24)
    )
    assert any(told in body for body in bodies)
    wait_until(lambda: "notice_failed" in events_of(bot), 10, "the e-mail notice to be given up")
    [referral] = referrals_of(bot)
    assert (referral.ngo_id, referral.status) == (FIRST, "delivered") and referral.delivered_at
    assert escalation.escalate_overdue(bot.runtime, now=utcnow() + timedelta(hours=1)) == 0
    with bot.runtime.db.session() as session:
        [alert] = session.scalars(select(AdminAlert).where(AdminAlert.kind == "notice_failed"))
        assert "smtp.host" in alert.detail["error"]
        assert session.scalar(select(Report.status)) == "assigned"
    assert mail.messages == []


def test_an_alert_e_mail_refused_for_a_while_is_retried(
    make_bot, sqlite_url, tmp_path, webhook, mail
):
    mail.refuse_next(2)
    bot = routed_bot(
        make_bot,
        sqlite_url,
        tmp_path,
        mail,
        ngo_entry("bc-only", provinces=("BC",), email="intake@bc.example"),
        ngo_entry(
            "national-line", provinces=("national",), webhook_url=webhook.url, webhook_secret=SECRET
        ),
    )
    file_report(bot, WORKER, "es")  # ON has nobody: a coverage-gap alert
    [message] = mail.wait_for(1)
    assert message["To"] == "admins@puente.example" and "coverage gap" in message["Subject"]
    assert mail.refused == 2
    with bot.runtime.db.session() as session:
        assert session.scalar(select(AdminAlert.notified_at)) is not None


def _updates(twilio, start: int) -> list[str]:
    return [m.body for m in twilio.messages[start:] if m.to == WORKER]


def test_staff_moving_the_case_updates_the_worker_in_their_language(
    make_bot, database_url, tmp_path, webhook, mail, twilio
):
    bot = routed_bot(make_bot, database_url, tmp_path, mail, *two_centres(webhook))
    code = case_code(file_report(bot, WORKER, "tl"))
    [referral] = referrals_of(bot)
    tl = catalogs.translator("tl")
    start = len(twilio.messages)
    for move in (
        lambda s: referrals.acknowledge(s, bot.runtime, referral.id, 3),
        lambda s: referrals.accept(s, bot.runtime, referral.id, 3),
        lambda s: referrals.add_note(s, bot.runtime, referral.id, 3, note_id=1),
        lambda s: referrals.close(s, bot.runtime, referral.id, 3, "resolved"),
    ):
        with bot.runtime.db.session() as session:
            move(session)
    wait_until(lambda: len(_updates(twilio, start)) >= 3, 5, "three updates")
    assert _updates(twilio, start) == [
        tl.gettext("case.update.acknowledged"),
        tl.gettext("case.update.accepted"),
        tl.gettext("case.update.closed", outcome=tl.gettext("case.outcome.resolved")),
    ]
    bot.send(code, sender=WORKER)
    assert twilio.messages[-1].body == tl.gettext("case.status.closed", code=code)
    moves = [
        event for event in events_of(bot) if event != "details_sent"
    ]  # the webhook's, once acknowledged
    assert moves[-5:] == ["acknowledged", "accepted", "note_added", "closed", "status_checked"]
    with bot.runtime.db.session() as session, pytest.raises(referrals.LifecycleError):
        referrals.accept(session, bot.runtime, referral.id, 3)


def test_whatsapp_updates_outside_24_hours_use_the_approved_template(
    make_bot, sqlite_url, tmp_path, webhook, mail, twilio
):
    worker = "whatsapp:+15195550123"
    bot = routed_bot(
        make_bot,
        sqlite_url,
        tmp_path,
        mail,
        *two_centres(webhook),
        twilio__whatsapp_templates={"es": "HX" + "a" * 32, "en": "HX" + "b" * 32},
    )
    file_report(bot, worker, "es")
    [referral] = referrals_of(bot)
    with bot.runtime.db.session() as session:
        conversation = session.scalar(select(Conversation))
        conversation.last_inbound_at = utcnow() - timedelta(hours=30)
    start = len(twilio.messages)
    with bot.runtime.db.session() as session:
        referrals.close(session, bot.runtime, referral.id, 3, "worker_unreachable")
    [update] = twilio.wait_for_messages(start + 1)[start:]
    assert update.to == worker and update.content_sid == "HX" + "a" * 32
    es = catalogs.translator("es")
    expected = es.gettext(
        "case.update.closed", outcome=es.gettext("case.outcome.worker_unreachable")
    )
    assert json.loads(update.content_variables) == {"1": expected}


def test_declining_sends_the_case_to_the_next_match(make_bot, sqlite_url, tmp_path, webhook, mail):
    bot = routed_bot(make_bot, sqlite_url, tmp_path, mail, *two_centres(webhook))
    file_report(bot, WORKER, "es")
    [referral] = referrals_of(bot)
    with bot.runtime.db.session() as session:
        following = referrals.decline(
            session, bot.runtime, referral.id, 4, "no capacity this month"
        )
        assert following.ngo_id == SECOND and following.rank == 2
    assert [r.status for r in referrals_of(bot)] == ["declined", "delivered"]


def test_nobody_in_the_province_uses_the_national_fallback_and_alerts(
    make_bot, sqlite_url, tmp_path, webhook, mail
):
    national = ngo_entry("national-line", provinces=("national",), email="intake@national.example")
    bot = routed_bot(
        make_bot,
        sqlite_url,
        tmp_path,
        mail,
        ngo_entry("bc-only", provinces=("BC",), email="intake@bc.example"),
        national,
    )
    file_report(bot, WORKER, "es")
    [referral] = referrals_of(bot)
    assert referral.ngo_id == "national-line" and referral.fallback is True
    with bot.runtime.db.session() as session:
        gap = session.scalar(select(AdminAlert).where(AdminAlert.kind == "coverage_gap"))
        assert gap.province == "ON" and gap.detail["gap"] == ["province:ON"]


def test_seed_directory_contacts_are_never_contacted(make_bot, sqlite_url, mail, twilio):
    bot = make_bot(sqlite_url, smtp__host="127.0.0.1", smtp__port=mail.port, smtp__starttls=False)
    file_report(bot, WORKER, "es")
    [referral] = referrals_of(bot)
    assert referral.status == "delivered" and mail.messages == []  # in the inbox, nobody e-mailed
    with bot.runtime.db.session() as session:
        statuses = set(session.scalars(select(Delivery.status)))
    assert statuses == {"skipped"}
