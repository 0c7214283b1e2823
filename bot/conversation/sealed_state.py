"""A worker's conversation state, encrypted at rest but for the two keys read outside a turn.

The flow engine keeps in the state what would tell a copy of the database about the worker: a
report's answers (the employer's name, the town, a case code being typed) in ``slots``, which flow
is running or parked (a report in progress), the last rights topic and the problems told, that a
crisis check-in is due, the relay to a case, that reports exist, the PIN, and the SMS pages waiting
for MORE (the bot's own words, a case code among them). Before the state is written all of it is
sealed into one token under the conversation's data key, bound to its ``conversations.state``
(bot.store.envelope), and opened again when the next message is handled. Only ``PUBLIC_KEYS`` stay
readable: the language and province the indicators count (bot.analytics) and the version. Code
outside the turn that changes the state (the portal opening a relay) goes through :func:`update`.
States written before (slots and private keys sealed apart) are opened as they are.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from bot.store.envelope import Envelope, Executor
from bot.store.models import Conversation

SEALED = "_sealed"
#: Top-level keys left readable; every other one is kept only inside the one ``_private`` token.
PUBLIC_KEYS = ("v", "language", "province")
PRIVATE = "_private"
#: Where the tokens are bound (bot.store.envelope): the conversation row's ``state`` column.
PLACE = "conversations.state"


def seal(
    envelope: Envelope, db: Executor, conversation: Conversation, state: dict[str, Any]
) -> dict[str, Any]:
    """A copy of ``state`` with all but its public keys sealed in one token for ``conversation``."""
    private = {key: value for key, value in state.items() if key not in PUBLIC_KEYS}
    sealed = {key: copy.deepcopy(state[key]) for key in PUBLIC_KEYS if key in state}
    if private:
        sealed[PRIVATE] = envelope.seal(
            db,
            conversation.sealing_key,
            PLACE,
            conversation.id,
            json.dumps(private, ensure_ascii=False),
        )
    return sealed


def unseal(
    envelope: Envelope,
    db: Executor,
    conversation: Conversation,
    state: dict[str, Any] | None = None,
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


def update(
    envelope: Envelope, db: Executor, conversation: Conversation, **changes: Any
) -> dict[str, Any]:
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
