"""The pages a single-use link opens: a new account's owner, or someone who forgot their password,
sets their own password; and "forgot your password?" which e-mails such a link."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from bot.portal import accounts, audit, passwords, tokens
from bot.portal.models import AccountToken, User
from bot.portal.throttle import Throttle
from bot.portal.web import _, bp, client_address, db, error_page, runtime, settings
from bot.store.db import utcnow

#: A second reset link for the same account within this time is not sent (an inbox is not a target).
RESET_PAUSE = timedelta(minutes=5)


@bp.route("/account/link/<raw>", methods=["GET", "POST"])
def account_link(raw: str) -> BaseResponse | str:
    session = db()
    token = tokens.find(session, raw)
    if token is None:
        return error_page("link.invalid.title", "link.invalid.body", 404)
    user = session.get_one(User, token.user_id)
    page = {"purpose": token.purpose, "email": user.email, "min_length": passwords.MIN_LENGTH}
    if request.method == "GET":
        return render_template("portal/link.html", **page)
    if request.form.get("new", "") != request.form.get("confirm", ""):
        return Response(
            render_template("portal/link.html", error=_("account.error.mismatch"), **page),
            status=400,
        )
    try:
        tokens.redeem(session, token, request.form.get("new", ""))
    except accounts.AccountError as exc:
        return Response(
            render_template("portal/link.html", error=_(exc.msgid, **exc.params), **page),
            status=400,
        )
    audit.record(session, user.id, f"account.{token.purpose}_used", f"user:{user.id}")
    flash(_("link.done"), "success")
    return redirect(url_for("portal.login"))


@bp.route("/login/forgot", methods=["GET", "POST"])
def forgot_password() -> BaseResponse | str:
    """The same answer whether or not the e-mail has an account (nobody learns who has one)."""
    if g.user is not None:
        return redirect(url_for("portal.account"))
    if request.method == "GET":
        return render_template("portal/forgot.html")
    session, rt = db(), runtime()
    throttle = Throttle(settings().portal, rt.vault)
    address = throttle.address_key(client_address())
    if throttle.address_blocked(session, address):
        return error_page("login.error.title", "login.error.address_throttled", 429)
    user = accounts.find(session, request.form.get("email", ""))
    audit.record(session, user.id if user else None, "login.forgot", address)
    if (
        user is not None
        and user.active
        and not tokens.invited(user)
        and not _recent_link(session, user.id)
    ):
        tokens.issue(session, rt.vault, rt.settings.portal, user, "reset", None)
    flash(_("link.sent_if_known"), "info")
    return redirect(url_for("portal.login"))


def _recent_link(session: Session, user_id: int) -> bool:
    return bool(
        session.scalar(
            select(func.count(AccountToken.id)).where(
                AccountToken.user_id == user_id, AccountToken.created_at > utcnow() - RESET_PAUSE
            )
        )
    )
