"""The webhook edge: Twilio's signature, deduplication, bad input, and the reply going out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.store.models import Conversation, InboundMessage, OutboxMessage
from tests.conftest import BOT_SMS, BOT_WHATSAPP, PUBLIC_URL
from tests.support.services import free_port, listening, wait_until
from tests.support.webhooks import inbound_params, signed_webhook_post

WORKER = "+15195550101"


def test_spanish_sms_gets_one_reply_in_spanish_back_to_the_sender(make_bot, database_url, twilio):
    bot = make_bot(database_url)
    response = bot.send("hola buenas tardes, necesito ayuda con mi trabajo", sender=WORKER)
    assert response.status_code == 200
    assert response.mimetype == "text/xml" and b"<Response></Response>" in response.data
    [reply] = twilio.wait_for_messages(1)
    assert reply.to == WORKER and reply.from_ == BOT_SMS
    assert bot.runtime.interpreter.parse(reply.body).language == "es"


def test_tagalog_whatsapp_gets_reply_in_tagalog_on_whatsapp(make_bot, database_url, twilio):
    bot = make_bot(database_url)
    bot.send("magandang umaga po, kailangan ko po ng tulong", sender="whatsapp:+639171234567")
    [reply] = twilio.wait_for_messages(1)
    assert reply.to == "whatsapp:+639171234567" and reply.from_ == BOT_WHATSAPP
    assert bot.runtime.interpreter.parse(reply.body).language == "tl"


def test_same_message_sid_delivered_twice_is_answered_once(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url)
    params = inbound_params(WORKER, BOT_SMS, "hello")
    token = bot.runtime.settings.twilio.auth_token
    for _ in range(2):
        assert (
            signed_webhook_post(
                bot.client, "/webhooks/twilio", params, token, PUBLIC_URL
            ).status_code
            == 200
        )
    twilio.wait_for_messages(1)
    with bot.runtime.db.session() as session:
        assert len(session.scalars(select(InboundMessage)).all()) == 1
        assert len(session.scalars(select(OutboxMessage)).all()) == len(twilio.messages) == 1


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", "forged"])
def test_missing_or_forged_signature_is_refused_and_nothing_is_stored(
    make_bot, sqlite_url, twilio, signature
):
    bot = make_bot(sqlite_url)
    params = inbound_params(WORKER, BOT_SMS, "hola")
    response = signed_webhook_post(
        bot.client, "/webhooks/twilio", params, "x", PUBLIC_URL, signature=signature
    )
    assert response.status_code == 403
    with bot.runtime.db.session() as session:
        assert session.scalars(select(InboundMessage)).all() == []
    assert twilio.messages == []


def test_signature_for_another_url_is_refused(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    params = inbound_params(WORKER, BOT_SMS, "hola")
    token = bot.runtime.settings.twilio.auth_token
    response = signed_webhook_post(
        bot.client, "/webhooks/twilio", params, token, "https://evil.example"
    )
    assert response.status_code == 403


def test_signature_checked_against_public_base_url_behind_a_proxy(make_bot, sqlite_url, twilio):
    bot = make_bot(sqlite_url, public_base_url="https://puente.example.org")
    params = inbound_params(WORKER, BOT_SMS, "hello")
    token = bot.runtime.settings.twilio.auth_token
    ok = signed_webhook_post(
        bot.client, "/webhooks/twilio", params, token, "https://puente.example.org"
    )
    assert ok.status_code == 200
    direct = signed_webhook_post(
        bot.client, "/webhooks/twilio", params | {"MessageSid": "SM" + "1" * 32}, token, PUBLIC_URL
    )
    assert direct.status_code == 403


@pytest.mark.parametrize(
    "change, status",
    [
        ({"MessageSid": None, "SmsMessageSid": None, "SmsSid": None}, 400),
        ({"From": None}, 400),
        ({"To": "not-a-number"}, 400),
        ({"NumMedia": "lots"}, 400),
        ({"NumMedia": "1"}, 400),  # says one media item, gives no URL
        ({"Body": "x" * 6000}, 400),
    ],
)
def test_malformed_webhook_gets_a_4xx_and_writes_nothing(make_bot, sqlite_url, change, status):
    bot = make_bot(sqlite_url)
    params = {
        k: v for k, v in (inbound_params(WORKER, BOT_SMS, "hola") | change).items() if v is not None
    }
    token = bot.runtime.settings.twilio.auth_token
    response = signed_webhook_post(bot.client, "/webhooks/twilio", params, token, PUBLIC_URL)
    assert response.status_code == status
    with bot.runtime.db.session() as session:
        assert session.scalars(select(Conversation)).all() == []


def test_oversized_and_binary_bodies_are_refused(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    big = bot.client.post(
        "/webhooks/twilio",
        data=b"Body=" + b"a" * 200_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert big.status_code == 413
    junk = bot.client.post(
        "/webhooks/twilio",
        data=b"Body=%ff%fe%00&From=\xff",
        content_type="application/x-www-form-urlencoded",
    )
    assert junk.status_code in (400, 403)
    json_body = bot.client.post("/webhooks/twilio", json={"Body": "hola"})
    assert json_body.status_code == 415


def test_location_fields_are_dropped_and_no_number_or_text_is_stored_in_clear(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url)
    bot.send("hola, trabajo en una granja en LEAMINGTON", sender="+15195550123")
    twilio.wait_for_messages(1)
    dump = _dump(bot.runtime)
    for secret in ("5195550123", "LEAMINGTON", "granja", "Leamington"):
        assert secret not in dump


def test_status_callback_records_delivery(make_bot, sqlite_url, twilio):
    """Twilio calls back on the public URL: here the app really listens there."""
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    bot = make_bot(sqlite_url, public_base_url=public)
    with listening(bot.app, port):
        params = inbound_params(WORKER, BOT_SMS, "hello")
        signed_webhook_post(public, "/webhooks/twilio", params, twilio.auth_token, public)
        [sent] = twilio.wait_for_messages(1)
        [*_, last] = twilio.wait_for_callbacks(2)
        assert last.status_code == 204

        def status() -> str | None:
            with bot.runtime.db.session() as session:
                return session.scalar(
                    select(OutboxMessage.status).where(
                        OutboxMessage.twilio_sid == bot.runtime.vault.sid_hash(sent.sid)
                    )
                )

        # A callback can beat the sending job's commit of the sid; it is then applied on a retry.
        wait_until(lambda: status() == "delivered", 15, "the delivered status")


def test_status_callback_with_a_forged_signature_is_refused(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    form = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "delivered"}
    response = signed_webhook_post(
        bot.client, "/webhooks/twilio/status", form, "wrong-token", PUBLIC_URL
    )
    assert response.status_code == 403


def test_healthz_reports_database_and_redis(make_bot, sqlite_url, redis_url):
    assert make_bot(sqlite_url).client.get("/healthz").json == {"status": "ok", "database": "ok"}
    with_redis = make_bot(sqlite_url, redis_url=redis_url).client.get("/healthz")
    assert with_redis.status_code == 200 and with_redis.json["redis"] == "ok"
    down = make_bot(sqlite_url, redis_url="redis://127.0.0.1:1/0").client.get("/healthz")
    assert down.status_code == 503 and down.json["redis"].startswith("error")


def _dump(runtime) -> str:
    """Every value of every table, as text: what an attacker with a database dump would see."""
    from bot.schema import metadata

    parts = []
    with runtime.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(table.select()):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)
