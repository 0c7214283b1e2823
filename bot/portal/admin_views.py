"""Administrators' pages: organizations (on/off, capacity), accounts, and the audit log."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response as BaseResponse

from bot.cases import alerts as routing_alerts
from bot.cases.models import OPEN_REFERRAL, AdminAlert, AlertStatus, Referral
from bot.directory.models import NgoRecord
from bot.portal import accounts, alerts_words, audit, notify, tokens
from bot.portal.models import ROLES, AuditLog, User
from bot.portal.web import _, admin_required, bp, confirmation, db, label, runtime
from vocab import STAFF_LANGUAGES

AUDIT_PAGE = 100


@bp.get("/admin")
@admin_required
def admin_home() -> str:
    """What needs an administrator: open alerts first, then the indicators and the other pages."""
    session = db()
    counts = {
        "ngos": session.scalar(select(func.count(NgoRecord.id)).where(NgoRecord.active.is_(True))),
        "users": session.scalar(select(func.count(User.id)).where(User.active.is_(True))),
        "open": session.scalar(
            select(func.count(Referral.id)).where(Referral.status.in_(OPEN_REFERRAL))
        ),
    }
    rank = {kind: i for i, kind in enumerate(alerts_words.ALERT_KINDS)}
    open_alerts = sorted(
        session.scalars(select(AdminAlert).where(AdminAlert.status == AlertStatus.OPEN)).all(),
        key=lambda a: (rank.get(a.kind, len(rank)), -a.updated_at.timestamp()),
    )
    names = dict(session.execute(select(NgoRecord.id, NgoRecord.name)).all())
    shown = [
        (
            alert,
            alerts_words.alert_params(
                alert.kind,
                alert.detail or {},
                routing_alerts.subject_of(runtime(), alert)
                if alert.kind == "repeat_employer"
                else {},
                names,
                label,
            ),
        )
        for alert in open_alerts
    ]
    audit.record(session, g.user.id, "admin.view", "home")
    return render_template(
        "portal/admin_home.html",
        counts=counts,
        alerts=shown,
        text_msgid=alerts_words.text_msgid,
        mail_configured=bool(runtime().settings.routing.admin_alert_emails),
    )


@bp.post("/admin/alerts/<int:alert_id>")
@admin_required
def admin_alert(alert_id: int) -> BaseResponse:
    """Acknowledge an alert, or ask for its e-mail to administrators again."""
    session = db()
    alert = session.get(AdminAlert, alert_id)
    if alert is None:
        abort(404)
    if request.form.get("do") == "email":
        routing_alerts.queue_email(session, runtime(), alert)
        audit.record(session, g.user.id, "admin.alert_email", f"alert:{alert.id}")
        flash(_("admin.alert.email_queued"), "success")
    else:
        routing_alerts.acknowledge(session, alert, g.user.id)
        audit.record(session, g.user.id, "admin.alert_ack", f"alert:{alert.id}")
        flash(_("admin.alert.acknowledged"), "success")
    return redirect(url_for("portal.admin_home", _anchor="alerts"))


@bp.get("/admin/ngos")
@admin_required
def admin_ngos() -> str:
    session = db()
    ngos = session.scalars(select(NgoRecord).order_by(NgoRecord.name)).all()
    load = dict(
        session.execute(
            select(Referral.ngo_id, func.count(Referral.id))
            .where(Referral.status.in_(OPEN_REFERRAL))
            .group_by(Referral.ngo_id)
        ).all()
    )
    staff = dict(
        session.execute(
            select(User.ngo_id, func.count(User.id))
            .where(User.active.is_(True))
            .group_by(User.ngo_id)
        ).all()
    )
    audit.record(session, g.user.id, "admin.view", "ngos")
    return render_template("portal/admin_ngos.html", ngos=ngos, load=load, staff=staff)


@bp.post("/admin/ngos/<ngo_id>")
@admin_required
def admin_ngo_update(ngo_id: str) -> BaseResponse | str:
    session = db()
    ngo = session.get(NgoRecord, ngo_id)
    if ngo is None:
        abort(404)
    if request.form.get("active") == "0" and (
        page := confirmation(_("confirm.ngo_inactive", name=ngo.name))
    ):
        return page
    if request.form.get("staff_totp_required") == "0" and (
        page := confirmation(_("confirm.ngo_totp_off", name=ngo.name))
    ):
        return page
    if "active" in request.form:
        ngo.active = request.form["active"] == "1"
        audit.record(
            session,
            g.user.id,
            "admin.ngo_active" if ngo.active else "admin.ngo_inactive",
            f"ngo:{ngo.id}",
        )
    if "staff_totp_required" in request.form:
        ngo.staff_totp_required = request.form["staff_totp_required"] == "1"
        audit.record(
            session,
            g.user.id,
            "admin.ngo_totp_on" if ngo.staff_totp_required else "admin.ngo_totp_off",
            f"ngo:{ngo.id}",
        )
    if "capacity" in request.form:
        capacity = request.form.get("capacity", type=int)
        if capacity is None or not 0 <= capacity <= 10000:
            flash(_("admin.error.capacity"), "error")
            return redirect(url_for("portal.admin_ngos"))
        ngo.capacity = capacity
        audit.record(session, g.user.id, "admin.ngo_capacity", f"ngo:{ngo.id}")
    flash(_("admin.saved"), "success")
    return redirect(url_for("portal.admin_ngos"))


@bp.get("/admin/users")
@admin_required
def admin_users() -> str:
    session = db()
    users = session.scalars(
        select(User).order_by(User.ngo_id.is_(None).desc(), User.ngo_id, User.email)
    ).all()
    ngos = session.scalars(select(NgoRecord).order_by(NgoRecord.name)).all()
    audit.record(session, g.user.id, "admin.view", "users")
    return render_template(
        "portal/admin_users.html",
        users=users,
        ngos=ngos,
        roles=ROLES,
        user_languages=STAFF_LANGUAGES,
        form=request.args,
        invited=tokens.invited,
    )


@bp.post("/admin/users")
@admin_required
def admin_user_create() -> BaseResponse:
    """Invite a person: their account waits until they set their own password through the link
    e-mailed to them; their organization is told an account was made for it."""
    form, rt = request.form, runtime()
    if not rt.settings.smtp.host:
        flash(_("account.error.no_mail"), "error")
        return redirect(url_for("portal.admin_users"))
    session = db()
    try:
        with session.begin_nested():
            user = accounts.create_user(
                session,
                email=form.get("email", ""),
                password=None,
                role=form.get("role", "staff"),
                ngo_id=form.get("ngo_id") or None,
                name=form.get("name", ""),
                language=form.get("language", "en"),
            )
    except accounts.AccountError as exc:
        flash(_(exc.msgid, **exc.params), "error")
        return redirect(url_for("portal.admin_users"))
    tokens.issue(session, rt.vault, rt.settings.portal, user, "invite", g.user.id)
    notify.account_notice_later(session, user.id, "ngo_account_created")
    audit.record(session, g.user.id, "admin.user_invite", f"user:{user.id}")
    flash(_("admin.user_invited", email=user.email), "success")
    return redirect(url_for("portal.admin_users"))


@bp.post("/admin/users/<int:user_id>")
@admin_required
def admin_user_update(user_id: int) -> BaseResponse | str:
    session = db()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    if request.form.get("active") == "0" and (
        page := confirmation(_("confirm.user_inactive", email=user.email))
    ):
        return page
    if request.form.get("reset_totp") and (
        page := confirmation(_("confirm.user_totp_reset", email=user.email))
    ):
        return page
    if request.form.get("send_reset") and (
        page := confirmation(_("confirm.user_reset_link", email=user.email))
    ):
        return page
    try:
        if "active" in request.form:
            accounts.set_active(session, user, request.form["active"] == "1")
            audit.record(
                session,
                g.user.id,
                "admin.user_active" if user.active else "admin.user_inactive",
                f"user:{user.id}",
            )
        if request.form.get("send_reset"):
            rt = runtime()
            kind = "invite" if tokens.invited(user) else "reset"
            tokens.issue(session, rt.vault, rt.settings.portal, user, kind, g.user.id)
            audit.record(session, g.user.id, f"admin.user_{kind}_link", f"user:{user.id}")
        if request.form.get("unlock"):
            user.failed_logins, user.locked_until = 0, None
            audit.record(session, g.user.id, "admin.user_unlock", f"user:{user.id}")
        if request.form.get("reset_totp"):
            user.totp_secret_enc, user.totp_last_step = None, None
            audit.record(session, g.user.id, "admin.user_totp_reset", f"user:{user.id}")
            notify.account_notice_later(session, user.id, "totp_off")
            notify.account_notice_later(session, user.id, "ngo_totp_off")
    except accounts.AccountError as exc:
        session.rollback()
        flash(_(exc.msgid, **exc.params), "error")
        return redirect(url_for("portal.admin_users"))
    flash(_("admin.saved"), "success")
    return redirect(url_for("portal.admin_users"))


@bp.get("/admin/audit")
@admin_required
def admin_audit() -> str:
    session = db()
    query = select(AuditLog, User.email).outerjoin(User, User.id == AuditLog.user_id)
    action = (request.args.get("action") or "").strip()
    who = (request.args.get("user") or "").strip().lower()
    if action:
        query = query.where(AuditLog.action.startswith(action, autoescape=True))
    if who:
        query = query.where(User.email == who)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows = session.execute(
        query.order_by(AuditLog.id.desc()).limit(AUDIT_PAGE + 1).offset((page - 1) * AUDIT_PAGE)
    ).all()
    emails = dict(session.execute(select(User.id, User.email)).all())
    names = dict(session.execute(select(NgoRecord.id, NgoRecord.name)).all())
    words = [
        (
            entry,
            email,
            label("audit_action", entry.action),
            alerts_words.audit_target(entry.target, emails, names, _),
        )
        for entry, email in rows[:AUDIT_PAGE]
    ]
    audit.record(session, g.user.id, "admin.view", "audit")
    return render_template(
        "portal/admin_audit.html",
        rows=words,
        more=len(rows) > AUDIT_PAGE,
        page=page,
        action=action,
        who=who,
    )
