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

from bot import i18n
from bot.portal import audit
from bot.portal.models import AuditLog, RelayMessage, User
from bot.routing.mail import MailError, send_mail
from bot.routing.models import NgoRecord, Referral
from bot.runtime import Runtime, after_commit, current

log = logging.getLogger(__name__)


NEW_REFERRAL_JOB = "bot.portal.notify.new_referral"


@event.listens_for(Referral, "after_insert")
def _referral_created(mapper: object, connection: object, referral: Referral) -> None:
    """Every new referral (first routing, a re-route after a decline or an escalation) queues the
    staff notice once its transaction commits. Loaded with the portal and the relay (bot.relay)."""
    session = object_session(referral)
    if session is not None:
        after_commit(session, NEW_REFERRAL_JOB, referral.id)


def new_referral(referral_id: int) -> int:
    """Tell the NGO's staff a case was referred to them; returns how many were e-mailed."""
    return _notify(current(), referral_id, "new_referral")


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
                send_mail(settings.smtp, [user.email], subject, text, html, message_id_key=f"{kind}-{referral_id}")
            except MailError as exc:
                log.warning("%s e-mail for referral %s to user %s not sent: %s", kind, referral_id, user.id, exc)
                continue
            audit.record(session, None, action, target)
            sent += 1
    return sent


def _recipients(session: Session, referral: Referral, kind: str) -> list[User]:
    """The NGO's active staff; a worker's reply on an assigned case goes to its assignee alone."""
    staff = list(session.scalars(select(User).where(User.ngo_id == referral.ngo_id, User.active.is_(True))
                                 .order_by(User.id)))
    if kind == "worker_reply" and referral.assigned_to is not None:
        return [user for user in staff if user.id == referral.assigned_to] or staff
    return staff


def _already(session: Session, action: str, target: str) -> bool:
    return session.scalar(select(AuditLog.id).where(AuditLog.action == action, AuditLog.target == target)
                          .limit(1)) is not None


def _message(runtime: Runtime, user: User, kind: str, referral: Referral, ngo: NgoRecord | None) -> tuple[str, str, str]:
    tr = i18n.translator(user.language, domain="portal")
    base = runtime.settings.public_base_url or ""
    link = f"{base}/portal/cases/{referral.id}"
    params = {"ngo": ngo.name if ngo else referral.ngo_id, "id": referral.id}
    subject = tr.gettext(f"email.{kind}.subject", **params)
    body = tr.gettext(f"email.{kind}.body", **params)
    footer = tr.gettext("email.footer")
    text = f"{body}\n\n{link}\n\n{footer}\n"
    html = (f"<p>{escape(body)}</p><p><a href=\"{escape(link)}\">{escape(link)}</a></p>"
            f"<p><small>{escape(footer)}</small></p>")
    return subject, text, html
