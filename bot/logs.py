"""Logging for operators: one line per event, never a phone number or a message body.

Code never logs numbers or text on purpose; the redacting filter is the second line of defence
for what a library might print (an exception message quoting a request, say).
"""

from __future__ import annotations

import json
import logging
import re
import sys

# A phone number: "+" and 7-15 digits (E.164, maybe spaced), or 10+ digits standing alone (not inside
# a hex id such as a job's).
_NUMBER = re.compile(r"(?:whatsapp:)?\+\d[\d\s().-]{5,}\d|(?<![\w-])\d{10,15}(?![\w-])")


def redact(text: str) -> str:
    return _NUMBER.sub("[number]", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg, record.args = redact(message), None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO", *, json_lines: bool = False, path: str | None = None) -> None:
    """Puente's one log handler: stderr, or the file at ``path`` (appended)."""
    handler: logging.Handler = (
        logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler(sys.stderr)
    )
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_puente", False)]:
        root.removeHandler(old)
    handler._puente = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("twilio").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").addFilter(RedactingFilter())
