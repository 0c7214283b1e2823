"""Errors raised by the NLU package, with messages an operator can act on."""


class NLUError(Exception):
    """Base class for NLU errors."""


class TrainingDataError(NLUError):
    """Training data could not be read: the message names the file and the item."""


class ModelError(NLUError):
    """A saved model is missing, unreadable or was trained on different data."""
