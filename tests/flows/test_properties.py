"""Whatever a worker sends, in any order: no exception, JSON state, and MENU always gets out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flows
from vocab import INTENTS

WORDS = [
    "1",
    "2",
    "3",
    "9",
    "14",
    "0",
    "1 3",
    "2,4",
    "MENU",
    "STOP",
    "ALTO",
    "START",
    "INICIO",
    "BORRAR",
    "si",
    "no",
    "oo",
    "AGENTE",
    "MAS",
    "WIKA",
    "IDIOMA",
    "AYUDA",
    "SALTAR",
    "listo",
    "English",
    "AB3D-7KQ9",
    "me van a matar",
    "hola",
    "",
    "  ",
    "🙂",
    "¿?",
    "x" * 600,
]
PROVINCES = ["ON", "BC", "QC", "XX", "", "on"]

texts = st.one_of(st.sampled_from(WORDS), st.text(max_size=40))
confidences = st.one_of(
    st.floats(min_value=-1, max_value=2), st.just(float("nan")), st.sampled_from(["high", None])
)
good_parses = st.builds(
    lambda intent, conf, ranking, province, code, lang: {
        "text": "",
        "intent": {"name": intent, "confidence": conf},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "entities": ([{"entity": "province", "value": province}] if province is not None else [])
        + ([{"entity": "case_code", "value": code}] if code else []),
        "language": lang,
    },
    st.sampled_from(INTENTS),
    confidences,
    st.lists(st.tuples(st.sampled_from(INTENTS), confidences), max_size=4),
    st.one_of(st.none(), st.sampled_from(PROVINCES)),
    st.one_of(st.none(), st.sampled_from(["AB3D7KQ9", "nonsense", 42])),
    st.sampled_from(["es", "tl", "en", None, "fr", 7]),
)
bad_parses = st.sampled_from(
    [
        None,
        {},
        {"intent": "ask_wages"},
        {"intent": {"name": None}},
        {"intent_ranking": "x", "entities": [None, 3, {"entity": 1}]},
        [],
    ]
)
turns = st.tuples(
    texts,
    st.one_of(good_parses, bad_parses),
    st.sampled_from(["sms", "whatsapp"]),
    st.sampled_from(
        [timedelta(seconds=5), timedelta(minutes=20), timedelta(hours=2), timedelta(days=3)]
    ),
    st.one_of(st.none(), st.sampled_from(["1", "2", "yes", "Reportar", "wages"])),
    st.sampled_from([(), ({"url": "https://example.test/m1", "content_type": "image/jpeg"},)]),
)


def menu_parse() -> dict:
    return {
        "text": "MENU",
        "intent": {"name": "menu", "confidence": 0.99},
        "intent_ranking": [],
        "entities": [],
        "language": "es",
    }


@pytest.fixture(params=["structural", "shipped"])
def any_engine(request: pytest.FixtureRequest, engine: flows.Engine) -> flows.Engine:
    """The structural flows with stand-in topics, and the shipped directory with the real topics."""
    return engine if request.param == "structural" else flows.load_engine(strict=True)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(turns, min_size=1, max_size=12))
def test_no_message_sequence_raises_or_leaves_the_worker_stuck(any_engine: flows.Engine, sequence):
    engine = any_engine
    state = None
    now = datetime(2026, 11, 25, 9, tzinfo=UTC)
    for text, parse, channel, wait, button, media in sequence:
        now += wait
        result = engine.step(
            state, flows.Turn(text, parse, channel, now, button=button, media=media)
        )
        json.dumps(result.state)
        assert all(isinstance(r.msgid, str) and r.msgid for r in result.replies)
        state = result.state
    if state["opted_out"]:
        now += timedelta(seconds=5)
        state = engine.step(state, flows.Turn("START", None, "whatsapp", now)).state
    now += timedelta(seconds=5)
    result = engine.step(state, flows.Turn("MENU", menu_parse(), "sms", now))
    assert "menu.main" in result.msgids
    assert result.state["flow"] == "menu" and result.state["stack"] == []
