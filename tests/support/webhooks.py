"""Inbound Twilio webhooks as Twilio sends them: a realistic form, signed the way Twilio signs.

``signed_webhook_post`` works with Flask's test client and with a live server
(through ``requests``), so the same test can drive the app in-process or over HTTP.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from bot.text.segments import count_segments
from tests.support.twilio_api import API_VERSION, DEFAULT_ACCOUNT_SID

DEFAULT_MESSAGING_SERVICE_SID = "MG" + "0" * 32

# (country, state, city, zip) Twilio reports for a sender, by number prefix, longest first.
_PLACES = [
    ("+1876", ("JM", "", "", "")),
    ("+1416", ("CA", "ON", "TORONTO", "")),
    ("+1519", ("CA", "ON", "LEAMINGTON", "")),
    ("+1514", ("CA", "QC", "MONTREAL", "")),
    ("+1604", ("CA", "BC", "VANCOUVER", "")),
    ("+1403", ("CA", "AB", "CALGARY", "")),
    ("+1", ("CA", "ON", "", "")),
    ("+52", ("MX", "", "", "")),
    ("+502", ("GT", "", "", "")),
    ("+63", ("PH", "", "", "")),
]
_WHATSAPP_MEDIA_TYPES = {"image": "image", "video": "video", "audio": "audio"}


def _place(address: str) -> tuple[str, str, str, str]:
    number = address.removeprefix("whatsapp:")
    for prefix, place in sorted(_PLACES, key=lambda p: -len(p[0])):
        if number.startswith(prefix):
            return place
    return ("", "", "", "")


def inbound_params(
    from_: str,
    to: str,
    body: str,
    sid: str | None = None,
    *,
    media: Sequence[tuple[str, str]] = (),
    **extra: str | None,
) -> dict[str, str]:
    """The form Twilio posts to the messaging webhook for one inbound SMS or WhatsApp message.

    A ``whatsapp:`` sender gets WhatsApp's fields (WaId, ProfileName, MessageType);
    an SMS gets the carrier's location fields (FromCity ... and their To* twins).
    ``media`` is a list of (url, content type). ``extra`` adds or overrides fields
    by their Twilio name (``ButtonText="Sí"``, ``OptOutType="STOP"``); None removes one.
    """
    whatsapp = from_.startswith("whatsapp:")
    sid = sid or ("MM" if media else "SM") + uuid.uuid4().hex
    params = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": DEFAULT_ACCOUNT_SID,
        "MessagingServiceSid": DEFAULT_MESSAGING_SERVICE_SID,
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": str(len(media)),
        "NumSegments": "1" if whatsapp else str(max(1, count_segments(body))),
        "ReferralNumMedia": "0",
        "SmsStatus": "received",
        "ApiVersion": API_VERSION,
    }
    for index, (url, content_type) in enumerate(media):
        params[f"MediaUrl{index}"] = url
        params[f"MediaContentType{index}"] = content_type
    if whatsapp:
        wa_id = from_.removeprefix("whatsapp:+")
        kind = "button" if extra.get("ButtonText") or extra.get("ButtonPayload") else "text"
        if media:
            kind = _WHATSAPP_MEDIA_TYPES.get(media[0][1].split("/")[0], "document")
        params |= {
            "WaId": wa_id,
            "ProfileName": "Trabajador",
            "MessageType": kind,
            "ChannelMetadata": json.dumps(
                {
                    "type": "whatsapp",
                    "data": {"context": {"ProfileName": "Trabajador", "WaId": wa_id}},
                }
            ),
        }
    else:
        for side, address in (("From", from_), ("To", to)):
            country, state, city, zip_code = _place(address)
            params |= {
                f"{side}Country": country,
                f"{side}State": state,
                f"{side}City": city,
                f"{side}Zip": zip_code,
            }
    for key, value in extra.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params


def twilio_signature(url: str, params: Mapping[str, Any], auth_token: str) -> str:
    """X-Twilio-Signature for a POST of ``params`` to ``url``, computed as Twilio does."""
    multi = MultiDict()
    for key, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            multi.add(key, str(item))
    return RequestValidator(auth_token).compute_signature(url, multi)


def signed_webhook_post(
    client_or_url: Any,
    path: str,
    params: Mapping[str, Any],
    auth_token: str,
    public_url: str | None = None,
    *,
    signature: str | None = None,
    timeout: float = 15.0,
) -> Any:
    """POST ``params`` to ``path`` with the signature Twilio would send.

    ``client_or_url`` is a Flask test client (returns its response) or a live
    server's base URL (returns a ``requests.Response``). ``public_url`` is the base
    URL Twilio was configured with, which the signature covers; it defaults to the
    live server's URL, or ``http://localhost`` for a test client. ``signature``
    overrides the computed one (a forgery); ``""`` sends no signature at all.
    """
    if public_url is None:
        public_url = client_or_url if isinstance(client_or_url, str) else "http://localhost"
    if signature is None:
        signature = twilio_signature(public_url.rstrip("/") + path, params, auth_token)
    headers = {"User-Agent": "TwilioProxy/1.1", "I-Twilio-Idempotency-Token": str(uuid.uuid4())}
    if signature:
        headers["X-Twilio-Signature"] = signature
    if isinstance(client_or_url, str):
        return requests.post(
            client_or_url.rstrip("/") + path, data=params, headers=headers, timeout=timeout
        )
    return client_or_url.post(path, data=dict(params), headers=headers)
