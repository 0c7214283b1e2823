"""Parse text with a Rasa server's /model/parse, falling back to the embedded interpreter.

Rasa does not identify languages, so ``language`` always comes from the fallback (embedded)
interpreter, which also answers whenever the server is unreachable or misbehaves: a message is
never lost and ``parse`` never raises. Logs name the server and the failure, never the text.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

import requests

from nlu.context import Context, apply
from nlu.emoji import emoji_intent
from nlu.inform import read_past_slots
from nlu.problems import asked_first
from vocab.parse import Parse

log = logging.getLogger(__name__)


class Interpreter(Protocol):
    def parse(
        self,
        text: str,
        language_hint: str | None = None,
        context: Context | dict[str, Any] | None = None,
    ) -> Parse: ...


class RasaInterpreter:
    """An interpreter backed by a Rasa server, with the embedded interpreter as its safety net.

    After a failure the server is left alone for ``retry_after`` seconds, so an outage costs one
    log line and one timeout per period instead of one per message.
    """

    def __init__(
        self,
        url: str,
        fallback: Interpreter,
        timeout: float = 2.0,
        *,
        threshold: float | None = None,
        retry_after: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.fallback = fallback
        self.timeout = timeout
        self.threshold = threshold
        self.retry_after = retry_after
        self._session = session or requests.Session()
        self._skip_until = 0.0
        self._failing = False

    def parse(
        self,
        text: str,
        language_hint: str | None = None,
        context: Context | dict[str, Any] | None = None,
    ) -> Parse:
        """Rasa parses the text alone (its /model/parse has no tracker); the context is applied
        here, the same way as for the embedded interpreter."""
        local = self.fallback.parse(text, language_hint, context)
        if not text.strip() or emoji_intent(text) or time.monotonic() < self._skip_until:
            return local
        try:
            response = self._session.post(
                f"{self.url}/model/parse", json={"text": text}, timeout=self.timeout
            )
            response.raise_for_status()
            parse = Parse.from_rasa(response.json(), text, local.language, self.threshold).to_dict()
        except (requests.RequestException, TypeError, ValueError) as exc:
            self._skip_until = time.monotonic() + self.retry_after
            self._failing = True
            log.warning(
                "Rasa server %s failed (%s); using the embedded interpreter for the next %.0f s",
                self.url,
                _describe(exc),
                self.retry_after,
            )
            return local
        if self._failing:
            self._failing = False
            log.info("Rasa server %s answers again", self.url)
        if local.problems:  # found clause by clause by the embedded classifier
            parse["problems"] = list(local.problems)
        # A question that names a province is the question (nlu.inform), as for the embedded one.
        top_intent = getattr(self.fallback, "top_intent", None)
        if top_intent is not None:
            parse = asked_first(read_past_slots(parse, top_intent), top_intent)
        # Read again after nlu.inform and nlu.context moved the ranking (Rasa's order is by
        # confidence, so ranking it again keeps that order).
        return Parse.of(apply(parse, context), text)


def _describe(exc: Exception) -> str:
    """Name a failure without its message, which could quote the server's reply."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__
