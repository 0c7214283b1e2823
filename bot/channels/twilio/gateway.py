"""The only module that talks to Twilio: send a message, look one up, fetch media, delete them.

Two senders share one small interface: TwilioSender (the real `twilio` Client, optionally pointed at a
Twilio-compatible server through TWILIO_API_BASE_URL) and ConsoleSender (no account needed: prints
and records, so the bot runs on a laptop).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import secrets
import sys
import time
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TextIO, cast
from urllib.parse import urlencode, urljoin, urlsplit

import certifi
import requests
import urllib3
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator, compare
from twilio.rest import Client

from bot.errors import SendError
from bot.messages import OutboundMessage, describe_content
from bot.settings import TwilioSettings

#: Where Twilio posts: a message comes in, a sent message's status. Machine requests, served with no
#: portal session (bot.portal.web).
WEBHOOKS = "/webhooks/"
INBOUND_WEBHOOK = f"{WEBHOOKS}twilio"
STATUS_WEBHOOK = f"{WEBHOOKS}twilio/status"

TWILIO_API = "https://api.twilio.com"
#: A media item's URL as Twilio gives it in a webhook (MediaUrl0 ...).
_MEDIA_PATH = re.compile(
    r"/2010-04-01/Accounts/(?P<account>AC\w+)/Messages/(?P<message>(?:MM|SM)\w+)"
    r"/Media/(?P<media>ME\w+)"
)

#: Twilio's error for a DELETE of a message not final yet ("try again in a few minutes").
NOT_FINAL = 20009

# The twilio library logs request parameters (numbers, bodies) at INFO: keep it quiet, always.
logging.getLogger("twilio").setLevel(logging.WARNING)


class Sender(Protocol):
    def send(self, message: OutboundMessage) -> str:
        """Hand one message to the provider; return its SID or raise SendError."""

    def find_sent(
        self, message: OutboundMessage, since: datetime, is_known: Callable[[str], bool]
    ) -> str | None:
        """The SID of a message Twilio already created for this one after ``since``, not yet ours."""

    def fetch_media(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        """Download a worker's media (MMS/WhatsApp) with the account's credentials."""

    def delete(self, sid: str, media_sid: str | None = None) -> bool:
        """Delete a message (with its media) or one media item at Twilio: True if it was there,
        False if already gone; SendError (retryable while Twilio says it is not final) otherwise."""

    def probe(self) -> None:
        """Raise SendError unless the provider answers (a read that sends nothing: bot.channels.twilio.circuit)."""


class TwilioSender:
    def __init__(self, settings: TwilioSettings):
        self._settings = settings
        http = PooledHttpClient(settings.api_base_url or TWILIO_API, settings.timeout_seconds)
        self.client = Client(settings.account_sid, settings.auth_token, http_client=http)
        if settings.api_base_url:
            self.client.api.base_url = settings.api_base_url.rstrip("/")

    def send(self, message: OutboundMessage) -> str:
        kwargs: dict[str, Any] = {"to": message.to, "from_": message.from_}
        if message.content_sid:
            kwargs["content_sid"] = message.content_sid
            if message.content_variables:
                kwargs["content_variables"] = message.content_variables
        else:
            kwargs["body"] = message.body
        if message.media_urls:
            kwargs["media_url"] = list(message.media_urls)
        if message.status_callback:
            kwargs["status_callback"] = message.status_callback
        try:
            return cast(str, self.client.messages.create(**kwargs).sid)  # twilio is not typed
        except TwilioRestException as exc:
            # 5xx and 429 pass; other 4xx (bad number, opted out, bad credentials) will not.
            retryable = exc.status >= 500 or exc.status == 429
            raise SendError(
                f"Twilio answered HTTP {exc.status} (error {exc.code})",
                code=str(exc.code or exc.status),
                retryable=retryable,
            ) from None
        except requests.exceptions.ConnectTimeout:
            raise SendError("Twilio API connection timed out", code="connect-timeout") from None
        except requests.exceptions.Timeout:
            raise SendError("Twilio API did not answer in time", code="timeout") from None
        except requests.exceptions.RequestException as exc:
            raise SendError(
                f"Twilio API unreachable ({type(exc).__name__})", code="network"
            ) from None

    def probe(self) -> None:
        try:
            self.client.messages.page(page_size=1)
        except (TwilioException, requests.exceptions.RequestException) as exc:
            raise SendError(f"Twilio API still failing ({_detail(exc)})", code="probe") from None

    def find_sent(
        self, message: OutboundMessage, since: datetime, is_known: Callable[[str], bool]
    ) -> str | None:
        try:
            found = self.client.messages.list(
                to=message.to,
                from_=message.from_,
                date_sent_after=since - timedelta(days=1),
                limit=100,
            )
        except (TwilioException, requests.exceptions.RequestException) as exc:
            raise SendError(
                f"could not check Twilio for an earlier send ({_detail(exc)})", code="lookup"
            ) from None
        for item in found:
            created = item.date_created
            if created and created < since - timedelta(seconds=5):
                continue
            if (item.body or "") == (message.body or "") and not is_known(item.sid):
                return cast(str, item.sid)  # twilio is not typed
        return None

    def delete(self, sid: str, media_sid: str | None = None) -> bool:
        message = self.client.messages(sid)
        try:
            return bool((message.media(media_sid) if media_sid else message).delete())
        except TwilioRestException as exc:
            if exc.status == 404:
                return False
            # 20009: not final yet; 5xx, 429: passing. A 401/403 (a key without delete rights) stays.
            retryable = exc.code == NOT_FINAL or exc.status >= 500 or exc.status == 429
            raise SendError(
                f"Twilio answered HTTP {exc.status} (error {exc.code})",
                code=str(exc.code or exc.status),
                retryable=retryable,
            ) from None
        except requests.exceptions.RequestException as exc:
            raise SendError(
                f"Twilio API unreachable ({type(exc).__name__})", code="network"
            ) from None

    def fetch_media(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        """Only a media URL of this account on Twilio's API (checked before any byte is sent), over
        https; the credentials go to that host alone, a redirect is followed once, without them,
        and only to Twilio's media hosts; the whole download ends within ``media_fetch_seconds``."""
        settings = self._settings
        check_media_url(url, settings)
        deadline = time.monotonic() + settings.media_fetch_seconds
        # A TwilioSender exists only with both set (make_sender: settings.configured).
        auth = (cast(str, settings.account_sid), cast(str, settings.auth_token))
        response = requests.get(
            url, auth=auth, timeout=settings.timeout_seconds, stream=True, allow_redirects=False
        )
        if response.is_redirect:
            location = urljoin(url, response.headers.get("Location", ""))
            response.close()
            target = urlsplit(location)
            if target.scheme != "https" or (target.hostname or "") not in settings.media_hosts:
                raise SendError(
                    "media redirect off Twilio's media hosts refused",
                    code="media-host",
                    retryable=False,
                )
            response = requests.get(
                location, timeout=settings.timeout_seconds, stream=True, allow_redirects=False
            )
        with response:
            response.raise_for_status()
            data = bytearray()
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    raise SendError(f"media larger than {max_bytes} bytes", retryable=False)
                if time.monotonic() > deadline:
                    raise SendError(
                        f"media not fetched within {settings.media_fetch_seconds} s", code="timeout"
                    )
            return bytes(data), response.headers.get("Content-Type", "application/octet-stream")


class PooledHttpClient(HttpClient):  # type: ignore[misc]  # twilio ships no type hints
    """The HTTP under the `twilio` client: one urllib3 connection pool, raising requests' errors.

    The library's own client builds a requests Request, prepares it (URL parsing, cookies, hooks)
    and formats its log lines on every call, a large part of a send's or a deletion's CPU
    (bench/README.md). The proxy and CA bundle of the environment are read once, at start. A
    request goes to its host's connection pool with the URL's path: the pool manager would parse
    the whole URL once more on each call to find that pool (Twilio's API is https, so through a
    proxy it is a tunnel, which takes the path alone too)."""

    def __init__(self, api: str, timeout: float):
        super().__init__(logging.getLogger("twilio.http_client"), False, timeout)
        ca_certs = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        pool: dict[str, Any] = {
            "retries": False,  # a send is retried by its own job, after looking for the first try
            "ca_certs": ca_certs or certifi.where(),
            "maxsize": 4,
        }
        proxy = requests.utils.get_environ_proxies(api).get(api.split(":", 1)[0])
        self.pool = urllib3.ProxyManager(proxy, **pool) if proxy else urllib3.PoolManager(**pool)
        self.hosts: dict[str, urllib3.HTTPConnectionPool] = {}

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = "Basic " + b64encode(":".join(auth).encode()).decode()
        if params:
            url += "?" + _form(params)
        body = None
        if data is not None:
            json_body = headers.get("Content-Type", "").endswith("json")
            body = json.dumps(data) if json_body else _form(data)
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        seconds = timeout or self.timeout
        # "https://host/path?query": the origin, then the path from the first "/" after it.
        split = url.find("/", url.find("//") + 2)
        origin, path = (url[:split], url[split:]) if split > 0 else (url, "/")
        host = self.hosts.get(origin)
        try:
            if host is None:
                host = self.hosts[origin] = self.pool.connection_from_url(origin)
            response = host.urlopen(
                method.upper(),
                path,
                body=body,
                headers=headers,
                redirect=allow_redirects,
                timeout=urllib3.Timeout(connect=seconds, read=seconds),
                preload_content=True,
            )
        except urllib3.exceptions.NewConnectionError as exc:
            raise requests.exceptions.ConnectionError(str(exc)) from exc
        except urllib3.exceptions.ConnectTimeoutError as exc:
            raise requests.exceptions.ConnectTimeout(str(exc)) from exc
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.exceptions.ReadTimeout(str(exc)) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise requests.exceptions.ConnectionError(str(exc)) from exc
        return Response(response.status, response.data.decode("utf-8", "replace"), response.headers)


def _form(values: dict[str, object]) -> str:
    """Form encoding as requests does it: a list is a repeated key, None is left out."""
    pairs = [
        (key, item)
        for key, value in values.items()
        for item in (value if isinstance(value, list | tuple) else (value,))
        if item is not None
    ]
    return urlencode(pairs)


def check_media_url(url: str, settings: TwilioSettings) -> tuple[str, str]:
    """(message sid, media sid) of a media URL of this account on Twilio's API; SendError (not
    retryable) for anything else: another host, plain http, another account, another path."""
    api = urlsplit(settings.api_base_url or TWILIO_API)
    parts = urlsplit(url)
    match = _MEDIA_PATH.fullmatch(parts.path)
    plain_http = (
        parts.scheme != "https" and not settings.api_base_url
    )  # only a configured test server
    if (parts.scheme, parts.netloc) != (api.scheme, api.netloc) or plain_http:
        raise SendError(
            "media URL is not on Twilio's API over https: not fetched",
            code="media-host",
            retryable=False,
        )
    if match is None or match["account"] != settings.account_sid or parts.query or parts.fragment:
        raise SendError(
            "media URL is not a media item of this account: not fetched",
            code="media-path",
            retryable=False,
        )
    return match["message"], match["media"]


@dataclass
class ConsoleSender:
    """Prints messages instead of sending them (development, `puente chat`), and keeps them."""

    out: TextIO | None = field(default=None)
    sent: list[OutboundMessage] = field(default_factory=list)
    quiet: bool = False
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def send(self, message: OutboundMessage) -> str:
        self.sent.append(message)
        if not self.quiet:
            text = (
                message.body
                if message.body is not None
                else (
                    f"[template {message.content_sid}] "
                    + describe_content(json.loads(message.content_variables or "{}"))
                )
            )
            print(f"\n[to {mask(message.to)}] {text}", file=self.out or sys.stdout, flush=True)
        return "SM" + secrets.token_hex(16)

    def find_sent(
        self, message: OutboundMessage, since: datetime, is_known: Callable[[str], bool]
    ) -> str | None:
        return None

    def fetch_media(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        raise SendError("media cannot be fetched without Twilio credentials", retryable=False)

    def delete(self, sid: str, media_sid: str | None = None) -> bool:
        return False  # nothing was ever at Twilio

    def probe(self) -> None:
        return None


def _detail(exc: Exception) -> str:
    """What went wrong with a read from Twilio's API, for a log line: the HTTP status, or the error."""
    response = exc.args[1] if len(exc.args) > 1 else None  # TwilioException("...", response)
    status = getattr(exc, "status", None) or getattr(response, "status_code", None)
    return f"HTTP {status}" if status else type(exc).__name__


def make_sender(settings: TwilioSettings) -> Sender:
    return TwilioSender(settings) if settings.configured else ConsoleSender()


def signature_valid(auth_token: str, url: str, params: dict[str, str], signature: str) -> bool:
    """Check X-Twilio-Signature as Twilio computes it (URL + sorted form parameters).

    The URL as received is tried first: one HMAC for a genuine request. twilio's ``validate``, which
    always computes two (the URL with and without its port: Twilio's own signing differs there),
    decides only when that one does not match."""
    if not signature:
        return False
    validator = RequestValidator(auth_token)
    valid = compare(validator.compute_signature(url, params), signature) or validator.validate(
        url, params, signature
    )
    return cast(bool, valid)  # twilio is not typed


def signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature for a request we make ourselves (`puente chat` posting to the webhook)."""
    return cast(str, RequestValidator(auth_token).compute_signature(url, params))  # not typed


def mask(address: str) -> str:
    """An address fit for a developer's screen: channel and last two digits only."""
    prefix = "whatsapp:" if address.startswith("whatsapp:") else ""
    return f"{prefix}***{address[-2:]}"
