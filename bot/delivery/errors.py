"""Why a delivery did not go out."""

from __future__ import annotations

from bot.errors import PuenteError


class DeliveryFailed(PuenteError):
    """One attempt on one channel failed; ``retryable`` False when retrying cannot help."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


class SignatureError(PuenteError, ValueError):
    """A webhook signature header is missing, malformed, wrong, or too old (a replay)."""
