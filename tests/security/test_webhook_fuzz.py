"""Whatever a correctly signed webhook carries, the bot answers 2xx/4xx, never 500, and the worker
can always get back to the menu.

One app per test (SQLite), many generated requests through it: the fuzzing is derandomized so a
failure reproduces, and kept to a few dozen examples so the suite stays fast.
"""

from __future__ import annotations

import itertools
from urllib.parse import urlencode

# Imported here, not first by the app's warm-up thread: hypothesis looks at sys.modules["numpy"]
# while it draws, and a numpy still being imported by that thread is only partly there.
import numpy  # noqa: F401
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BOT_SMS, BOT_WHATSAPP, PUBLIC_URL
from tests.security.probes import INJECTIONS, bodies_to, menu_prompts, opened_state
from tests.support.webhooks import inbound_params, signed_webhook_post, twilio_signature

FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Fields Twilio sends (or could) whose value the bot reads or might.
TWILIO_FIELDS = [
    "Body",
    "From",
    "To",
    "MessageSid",
    "SmsMessageSid",
    "NumMedia",
    "MediaUrl0",
    "MediaContentType0",
    "ButtonText",
    "ButtonPayload",
    "OptOutType",
    "WaId",
    "ProfileName",
    "MessageType",
    "NumSegments",
    "AccountSid",
    "Latitude",
    "Longitude",
    "ChannelMetadata",
]
#: Words that move a conversation somewhere: a report, erasure, a person, opting out.
STEERING = [
    "1",
    "2",
    "3",
    "5",
    "0",
    "MENU",
    "STOP",
    "START",
    "BORRAR",
    "si",
    "1 3",
    "AGENTE",
    "listo",
    "English",
    "ON",
    "me van a matar",
    "MAS",
]

binaryish = st.binary(max_size=40).map(
    lambda raw: raw.decode("latin-1")
)  # every byte as a character
huge = st.tuples(
    st.sampled_from(["x", "é", "😀", "\x00", "%"]),
    st.sampled_from([4999, 5000, 5001, 30_000, 70_000]),
).map(lambda pair: pair[0] * pair[1])
wrong_types = st.sampled_from(
    [
        "",
        "0",
        "-1",
        "1e9",
        "٣",
        "None",
        "null",
        "[]",
        "{}",
        "true",
        " 1 ",
        "https://127.0.0.1:1/m",
        "+15195550100",
        "whatsapp:+15195550100",
    ]
)
values = st.one_of(
    st.text(max_size=60), binaryish, wrong_types, st.sampled_from(STEERING + INJECTIONS), huge
)
field_names = st.one_of(st.sampled_from(TWILIO_FIELDS), st.text(max_size=20))


@st.composite
def fuzzed_forms(draw: st.DrawFn, sender: str) -> dict[str, str]:
    """Twilio's form for ``sender`` with fields removed, overridden and added at random."""
    to = BOT_WHATSAPP if sender.startswith("whatsapp:") else BOT_SMS
    form = inbound_params(sender, to, draw(st.one_of(st.sampled_from(STEERING), values)))
    for name in draw(st.sets(st.sampled_from(sorted(form)), max_size=3)):
        del form[name]
    form |= draw(st.dictionaries(field_names, values, max_size=4))
    return form


@st.composite
def fuzzed_sessions(draw: st.DrawFn, numbers: itertools.count) -> tuple[str, list[dict[str, str]]]:
    """A worker (new for each example) and the requests sent in their name."""
    prefix = draw(st.sampled_from(["", "whatsapp:"]))
    sender = f"{prefix}+1519555{next(numbers):04d}"
    return sender, draw(st.lists(fuzzed_forms(sender), min_size=1, max_size=5))


def test_any_signed_form_gets_no_500_and_the_worker_can_always_reach_the_menu(
    make_bot, sqlite_url, twilio
):
    # The flood limit would rightly stop answering a worker this chatty; tests/security/test_flood.py
    # covers it.
    bot = make_bot(sqlite_url, messages__flood_limit_per_minute=100_000)
    token = bot.runtime.settings.twilio.auth_token
    statuses: dict[int, int] = {}

    @FUZZ
    @given(fuzzed_sessions(itertools.count(200)))
    def run(session: tuple[str, list[dict[str, str]]]) -> None:
        sender, forms = session
        for form in forms:
            response = signed_webhook_post(bot.client, "/webhooks/twilio", form, token, PUBLIC_URL)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code in (200, 400, 413), response.get_data(as_text=True)
        state = opened_state(bot.runtime, sender)
        if state and state.get("opted_out"):
            bot.send("START", sender=sender)
        before = len(twilio.messages)
        assert bot.send("menu", sender=sender).status_code == 200
        replies = "\n".join(bodies_to(twilio, sender, before))
        assert any(prompt in replies for prompt in menu_prompts()), replies
        state = opened_state(bot.runtime, sender)
        assert (state["flow"], state["step"]) == ("menu", "main")

    run()
    # The generated requests reached every outcome: handled, refused as malformed, refused as too big.
    assert {200, 400, 413} <= set(statuses), statuses


def test_any_raw_body_is_refused_cleanly_and_never_with_a_500(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)

    @FUZZ
    @given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
    def run(raw: bytes) -> None:
        response = bot.client.post(
            "/webhooks/twilio", data=raw, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code in (400, 403), response.status_code
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            assert response.status_code == 400
            assert response.get_data(as_text=True) == "webhook body is not valid UTF-8 form data\n"

    run()


def test_a_signed_form_with_percent_encoded_invalid_utf8_is_a_clear_400(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    form = inbound_params("+15195550100", BOT_SMS, "hola")
    signature = twilio_signature(
        PUBLIC_URL + "/webhooks/twilio", form, bot.runtime.settings.twilio.auth_token
    )
    raw = urlencode({k: v for k, v in form.items() if k != "Body"}) + "&Body=%ff%fe%00"
    response = bot.client.post(
        "/webhooks/twilio",
        data=raw,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 400
    assert "not valid UTF-8" in response.get_data(as_text=True)
