"""/metrics: the Prometheus scrape of every process's histograms and the database's counts.

With ``metrics.token`` set, a scrape must send it (``Authorization: Bearer ...``); production without
one answers 404.
"""

from __future__ import annotations

import hmac
import os

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from bot.metrics import DatabaseCollector

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    settings = current_app.extensions["puente"].settings
    token = settings.metrics.token
    if token is None and settings.env == "production":
        abort(404)
    if token is not None:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").encode()
        if not hmac.compare_digest(given, token.encode()):
            return Response(
                "metrics need the token (metrics.token)\n",
                status=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped in prometheus_client
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    output = generate_latest(registry)
    extra = CollectorRegistry()
    extra.register(DatabaseCollector(current_app.extensions["puente"]))
    return Response(output + generate_latest(extra), mimetype=CONTENT_TYPE_LATEST)
