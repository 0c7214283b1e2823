"""Signatures on the webhooks Puente sends to NGOs, so an NGO can trust a referral and refuse replays.

Header: ``X-Puente-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``.
Signing the timestamp with the body lets the receiver refuse an old delivery replayed by someone
who captured it. During a secret rotation the header may carry one ``v1`` per secret.
The scheme for NGOs, with a standalone snippet, is in WEBHOOKS.md beside this module.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from bot.delivery.errors import SignatureError

HEADER = "X-Puente-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE = 300  # seconds either side of the receiver's clock


def sign(body: bytes, secret: str | Sequence[str], now: datetime | int) -> str:
    """The header value for a delivery of ``body`` (the exact bytes sent) at ``now``."""
    timestamp = _seconds(now)
    secrets_ = [secret] if isinstance(secret, str) else list(secret)
    if not secrets_ or not all(secrets_):
        raise ValueError("signing needs a non-empty secret")
    parts = [f"t={timestamp}"] + [f"{SCHEME}={_digest(s, timestamp, body)}" for s in secrets_]
    return ",".join(parts)


def verify(
    header: str | None,
    body: bytes,
    secret: str | Sequence[str],
    now: datetime | int,
    tolerance: int = DEFAULT_TOLERANCE,
) -> None:
    """Accept a delivery or raise SignatureError saying why (missing, malformed, wrong, too old).

    ``secret`` may list several secrets while one is being rotated: any of them may match.
    """
    if not header:
        raise SignatureError(f"the {HEADER} header is missing")
    timestamp, signatures = _parse(header)
    if abs(_seconds(now) - timestamp) > tolerance:
        raise SignatureError(
            "the signature's timestamp is outside the tolerance (a replay or a wrong clock)"
        )
    secrets_ = [secret] if isinstance(secret, str) else list(secret)
    expected = [_digest(s, timestamp, body) for s in secrets_ if s]
    if not any(hmac.compare_digest(e, given) for e in expected for given in signatures):
        raise SignatureError("the signature does not match the body and secret")


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError(f"the {HEADER} header is malformed")
        if key == "t":
            if not value.isdigit() or timestamp is not None:
                raise SignatureError("the signature's timestamp is malformed")
            timestamp = int(value)
        elif key == SCHEME:
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        raise SignatureError(f"the {HEADER} header needs t= and {SCHEME}=")
    return timestamp, signatures


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _seconds(moment: datetime | int) -> int:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("signing times must be aware datetimes")
        return int(moment.timestamp())
    return int(moment)
