"""What an NGO runs to receive Puente's referrals, for tests: a webhook endpoint and a mail server.

``WebhookReceiver`` is a real HTTP server on a free local port; it checks every delivery's
X-Puente-Signature the way WEBHOOKS.md tells NGOs to, and can be told to fail. ``MailReceiver`` is
a real SMTP server (aiosmtpd) keeping the messages it accepts.
"""

from __future__ import annotations

import email
import json
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from bot.delivery import signing
from bot.delivery.errors import SignatureError
from tests.support.services import free_port


@dataclass(frozen=True)
class Delivery:
    """One POST the endpoint received: the raw body, the headers, and whether the signature held."""

    body: bytes
    headers: dict[str, str]
    signature_error: str | None
    answered: int

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def signed(self) -> bool:
        return self.signature_error is None


class WebhookReceiver:
    """An NGO's referral endpoint at ``url``: verifies signatures, records, answers 204 (or fails)."""

    def __init__(self, secret: str):
        self.secret = secret
        self._lock = threading.Condition()
        self._received: list[Delivery] = []
        self._failures: list[int] = []
        self._always: int | None = None
        self._server = make_server("127.0.0.1", free_port(), self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/puente/referrals"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()

    @property
    def received(self) -> list[Delivery]:
        with self._lock:
            return list(self._received)

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[Delivery]:
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._received) >= count, timeout):
                raise TimeoutError(f"{len(self._received)} of {count} deliveries after {timeout}s")
        return self.received

    def fail_next(self, n: int, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * n)

    def always_fail(self, status: int | None = 503) -> None:
        with self._lock:
            self._always = status

    def _wsgi(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        try:
            signing.verify(request.headers.get(signing.HEADER), body, self.secret, int(time.time()))
            error = None
        except SignatureError as exc:
            error = str(exc)
        with self._lock:
            status = (
                self._failures.pop(0)
                if self._failures
                else (self._always or (401 if error else 204))
            )
            self._received.append(Delivery(body, dict(request.headers), error, status))
            self._lock.notify_all()
        return Response(status=status)(environ, start_response)


class MailReceiver:
    """An SMTP server on a free local port keeping every message it accepts.

    ``tls``: None (clear text, no STARTTLS offered), "starttls" (offered and required before
    anything else) or "implicit" (TLS from the first byte, as on port 465), with a self-signed
    certificate for 127.0.0.1 at ``ca_file`` (a client's ``smtp.ca_file``)."""

    def __init__(self, tls: str | None = None, ca_dir: str | None = None):
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self._lock = threading.Condition()
        self._messages: list[EmailMessage] = []
        self._refuse = 0
        self.refused = 0
        self.ca_file: str | None = None
        options: dict[str, Any] = {}
        if tls:
            context = self._tls_context(ca_dir)
            options = (
                {"ssl_context": context}
                if tls == "implicit"
                else {"tls_context": context, "require_starttls": True}
            )
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)

    def _tls_context(self, ca_dir: str | None):
        import ssl
        import tempfile

        from tests.support.certs import self_signed

        folder = ca_dir or tempfile.mkdtemp(prefix="puente-mail-")
        self.ca_file, key_file = self_signed(folder, "127.0.0.1")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.ca_file, key_file)
        return context

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            if self._refuse:
                self._refuse -= 1
                self.refused += 1
                return "451 4.3.0 Try again later"
            self._messages.append(message)
            self._lock.notify_all()
        return "250 OK"

    def refuse_next(self, n: int) -> None:
        """Answer the next ``n`` messages with a temporary failure (451), as a busy server does."""
        with self._lock:
            self._refuse = n

    def __enter__(self) -> MailReceiver:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(f"{len(self._messages)} of {count} e-mails after {timeout}s")
        return self.messages


def directory_yaml(*entries: dict[str, Any]) -> str:
    """A directory file's text (YAML) holding these organizations."""
    import yaml

    return yaml.safe_dump({"ngos": list(entries)}, sort_keys=False, allow_unicode=True)


def ngo_entry(
    ngo_id: str,
    *,
    provinces: tuple[str, ...] = ("ON",),
    languages: tuple[str, ...] = ("es", "en"),
    services: tuple[str, ...] = ("wages", "legal", "housing"),
    capacity: int = 10,
    **contacts: str,
) -> dict[str, Any]:
    """One organization of a test directory; ``contacts`` as in the file (email, sms, webhook_url ...)."""
    return {
        "id": ngo_id,
        "name": f"{ngo_id.replace('-', ' ').title()} Workers Centre",
        "provinces": list(provinces),
        "languages": list(languages),
        "services": list(services),
        "capacity": capacity,
        "area": "Test area",
        "contacts": contacts,
    }
