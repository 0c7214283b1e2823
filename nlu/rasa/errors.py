"""Errors of the Rasa backend's tooling, with messages an operator can act on."""


class RasaSetupError(Exception):
    """The Rasa venv, project, training run or server could not be set up; the message says why."""
