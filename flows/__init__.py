"""Puente's conversations as data: YAML flows and the pure engine that runs them.

    engine = load_engine()                      # validates flows/*.yaml at start
    result = engine.step(state, Turn(text, parse, channel, now))

Imports nothing from bot/ and none of Flask, SQLAlchemy, rq or twilio.
"""

from .engine import Engine
from .errors import FlowError
from .loader import load_engine
from .parse import Parse
from .state import EngineState
from .types import Effect, Reply, ReplyOption, StepResult, Turn

__all__ = [
    "Effect",
    "Engine",
    "EngineState",
    "FlowError",
    "Parse",
    "Reply",
    "ReplyOption",
    "StepResult",
    "Turn",
    "load_engine",
]
