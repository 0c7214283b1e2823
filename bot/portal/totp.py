"""The optional second factor: time-based one-time codes (RFC 6238) from an authenticator app."""

from __future__ import annotations

import time

import pyotp
import segno


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (no image request, nothing leaves the page)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def accepted_step(
    secret: str, code: str, last_step: int | None, now: float | None = None
) -> int | None:
    """The time step a code belongs to (this one or the one before or after, for clock drift),
    or None when it is wrong or was already used."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    current = int(now // totp.interval)
    for step in (current - 1, current, current + 1):
        if totp.verify(code, for_time=step * totp.interval) and (
            last_step is None or step > last_step
        ):
            return step
    return None
