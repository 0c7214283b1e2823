"""A worker's answers inside a conversation's flow state, encrypted at rest.

The flow engine keeps a report's answers (the employer's name, the town, a case code being typed)
in the state's ``slots`` until the flow ends or its parked copy expires. The state is stored as
JSON, so before it is written every frame's slots are sealed into one encrypted token (bot.privacy),
and opened again when the next message is handled; language, province and the rest stay readable.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from bot.privacy import Vault

SEALED = "_sealed"


def seal(vault: Vault, state: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``state`` whose frames' slots are encrypted."""
    sealed = copy.deepcopy(state)
    for frame in _frames(sealed):
        slots = frame.get("slots")
        if isinstance(slots, dict) and slots and SEALED not in slots:
            frame["slots"] = {SEALED: vault.encrypt(json.dumps(slots, ensure_ascii=False))}
    return sealed


def unseal(vault: Vault, state: dict[str, Any]) -> dict[str, Any]:
    """The state as the engine wrote it (slots written before sealing existed pass unchanged)."""
    opened = copy.deepcopy(state)
    for frame in _frames(opened):
        slots = frame.get("slots")
        if isinstance(slots, dict) and isinstance(slots.get(SEALED), str):
            frame["slots"] = json.loads(vault.decrypt(slots[SEALED]))
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
