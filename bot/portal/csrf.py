"""CSRF protection for the portal's forms: one random token per session, compared in constant time.

Every form carries ``csrf_token()`` in a hidden field; every POST to the portal is refused with 400
unless it sends the session's token back (field ``csrf_token`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SESSION_KEY = "csrf"


def token() -> str:
    """The session's token, created on first use (the login form gets one too)."""
    value = session.get(SESSION_KEY)
    if not value:
        value = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return value


def rotate() -> str:
    """A fresh token, e.g. after login, so a token seen before login is worth nothing after."""
    token = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def valid_request() -> bool:
    """Whether this request sends back the session's token."""
    expected = session.get(SESSION_KEY)
    sent = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    if not expected or not sent:
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())
