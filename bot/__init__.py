"""Puente: rights information and safe reporting for temporary foreign workers in Canada.

``create_app`` builds the Flask app from one Settings object; nothing is created at import time.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by create_app: `puente --help` and the commands load no web stack
    from flask import Flask

    from bot.conversation.areas import Area
    from bot.runtime import Runtime
    from bot.settings import Settings

log = logging.getLogger(__name__)


def areas() -> tuple[Area, ...]:
    """The areas beside the message path, registered on the runtime by create_app and the worker.

    Their order is the order their handlers run for one effect (after the conversation's own): a
    case's status before "sent" to its relay, the cases' erasure before the indicators' and the NLU
    review queue's. Imported here, when an app or worker starts, so `puente --help` loads none;
    every table's mapper is configured here too, before the process starts its threads.
    """
    from bot import schema
    from bot.analytics.area import AREA as analytics
    from bot.cases.area import AREA as cases
    from bot.conversation.nlu_review import AREA as nlu_review
    from bot.directory.area import AREA as directory
    from bot.portal.area import AREA as portal

    schema.configure()
    return (cases, directory, analytics, nlu_review, portal)


def create_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, threads: bool = True
) -> Flask:
    """The Flask app. ``threads=False``: it is built in a parent that forks the processes serving
    it (bot.server), each of which calls :func:`start_threads` (a thread does not survive a fork)."""
    from flask import Flask, Response
    from sqlalchemy.exc import SQLAlchemyError

    from bot import logs
    from bot.runtime import Runtime, set_current
    from bot.settings import check_production, load_settings

    settings = settings or load_settings()
    check_production(settings)  # every gunicorn worker too: a production app never fails open
    logs.configure(
        settings.log_level, json_lines=settings.env == "production", path=settings.log_file
    )
    runtime = runtime or Runtime.build(settings)
    settings = runtime.settings
    runtime.areas = areas()
    set_current(runtime)
    from bot.text import catalogs

    catalogs.load()  # the catalogs are read once at start: a broken .po stops here, not mid-conversation

    app = Flask(__name__, instance_path=settings.instance_path)
    production = settings.env == "production"
    if production:
        # Only over https, only this host, whole site: a browser keeps it for no other site.
        app.config["SESSION_COOKIE_NAME"] = "__Host-puente"
        app.config["SESSION_COOKIE_PATH"] = "/"
    app.config.update(
        MAX_CONTENT_LENGTH=settings.messages.max_request_bytes,
        SECRET_KEY=runtime.vault.derive("flask-session").hex(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production
        or bool(settings.public_base_url and settings.public_base_url.startswith("https")),
        PUENTE_SETTINGS=settings,
    )
    app.extensions["puente"] = runtime
    if proxies := settings.portal.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only the configured number of hops is believed: a client's own X-Forwarded-For is not.
        # Flask's documented way to wrap its WSGI app; its stubs declare wsgi_app a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies
        )

    from bot.channels.twilio.webhooks import bp as webhooks
    from bot.metrics_page import bp as metrics

    app.register_blueprint(webhooks)
    app.register_blueprint(metrics)
    for area in runtime.areas:
        if (pages := area.blueprint()) is not None:
            app.register_blueprint(pages)

    if production:

        @app.after_request
        def _hsts(response: Response) -> Response:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
            return response

    @app.errorhandler(SQLAlchemyError)
    def _database_down(exc: SQLAlchemyError) -> Response:
        log.error(
            "database error on %s: %s; answering 503 so the caller retries",
            _path(),
            type(exc).__name__,
        )
        return Response("the service is briefly unavailable; please retry\n", status=503)

    @app.errorhandler(413)
    def _too_large(exc: Exception) -> Response:
        log.warning(
            "request to %s refused: body over %s bytes",
            _path(),
            settings.messages.max_request_bytes,
        )
        return Response("request body too large\n", status=413)

    _warn_about(settings)
    from bot.directory.store import ensure_seeded

    ensure_seeded(runtime)  # development: an empty NGO directory gets the seed (logged)
    if threads:
        start_threads(runtime)
    return app


def start_threads(runtime: Runtime) -> None:
    """What a serving process runs beside its requests: without Redis (no rq worker to do it), the
    re-drive of its own unfinished work."""
    if not runtime.settings.redis_url:
        _start_redriver(runtime)


def _path() -> str:
    from flask import request

    return request.path


def _warn_about(settings: Settings) -> None:
    twilio = settings.twilio
    if twilio.auth_token and not twilio.validate_signatures:
        log.warning(
            "twilio.validate_signatures is off: anyone can post to the webhook. Turn it on in production."
        )
    if not twilio.auth_token:
        log.warning(
            "no TWILIO_AUTH_TOKEN: webhook signatures cannot be checked; replies go to the console sender"
        )


def _start_redriver(runtime: Runtime) -> None:
    """Without rq, this process re-drives its own unfinished work now and then."""
    from bot.jobs.tasks import housekeeping_loop

    stop = runtime.extras.setdefault("stop", threading.Event())

    def loop() -> None:
        try:
            runtime.warm_up()  # so the first worker's message does not wait for the NLU to load
        except Exception as exc:
            log.error("could not load the NLU, flows or catalogs: %s", exc)
        housekeeping_loop(runtime, stop, first_wait=True)

    threading.Thread(target=loop, name="puente-redrive", daemon=True).start()
