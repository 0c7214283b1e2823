"""A Twilio-compatible Messaging API server for tests, staging and load tests.

The real ``twilio`` library talks to it unchanged once pointed at it
(``client.api.base_url = server.url``, or ``TWILIO_API_BASE_URL`` for the bot):
it accepts, validates, lists and fetches messages as Twilio's 2010-04-01 API does,
with Twilio's JSON and error shapes, then plays the delivery out with signed
status callbacks. Tests can inject faults (``fail_next``, ``delay``) and serve
media behind basic auth at Twilio's media URLs. ``outage``/``recover`` fail every request for as
long as a test wants. DELETE of a message (with its media) or of one media item is honoured as
Twilio does (20009 while the message is not final) and recorded in ``deletions``;
``record_inbound`` makes an inbound message (a webhook's form) known to it.

In a test::

    with TwilioServer() as twilio:
        client = twilio.client()
        client.messages.create(to="+15145550100", from_="+15145550199", body="Hola")
        assert twilio.wait_for_messages(1)[0].body == "Hola"

Standalone: ``python -m tests.support.twilio_server --port 8999 --auth-token T``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import logging
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.support.twilio_api import (
    API_VERSION,
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    CallbackAttempt,
    SentMessage,
    TwilioError,
    callback_params,
    list_page,
    new_message,
    utc_now,
)

__all__ = [
    "API_VERSION",
    "Deletion",
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "CallbackAttempt",
    "SentMessage",
    "TwilioServer",
    "callback_params",
]

log = logging.getLogger("twilio_server")

_FAULT_CODES = {429: 20429, 500: 20500, 502: 20500, 503: 20503, 504: 20500}
#: A message in one of these may not be deleted yet (Twilio's 20009).
_NOT_FINAL = {"queued", "accepted", "scheduled", "sending"}


@dataclasses.dataclass(frozen=True)
class Deletion:
    """A DELETE the server answered: of a message (``media_sid`` None) or of one media item."""

    sid: str
    media_sid: str | None
    status_code: int


def _mask(address: str | None) -> str:
    """Enough of an address to follow a log, not enough to identify anyone."""
    return f"...{address[-4:]}" if address else "-"


class _KeepAliveHandler(WSGIRequestHandler):
    """Keeps a client's HTTP/1.1 connection open between requests, as Twilio's API does.

    werkzeug's development server closes every connection and, after each response, reads
    whatever the client sends next to discard it (its ``run_wsgi``), which would swallow the next
    request of a kept connection. Here each body is read whole before the application runs and
    the response is written with its length, so a client's connection pool is reused as it would
    be against Twilio: a new connection a request made the bench overstate a send's cost. The
    server's ``stop()`` closes the connections still open.
    """

    timeout = 30  # seconds an idle connection is kept
    disable_nagle_algorithm = True  # else the body waits for the client's delayed ACK (40 ms)

    def setup(self) -> None:
        super().setup()
        with self.server.open_lock:  # type: ignore[attr-defined]
            self.server.open_connections.add(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        with self.server.open_lock:  # type: ignore[attr-defined]
            self.server.open_connections.discard(self.connection)  # type: ignore[attr-defined]
        super().finish()

    def run_wsgi(self) -> None:
        environ = self.make_environ()
        length = environ.get("CONTENT_LENGTH") or "0"
        environ["wsgi.input"] = io.BytesIO(
            environ["wsgi.input"].read()  # chunked: werkzeug's dechunking stream
            if environ.get("wsgi.input_terminated")
            else self.rfile.read(int(length) if length.isdigit() else 0)
        )
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            started[:] = [status, headers]
            return chunks.append

        chunks: list[bytes] = []
        body_iter = self.server.app(environ, start_response)
        try:
            chunks.extend(body_iter)
            status, headers = started
            code, _, reason = status.partition(" ")
            self.send_response(int(code), reason)
            for key, value in headers:
                if key.lower() != "content-length":
                    self.send_header(key, value)
            body = b"".join(chunks)
            if int(code) not in (204, 304):
                self.send_header("Content-Length", str(len(body)))
            if self.close_connection:  # the client asked (HTTP/1.0 or "Connection: close")
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        finally:
            if hasattr(body_iter, "close"):
                body_iter.close()  # call_on_close: after the response has gone out

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass

    def log_error(self, format: str, *args: Any) -> None:
        if not format.startswith("Request timed out"):  # an idle kept connection, now closed
            super().log_error(format, *args)


class TwilioServer:
    """A threaded Twilio-compatible server; a context manager that starts and stops it.

    ``numbers``, when given, is the set of sender numbers the account owns;
    others are refused with Twilio's 21606.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        status_callbacks: bool = True,
        numbers: set[str] | None = None,
    ):
        self.host, self.account_sid, self.auth_token = host, account_sid, auth_token
        self.status_callbacks = status_callbacks
        self.numbers = numbers
        self._lock = threading.Condition()
        self._messages: list[SentMessage] = []
        self._by_sid: dict[str, SentMessage] = {}
        self._generation = 0  # bumped by reset(), so requests held across it are dropped
        self._callbacks: list[CallbackAttempt] = []
        self._media: dict[
            str, tuple[bytes, str, str]
        ] = {}  # media sid -> content, type, message sid
        self._redirects: dict[str, str] = {}
        self._deletions: list[Deletion] = []
        self._failures: list[int] = []
        self._down: int | None = None  # an outage: every API request answered with this status
        self.failed_requests = 0  # requests answered with an injected fault
        self._delay = 0.0
        self._undeliverable: dict[str, int] = {}
        self._held = False
        self._stopping = threading.Event()
        self._server = make_server(
            host, port, self._wsgi, threaded=True, request_handler=_KeepAliveHandler
        )
        self._server.open_connections = set()  # type: ignore[attr-defined]
        self._server.open_lock = threading.Lock()  # type: ignore[attr-defined]
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._urls = Map(
            [
                Rule(f"/{API_VERSION}/Accounts/<account>/Messages.json", endpoint="messages"),
                Rule(f"/{API_VERSION}/Accounts/<account>/Messages/<sid>.json", endpoint="message"),
                # Media: the URL a webhook names (content) and the .json resource (DELETE).
                Rule(
                    f"/{API_VERSION}/Accounts/<account>/Messages/<sid>/Media/<media_sid>",
                    endpoint="media",
                ),
                Rule("/_control/<action>", endpoint="control"),
            ]
        )

    # -- lifecycle ---------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL to give the twilio client (``client.api.base_url``) or TWILIO_API_BASE_URL."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> TwilioServer:
        self._stopping.clear()
        self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="twilio-callbacks")
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="twilio-server", daemon=True
        )  # a short poll interval makes stop() quick
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases requests held by delay()
        self._server.shutdown()
        self._server.server_close()
        with self._server.open_lock:  # type: ignore[attr-defined]
            for connection in self._server.open_connections:  # type: ignore[attr-defined]
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve in the calling thread (standalone use) until interrupted."""
        self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="twilio-callbacks")
        try:
            self._server.serve_forever()
        finally:
            self._stopping.set()
            self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> TwilioServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def client(self, **kwargs: Any):
        """A real ``twilio.rest.Client`` for this account, pointed at this server."""
        from twilio.rest import Client

        client = Client(self.account_sid, self.auth_token, **kwargs)
        client.api.base_url = self.url
        return client

    # -- what tests look at ------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        """A snapshot of the accepted messages, oldest first."""
        with self._lock:
            return [dataclasses.replace(m) for m in self._messages]

    @property
    def callbacks(self) -> list[CallbackAttempt]:
        """Status callbacks posted so far, in order."""
        with self._lock:
            return list(self._callbacks)

    @property
    def deletions(self) -> list[Deletion]:
        """Every DELETE answered so far, in order."""
        with self._lock:
            return list(self._deletions)

    def wait_for_deletions(self, count: int = 1, timeout: float = 10.0) -> list[Deletion]:
        """The DELETEs once at least ``count`` were answered; TimeoutError otherwise."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._deletions) >= count, timeout):
                raise TimeoutError(f"{len(self._deletions)} of {count} deletions after {timeout}s")
        return self.deletions

    def holds(self, sid: str) -> bool:
        """Whether the account still holds this message (sent, or recorded as inbound)."""
        with self._lock:
            return sid in self._by_sid

    def wait_for_messages(self, count: int = 1, timeout: float = 10.0) -> list[SentMessage]:
        """The messages once at least ``count`` have arrived; TimeoutError otherwise."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(f"{len(self._messages)} of {count} messages after {timeout}s")
        return self.messages

    def wait_for_callbacks(self, count: int = 1, timeout: float = 10.0) -> list[CallbackAttempt]:
        """The callback attempts once at least ``count`` were made; TimeoutError otherwise."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._callbacks) >= count, timeout):
                raise TimeoutError(f"{len(self._callbacks)} of {count} callbacks after {timeout}s")
        return self.callbacks

    # -- fault injection ---------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """Answer the next ``n`` API or media requests with ``status`` and a Twilio error body."""
        with self._lock:
            self._failures.extend([status] * n)

    def outage(self, status: int = 500) -> None:
        """Answer every API or media request with ``status`` until :meth:`recover`."""
        with self._lock:
            self._down = status

    def recover(self) -> None:
        """End an :meth:`outage`."""
        with self._lock:
            self._down = None

    def delay(self, seconds: float) -> None:
        """Hold every API or media request this long before answering (0 to stop)."""
        with self._lock:
            self._delay = seconds

    def fail_delivery(self, to: str, error_code: int = 30003) -> None:
        """Messages to ``to`` are accepted, then end ``undelivered`` with ``error_code``."""
        with self._lock:
            self._undeliverable[to] = error_code

    def hold_deliveries(self, held: bool = True) -> None:
        """Leave new messages queued (not yet final, so not deletable) until called with False."""
        with self._lock:
            self._held = held

    def reset(self) -> None:
        """Forget messages, callbacks, media and every injected fault."""
        with self._lock:
            self._generation += 1
            self._messages.clear()
            self._by_sid.clear()
            self._callbacks.clear()
            self._media.clear()
            self._redirects.clear()
            self._deletions.clear()
            self._failures.clear()
            self._down = None
            self.failed_requests = 0
            self._undeliverable.clear()
            self._delay = 0.0
            self._held = False

    def add_media(
        self,
        name: str,
        content: bytes,
        content_type: str = "image/jpeg",
        message_sid: str | None = None,
    ) -> str:
        """Serve ``content`` at the returned Twilio media URL, behind the account's basic auth.

        ``name`` becomes the media sid (prefixed ME unless it is one); ``message_sid`` the message
        it belongs to (a new MM sid by default)."""
        media_sid = (
            name if name.startswith("ME") else "ME" + uuid.uuid5(uuid.NAMESPACE_URL, name).hex
        )
        message_sid = message_sid or "MM" + uuid.uuid4().hex
        with self._lock:
            self._media[media_sid] = (content, content_type, message_sid)
        return f"{self.url}/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message_sid}/Media/{media_sid}"

    def redirect_media(self, url: str, location: str) -> None:
        """Answer the media at ``url`` with a redirect to ``location`` (as Twilio does to its CDN)."""
        with self._lock:
            self._redirects[url.rsplit("/", 1)[1]] = location

    def record_inbound(self, form: dict[str, str]) -> None:
        """Know an inbound message as Twilio would once it posted ``form`` to a webhook."""
        now = utc_now()
        message = SentMessage(
            sid=form["MessageSid"],
            account_sid=self.account_sid,
            to=form.get("To", ""),
            from_=form.get("From"),
            body=form.get("Body", ""),
            media_urls=[v for k, v in form.items() if k.startswith("MediaUrl")],
            status_callback=None,
            content_sid=None,
            content_variables=None,
            messaging_service_sid=None,
            status="received",
            date_created=now,
            date_updated=now,
            direction="inbound",
        )
        with self._lock:
            self._by_sid[message.sid] = message

    # -- HTTP --------------------------------------------------------------

    def _wsgi(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, args = self._urls.bind_to_environ(environ).match()
            if endpoint != "control":
                self._inject_faults()
            response = getattr(self, f"_on_{endpoint}")(request, **args)
        except TwilioError as error:
            response = error.get_response()
        except HTTPException as error:
            code = error.code or 500
            response = TwilioError(code, 20000 + code, error.description or "").get_response()
        except Exception:  # the edge: answer as Twilio would rather than drop the connection
            log.exception("error handling %s %s", request.method, request.path)
            response = TwilioError(
                500, 20500, "An internal server error has occurred"
            ).get_response()
        return response(environ, start_response)

    def _inject_faults(self) -> None:
        with self._lock:
            delay, generation = self._delay, self._generation
            status = self._failures.pop(0) if self._failures else self._down
            self.failed_requests += status is not None
        if delay:
            self._stopping.wait(delay)
            if self._stopping.is_set() or generation != self._generation:
                raise TwilioError(503, 20503, "Service unavailable: request held across a reset")
        if status is not None:
            code = _FAULT_CODES.get(status, 20000 + status if status < 1000 else status)
            raise TwilioError(status, code, f"Injected fault: HTTP {status}")

    def _authenticate(self, request: Request, account: str | None = None) -> None:
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (self.account_sid, self.auth_token):
            raise TwilioError(401, 20003, "Authenticate")
        if account is not None and account != self.account_sid:
            raise TwilioError(404, 20404, f"The requested resource {request.path} was not found")

    def _on_messages(self, request: Request, account: str) -> Response:
        self._authenticate(request, account)
        if request.method == "POST":
            return self._create(request)
        if request.method == "GET":
            with self._lock:
                page = list_page(self._messages, request.args, self.account_sid)
            return Response(json.dumps(page), mimetype="application/json")
        raise TwilioError(405, 20405, "Method not allowed")

    def _on_message(self, request: Request, account: str, sid: str) -> Response:
        self._authenticate(request, account)
        if request.method == "DELETE":
            return self._delete(request, sid, None)
        with self._lock:
            found = self._by_sid.get(sid)
            payload = found.to_json() if found else None
        if payload is None:
            raise TwilioError(404, 20404, f"The requested resource {request.path} was not found")
        return Response(json.dumps(payload), mimetype="application/json")

    def _on_media(self, request: Request, account: str, sid: str, media_sid: str) -> Response:
        self._authenticate(request, account)
        media_sid = media_sid.removesuffix(".json")
        if request.method == "DELETE":
            return self._delete(request, sid, media_sid)
        with self._lock:
            media = self._media.get(media_sid)
            redirect = self._redirects.get(media_sid)
        if media is None or media[2] != sid:
            raise TwilioError(404, 20404, f"The requested resource {request.path} was not found")
        if redirect:
            return Response(status=307, headers={"Location": redirect})
        return Response(media[0], mimetype=media[1])

    def _delete(self, request: Request, sid: str, media_sid: str | None) -> Response:
        """Delete a message (and its media) or one media item, as Twilio does; record it."""
        with self._lock:
            message = self._by_sid.get(sid)
            media = [m for m, (_, _, owner) in self._media.items() if owner == sid]
            if media_sid is not None:
                found = media_sid in media
                status = 204 if found else 404
            else:
                found = message is not None or bool(media)
                status = (
                    409
                    if message is not None and message.status in _NOT_FINAL
                    else 204
                    if found
                    else 404
                )
            if status == 204:
                for item in [media_sid] if media_sid else media:
                    self._media.pop(item, None)
                if media_sid is None:
                    self._by_sid.pop(sid, None)
            self._deletions.append(Deletion(sid, media_sid, status))
            self._lock.notify_all()
        if status == 409:
            raise TwilioError(409, 20009, "Cannot delete this resource before it is complete")
        if status == 404:
            raise TwilioError(404, 20404, f"The requested resource {request.path} was not found")
        return Response(status=204)

    def _on_control(self, request: Request, action: str) -> Response:
        """Remote faults and inspection, for a standalone server in staging or load tests."""
        self._authenticate(request)
        form = request.values
        if action == "messages" and request.method == "GET":
            body = [{**m.to_json(), "form": m.form} for m in self.messages]
            return Response(json.dumps(body), mimetype="application/json")
        if request.method != "POST":
            raise TwilioError(405, 20405, "Method not allowed")
        if action == "reset":
            self.reset()
        elif action == "fail_next":
            self.fail_next(int(form.get("n", 1)), int(form.get("status", 500)))
        elif action == "outage":
            self.outage(int(form.get("status", 500)))
        elif action == "recover":
            self.recover()
        elif action == "delay":
            self.delay(float(form.get("seconds", 0)))
        elif action == "fail_delivery":
            self.fail_delivery(form["to"], int(form.get("error_code", 30003)))
        elif action == "media":
            name = form["name"]
            url = self.add_media(name, request.files["file"].read(), request.files["file"].mimetype)
            return Response(json.dumps({"url": url}), mimetype="application/json")
        else:
            raise TwilioError(404, 20404, f"Unknown control action {action}")
        return Response(status=204)

    # -- Messages resource -------------------------------------------------

    def _create(self, request: Request) -> Response:
        message = new_message(request.form, self.account_sid, self.numbers)
        with self._lock:
            self._messages.append(message)
            self._by_sid[message.sid] = message
            self._lock.notify_all()
        log.info(
            "%s %s x%s to %s", message.sid, message.channel, message.num_segments, _mask(message.to)
        )
        response = Response(json.dumps(message.to_json()), status=201, mimetype="application/json")
        # Play the delivery once the 201 has gone out, so the sender knows the sid first.
        response.call_on_close(lambda: self._schedule_delivery(message.sid))
        return response

    # -- delivery and status callbacks ------------------------------------

    def _schedule_delivery(self, sid: str) -> None:
        if self._held:
            return
        if self._executor is not None and not self._stopping.is_set():
            try:
                self._executor.submit(self._deliver, sid)
            except RuntimeError:  # executor shut down while the response closed
                pass

    def _deliver(self, sid: str) -> None:
        """Move the message to sent, then delivered (or undelivered), posting each status."""
        for final in (False, True):
            if self._stopping.is_set():
                return
            with self._lock:
                message = self._by_sid.get(sid)
                if message is None:  # reset() in between
                    return
                error_code = self._undeliverable.get(message.to)
                status = "sent" if not final else "undelivered" if error_code else "delivered"
                message.status, message.date_updated = status, utc_now()
                message.date_sent = message.date_sent or message.date_updated
                if status == "undelivered":
                    message.error_code = error_code
                snapshot = dataclasses.replace(message)
            if snapshot.status_callback and self.status_callbacks:
                self._post_callback(snapshot)

    def _post_callback(self, message: SentMessage) -> None:
        params = callback_params(message)
        url = message.status_callback or ""
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        headers = {
            "X-Twilio-Signature": signature,
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        }
        try:
            reply = requests.post(url, data=params, headers=headers, timeout=15)
            attempt = CallbackAttempt(url, params, reply.status_code)
        except requests.RequestException as error:
            attempt = CallbackAttempt(url, params, None, type(error).__name__)
        with self._lock:
            self._callbacks.append(attempt)
            self._lock.notify_all()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8999)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument(
        "--numbers", help="comma-separated sender numbers the account owns (default: any)"
    )
    parser.add_argument("--no-status-callbacks", action="store_true")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    numbers = {n.strip() for n in options.numbers.split(",")} if options.numbers else None
    server = TwilioServer(
        options.port,
        host=options.host,
        account_sid=options.account_sid,
        auth_token=options.auth_token,
        status_callbacks=not options.no_status_callbacks,
        numbers=numbers,
    )
    log.info("Twilio-compatible server at %s (account %s)", server.url, server.account_sid)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
