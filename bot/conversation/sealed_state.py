"""A worker's answers inside a conversation's flow state, encrypted at rest.

The flow engine keeps a report's answers (the employer's name, the town, a case code being typed)
in the state's ``slots`` until the flow ends or its parked copy expires. The state is stored as
JSON, so before it is written every frame's slots are sealed into one token under the conversation's
data key, bound to its ``conversations.state`` (bot.store.envelope), and opened again when the next
message is handled. So are the keys that would link the number to
a case in a copy of the database (``PRIVATE_KEYS``: the relay to a case, that reports exist, the
PIN); language, province and the rest stay readable. Code outside the turn that changes the state
(the portal opening a relay) goes through :func:`update`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from bot.store.envelope import Envelope

SEALED = "_sealed"
#: Top-level keys kept only inside the one ``_private`` token.
PRIVATE_KEYS = ("handoff", "has_reports", "pin")
PRIVATE = "_private"
#: Where the tokens are bound (bot.store.envelope): the conversation row's ``state`` column.
PLACE = "conversations.state"


def seal(envelope: Envelope, db: Any, conversation: Any, state: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``state`` whose frames' slots and private keys are sealed for ``conversation``."""
    sealed = copy.deepcopy(state)

    def token(value: Any) -> str:
        return envelope.seal(
            db,
            conversation.data_key_id,
            PLACE,
            conversation.id,
            json.dumps(value, ensure_ascii=False),
        )

    for frame in _frames(sealed):
        slots = frame.get("slots")
        if isinstance(slots, dict) and slots and SEALED not in slots:
            frame["slots"] = {SEALED: token(slots)}
    private = {key: sealed.pop(key) for key in PRIVATE_KEYS if key in sealed}
    if private:
        sealed[PRIVATE] = token(private)
    return sealed


def unseal(
    envelope: Envelope, db: Any, conversation: Any, state: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The state as the engine wrote it (``conversation.state`` unless given; slots written before
    sealing existed pass unchanged)."""
    opened = copy.deepcopy(conversation.state or {} if state is None else state)

    def value(token: str) -> Any:
        return json.loads(envelope.open(db, PLACE, conversation.id, token))

    token = opened.pop(PRIVATE, None) if isinstance(opened, dict) else None
    if isinstance(token, str):
        opened.update(value(token))
    for frame in _frames(opened):
        slots = frame.get("slots")
        if isinstance(slots, dict) and isinstance(slots.get(SEALED), str):
            frame["slots"] = value(slots[SEALED])
    return opened


def update(envelope: Envelope, db: Any, conversation: Any, **changes: Any) -> dict[str, Any]:
    """Change keys of a conversation's stored state from outside a turn; returns the opened state."""
    opened = unseal(envelope, db, conversation)
    opened.update(changes)
    conversation.state = seal(envelope, db, conversation, opened)
    return opened


def tokens(state: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """Every sealed token of a stored state, as (the dict holding it, its key): for re-encryption."""
    if isinstance(state, dict) and isinstance(state.get(PRIVATE), str):
        yield state, PRIVATE
    for frame in _frames(state):
        slots = frame.get("slots")
        if isinstance(slots, dict) and isinstance(slots.get(SEALED), str):
            yield slots, SEALED


def _frames(state: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The running flow (the state itself), the interrupted ones on the stack, the parked one."""
    if not isinstance(state, dict):
        return
    yield state
    for frame in state.get("stack") or ():
        if isinstance(frame, dict):
            yield frame
    if isinstance(state.get("parked"), dict):
        yield state["parked"]
