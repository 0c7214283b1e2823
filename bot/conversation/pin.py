"""The worker's optional PIN: what someone holding their phone cannot get without it.

Chosen at the first report (flows/report.yaml), kept as an Argon2id hash in the sealed part of the
conversation state (bot.conversation.sealed_state), never in clear. While it is not given, a turn whose result
would show or do something about the worker's cases (a relay in either direction, a case status,
resuming an unfinished report, erasing or unlinking, STOP) is not applied: the message is held in
the sealed state and the worker is asked for the PIN; the right PIN replays it and opens the
conversation for ``OPEN_FOR``. Unprompted news (case updates, staff messages) is held in the outbox
behind one neutral notice (bot.outbox). Three wrong PINs, then a doubling wait up to six hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.conversation import sealed_state
from bot.store.envelope import Envelope, Executor
from bot.store.models import Conversation
from flows import Effect, Reply
from flows.answers import PIN
from flows.effects import OptOut
from flows.state import when

OPEN_FOR = timedelta(minutes=10)
FREE_TRIES = 3
FIRST_WAIT = timedelta(minutes=5)
MAX_WAIT = timedelta(hours=6)
#: Effects that show or change the worker's cases (``opt_out`` only when it is ours, not the carrier's).
PROTECTED = frozenset({"relay_to_agent", "case_status", "erase_data", "opt_out"})
#: Outbox kinds that arrive without the worker asking: held while the PIN is not given.
UNPROMPTED = frozenset({"update", "relay"})

_hasher = PasswordHasher()  # Argon2id, the library's (RFC 9106 low-memory) parameters


def hashed(pin: str) -> str:
    return _hasher.hash(pin)


def is_set(state: dict[str, Any]) -> bool:
    return bool((state.get("pin") or {}).get("hash"))


def is_open(state: dict[str, Any], now: datetime) -> bool:
    until = when((state.get("pin") or {}).get("open_until"))
    return until is not None and now < until


def locked(envelope: Envelope, db: Executor, conversation: Conversation, now: datetime) -> bool:
    """Whether unprompted news to this conversation must wait for the PIN."""
    state = sealed_state.unseal(envelope, db, conversation)
    return is_set(state) and not is_open(state, now)


def waiting(state: dict[str, Any]) -> bool:
    """The worker was asked for their PIN (a held message, or news behind a notice)."""
    return bool((state.get("pin") or {}).get("asked"))


def looks_like_pin(text: str) -> bool:
    return PIN.fullmatch((text or "").strip()) is not None


def needs_pin(
    state: dict[str, Any],
    now: datetime,
    effects: Iterable[Effect],
    replies: Iterable[Reply],
    resumed: bool,
) -> bool:
    """Whether this turn's result may only be applied after the PIN."""
    if not is_set(state) or is_open(state, now):
        return False
    for effect in effects:
        if effect.kind in PROTECTED and not (
            effect.kind == "opt_out" and OptOut.of(effect).carrier
        ):
            return True
    return resumed or any(reply.msgid == "resume.ask" for reply in replies)


def hold(state: dict[str, Any], held: dict[str, Any] | None) -> dict[str, Any]:
    """``state`` waiting for the PIN, keeping the message to replay (sealed with the state)."""
    out = dict(state)
    out["pin"] = {**(state.get("pin") or {}), "asked": True, "held": held}
    return out


def attempt(state: dict[str, Any], typed: str, now: datetime) -> tuple[str, dict[str, Any]]:
    """Check a typed PIN: ("open" | "wrong" | "wait", the new state). A wait is not a try."""
    pin = dict(state.get("pin") or {})
    wait_until = when(pin.get("wait_until"))
    if wait_until is not None and now < wait_until:
        return "wait", state
    try:
        right: bool = _hasher.verify(pin.get("hash") or "", typed.strip())
    except (VerificationError, InvalidHashError):
        right = False
    if right:
        pin.update(fails=0, wait_until=None, asked=False, open_until=(now + OPEN_FOR).isoformat())
        return "open", {**state, "pin": pin}
    fails = int(pin.get("fails") or 0) + 1
    pin["fails"] = fails
    if fails >= FREE_TRIES:
        pin["wait_until"] = (
            now + min(FIRST_WAIT * 2 ** (fails - FREE_TRIES), MAX_WAIT)
        ).isoformat()
    return ("wait" if fails >= FREE_TRIES else "wrong"), {**state, "pin": pin}


def set_pin(state: dict[str, Any], pin: object) -> bool:
    """Store the hash of a PIN the worker chose (a ``set_pin`` effect); False if it is none."""
    if not isinstance(pin, str) or not looks_like_pin(pin) or is_set(state):
        return False
    state["pin"] = {"hash": hashed(pin.strip()), "fails": 0}
    return True
