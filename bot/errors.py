"""Puente's error hierarchy: one place, messages an operator can act on."""


class PuenteError(Exception):
    """Base class for errors Puente raises on purpose."""


class ConfigError(PuenteError):
    """The configuration is wrong; the message names the key and what to do."""


class BadRequest(PuenteError):
    """An inbound request is malformed; the message names the problem, never the sender or the text."""


class SendError(PuenteError):
    """Sending a message failed.

    ``retryable`` is False for errors that will not go away on their own (an invalid number, a
    blocked recipient), so the sender marks the message failed instead of retrying.
    """

    def __init__(self, message: str, *, code: str | None = None, retryable: bool = True):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class QueueUnavailable(PuenteError):
    """The job queue (Redis) cannot be reached; the work stays in the database to be re-driven."""
