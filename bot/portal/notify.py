"""E-mails to an NGO's staff: a new case was referred to them, a worker replied on a case.

Jobs taking ids only. The e-mail says that something happened and links to the portal; never a
worker's words, number or report details. Each recipient gets each notice once (a retried job
skips those already sent, remembered in the audit log).
"""

from __future__ import annotations

import logging
from html import escape

from sqlalchemy import event, select
from sqlalchemy.orm import Session, object_session

from bot.cases.models import Referral, RelayMessage
from bot.delivery.mail import MailError, send_mail
from bot.directory.models import NgoRecord
from bot.jobs.queue import runs_in
from bot.portal import audit
from bot.portal.models import AccountToken, AuditLog, User
from bot.runtime import Runtime, after_commit, current
from bot.text import catalogs

log = logging.getLogger(__name__)


@event.listens_for(Referral, "after_insert")
def _referral_created(mapper: object, connection: object, referral: Referral) -> None:
    """Every new referral (first routing, a re-route after a decline or an escalation) queues the
    staff notice once its transaction commits. Registered when the portal area loads (bot.areas,
    in every app and worker)."""
    session = object_session(referral)
    if session is not None:
        after_commit(session, new_referral, referral.id)


@event.listens_for(RelayMessage, "after_insert")
def _relay_added(mapper: object, connection: object, message: RelayMessage) -> None:
    """A worker's message on a case's thread (bot.cases.relay) queues the staff notice once its
    transaction commits."""
    session = object_session(message)
    if session is not None and message.direction == "from_worker":
        after_commit(session, worker_reply, message.id)


@runs_in("referrals")
def new_referral(referral_id: int) -> int:
    """Tell the NGO's staff a case was referred to them; returns how many were e-mailed."""
    return _notify(current(), referral_id, "new_referral")


@runs_in("sends")
def worker_reply(relay_id: int) -> int:
    """Tell the NGO's staff the worker wrote on a case's thread."""
    runtime = current()
    with runtime.db.session() as session:
        message = session.get(RelayMessage, relay_id)
        referral_id = message.referral_id if message else None
    if referral_id is None:
        return 0
    return _notify(runtime, referral_id, "worker_reply", key=f"relay:{relay_id}")


def _notify(runtime: Runtime, referral_id: int, kind: str, key: str | None = None) -> int:
    settings = runtime.settings
    if not settings.portal.notify_email or not settings.smtp.host:
        return 0
    sent = 0
    with runtime.db.session() as session:
        referral = session.get(Referral, referral_id)
        if referral is None:
            return 0
        ngo = session.get(NgoRecord, referral.ngo_id)
        for user in _recipients(session, referral, kind):
            target = f"{key or f'referral:{referral_id}'}:user:{user.id}"[:120]
            action = f"email.{kind}"
            if _already(session, action, target):
                continue
            subject, text, html = _message(runtime, user, kind, referral, ngo)
            try:
                send_mail(
                    settings.smtp,
                    [user.email],
                    subject,
                    text,
                    html,
                    message_id_key=f"{kind}-{referral_id}",
                )
            except MailError as exc:
                log.warning(
                    "%s e-mail for referral %s to user %s not sent: %s",
                    kind,
                    referral_id,
                    user.id,
                    exc,
                )
                continue
            audit.record(session, None, action, target)
            sent += 1
    return sent


def _recipients(session: Session, referral: Referral, kind: str) -> list[User]:
    """The NGO's active staff; a worker's reply on an assigned case goes to its assignee alone."""
    staff = list(
        session.scalars(
            select(User)
            .where(User.ngo_id == referral.ngo_id, User.active.is_(True))
            .order_by(User.id)
        )
    )
    if kind == "worker_reply" and referral.assigned_to is not None:
        return [user for user in staff if user.id == referral.assigned_to] or staff
    return staff


def _already(session: Session, action: str, target: str) -> bool:
    return (
        session.scalar(
            select(AuditLog.id).where(AuditLog.action == action, AuditLog.target == target).limit(1)
        )
        is not None
    )


def _message(
    runtime: Runtime, user: User, kind: str, referral: Referral, ngo: NgoRecord | None
) -> tuple[str, str, str]:
    tr = catalogs.translator(user.language, domain="portal")
    base = runtime.settings.public_base_url or ""
    link = f"{base}/portal/cases/{referral.id}"
    params = {"ngo": ngo.name if ngo else referral.ngo_id, "id": referral.id}
    subject = tr.gettext(f"email.{kind}.subject", **params)
    body = tr.gettext(f"email.{kind}.body", **params)
    footer = tr.gettext("email.footer")
    text = f"{body}\n\n{link}\n\n{footer}\n"
    html = (
        f'<p>{escape(body)}</p><p><a href="{escape(link)}">{escape(link)}</a></p>'
        f"<p><small>{escape(footer)}</small></p>"
    )
    return subject, text, html


# --- notices about an account (to its owner, or to their organization) ---------------------------

#: Notices to the account's owner; ``ngo_*`` ones go to their organization's contact address.
ACCOUNT_KINDS = (
    "failed_logins",
    "invite",
    "reset_link",
    "password_set",
    "totp_off",
    "ngo_account_created",
    "ngo_password_set",
    "ngo_totp_off",
)
#: Notices that carry a single-use link (the token's id is the job's third argument).
LINK_KINDS = ("invite", "reset_link")


def account_notice_later(session: Session, user_id: int, kind: str, token_id: int = 0) -> None:
    """E-mail an account notice once this transaction commits (retried when the server is down)."""
    if kind not in ACCOUNT_KINDS:
        raise ValueError(f"unknown account notice {kind!r}")
    after_commit(session, account_notice, user_id, kind, token_id)


def account_notice(user_id: int, kind: str, token_id: int = 0, attempt: int = 1) -> bool:
    """Send one account notice: never a password or a case, only what happened and what to do.

    A link's token is kept encrypted only until its e-mail is sent, then forgotten (the database
    keeps its hash). Retried like a referral notice (``routing.delivery_backoff_seconds``)."""
    runtime = current()
    settings = runtime.settings
    with runtime.db.session() as session:
        user = session.get(User, user_id)
        token = session.get(AccountToken, token_id) if token_id else None
        sealed = token.token_enc if token is not None else None
        if user is None or (kind in LINK_KINDS and sealed is None):
            return False
        ngo = session.get(NgoRecord, user.ngo_id) if user.ngo_id else None
        to = _ngo_addresses(session, ngo, user) if kind.startswith("ngo_") else [user.email]
        if not to:
            return False
        link = _link(runtime, sealed) if sealed is not None and kind in LINK_KINDS else ""
        subject, text, html = _account_message(runtime, user, kind, ngo, link)
        try:
            send_mail(
                settings.smtp, to, subject, text, html, message_id_key=f"account-{kind}-{user_id}"
            )
        except MailError as exc:
            backoff = settings.routing.delivery_backoff_seconds
            if exc.retryable and attempt < settings.routing.delivery_max_attempts:
                delay = backoff[min(attempt - 1, len(backoff) - 1)]
                log.warning(
                    "%s notice for user %s not sent (attempt %s, retrying in %ss): %s",
                    kind,
                    user_id,
                    attempt,
                    delay,
                    exc,
                )
                after_commit(
                    session, account_notice, user_id, kind, token_id, attempt + 1, delay=delay
                )
            else:
                log.error(
                    "%s notice for user %s not sent after %s attempt(s): %s",
                    kind,
                    user_id,
                    attempt,
                    exc,
                )
            return False
        if token is not None:
            token.token_enc = None  # sent: only its hash is kept
        audit.record(session, None, f"email.{kind}"[:40], f"user:{user_id}")
    return True


def _ngo_addresses(session: Session, ngo: NgoRecord | None, user: User) -> list[str]:
    """The organization's contact address from the directory (never an example organization's),
    else its other active staff."""
    if ngo is None:
        return []
    record = ngo.record or {}
    contact = (record.get("contacts") or {}).get("email")
    if contact and not record.get("example_contacts"):
        return [contact]
    return list(
        session.scalars(
            select(User.email)
            .where(User.ngo_id == ngo.id, User.active.is_(True), User.id != user.id)
            .order_by(User.id)
        )
    )


def _link(runtime: Runtime, sealed: str) -> str:
    raw = runtime.vault.decrypt(sealed)
    return f"{runtime.settings.public_base_url or ''}/portal/account/link/{raw}"


def _account_message(
    runtime: Runtime, user: User, kind: str, ngo: NgoRecord | None, link: str
) -> tuple[str, str, str]:
    tr = catalogs.translator(user.language, domain="portal")
    params = {
        "email": user.email,
        "ngo": ngo.name if ngo else "Puente",
        "link": link,
        "count": runtime.settings.portal.login_notify_after,
        "hours": (
            runtime.settings.portal.invite_valid_hours
            if kind == "invite"
            else runtime.settings.portal.reset_valid_hours
        ),
    }
    subject = tr.gettext(f"email.account.{kind}.subject", **params)
    body = tr.gettext(f"email.account.{kind}.body", **params)
    footer = tr.gettext("email.footer")
    text = f"{body}\n\n{footer}\n"
    html = f"<p>{escape(body)}</p><p><small>{escape(footer)}</small></p>"
    return subject, text, html
