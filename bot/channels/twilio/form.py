"""Twilio's webhook form -> a Received message, checked, with the carrier's location fields dropped.

Pure: takes the raw body and returns data or raises BadRequest with a message that names the
problem but never the sender or the text.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from bot.errors import BadRequest
from bot.messages import Media, Received
from vocab import Channel

#: The carrier's guess at where the phone is: never stored, never logged.
LOCATION_FIELDS = frozenset(
    prefix + part for prefix in ("From", "To") for part in ("City", "State", "Zip", "Country")
)

_SID = re.compile(r"^(SM|MM|SS|IM)[0-9a-fA-F]{32}$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_MAX_MEDIA = 10


def parse_form(raw: bytes) -> dict[str, str]:
    """Decode an application/x-www-form-urlencoded body strictly (invalid UTF-8 is a BadRequest)."""
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except UnicodeDecodeError:
        raise BadRequest("webhook body is not valid UTF-8 form data") from None
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form


def without_location(form: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in form.items() if k not in LOCATION_FIELDS}


def to_inbound(form: dict[str, str], *, max_body_chars: int) -> Received:
    """Build the Received message a Twilio Messaging webhook describes."""
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    if not _SID.match(sid):
        raise BadRequest("MessageSid is missing or malformed")
    sender, recipient = form.get("From", ""), form.get("To", "")
    channel: Channel = "whatsapp" if sender.startswith("whatsapp:") else "sms"
    for name, address in (("From", sender), ("To", recipient)):
        number = address.removeprefix("whatsapp:")
        if not _PHONE.match(number):
            raise BadRequest(f"{name} is missing or is not an E.164 phone number")
    if recipient.startswith("whatsapp:") != (channel == "whatsapp"):
        raise BadRequest("From and To are on different channels")
    body = form.get("Body", "")
    if len(body) > max_body_chars:
        raise BadRequest(f"Body is longer than {max_body_chars} characters")
    body = _clean(body)
    return Received(
        message_sid=sid,
        channel=channel,
        sender=sender,
        recipient=recipient,
        body=body,
        media=_media(form),
        # A tapped button sends its payload (the option id we gave it, bot.text.content) and title.
        button=_clean(form.get("ButtonPayload", "")) or _clean(form.get("ButtonText", "")) or None,
        opt_out_type=(form.get("OptOutType") or "").upper() or None,
    )


def _media(form: dict[str, str]) -> tuple[Media, ...]:
    try:
        count = int(form.get("NumMedia") or 0)
    except ValueError:
        raise BadRequest("NumMedia is not a number") from None
    if not 0 <= count <= _MAX_MEDIA:
        raise BadRequest(f"NumMedia must be between 0 and {_MAX_MEDIA}")
    items = []
    for n in range(count):
        url = form.get(f"MediaUrl{n}", "")
        if not url.startswith(("https://", "http://")):
            raise BadRequest(f"MediaUrl{n} is missing or not a URL")
        items.append(
            Media(
                url=url, content_type=form.get(f"MediaContentType{n}", "application/octet-stream")
            )
        )
    return tuple(items)


def _clean(text: str) -> str:
    """Drop NULs and other control characters a phone never means to send; keep newlines."""
    return "".join(ch for ch in text if ch in "\n\t" or ch >= " " and ch != "\x7f").strip()
