"""`python -m nlu.rasa build|train|serve`: the Rasa tools without the puente CLI."""

from nlu.rasa.cli import rasa

rasa()
