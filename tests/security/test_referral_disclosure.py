"""What leaves Puente about a case, and how (issue 22, items 4 and 5): e-mail only over TLS and never
credentials in clear; every organization offered a case gets a notice, only the one that
acknowledges it gets the details (by its https webhook, by e-mail only under its OpenPGP key);
an escalation chain is capped."""

from __future__ import annotations

import tempfile

import gnupg
import pytest
from sqlalchemy import select

from bot.cases import escalation, referrals
from bot.cases.models import AdminAlert, Delivery, Referral
from bot.delivery.mail import MailError, send_mail
from bot.settings import SmtpSettings
from tests.reports.chat import file_report
from tests.routing.test_referrals_db import FIRST, SECOND, SECRET, referrals_of, routed_bot
from tests.support.ngo_receivers import MailReceiver, WebhookReceiver, ngo_entry
from tests.support.services import wait_until

WORKER = "+15195550155"
DETAILS = ("Granja Los Pinos", "Leamington", "wages", "housing")


def _smtp(receiver: MailReceiver, **changes) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1", port=receiver.port, ca_file=receiver.ca_file, timeout_seconds=5, **changes
    )


def test_starttls_required_means_nothing_goes_out_in_clear():
    with MailReceiver() as plain:  # offers no STARTTLS
        with pytest.raises(MailError, match="smtp.starttls") as error:
            send_mail(_smtp(plain), ["ngo@example.org"], "s", "case", None)
        assert error.value.retryable and plain.messages == []  # retried later, alerted if it lasts
        with pytest.raises(MailError, match="smtp.user") as error:
            send_mail(
                _smtp(plain, starttls=False, user="puente", password="pw"),
                ["ngo@example.org"],
                "s",
                "case",
                None,
            )
        assert not error.value.retryable and plain.messages == []  # the password never went out
    with MailReceiver(tls="starttls") as secure:
        send_mail(_smtp(secure), ["ngo@example.org"], "s", "case", None)
        assert len(secure.wait_for(1)) == 1
    with MailReceiver(tls="implicit") as implicit:  # as on port 465
        send_mail(_smtp(implicit, implicit_tls=True), ["ngo@example.org"], "s", "case", None)
        assert len(implicit.wait_for(1)) == 1


@pytest.fixture
def mail():
    with MailReceiver() as receiver:
        yield receiver


@pytest.fixture
def webhook():
    with WebhookReceiver(SECRET) as receiver:
        yield receiver


def _keypair() -> tuple[gnupg.GPG, str]:
    gpg = gnupg.GPG(gnupghome=tempfile.mkdtemp(prefix="puente-ngo-gpg-"))
    key = gpg.gen_key(
        gpg.gen_key_input(
            key_type="EDDSA",
            key_curve="ed25519",
            subkey_type="ECDH",
            subkey_curve="cv25519",
            name_email="intake@first.example",
            no_protection=True,
        )
    )
    return gpg, gpg.export_keys(key.fingerprint)


def _to(mail: MailReceiver, address: str, count: int) -> list:
    wait_until(
        lambda: len([m for m in mail.messages if m["To"] == address]) >= count,
        10,
        f"{count} e-mail(s)",
    )
    return [m for m in mail.messages if m["To"] == address]


def _text(message) -> str:
    return "\n".join(part.get_content() for part in message.walk() if not part.is_multipart())


def test_before_acknowledging_an_ngo_gets_a_notice_and_after_it_the_details(
    make_bot, database_url, tmp_path, webhook, mail
):
    gpg, public_key = _keypair()
    first = ngo_entry(
        FIRST,
        webhook_url=webhook.url,
        webhook_secret=SECRET,
        email="intake@first.example",
        pgp_key=public_key,
    )
    bot = routed_bot(make_bot, database_url, tmp_path, mail, first)
    file_report(bot, WORKER, "es")
    [notice] = webhook.wait_for(1)
    [notice_mail] = _to(mail, "intake@first.example", 1)
    assert notice.signed and notice.json["type"] == "puente.referral.notice"
    assert notice.json["case"] == {"kind": "report", "province": "ON", "danger_now": False}
    for leaked in DETAILS:
        assert leaked not in notice.body.decode() and leaked not in _text(notice_mail)

    [referral] = referrals_of(bot)
    with bot.runtime.db.session() as session:
        referrals.acknowledge(session, bot.runtime, referral.id, user_id=1)
    _, details = webhook.wait_for(2)
    assert details.signed and details.json["type"] == "puente.referral"
    assert details.json["case"]["employer"] == "Granja Los Pinos"
    assert details.json["delivery_id"] != notice.json["delivery_id"]
    _, encrypted = _to(mail, "intake@first.example", 2)
    body = _text(encrypted)
    assert body.startswith("-----BEGIN PGP MESSAGE-----") and not any(d in body for d in DETAILS)
    assert "Granja Los Pinos" in str(gpg.decrypt(body))  # only the NGO's key opens it


def test_without_a_key_the_details_are_never_e_mailed(make_bot, sqlite_url, tmp_path, mail):
    bot = routed_bot(
        make_bot, sqlite_url, tmp_path, mail, ngo_entry(FIRST, email="intake@first.example")
    )
    file_report(bot, WORKER, "es")
    _to(mail, "intake@first.example", 1)
    [referral] = referrals_of(bot)
    with bot.runtime.db.session() as session:
        referrals.accept(session, bot.runtime, referral.id, user_id=1)
    with bot.runtime.db.session() as session:
        assert session.scalars(select(Delivery.channel)).all() == ["email"]
    [notice] = _to(mail, "intake@first.example", 1)
    assert not any(d in _text(notice) for d in DETAILS)


def test_a_webhook_that_is_not_https_gets_nothing(make_bot, sqlite_url, tmp_path, mail):
    entry = ngo_entry(
        FIRST, webhook_url="http://intake.first.example/puente", webhook_secret=SECRET
    )
    bot = routed_bot(make_bot, sqlite_url, tmp_path, mail, entry)
    file_report(bot, WORKER, "es")
    with bot.runtime.db.session() as session:
        delivery = session.scalar(select(Delivery))
        assert delivery.status == "failed" and delivery.attempts == 1
        assert "not https" in delivery.last_error and "contacts.webhook_url" in delivery.last_error


def test_an_escalation_chain_stops_at_routing_max_escalations(make_bot, sqlite_url, tmp_path, mail):
    centres = [
        ngo_entry(ngo, email=f"intake@{ngo}.example") for ngo in (FIRST, SECOND, "third-centre")
    ]
    bot = routed_bot(make_bot, sqlite_url, tmp_path, mail, *centres, routing__max_escalations=1)
    file_report(bot, WORKER, "es")
    for _ in range(3):
        with bot.runtime.db.session() as session:
            waiting = session.scalar(
                select(Referral.id).where(Referral.status.in_(("pending", "delivered")))
            )
            if waiting is not None:
                escalation.escalate(session, bot.runtime, waiting, "not_acknowledged")
    assert [r.status for r in referrals_of(bot)] == [
        "escalated",
        "escalated",
    ]  # two organizations, no third
    _to(mail, f"intake@{SECOND}.example", 1)
    assert not [m for m in mail.messages if m["To"] == "intake@third-centre.example"]
    with bot.runtime.db.session() as session:
        alert = session.scalars(select(AdminAlert).where(AdminAlert.kind == "unrouted")).one()
        assert alert.detail["reason"] == "routing.max_escalations"
