"""The portal blueprint and what every request goes through: CSRF, the session, the language.

A signed session cookie holds the user id, its ``session_version``, when it began and when it was
last used; each request checks all four against the database and the idle timeout, so logging
out, deactivating a user or their NGO, or leaving the browser idle ends the session server-side.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from bot.channels.twilio.gateway import WEBHOOKS
from bot.portal import accounts, csrf, notify  # noqa: F401  (notify: staff notices of new referrals)
from bot.portal.models import User
from bot.runtime import Runtime
from bot.settings import Settings
from bot.text import catalogs as i18n
from vocab import STAFF_LANGUAGES

P = ParamSpec("P")
R = TypeVar("R")

DOMAIN = "portal"

bp = Blueprint(
    "portal",
    __name__,
    url_prefix="/portal",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


class _SessionInterface(SecureCookieSessionInterface):
    """Secure cookies whenever the request came over HTTPS, not only when configured so; no session
    at all for Twilio's webhooks (no cookie to read: not signing one saves each message's request
    the serializer's cost)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(WEBHOOKS):
            return self.null_session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        try:
            return super().get_cookie_secure(app) or request.is_secure
        except RuntimeError:  # outside a request
            return super().get_cookie_secure(app)


@bp.record_once
def _setup(state: Any) -> None:
    app: Flask = state.app
    app.session_interface = _SessionInterface()
    app.config.setdefault("SESSION_COOKIE_NAME", "puente_session")
    app.jinja_env.autoescape = True


def runtime() -> Runtime:
    made: Runtime = current_app.extensions["puente"]  # set by init_app
    return made


def settings() -> Settings:
    return runtime().settings


def db() -> Session:
    """The request's database session, committed after a successful response."""
    if "portal_db" not in g:
        g.portal_db = runtime().db.sessions()
    opened: Session = g.portal_db
    return opened


def _(msgid: str, **params: Any) -> str:
    """A portal message in the request's language (escaped by Jinja like any other string)."""
    return i18n.translator(g.get("lang", "en"), domain=DOMAIN).gettext(msgid, **params)


def client_address() -> str:
    return request.remote_addr or "-"


# --- request lifecycle --------------------------------------------------------------------------


@bp.before_request
def _before() -> BaseResponse | None:
    g.user, g.expired = None, False
    if request.method == "POST" and not csrf.valid_request():
        g.lang = _language(None)
        return error_page("error.csrf.title", "error.csrf.body", 400)
    g.user = _session_user()
    g.lang = _language(g.user)
    if (
        g.user is not None
        and request.endpoint not in _BEFORE_SECOND_FACTOR
        and needs_totp_setup(g.user)
    ):
        return redirect(url_for("portal.totp_setup"))
    return None


#: What someone who must set up two-step sign-in can still open before doing so.
_BEFORE_SECOND_FACTOR = {
    "portal.totp_setup",
    "portal.logout",
    "portal.set_language",
    "portal.static",
}


def needs_totp_setup(user: User) -> bool:
    """Signed in with a password only, though a second factor is required of them."""
    return not user.totp_secret_enc and accounts.totp_required(
        db(), user, settings().portal.admin_totp_required
    )


def _session_user() -> User | None:
    uid = session.get("uid")
    if uid is None:
        return None
    portal, now = settings().portal, time.time()
    seen, started = session.get("seen", 0), session.get("start", 0)
    if (
        now - seen > portal.idle_timeout_minutes * 60
        or now - started > portal.session_max_hours * 3600
    ):
        _end_session(expired=True)
        return None
    user = db().get(User, uid)
    if (
        user is None
        or not user.active
        or user.session_version != session.get("ver")
        or not accounts.ngo_active(db(), user.ngo_id)
    ):
        _end_session(expired=True)
        return None
    session["seen"] = now
    return user


def _end_session(*, expired: bool) -> None:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    g.expired = expired


def start_session(user: User) -> None:
    """A fresh session for ``user`` (never reusing the pre-login one: no session fixation)."""
    language = session.get("lang")
    session.clear()
    now = time.time()
    session.update(uid=user.id, ver=user.session_version, seen=now, start=now)
    if language:
        session["lang"] = language
    session.permanent = False
    csrf.rotate()


def _language(user: User | None) -> str:
    if user is not None and user.language in STAFF_LANGUAGES:
        return user.language
    chosen: str | None = session.get("lang")
    if chosen in STAFF_LANGUAGES:
        return chosen
    return (
        request.accept_languages.best_match(STAFF_LANGUAGES) or settings().portal.default_language
    )


@bp.after_request
def _after(response: BaseResponse) -> BaseResponse:
    database = g.get("portal_db")
    if database is not None and response.status_code < 500:
        database.commit()
    headers = response.headers
    headers.setdefault("Cache-Control", "no-store")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    return response


@bp.teardown_request
def _teardown(exc: BaseException | None) -> None:
    database = g.pop("portal_db", None)
    if database is not None:
        database.close()


@bp.app_template_global("csrf_token")
def _csrf_token() -> Markup:
    return Markup(f'<input type="hidden" name="{csrf.FIELD}" value="{csrf.token()}">')


def label(prefix: str, key: Any) -> str:
    """The portal's words for a code (a province, an abuse type, an event); the code itself if none."""
    msgid = f"{prefix}.{key}"
    return _(msgid) if known(msgid) else str(key)


def known(msgid: str) -> bool:
    catalogs = i18n.translator("en", domain=DOMAIN).catalogs
    return catalogs.text(catalogs.fallback, msgid) is not None


def reason(item: dict[str, Any]) -> str:
    """One matching reason in the user's language (``reason.<key>``), else its English text."""
    key, params = item.get("key"), dict(item.get("params") or {})
    if not key or not known(f"reason.{key}"):
        return str(item.get("text") or key or "")
    shown = {}
    for name, value in params.items():
        if name == "province":
            shown[name] = label("province", value) if value else _("case.not_given")
        elif name == "language":
            shown[name] = language_name(value)
        elif name in ("services", "needed"):
            shown[name] = ", ".join(label("service", v) for v in value or ())
        elif name == "sector":
            shown[name] = label("sector", value)
        elif name == "sectors":
            shown[name] = ", ".join(label("sector", v) for v in value or ())
        else:
            shown[name] = value
    try:
        return _(f"reason.{key}", **shown)
    except i18n.TranslationError:
        return str(item.get("text") or key)


def language_name(code: str | None) -> str:
    """A language code (es, tl, pt ...) as its name in the portal's language."""
    if not code:
        return _("case.not_given")
    if known(f"worker_language.{code}"):  # the workers' own three, Tagalog named as such
        return label("worker_language", code)
    try:
        name = Locale.parse(code).get_language_name(
            i18n.BABEL_LOCALES.get(g.get("lang", "en"), "en_CA")
        )
    except (ValueError, LookupError):
        return code
    return name or code


def when(moment: datetime | None) -> str:
    """A date and time in the portal's time zone and the user's language."""
    if moment is None:
        return ""
    locale = i18n.BABEL_LOCALES.get(g.get("lang", "en"), "en_CA")
    return format_datetime(
        moment, "medium", tzinfo=ZoneInfo(settings().portal.timezone), locale=locale
    )


@bp.context_processor
def _template_globals() -> dict[str, Any]:
    return {
        "_": _,
        "label": label,
        "when": when,
        "reason": reason,
        "language_name": language_name,
        "user": g.get("user"),
        "lang": g.get("lang", "en"),
        "languages": STAFF_LANGUAGES,
    }


def confirmation(question: str) -> str | None:
    """A destructive action asks first: the page repeating the form with ``confirmed``, or
    None once confirmed. Works without JavaScript."""
    if request.form.get("confirmed") == "1":
        return None
    fields = [
        (k, v) for k, v in request.form.items(multi=True) if k not in (csrf.FIELD, "confirmed")
    ]
    return render_template(
        "portal/confirm.html",
        question=question,
        fields=fields,
        action=request.path,
        back=request.referrer or url_for("portal.index"),
    )


# --- access ---------------------------------------------------------------------------------------


def login_required(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        if g.user is None:
            return to_login()
        return view(*args, **kwargs)

    return wrapper


def admin_required(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        if g.user is None:
            return to_login()
        if not g.user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def staff_required(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    """Case pages: only people who belong to an NGO."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        if g.user is None:
            return to_login()
        if g.user.ngo_id is None:
            return redirect(url_for("portal.admin_home"))
        return view(*args, **kwargs)

    return wrapper


def to_login() -> BaseResponse:
    from flask import flash

    flash(_("login.expired") if g.get("expired") else _("login.required"), "info")
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("portal.login", next=target) if target else url_for("portal.login"))


def safe_next(target: str | None) -> str | None:
    """Only a path inside the portal: never an open redirect to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not parts.path.startswith("/portal/")
        or target.startswith("//")
    ):
        return None
    return target


@bp.errorhandler(404)
def _not_found(exc: Exception) -> BaseResponse:
    return error_page("error.not_found.title", "error.not_found.body", 404)


def error_page(title: str, body: str, status: int) -> BaseResponse:
    html = render_template("portal/error.html", title=_(title), body=_(body))
    return Response(html, status=status)
