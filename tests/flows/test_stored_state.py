"""A conversation state read back from the database: repair() is its one reader, and what it
returns has the types flows/state.py declares, whatever an older deployment (or a hand) wrote."""

from __future__ import annotations

import json
from datetime import timedelta

from flows import state as states
from tests.flows.chat import START, Chat, says

AT = (START - timedelta(minutes=1)).isoformat()


def damaged() -> dict:
    return {
        **states.fresh("es"),
        "language": "xx",
        "last_seen": 12345,
        "asked_at": ["not", "a", "time"],
        "reprompts": "2",
        "services": ["wages", 3],
        "paging": "left over",
        "flow": "topic.wages",
        "step": "answer",
        "stack": [
            {"flow": "report", "step": "types", "slots": {}, "auto": "yes", "since": 5},
            {"flow": "report", "slots": {}},
        ],
        "parked": "report",
        "topic": {"flow": "topic.wages", "sector": 4, "at": 5, "shown": ["next", 6]},
        "problems": {"intents": ["ask_hours", 4], "at": AT},
        "pages": ["page 2", {"sid": "HX"}],
        "pin": {"hash": "argon2-hash", "fails": 0},
        "from_a_newer_deployment": {"kept": True},
    }


def test_a_damaged_stored_state_comes_back_with_the_declared_types():
    repaired = states.repair(damaged())

    assert (repaired["language"], repaired["last_seen"], repaired["asked_at"]) == (None,) * 3
    assert (repaired["reprompts"], repaired["services"], repaired["paging"]) == (0, ["wages"], None)
    assert repaired["stack"] == [
        {"flow": "report", "step": "types", "slots": {}, "asked_at": None, "auto": True}
    ]
    assert repaired["parked"] is None
    assert repaired["topic"] == {"flow": "topic.wages", "shown": ["next"]}
    assert repaired["problems"] == {"intents": ["ask_hours"], "at": AT}
    assert repaired["pages"] == ["page 2"]
    # What other parts keep here survives: the PIN, and a key this deployment does not know.
    assert repaired["pin"] == {"hash": "argon2-hash", "fails": 0}
    assert repaired["from_a_newer_deployment"] == {"kept": True}  # type: ignore[typeddict-item]
    json.dumps(repaired)


def test_unreadable_keys_of_other_parts_are_dropped():
    stored = {**damaged(), "pages": 7, "pin": "1234", "problems": {"intents": "ask_hours"}}
    repaired = states.repair(stored)
    assert not {"pages", "pin", "problems"} & repaired.keys()


def test_more_with_unreadable_pages_waiting_says_there_is_nothing_more(engine):
    chat = Chat(engine)
    chat.script([(says("hola", "greet"), ["welcome.intro", "menu.main"])])
    chat.state = {**chat.state, "pages": 7}  # not a list: nothing the renderer could send
    chat.script([("MAS", ["paging.empty"])])


def test_a_state_the_engine_wrote_reads_back_unchanged(engine):
    chat = Chat(engine)
    chat.script([(says("hola", "greet"), ["welcome.intro", "menu.main"])])
    chat.script([("1", ["topics.ask"])])
    chat.state = {**chat.state, "pages": ["page 2"], "pin": {"hash": "h", "fails": 0}}
    stored = json.loads(json.dumps(chat.state))
    assert states.repair(stored) == stored
