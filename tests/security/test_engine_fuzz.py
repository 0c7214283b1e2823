"""The pure core against hostile data it could meet: a stored conversation state that is corrupt,
from an older version or tampered with, and a paging hint of any length or script.

tests/flows/test_properties.py already fuzzes message sequences from a fresh state and
tests/bot/test_render.py fuzzes any text on both channels with the catalogs' hints; neither starts
from a damaged state or holds pages behind an arbitrary hint.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flows
from bot.text.render import HINT_SEPARATOR, fitter, pack, prepare, take
from bot.text.segments import count_segments
from flows import state as states

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
ENGINE = flows.load_engine(
    strict=True
)  # strict: a bug raises here instead of falling back to the menu

json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12)
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
flow_ids = st.sampled_from(sorted(ENGINE.flows) + ["gone", ""])
step_ids = st.sampled_from(
    sorted({s for f in ENGINE.flows.values() for s in f.steps}) + ["gone", ""]
)
timestamps = st.one_of(
    st.sampled_from(
        [
            "2026-11-25T08:59:00+00:00",
            "2026-11-25T08:59:00",
            "9999-12-31T23:59:59",
            "0001-01-01T00:00:00",
            "yesterday",
            "",
        ]
    ),
    json_values,
)
frames = st.fixed_dictionaries(
    {
        "flow": flow_ids,
        "step": step_ids,
        "slots": st.dictionaries(st.text(max_size=10), json_values, max_size=4),
    },
    optional={"asked_at": timestamps, "auto": json_values, "since": timestamps},
)
field_values = {
    "language": st.sampled_from(["es", "tl", "en", "fr", None, 3]),
    "province": st.sampled_from(["ON", "QC", "XX", "", None, 7]),
    "last_seen": timestamps,
    "flow": st.one_of(flow_ids, json_values),
    "step": st.one_of(step_ids, json_values),
    "slots": st.dictionaries(
        st.sampled_from(
            [
                "types",
                "employer",
                "place",
                "province",
                "consent_ngo",
                "contact",
                "code",
                "media",
                "x",
            ]
        ),
        json_values,
        max_size=5,
    ),
    "asked_at": timestamps,
    "reprompts": st.one_of(st.integers(-5, 1_000_000), st.booleans(), json_values),
    "stack": st.lists(st.one_of(frames, json_values), max_size=4),
    "parked": st.one_of(st.none(), frames, json_values),
    "services": json_values,
    "handoff": json_values,
    "paging": json_values,
    "topic": st.one_of(
        st.fixed_dictionaries(
            {"flow": flow_ids},
            optional={"sector": json_values, "at": timestamps, "shown": json_values},
        ),
        json_values,
    ),
    "problems": st.one_of(
        st.fixed_dictionaries({"intents": json_values, "at": timestamps}), json_values
    ),
    # Kept here by the bot: the renderer's pages waiting for MORE, the worker's PIN.
    "pages": json_values,
    "pin": st.one_of(st.fixed_dictionaries({}, optional={"hash": json_values}), json_values),
}
stored_states = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional=field_values).map(
        lambda fields: {**states.fresh("es"), **fields}
    ),
)
texts = st.one_of(
    st.sampled_from(["1", "2", "0", "MENU", "si", "no", "MAS", "STOP", "listo", ""]),
    st.text(max_size=30),
)


@FUZZ
@given(stored_states, texts)
def test_a_damaged_stored_state_never_breaks_a_turn_and_the_menu_still_works(stored, text):
    result = ENGINE.step(stored, flows.Turn(text, None, "sms", NOW))
    json.dumps(result.state)
    state = result.state
    if state["opted_out"]:
        state = ENGINE.step(state, flows.Turn("START", None, "sms", NOW)).state
    menu = ENGINE.step(state, flows.Turn("MENU", None, "sms", NOW))
    assert "menu.main" in menu.msgids
    assert (menu.state["flow"], menu.state["stack"]) == ("menu", [])


@FUZZ
@given(st.text(max_size=300), st.text(max_size=400), st.integers(1, 6), st.integers(1, 3))
def test_any_hint_ends_a_turn_that_holds_pages_and_nothing_is_lost(text, hint, budget, limit):
    fits = fitter("sms", budget)
    pages = pack([prepare(text, "sms")], fits)
    more = prepare(hint, "sms")
    sent, held = take(pages, fits, more, limit)
    assert all(page.strip() for page in pages)
    if len(pages) <= limit:
        assert (sent, held) == (pages, [])
        return
    assert held == pages[limit:]
    *firsts, last = sent
    if last != more:  # the hint rides on the turn's last page, which still fits
        assert last.endswith(HINT_SEPARATOR + more) and fits(last)
        firsts.append(last.removesuffix(HINT_SEPARATOR + more))
    assert firsts == pages[:limit]


@pytest.mark.parametrize(
    "text", ["\u0301" * 50, "\u200b" * 300, "\ufeff" + "a" * 800, "🏳️‍🌈" * 200, "\r\n" * 900]
)
def test_combining_marks_and_invisible_characters_render_within_budget(text):
    fits = fitter("sms", 1)
    pages = pack([prepare(text, "sms")], fits)
    sent, held = take(pages, fits, "MAS", 1)
    assert all(count_segments(page) <= 1 for page in sent + held)
