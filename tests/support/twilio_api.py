"""Twilio's Messages resource (API 2010-04-01) as data: messages, errors, list pages, callbacks.

The shapes are Twilio's own, so the real ``twilio`` library parses them unchanged;
``twilio_server`` serves them over HTTP.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from bot.text.segments import count_segments

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
MAX_BODY_CHARS = 1600
MAX_MEDIA = 10

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


@dataclass
class SentMessage:
    """One message accepted by the server, as recorded for assertions."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    media_urls: list[str]
    status_callback: str | None
    content_sid: str | None
    content_variables: str | None
    messaging_service_sid: str | None
    status: str
    date_created: datetime
    date_updated: datetime
    date_sent: datetime | None = None
    error_code: int | None = None
    form: dict[str, list[str]] = field(default_factory=dict)
    direction: str = "outbound-api"

    @property
    def channel(self) -> str:
        return "whatsapp" if self.to.startswith("whatsapp:") else "sms"

    @property
    def variables(self) -> dict[str, str]:
        """The ContentVariables of a Content template message, as the JSON object Twilio read."""
        return json.loads(self.content_variables) if self.content_variables else {}

    @property
    def num_segments(self) -> int:
        return 1 if self.channel == "whatsapp" else max(1, count_segments(self.body))

    def to_json(self) -> dict[str, Any]:
        """The message as Twilio's API returns it."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": format_datetime(self.date_created),
            "date_sent": format_datetime(self.date_sent) if self.date_sent else None,
            "date_updated": format_datetime(self.date_updated),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": None,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": str(len(self.media_urls)),
            "num_segments": str(self.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
            "to": self.to,
            "uri": f"{uri}.json",
        }


@dataclass(frozen=True)
class CallbackAttempt:
    """A status callback the server posted, and what the receiver answered."""

    url: str
    params: dict[str, str]
    status_code: int | None
    error: str | None = None


class TwilioError(HTTPException):
    """An API error in Twilio's JSON shape ({code, message, more_info, status})."""

    def __init__(self, status: int, twilio_code: int, message: str):
        super().__init__(description=message)
        self.code, self.twilio_code = status, twilio_code

    def get_response(self, environ=None, scope=None) -> Response:
        body = {
            "code": self.twilio_code,
            "message": self.description,
            "more_info": f"https://www.twilio.com/docs/errors/{self.twilio_code}",
            "status": self.code,
        }
        response = Response(json.dumps(body), status=self.code, mimetype="application/json")
        if self.code == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
        return response


def utc_now() -> datetime:
    """Now, in UTC and whole seconds, as Twilio's timestamps are."""
    return datetime.now(UTC).replace(microsecond=0)


def _is_address(value: str) -> bool:
    return bool(_E164.match(value.removeprefix("whatsapp:")))


def new_message(form: MultiDict, account_sid: str, numbers: set[str] | None = None) -> SentMessage:
    """The message a Messages.json POST creates, or the TwilioError Twilio would answer with.

    ``numbers``, when given, are the senders the account owns (Twilio's 21606 otherwise).
    """
    to, from_ = form.get("To", "").strip(), form.get("From", "").strip() or None
    body = form.get("Body", "")
    media = form.getlist("MediaUrl")
    service = form.get("MessagingServiceSid") or None
    content_sid = form.get("ContentSid") or None
    variables = form.get("ContentVariables") or None
    callback = form.get("StatusCallback") or None
    if not to:
        raise TwilioError(400, 21604, "A 'To' phone number is required.")
    if from_ is None and service is None:
        raise TwilioError(400, 21603, "A 'From' phone number is required.")
    if not body and not media and content_sid is None:
        raise TwilioError(400, 21602, "Message body is required.")
    if not _is_address(to):
        raise TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
    if from_ is not None and not (_is_address(from_) or _ALPHANUMERIC_SENDER.match(from_)):
        raise TwilioError(400, 21212, f"Invalid From Number (caller ID): {from_}")
    if from_ is not None and to.startswith("whatsapp:") != from_.startswith("whatsapp:"):
        raise TwilioError(
            400, 21910, "Invalid From and To pair. From and To should be of the same channel"
        )
    if from_ is not None and numbers is not None:
        if from_.removeprefix("whatsapp:") not in numbers:
            raise TwilioError(
                400,
                21606,
                f"The From phone number {from_} is not a valid, SMS-capable inbound phone "
                "number or short code for your account.",
            )
    if len(body) > MAX_BODY_CHARS:
        raise TwilioError(
            400, 21617, "The concatenated message body exceeds the 1600 character limit."
        )
    if len(media) > MAX_MEDIA:
        raise TwilioError(400, 21623, "Number of media files exceeds allowed limit.")
    if variables is not None:
        try:
            parsed = json.loads(variables)
        except ValueError:
            parsed = None
        # An object of string values, as Twilio fills a template with.
        if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
            raise TwilioError(400, 21656, "The ContentVariables Parameter is invalid.")
    if callback is not None and urlsplit(callback).scheme not in ("http", "https"):
        raise TwilioError(400, 21609, f"Invalid StatusCallback url: {callback}")
    now = utc_now()
    return SentMessage(
        sid=("MM" if media else "SM") + uuid.uuid4().hex,
        account_sid=account_sid,
        to=to,
        from_=from_,
        body=body,
        media_urls=media,
        status_callback=callback,
        content_sid=content_sid,
        content_variables=variables,
        messaging_service_sid=service,
        status="queued" if from_ is not None else "accepted",
        date_created=now,
        date_updated=now,
        form={key: form.getlist(key) for key in form},
    )


def list_page(messages: list[SentMessage], args: MultiDict, account_sid: str) -> dict[str, Any]:
    """One page of Twilio's message list (newest first, filtered), with its paging URIs."""
    try:
        page_size = min(max(int(args.get("PageSize", 50)), 1), 1000)
        page = max(int(args.get("Page", 0)), 0)
    except ValueError:
        raise TwilioError(400, 20001, "Invalid Page or PageSize") from None
    dates = _date_filters(args)
    found = [m for m in reversed(messages) if _matches(m, args, dates)]
    records = [m.to_json() for m in found[page * page_size : (page + 1) * page_size]]
    base = f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"
    filters = {k: v for k, v in args.items() if k not in ("Page", "PageSize", "PageToken")}

    def page_uri(number: int) -> str:
        return f"{base}?{urlencode({**filters, 'PageSize': page_size, 'Page': number})}"

    has_next = (page + 1) * page_size < len(found)
    return {
        "messages": records,
        "end": page * page_size + max(len(records) - 1, 0),
        "first_page_uri": page_uri(0),
        "next_page_uri": page_uri(page + 1) if has_next else None,
        "page": page,
        "page_size": page_size,
        "previous_page_uri": page_uri(page - 1) if page > 0 else None,
        "start": page * page_size,
        "uri": page_uri(page),
    }


def callback_params(message: SentMessage) -> dict[str, str]:
    """The form Twilio posts to a StatusCallback for ``message``'s current status."""
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
        "From": message.from_ or "",
        "MessageSid": message.sid,
        "MessageStatus": message.status,
        "SmsSid": message.sid,
        "SmsStatus": message.status,
        "To": message.to,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if message.error_code:
        params["ErrorCode"] = str(message.error_code)
    if message.channel == "whatsapp":
        params["ChannelPrefix"] = "whatsapp"
        params["ChannelToAddress"] = message.to.removeprefix("whatsapp:")
    elif message.status == "delivered" and message.date_sent:
        params["RawDlrDoneDate"] = message.date_updated.strftime("%y%m%d%H%M")
    return params


def _parse_when(value: str) -> datetime | date:
    """A day, or an instant; midnight is a day, since the twilio library sends a date that way."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TwilioError(400, 20001, f"Invalid date: {value}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.date() if when.time() == datetime.min.time() else when


def _matches(message: SentMessage, args: MultiDict, dates: dict[str, datetime | date]) -> bool:
    """Twilio's list filters: To, From, DateSent (day), DateSent< (on or before), DateSent>."""
    if "To" in args and message.to != args["To"]:
        return False
    if "From" in args and message.from_ != args["From"]:
        return False
    if dates and message.date_sent is None:
        return False
    for key, when in dates.items():
        sent = message.date_sent if isinstance(when, datetime) else message.date_sent.date()
        if key == "DateSent" and sent != when:
            return False
        if (key == "DateSent<" and sent > when) or (key == "DateSent>" and sent < when):
            return False
    return True


def _date_filters(args: MultiDict) -> dict[str, datetime | date]:
    dates = {
        key: _parse_when(args[key]) for key in ("DateSent", "DateSent<", "DateSent>") if key in args
    }
    if isinstance(dates.get("DateSent"), datetime):
        dates["DateSent"] = dates["DateSent"].date()  # an instant still means its day
    return dates
