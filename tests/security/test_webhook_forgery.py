"""Requests Twilio did not sign, or signed for something else, change nothing; a genuine request
replayed is answered once; oversized or undecodable bodies are refused before anything is stored.

Already covered in tests/bot/test_webhook.py: a missing, garbage or wrong-token signature
(test_missing_or_forged_signature_is_refused_and_nothing_is_stored), a signature for another URL
(test_signature_for_another_url_is_refused), a sequential redelivery
(test_same_message_sid_delivered_twice_is_answered_once), a 200 kB body and a JSON body
(test_oversized_and_binary_bodies_are_refused).
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder, run_wsgi_app

from bot.store.models import Conversation, InboundMessage, OutboxMessage
from tests.conftest import BOT_SMS, PUBLIC_URL
from tests.security.probes import bodies_to
from tests.support.webhooks import inbound_params, signed_webhook_post, twilio_signature

WORKER = "+15195550100"
PATH = "/webhooks/twilio"


def _stored(runtime) -> tuple[int, int, int]:
    """How many conversations, inbound messages and outbox rows the database holds."""
    with runtime.db.session() as session:
        return tuple(
            session.scalar(select(func.count(model.id)))
            for model in (Conversation, InboundMessage, OutboxMessage)
        )


def _post(bot, form: dict, signature: str, path: str = PATH):
    return bot.client.post(path, data=form, headers={"X-Twilio-Signature": signature})


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda form: form | {"Body": "BORRAR"}, id="body"),
        pytest.param(lambda form: form | {"From": "+15195550199"}, id="sender"),
        pytest.param(lambda form: form | {"To": "+15550100000"}, id="recipient"),
        pytest.param(lambda form: form | {"MessageSid": "SM" + "9" * 32}, id="message-sid"),
        pytest.param(lambda form: form | {"OptOutType": "STOP"}, id="added-field"),
        pytest.param(
            lambda form: {k: v for k, v in form.items() if k != "NumMedia"}, id="removed-field"
        ),
    ],
)
def test_a_valid_signature_does_not_cover_an_altered_form(make_bot, sqlite_url, twilio, tamper):
    bot = make_bot(sqlite_url)
    genuine = inbound_params(WORKER, BOT_SMS, "hola")
    signature = twilio_signature(PUBLIC_URL + PATH, genuine, bot.runtime.settings.twilio.auth_token)
    response = _post(bot, tamper(dict(genuine)), signature)
    assert response.status_code == 403
    assert response.get_data(as_text=True) == "invalid signature\n"
    assert _stored(bot.runtime) == (0, 0, 0) and twilio.messages == []


def test_a_signature_for_another_path_or_query_is_refused(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    form = inbound_params(WORKER, BOT_SMS, "hola")
    token = bot.runtime.settings.twilio.auth_token
    for signed_url, posted_path in (
        (PUBLIC_URL + PATH + "/status", PATH),
        (PUBLIC_URL + PATH, PATH + "?rc=3"),
        (PUBLIC_URL + PATH + "?ngo=1", PATH),
    ):
        response = _post(bot, form, twilio_signature(signed_url, form, token), posted_path)
        assert response.status_code == 403, (signed_url, posted_path)
    assert _stored(bot.runtime) == (0, 0, 0)


def test_a_signature_over_the_url_with_its_default_port_written_out_is_accepted(
    make_bot, sqlite_url
):
    """Twilio signs some requests over the URL with its port (":80", ":443") written out. The URL as
    received is checked first, this form only when that fails: both must let the message in."""
    bot = make_bot(sqlite_url)
    token = bot.runtime.settings.twilio.auth_token
    for n, signed_url in enumerate((PUBLIC_URL + PATH, PUBLIC_URL + ":80" + PATH)):
        form = inbound_params(WORKER, BOT_SMS, f"hola {n}")
        assert _post(bot, form, twilio_signature(signed_url, form, token)).status_code == 200, (
            signed_url
        )
    assert _stored(bot.runtime)[:2] == (1, 2)
    form = inbound_params(WORKER, BOT_SMS, "hola")
    for signed_url in (PUBLIC_URL + ":8080" + PATH, PUBLIC_URL.replace("http:", "https:") + PATH):
        assert _post(bot, form, twilio_signature(signed_url, form, token)).status_code == 403, (
            signed_url
        )


def test_a_signature_header_that_is_not_ascii_is_refused_not_an_error(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    form = inbound_params(WORKER, BOT_SMS, "hola")
    response = bot.client.post(PATH, data=form, headers={"X-Twilio-Signature": "fïrmä=="})
    assert response.status_code == 403
    assert _stored(bot.runtime) == (0, 0, 0)


def test_a_valid_request_replayed_at_once_from_many_connections_is_answered_once(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url)
    form = inbound_params(WORKER, BOT_SMS, "hola, necesito ayuda")
    token = bot.runtime.settings.twilio.auth_token

    def deliver(_: int) -> int:
        return signed_webhook_post(bot.app.test_client(), PATH, form, token, PUBLIC_URL).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(deliver, range(12)))
    # 503 is "retry later" (a busy SQLite); what matters is that one delivery got through, once.
    assert set(statuses) <= {200, 503} and 200 in statuses, statuses
    for _ in range(3):  # and Twilio's later retries change nothing
        assert signed_webhook_post(bot.client, PATH, form, token, PUBLIC_URL).status_code == 200
    conversations, inbound, outbox = _stored(bot.runtime)
    assert (conversations, inbound) == (1, 1)
    assert len(bodies_to(twilio, WORKER)) == outbox >= 1
    with bot.runtime.db.session() as session:
        assert session.scalar(select(InboundMessage.status)) == "done"


def test_a_two_megabyte_form_is_refused_with_413_and_nothing_is_stored(
    make_bot, sqlite_url, twilio
):
    bot = make_bot(sqlite_url)
    form = inbound_params(WORKER, BOT_SMS, "x" * 2_000_000)
    response = signed_webhook_post(
        bot.client, PATH, form, bot.runtime.settings.twilio.auth_token, PUBLIC_URL
    )
    assert response.status_code == 413
    assert response.get_data(as_text=True) == "request body too large\n"
    assert _stored(bot.runtime) == (0, 0, 0) and twilio.messages == []


def test_a_large_body_without_a_declared_length_is_refused_too(make_bot, sqlite_url):
    """A chunked upload has no Content-Length to check up front: the limit applies while reading."""
    bot = make_bot(sqlite_url)
    form = inbound_params(WORKER, BOT_SMS, "x" * 2_000_000)
    signature = twilio_signature(PUBLIC_URL + PATH, form, bot.runtime.settings.twilio.auth_token)
    environ = EnvironBuilder(
        path=PATH,
        method="POST",
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature, "Transfer-Encoding": "chunked"},
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    # What gunicorn hands the app for a chunked request: a stream that ends, no declared length.
    environ |= {"wsgi.input": io.BytesIO(urlencode(form).encode()), "wsgi.input_terminated": True}
    _, status, _ = run_wsgi_app(bot.app, environ, buffered=True)
    assert status.startswith("413")
    assert _stored(bot.runtime) == (0, 0, 0)


@pytest.mark.parametrize(
    "junk",
    [
        pytest.param(bytes(range(256)) * 4, id="every-byte"),
        pytest.param(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 64, id="gzip-header"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="png"),
        pytest.param(b"Body=hola&From=%2B15195550100\xc3\x28", id="form-then-invalid-utf8"),
    ],
)
def test_binary_junk_is_a_400_that_says_what_is_wrong(make_bot, sqlite_url, junk):
    bot = make_bot(sqlite_url)
    response = bot.client.post(
        PATH,
        data=junk,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": "anything"},
    )
    assert response.status_code == 400
    assert response.get_data(as_text=True) == "webhook body is not valid UTF-8 form data\n"
    assert _stored(bot.runtime) == (0, 0, 0)


def test_a_redelivery_after_erasure_does_not_bring_the_worker_back(make_bot, sqlite_url, twilio):
    """Twilio retries a webhook whose answer it did not get; a retried "yes, erase" must stay erased."""
    bot = make_bot(sqlite_url)
    token = bot.runtime.settings.twilio.auth_token
    bot.send("BORRAR", sender=WORKER)
    bot.send("si", sender=WORKER)
    confirm = inbound_params(WORKER, BOT_SMS, "no")  # ... and keep any reports linked: erased
    assert signed_webhook_post(bot.client, PATH, confirm, token, PUBLIC_URL).status_code == 200
    assert _stored(bot.runtime)[:2] == (0, 0)  # conversations, inbound messages
    sent = len(twilio.messages)
    assert signed_webhook_post(bot.client, PATH, confirm, token, PUBLIC_URL).status_code == 200
    assert _stored(bot.runtime)[0] == 0  # the number is not stored again
    assert len(twilio.messages) == sent
