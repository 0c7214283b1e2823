"""The baseline of bench/webhook.py: the least a Twilio webhook can do, served like Puente's.

It checks X-Twilio-Signature with twilio's RequestValidator against the webhook's public URL (as
Puente does behind a proxy with PUBLIC_BASE_URL) and answers empty TwiML: no database, no queue. Run by
gunicorn (``bare_twilio:app``) with BARE_TWILIO_AUTH_TOKEN and BARE_PUBLIC_URL set.
"""

from __future__ import annotations

import os

from flask import Flask, Response, request
from twilio.request_validator import RequestValidator

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def create_app(auth_token: str, public_url: str) -> Flask:
    app = Flask(__name__)
    validator = RequestValidator(auth_token)

    @app.post("/webhooks/twilio")
    def inbound() -> Response:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(public_url, request.form, signature):
            return Response("invalid signature\n", status=403)
        return Response(EMPTY_TWIML, mimetype="text/xml")

    return app


def __getattr__(name: str) -> Flask:
    # gunicorn imports ``bare_twilio:app`` in each worker; build it there, not on a plain import.
    if name == "app":
        return create_app(os.environ["BARE_TWILIO_AUTH_TOKEN"], os.environ["BARE_PUBLIC_URL"])
    raise AttributeError(name)
