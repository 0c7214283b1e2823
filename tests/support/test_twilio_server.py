"""The Twilio-compatible server behaves as Twilio does for the real twilio library."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import threading
import time
from base64 import b64encode
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from flask import Flask, request
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from tests.support.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, TwilioServer
from tests.support.webhooks import inbound_params, signed_webhook_post, twilio_signature

BOT = "+15550109999"
WORKER = "+15195550123"


@pytest.fixture
def twilio() -> Iterator[TwilioServer]:
    with TwilioServer() as server:
        yield server


class Receiver:
    """A live HTTP endpoint that records what is posted to it and checks Twilio's signature."""

    def __init__(self, auth_token: str = DEFAULT_AUTH_TOKEN):
        self.posts: list[tuple[dict[str, str], bool]] = []
        app = Flask(__name__)

        @app.post("/<path:path>")
        def receive(path: str):
            valid = RequestValidator(auth_token).validate(
                request.url, request.form, request.headers.get("X-Twilio-Signature", "")
            )
            self.posts.append((request.form.to_dict(), valid))
            return ("", 204) if valid else ("", 403)

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()


def test_real_twilio_client_creates_a_message_shaped_like_twilios(twilio):
    client = twilio.client()
    message = client.messages.create(to=WORKER, from_=BOT, body="Hola, ¿en qué te ayudo?")
    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert message.status == "queued"
    assert (message.to, message.from_, message.body) == (WORKER, BOT, "Hola, ¿en qué te ayudo?")
    assert message.account_sid == DEFAULT_ACCOUNT_SID
    assert message.num_segments == "1" and message.direction == "outbound-api"
    assert message.date_created.tzinfo is not None
    (recorded,) = twilio.messages
    assert (recorded.sid, recorded.to, recorded.body) == (message.sid, WORKER, message.body)


def test_client_pointed_by_base_url_alone_reaches_the_server(twilio):
    from twilio.rest import Client

    client = Client(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
    client.api.base_url = twilio.url
    client.messages.create(to="whatsapp:" + WORKER, from_="whatsapp:" + BOT, body="*Hola*")
    assert twilio.messages[0].channel == "whatsapp"


def test_every_create_field_is_recorded(twilio):
    twilio.client().messages.create(
        to="whatsapp:" + WORKER,
        from_="whatsapp:" + BOT,
        content_sid="HX" + "1" * 32,
        content_variables='{"1": "ABCD-2345"}',
        media_url=["https://example.org/a.jpg", "https://example.org/b.jpg"],
        messaging_service_sid="MG" + "2" * 32,
        status_callback="https://bot.example.org/webhooks/twilio/status",
    )
    (message,) = twilio.messages
    assert message.sid.startswith("MM")
    assert message.content_sid == "HX" + "1" * 32
    assert message.content_variables == '{"1": "ABCD-2345"}'
    assert message.media_urls == ["https://example.org/a.jpg", "https://example.org/b.jpg"]
    assert message.messaging_service_sid == "MG" + "2" * 32
    assert message.status_callback == "https://bot.example.org/webhooks/twilio/status"
    assert message.form["MediaUrl"] == message.media_urls


def test_sms_segments_are_counted_as_twilio_bills_them(twilio):
    client = twilio.client()
    assert client.messages.create(to=WORKER, from_=BOT, body="a" * 161).num_segments == "2"
    assert client.messages.create(to=WORKER, from_=BOT, body="á" * 71).num_segments == "2"


def test_list_filters_and_pages_like_twilio(twilio):
    client = twilio.client()
    other = "+15195550999"
    for n in range(5):
        client.messages.create(to=WORKER, from_=BOT, body=f"to worker {n}")
    client.messages.create(to=other, from_=BOT, body="to other")
    assert [m.body for m in client.messages.list(to=WORKER, limit=3)] == [
        "to worker 4",
        "to worker 3",
        "to worker 2",
    ]  # newest first
    assert len(client.messages.list(to=WORKER, page_size=2)) == 5  # follows next_page_uri
    assert [m.body for m in client.messages.list(to=other)] == ["to other"]
    assert client.messages.list(from_="+15550000000") == []


def test_list_filters_by_date_sent(twilio):
    client = twilio.client()
    sid = client.messages.create(to=WORKER, from_=BOT, body="hola").sid
    _wait_for_status(twilio, sid, "delivered")
    today = datetime.now(UTC).date()
    assert [m.sid for m in client.messages.list(date_sent=today)] == [sid]
    assert client.messages.list(date_sent=today - timedelta(days=1)) == []
    assert [m.sid for m in client.messages.list(date_sent_before=today)] == [sid]
    assert [m.sid for m in client.messages.list(date_sent_after=today)] == [sid]
    assert client.messages.list(date_sent_after=date(2999, 1, 1)) == []


def test_fetch_returns_the_message_and_404s_an_unknown_sid(twilio):
    client = twilio.client()
    sid = client.messages.create(to=WORKER, from_=BOT, body="hola").sid
    assert client.messages(sid).fetch().body == "hola"
    with pytest.raises(TwilioRestException) as error:
        client.messages("SM" + "f" * 32).fetch()
    assert (error.value.status, error.value.code) == (404, 20404)


def test_wrong_credentials_get_401(twilio):
    from twilio.rest import Client

    client = Client(DEFAULT_ACCOUNT_SID, "wrong-token")
    client.api.base_url = twilio.url
    with pytest.raises(TwilioRestException) as error:
        client.messages.create(to=WORKER, from_=BOT, body="hola")
    assert (error.value.status, error.value.code) == (401, 20003)
    assert (
        requests.get(
            f"{twilio.url}/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Messages.json"
        ).status_code
        == 401
    )
    assert twilio.messages == []


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": BOT, "Body": "hola"}, 21604),
        ({"To": WORKER, "Body": "hola"}, 21603),
        ({"To": WORKER, "From": BOT}, 21602),
        ({"To": "12345", "From": BOT, "Body": "hola"}, 21211),
        ({"To": "whatsapp:" + WORKER, "From": BOT, "Body": "hola"}, 21910),
        ({"To": WORKER, "From": BOT, "Body": "x" * 1601}, 21617),
        ({"To": WORKER, "From": BOT, "ContentSid": "HX1", "ContentVariables": "{"}, 21656),
    ],
)
def test_invalid_requests_get_twilios_error_shape(twilio, form, code):
    response = requests.post(
        f"{twilio.url}/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Messages.json",
        data=form,
        auth=(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN),
        timeout=5,
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert (body["code"], body["status"]) == (code, 400)
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert twilio.messages == []


def test_missing_to_raises_twilio_rest_exception_with_code(twilio):
    with pytest.raises(TwilioRestException) as error:
        twilio.client().messages.create(to="", from_=BOT, body="hola")
    assert error.value.code == 21604


def test_a_messaging_service_alone_is_accepted(twilio):
    message = twilio.client().messages.create(
        to=WORKER, messaging_service_sid="MG" + "3" * 32, body="hola"
    )
    assert message.status == "accepted" and message.from_ is None


def test_only_owned_numbers_may_send_when_numbers_are_given():
    with TwilioServer(numbers={BOT}) as twilio:
        client = twilio.client()
        client.messages.create(to="whatsapp:" + WORKER, from_="whatsapp:" + BOT, body="ok")
        with pytest.raises(TwilioRestException) as error:
            client.messages.create(to=WORKER, from_="+15550000001", body="no")
        assert error.value.code == 21606


def test_injected_failures_hit_the_next_requests_then_stop(twilio):
    client = twilio.client()
    twilio.fail_next(2, status=503)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as error:
            client.messages.create(to=WORKER, from_=BOT, body="hola")
        assert error.value.status == 503
    client.messages.create(to=WORKER, from_=BOT, body="hola")
    assert len(twilio.messages) == 1


def test_an_outage_fails_every_request_until_it_recovers(twilio):
    client = twilio.client()
    twilio.outage(500)
    for _ in range(3):
        with pytest.raises(TwilioRestException) as error:
            client.messages.create(to=WORKER, from_=BOT, body="hola")
        assert error.value.status == 500
    with pytest.raises(TwilioException):
        client.messages.page(page_size=1)  # reads fail too: a probe sees the outage
    assert twilio.failed_requests == 4 and twilio.messages == []
    twilio.recover()
    client.messages.create(to=WORKER, from_=BOT, body="hola")
    assert len(list(client.messages.page(page_size=1))) == 1
    assert len(twilio.messages) == 1


def test_a_client_keeps_one_connection_across_requests_and_faults_as_with_twilio(twilio):
    """Twilio keeps connections alive: one connection serves request after request, an error
    answer included, until the client asks to close it."""
    connection = http.client.HTTPConnection("127.0.0.1", twilio.port, timeout=2)
    connection.connect()
    connection.auto_open = 0  # a closed connection raises instead of reconnecting unseen
    credentials = b64encode(f"{twilio.account_sid}:{twilio.auth_token}".encode()).decode()
    headers = {
        "Authorization": f"Basic {credentials}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    path = f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json"
    body = urlencode({"To": WORKER, "From": BOT, "Body": "hola"})
    twilio.fail_next(1, status=500)

    def answer(method: str, **extra: str) -> http.client.HTTPResponse:
        connection.request(method, path, body if method == "POST" else None, headers | extra)
        response = connection.getresponse()
        response.read()
        return response

    assert [answer("POST").status for _ in range(3)] == [500, 201, 201]
    assert len(twilio.messages) == 2
    closing = answer("GET", Connection="close")
    assert closing.status == 200 and closing.headers["Connection"] == "close"


def test_injected_delay_makes_a_client_time_out(twilio):
    client = twilio.client(http_client=TwilioHttpClient(timeout=0.2))
    twilio.delay(2)
    with pytest.raises(requests.exceptions.Timeout):
        client.messages.create(to=WORKER, from_=BOT, body="hola")
    twilio.reset()
    assert client.messages.create(to=WORKER, from_=BOT, body="hola").status == "queued"


def test_a_request_held_across_a_reset_is_dropped_not_recorded_later(twilio):
    client = twilio.client(http_client=TwilioHttpClient(timeout=0.2))
    twilio.delay(1)
    with pytest.raises(requests.exceptions.Timeout):
        client.messages.create(to=WORKER, from_=BOT, body="late")
    twilio.reset()
    time.sleep(1.2)
    assert twilio.messages == []


def test_concurrent_senders_are_all_recorded_once(twilio):
    def send(n: int) -> None:
        client = twilio.client()
        for i in range(20):
            client.messages.create(to=WORKER, from_=BOT, body=f"{n}-{i}")

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bodies = [m.body for m in twilio.wait_for_messages(160)]
    assert sorted(bodies) == sorted(f"{n}-{i}" for n in range(8) for i in range(20))
    assert len({m.sid for m in twilio.messages}) == 160


def test_bad_list_parameters_get_a_400(twilio):
    auth = (DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
    url = f"{twilio.url}/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Messages.json"
    assert requests.get(url, params={"DateSent": "yesterday"}, auth=auth).status_code == 400
    assert requests.get(url, params={"PageSize": "many"}, auth=auth).status_code == 400


def test_reset_forgets_messages_and_faults(twilio):
    client = twilio.client()
    client.messages.create(to=WORKER, from_=BOT, body="hola")
    twilio.fail_next(3)
    twilio.reset()
    assert twilio.messages == []
    client.messages.create(to=WORKER, from_=BOT, body="hola")


def test_status_callbacks_arrive_sent_then_delivered_signed_as_twilio_signs():
    with TwilioServer() as twilio, Receiver() as receiver:
        message = twilio.client().messages.create(
            to=WORKER, from_=BOT, body="hola", status_callback=f"{receiver.url}/status?x=1"
        )
        attempts = twilio.wait_for_callbacks(2)
    assert [a.status_code for a in attempts] == [204, 204]
    assert [(form["MessageStatus"], valid) for form, valid in receiver.posts] == [
        ("sent", True),
        ("delivered", True),
    ]
    form = receiver.posts[0][0]
    assert form["MessageSid"] == message.sid
    assert (form["AccountSid"], form["From"], form["To"]) == (DEFAULT_ACCOUNT_SID, BOT, WORKER)
    assert form["ApiVersion"] == "2010-04-01"


def test_callbacks_signed_with_another_token_fail_validation():
    with TwilioServer() as twilio, Receiver(auth_token="another-token") as receiver:
        twilio.client().messages.create(
            to=WORKER, from_=BOT, body="hola", status_callback=f"{receiver.url}/status"
        )
        attempts = twilio.wait_for_callbacks(2)
    assert [a.status_code for a in attempts] == [403, 403]


def test_undeliverable_address_ends_undelivered_with_an_error_code():
    with TwilioServer() as twilio, Receiver() as receiver:
        twilio.fail_delivery(WORKER, error_code=30006)
        sid = (
            twilio.client()
            .messages.create(
                to=WORKER, from_=BOT, body="hola", status_callback=f"{receiver.url}/status"
            )
            .sid
        )
        twilio.wait_for_callbacks(2)
        assert twilio.client().messages(sid).fetch().error_code == 30006
    assert receiver.posts[-1][0]["MessageStatus"] == "undelivered"
    assert receiver.posts[-1][0]["ErrorCode"] == "30006"


def test_status_callbacks_can_be_switched_off():
    with TwilioServer(status_callbacks=False) as twilio, Receiver() as receiver:
        sid = (
            twilio.client()
            .messages.create(
                to=WORKER, from_=BOT, body="hola", status_callback=f"{receiver.url}/status"
            )
            .sid
        )
        _wait_for_status(twilio, sid, "delivered")
    assert receiver.posts == [] and twilio.callbacks == []


def test_media_is_served_only_with_the_accounts_basic_auth(twilio):
    url = twilio.add_media("evidence.jpg", b"\xff\xd8jpeg", "image/jpeg")
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, auth=(DEFAULT_ACCOUNT_SID, "wrong"), timeout=5).status_code == 401
    response = requests.get(url, auth=(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN), timeout=5)
    assert (response.status_code, response.content) == (200, b"\xff\xd8jpeg")
    assert response.headers["Content-Type"] == "image/jpeg"
    missing = requests.get(
        url.replace("/Media/ME", "/Media/MX"), auth=(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
    )
    assert missing.status_code == 404


def test_deleting_a_message_deletes_it_and_its_media_and_is_recorded(twilio):
    client = twilio.client()
    sent = client.messages.create(to=WORKER, from_=BOT, body="hola")
    _wait_for_status(twilio, sent.sid, "delivered")
    assert client.messages(sent.sid).delete() is True
    assert not twilio.holds(sent.sid)
    with pytest.raises(TwilioRestException) as gone:
        client.messages(sent.sid).fetch()
    assert gone.value.status == 404

    url = twilio.add_media("photo", b"jpeg", "image/jpeg", message_sid="MM" + "1" * 32)
    twilio.record_inbound(
        {"MessageSid": "MM" + "1" * 32, "From": WORKER, "To": BOT, "MediaUrl0": url}
    )
    media_sid = url.rsplit("/", 1)[1]
    assert client.messages("MM" + "1" * 32).media(media_sid).delete() is True
    auth = (DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
    assert requests.get(url, auth=auth, timeout=5).status_code == 404
    assert client.messages("MM" + "1" * 32).delete() is True
    assert [(d.sid, d.media_sid, d.status_code) for d in twilio.deletions] == [
        (sent.sid, None, 204),
        ("MM" + "1" * 32, media_sid, 204),
        ("MM" + "1" * 32, None, 204),
    ]


def test_a_message_not_final_yet_cannot_be_deleted(twilio):
    client = twilio.client()
    twilio.hold_deliveries(True)
    sent = client.messages.create(to=WORKER, from_=BOT, body="hola")
    with pytest.raises(TwilioRestException) as early:
        client.messages(sent.sid).delete()
    assert (early.value.status, early.value.code) == (409, 20009) and twilio.holds(sent.sid)
    with pytest.raises(TwilioRestException) as missing:
        client.messages("SM" + "f" * 32).delete()
    assert missing.value.status == 404


def test_media_fetch_failures_can_be_injected(twilio):
    url = twilio.add_media("voice.ogg", b"ogg", "audio/ogg")
    twilio.fail_next(1, status=500)
    auth = (DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
    assert requests.get(url, auth=auth, timeout=5).status_code == 500
    assert requests.get(url, auth=auth, timeout=5).status_code == 200


def test_inbound_params_look_like_twilios_sms_form():
    params = inbound_params(WORKER, BOT, "Hola, necesito ayuda", sid="SM" + "a" * 32)
    assert params["MessageSid"] == params["SmsSid"] == "SM" + "a" * 32
    assert params["AccountSid"] == DEFAULT_ACCOUNT_SID
    assert (params["NumMedia"], params["NumSegments"], params["SmsStatus"]) == (
        "0",
        "1",
        "received",
    )
    assert params["FromCountry"] == "CA" and params["FromState"] == "ON"
    assert {"FromCity", "FromZip", "ToCity", "ToState", "ToZip", "ToCountry"} <= set(params)
    assert "WaId" not in params


def test_inbound_params_for_whatsapp_carry_whatsapps_fields():
    params = inbound_params(
        "whatsapp:" + WORKER,
        "whatsapp:" + BOT,
        "",
        media=[("https://api.twilio.com/media/1", "image/jpeg")],
        ButtonText=None,
        MessagingServiceSid=None,
    )
    assert params["WaId"] == WORKER.removeprefix("+")
    assert params["ProfileName"] and params["MessageType"] == "image"
    assert params["MessageSid"].startswith("MM") and params["NumMedia"] == "1"
    assert params["MediaUrl0"] == "https://api.twilio.com/media/1"
    assert params["MediaContentType0"] == "image/jpeg"
    assert "FromCity" not in params and "MessagingServiceSid" not in params


def test_inbound_button_reply_and_opt_out_fields_pass_through():
    params = inbound_params("whatsapp:" + WORKER, "whatsapp:" + BOT, "Sí", ButtonText="Sí")
    assert params["MessageType"] == "button" and params["ButtonText"] == "Sí"
    assert inbound_params(WORKER, BOT, "STOP", OptOutType="STOP")["OptOutType"] == "STOP"


def _webhook_app() -> Flask:
    app = Flask(__name__)

    @app.post("/webhooks/twilio")
    def webhook():
        url = "https://puente.example.org" + request.full_path.rstrip("?")
        valid = RequestValidator(DEFAULT_AUTH_TOKEN).validate(
            url, request.form, request.headers.get("X-Twilio-Signature", "")
        )
        return ("ok", 200) if valid else ("forged", 403)

    return app


def test_signed_webhook_post_validates_through_a_flask_test_client():
    client = _webhook_app().test_client()
    params = inbound_params(WORKER, BOT, "Hola")
    public = "https://puente.example.org"
    assert (
        signed_webhook_post(
            client, "/webhooks/twilio", params, DEFAULT_AUTH_TOKEN, public
        ).status_code
        == 200
    )
    assert (
        signed_webhook_post(
            client, "/webhooks/twilio?a=b", params, DEFAULT_AUTH_TOKEN, public
        ).status_code
        == 200
    )
    assert (
        signed_webhook_post(client, "/webhooks/twilio", params, "wrong", public).status_code == 403
    )
    forged = signed_webhook_post(
        client, "/webhooks/twilio", params, DEFAULT_AUTH_TOKEN, public, signature="bogus"
    )
    assert forged.status_code == 403
    unsigned = signed_webhook_post(
        client, "/webhooks/twilio", params, DEFAULT_AUTH_TOKEN, public, signature=""
    )
    assert unsigned.status_code == 403


def test_signed_webhook_post_validates_against_a_live_server():
    app = _webhook_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        live = f"http://127.0.0.1:{server.server_port}"
        params = inbound_params("whatsapp:" + WORKER, "whatsapp:" + BOT, "Kumusta")
        response = signed_webhook_post(
            live, "/webhooks/twilio", params, DEFAULT_AUTH_TOKEN, "https://puente.example.org"
        )
        assert response.status_code == 200
        behind_no_proxy = signed_webhook_post(live, "/webhooks/twilio", params, DEFAULT_AUTH_TOKEN)
        assert behind_no_proxy.status_code == 403  # signed for the wrong public URL
    finally:
        server.shutdown()


def test_signature_matches_twilios_documented_example():
    # The example from Twilio's "Webhooks security" documentation.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature(url, params, "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_standalone_server_runs_from_the_command_line():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.twilio_server", "--port", "0", "--auth-token", "T"],
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        line = process.stderr.readline()
        url = re.search(r"http://\S+", line).group()
        from twilio.rest import Client

        client = Client(DEFAULT_ACCOUNT_SID, "T")
        client.api.base_url = url
        assert client.messages.create(to=WORKER, from_=BOT, body="hola").status == "queued"
        requests.post(f"{url}/_control/fail_next", data={"n": 1}, auth=(DEFAULT_ACCOUNT_SID, "T"))
        with pytest.raises(TwilioRestException):
            client.messages.create(to=WORKER, from_=BOT, body="hola")
        dump = requests.get(f"{url}/_control/messages", auth=(DEFAULT_ACCOUNT_SID, "T")).json()
        assert [m["body"] for m in dump] == ["hola"]
    finally:
        process.terminate()
        process.wait(timeout=5)


def _wait_for_status(twilio: TwilioServer, sid: str, status: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(m.sid == sid and m.status == status for m in twilio.messages):
            return
        time.sleep(0.01)
    raise AssertionError(f"{sid} never reached {status}")
