"""A worker's answers inside a conversation's flow state, encrypted at rest.

The flow engine keeps a report's answers (the employer's name, the town, a case code being typed)
in the state's ``slots`` until the flow ends or its parked copy expires. The state is stored as
JSON, so before it is written every frame's slots are sealed into one encrypted token (bot.store.vault),
and opened again when the next message is handled. So are the keys that would link the number to
a case in a copy of the database (``PRIVATE_KEYS``: the relay to a case, that reports exist, the
PIN); language, province and the rest stay readable. Code outside the turn that changes the state
(the portal opening a relay) goes through :func:`update`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from bot.store.vault import Vault

SEALED = "_sealed"
#: Top-level keys kept only inside the one ``_private`` token.
PRIVATE_KEYS = ("handoff", "has_reports", "pin")
PRIVATE = "_private"


def seal(vault: Vault, state: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``state`` whose frames' slots and private keys are encrypted."""
    sealed = copy.deepcopy(state)
    for frame in _frames(sealed):
        slots = frame.get("slots")
        if isinstance(slots, dict) and slots and SEALED not in slots:
            frame["slots"] = {SEALED: vault.encrypt(json.dumps(slots, ensure_ascii=False))}
    private = {key: sealed.pop(key) for key in PRIVATE_KEYS if key in sealed}
    if private:
        sealed[PRIVATE] = vault.encrypt(json.dumps(private, ensure_ascii=False))
    return sealed


def unseal(vault: Vault, state: dict[str, Any]) -> dict[str, Any]:
    """The state as the engine wrote it (slots written before sealing existed pass unchanged)."""
    opened = copy.deepcopy(state)
    token = opened.pop(PRIVATE, None) if isinstance(opened, dict) else None
    if isinstance(token, str):
        opened.update(json.loads(vault.decrypt(token)))
    for frame in _frames(opened):
        slots = frame.get("slots")
        if isinstance(slots, dict) and isinstance(slots.get(SEALED), str):
            frame["slots"] = json.loads(vault.decrypt(slots[SEALED]))
    return opened


def update(vault: Vault, conversation: Any, **changes: Any) -> dict[str, Any]:
    """Change keys of a conversation's stored state from outside a turn; returns the opened state."""
    opened = unseal(vault, conversation.state or {})
    opened.update(changes)
    conversation.state = seal(vault, opened)
    return opened


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
