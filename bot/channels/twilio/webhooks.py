"""The channel edge: Twilio's webhooks and the health check.

The inbound webhook only checks, stores and queues (Twilio gives up after 15 s and retries), then
answers empty TwiML; understanding and replying happen in a job.
"""

from __future__ import annotations

import logging
from typing import cast

from flask import Blueprint, Response, current_app, jsonify, request

from bot import outbox
from bot.channels.twilio import form as inbound
from bot.channels.twilio.gateway import INBOUND_WEBHOOK, STATUS_WEBHOOK, signature_valid
from bot.conversation import inbox
from bot.errors import BadRequest, QueueUnavailable
from bot.jobs import tasks
from bot.runtime import Runtime
from bot.store.models import OUTBOX_PROGRESS

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _runtime() -> Runtime:
    return cast(Runtime, current_app.extensions["puente"])  # set by create_app


def _twiml(status: int = 200) -> Response:
    return Response(EMPTY_TWIML, status=status, mimetype="text/xml")


def _checked_form() -> dict[str, str] | Response:
    """The form of a genuine Twilio request, or the error response to give instead."""
    runtime = _runtime()
    if request.mimetype != "application/x-www-form-urlencoded":
        log.warning(
            "webhook refused: content type %s is not form data", request.mimetype or "missing"
        )
        return Response("expected application/x-www-form-urlencoded\n", status=415)
    raw = request.get_data(cache=True)
    # Without a Content-Length (a chunked upload through gunicorn) Werkzeug stops reading at the size
    # limit without a word; one more byte raises its 413 instead of parsing a truncated form.
    request.stream.read(1)
    try:
        form = inbound.parse_form(raw)
    except BadRequest as exc:
        log.warning("webhook refused: %s", exc)
        return Response(f"{exc}\n", status=400)
    twilio = runtime.settings.twilio
    if twilio.auth_token and twilio.validate_signatures:
        url = _public_url()
        if not signature_valid(
            twilio.auth_token, url, form, request.headers.get("X-Twilio-Signature", "")
        ):
            log.warning("webhook refused: missing or wrong X-Twilio-Signature for %s", request.path)
            return Response("invalid signature\n", status=403)
    return form


def _public_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path + query behind a proxy, else the request's own."""
    base = _runtime().settings.public_base_url
    if not base:
        return request.url
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


@bp.post(INBOUND_WEBHOOK)
def twilio_inbound() -> Response:
    form = _checked_form()
    if isinstance(form, Response):
        return form
    try:
        message = inbound.to_inbound(
            inbound.without_location(form),
            max_body_chars=_runtime().settings.messages.max_body_chars,
        )
    except BadRequest as exc:
        log.warning("webhook refused: %s", exc)
        return Response(f"{exc}\n", status=400)
    accepted = inbox.accept(_runtime(), message)
    if accepted.inbound_id is None:
        log.info("duplicate delivery of a message ignored")
    elif accepted.throttled:
        log.warning("inbound %s not answered: sender over the flood limit", accepted.inbound_id)
    return _twiml()


@bp.post(STATUS_WEBHOOK)
def twilio_status() -> Response:
    form = _checked_form()
    if isinstance(form, Response):
        return form
    sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "")
    if not sid or not status:
        return Response("MessageSid and MessageStatus are required\n", status=400)
    if status.lower() not in OUTBOX_PROGRESS:
        log.info("unknown message status %r ignored", status[:20])
    elif not outbox.record_status(_runtime(), sid, status, form.get("ErrorCode") or None):
        # Twilio can call back before the sending job has stored the sid: try again shortly.
        tasks.record_status_later(_runtime(), sid, status, form.get("ErrorCode") or "")
    return Response("", status=204)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    runtime = _runtime()
    checks: dict[str, str] = {}
    try:
        runtime.db.ping()
        checks["database"] = "ok"
    except Exception as exc:  # report, do not crash: this is what the load balancer asks
        checks["database"] = f"error: {type(exc).__name__}"
    if runtime.settings.redis_url:
        try:
            runtime.queue.ping()
            checks["redis"] = "ok"
        except QueueUnavailable as exc:
            checks["redis"] = f"error: {exc}"
    healthy = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if healthy else "unavailable", **checks), 200 if healthy else 503
