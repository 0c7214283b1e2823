"""Signing in and out, the optional second factor, and a user's own settings."""

from __future__ import annotations

import time

from flask import Response, flash, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from bot.portal import accounts, audit, notify, passwords, totp
from bot.portal.models import User
from bot.portal.throttle import Throttle
from bot.portal.web import (
    _,
    bp,
    client_address,
    db,
    error_page,
    login_required,
    runtime,
    safe_next,
    settings,
    start_session,
)
from bot.store.db import utcnow
from vocab import STAFF_LANGUAGES

#: Minutes a correct password stays good for entering the second-factor code.
PENDING_MINUTES = 5


def _throttle() -> Throttle:
    return Throttle(settings().portal, runtime().vault)


def _home() -> str:
    return url_for("portal.inbox") if g.user and g.user.ngo_id else url_for("portal.admin_home")


@bp.get("/")
def index() -> BaseResponse:
    return redirect(_home() if g.user else url_for("portal.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str:
    if g.user is not None:
        return redirect(_home())
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("portal/login.html", next=next_url, email="")
    email = accounts.normalize_email(request.form.get("email", ""))
    password = request.form.get("password", "")
    throttle, session_db = _throttle(), db()
    address = throttle.address_key(client_address())
    if throttle.address_blocked(session_db, address):
        return _login_refused("login.error.address_throttled", 429, email, next_url)
    user = accounts.find(session_db, email)
    # Always the same work and the same words, whether the e-mail is unknown, the password wrong or
    # the account must wait: a refusal tells nobody which accounts exist or are being tried.
    right = passwords.verify(user.password_hash if user else None, password)
    if user is not None and throttle.wait_seconds(session_db, user, address):
        audit.record(session_db, user.id, "login.refused_wait", f"user:{user.id}")
        return _login_refused("login.error.failed", 401, email, next_url)
    if not right or user is None:  # never right without a user
        if throttle.failed(session_db, user, address) and user is not None:
            notify.account_notice_later(session_db, user.id, "failed_logins")
        return _login_refused("login.error.failed", 401, email, next_url)
    if not user.active:
        audit.record(session_db, user.id, "login.refused_inactive", f"user:{user.id}")
        return _login_refused("login.error.inactive", 403, email, next_url)
    if not accounts.ngo_active(session_db, user.ngo_id):
        audit.record(session_db, user.id, "login.refused_ngo_inactive", f"ngo:{user.ngo_id}")
        return _login_refused("login.error.ngo_inactive", 403, email, next_url)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    if user.totp_secret_enc:
        session["pending"], session["pending_at"], session["pending_next"] = (
            user.id,
            time.time(),
            next_url,
        )
        return redirect(url_for("portal.login_code"))
    return _signed_in(user, next_url)


def _login_refused(
    msgid: str, status: int, email: str, next_url: str | None, **params: int
) -> BaseResponse:
    html = render_template(
        "portal/login.html", next=next_url, email=email, error=_(msgid, **params)
    )
    return Response(html, status=status)


def _signed_in(user: User, next_url: str | None) -> BaseResponse:
    _throttle().succeeded(user)
    user.last_login_at = utcnow()
    audit.record(db(), user.id, "login", f"user:{user.id}")
    start_session(user)
    g.user = user
    return redirect(next_url or _home())


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> BaseResponse | str:
    uid, since = session.get("pending"), session.get("pending_at", 0)
    if uid is None or time.time() - since > PENDING_MINUTES * 60:
        session.pop("pending", None)
        flash(_("login.expired"), "info")
        return redirect(url_for("portal.login"))
    if request.method == "GET":
        return render_template("portal/login_code.html")
    session_db, throttle = db(), _throttle()
    user = session_db.get(User, uid)
    address = throttle.address_key(client_address())
    if user is None or not user.active or not user.totp_secret_enc:
        session.pop("pending", None)
        return redirect(url_for("portal.login"))
    if throttle.address_blocked(session_db, address) or throttle.wait_seconds(
        session_db, user, address
    ):
        session.pop("pending", None)
        return error_page("login.error.title", "login.error.too_many", 429)
    secret = runtime().vault.decrypt(user.totp_secret_enc)
    step = totp.accepted_step(secret, request.form.get("code", ""), user.totp_last_step)
    if step is None:
        if throttle.failed(session_db, user, address):
            notify.account_notice_later(session_db, user.id, "failed_logins")
        html = render_template("portal/login_code.html", error=_("login.error.code"))
        return Response(html, status=401)
    user.totp_last_step = step
    next_url = safe_next(session.get("pending_next"))
    return _signed_in(user, next_url)


@bp.post("/logout")
def logout() -> BaseResponse:
    if g.user is not None:
        audit.record(db(), g.user.id, "logout", f"user:{g.user.id}")
        g.user.session_version += 1
    language = g.get("lang")
    session.clear()
    session["lang"] = language
    flash(_("login.logged_out"), "info")
    return redirect(url_for("portal.login"))


@bp.post("/language")
def set_language() -> BaseResponse:
    language = request.form.get("language")
    if language in STAFF_LANGUAGES:
        session["lang"] = language
        if g.user is not None:
            g.user.language = language
    return redirect(safe_next(request.form.get("next")) or url_for("portal.index"))


@bp.get("/account")
@login_required
def account() -> str:
    return render_template("portal/account.html", min_length=passwords.MIN_LENGTH)


@bp.post("/account/password")
@login_required
def change_password() -> BaseResponse | str:
    user = g.user
    if not passwords.verify(user.password_hash, request.form.get("current", "")):
        flash(_("account.error.current_password"), "error")
        return redirect(url_for("portal.account"))
    if request.form.get("new", "") != request.form.get("confirm", ""):
        flash(_("account.error.mismatch"), "error")
        return redirect(url_for("portal.account"))
    try:
        accounts.set_password(user, request.form.get("new", ""))
    except accounts.AccountError as exc:
        flash(_(exc.msgid, **exc.params), "error")
        return redirect(url_for("portal.account"))
    audit.record(db(), user.id, "account.password", f"user:{user.id}")
    start_session(user)  # the other sessions end; this one goes on
    flash(_("account.password_changed"), "success")
    return redirect(url_for("portal.account"))


@bp.route("/account/2fa", methods=["GET", "POST"])
@login_required
def totp_setup() -> BaseResponse | str:
    user, vault = g.user, runtime().vault
    if user.totp_secret_enc:
        return redirect(url_for("portal.account"))
    if request.method == "GET" or "totp_setup" not in session:
        secret = totp.new_secret()
        session["totp_setup"] = vault.encrypt(secret)
    secret = vault.decrypt(session["totp_setup"])
    uri = totp.provisioning_uri(secret, user.email, settings().portal.totp_issuer)
    error = None
    if request.method == "POST":
        step = totp.accepted_step(secret, request.form.get("code", ""), None)
        if step is not None:
            user.totp_secret_enc, user.totp_last_step = vault.encrypt(secret), step
            session.pop("totp_setup", None)
            audit.record(db(), user.id, "account.totp_on", f"user:{user.id}")
            flash(_("account.totp_enabled"), "success")
            return redirect(_home())
        error = _("login.error.code")
    from markupsafe import Markup

    required = accounts.totp_required(db(), user, settings().portal.admin_totp_required)
    html = render_template(
        "portal/totp_setup.html",
        secret=secret,
        qr=Markup(totp.qr_svg(uri)),
        error=error,
        required=required,
    )
    return Response(html, status=400 if error else 200)


@bp.post("/account/2fa/off")
@login_required
def totp_disable() -> BaseResponse:
    """Turning two-step sign-in off takes the password and a current code (a stolen session or
    password alone cannot), and is refused where it is required."""
    user, session_db = g.user, db()
    if accounts.totp_required(session_db, user, settings().portal.admin_totp_required):
        flash(_("account.error.totp_required"), "error")
        return redirect(url_for("portal.account"))
    secret = runtime().vault.decrypt(user.totp_secret_enc) if user.totp_secret_enc else None
    step = (
        totp.accepted_step(secret, request.form.get("code", ""), user.totp_last_step)
        if secret
        else None
    )
    if not passwords.verify(user.password_hash, request.form.get("current", "")) or step is None:
        throttle = _throttle()
        if throttle.failed(session_db, user, throttle.address_key(client_address())):
            notify.account_notice_later(session_db, user.id, "failed_logins")
        flash(_("account.error.totp_off_refused"), "error")
        return redirect(url_for("portal.account"))
    user.totp_secret_enc, user.totp_last_step = None, None
    audit.record(session_db, user.id, "account.totp_off", f"user:{user.id}")
    notify.account_notice_later(session_db, user.id, "totp_off")
    flash(_("account.totp_disabled"), "success")
    return redirect(url_for("portal.account"))
