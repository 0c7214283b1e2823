"""Puente's Rasa backend: a client for a Rasa server's /model/parse, plus the tools that build a
Python 3.10 venv for Rasa 3.6, train it on nlu/data and serve it on loopback."""

from nlu.rasa.client import RasaInterpreter
from nlu.rasa.errors import RasaSetupError

__all__ = ["RasaInterpreter", "RasaSetupError"]
