"""Saved replies: texts an NGO's staff reuse when writing to workers, one set per worker language,
kept and edited by the NGO itself (the case page offers those in the worker's language)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from bot.portal import audit
from bot.portal.models import SavedReply
from bot.portal.web import _, bp, confirmation, db, staff_required
from vocab import LANGUAGES

MAX_TITLE, MAX_BODY = 80, 2000


def for_language(session: Session, ngo_id: str, language: str) -> list[SavedReply]:
    """The NGO's saved replies in one worker language, by title."""
    return list(
        session.scalars(
            select(SavedReply)
            .where(SavedReply.ngo_id == ngo_id, SavedReply.language == language)
            .order_by(SavedReply.title, SavedReply.id)
        )
    )


@bp.get("/saved-replies")
@staff_required
def saved_replies() -> str:
    items = (
        db()
        .scalars(
            select(SavedReply)
            .where(SavedReply.ngo_id == g.user.ngo_id)
            .order_by(SavedReply.language, SavedReply.title, SavedReply.id)
        )
        .all()
    )
    return render_template(
        "portal/saved_replies.html",
        items=items,
        worker_languages=LANGUAGES,
        max_title=MAX_TITLE,
        max_body=MAX_BODY,
    )


@bp.post("/saved-replies")
@staff_required
def saved_reply_save() -> BaseResponse:
    """Add a saved reply, or change one (``id``) of this NGO's."""
    form = request.form
    title, body = (form.get("title") or "").strip(), (form.get("body") or "").strip()
    language = form.get("language")
    if (
        not title
        or not body
        or language not in LANGUAGES
        or len(title) > MAX_TITLE
        or len(body) > MAX_BODY
    ):
        flash(_("saved.error"), "error")
        return redirect(url_for("portal.saved_replies"))
    item = _own(form.get("id", type=int)) if form.get("id") else SavedReply(ngo_id=g.user.ngo_id)
    item.title, item.body, item.language = title, body, language
    db().add(item)
    db().flush()
    audit.record(db(), g.user.id, "saved_reply.save", f"saved_reply:{item.id}")
    flash(_("saved.done"), "success")
    return redirect(url_for("portal.saved_replies"))


@bp.post("/saved-replies/<int:item_id>/delete")
@staff_required
def saved_reply_delete(item_id: int) -> BaseResponse | str:
    item = _own(item_id)
    if page := confirmation(_("confirm.saved_reply_delete", title=item.title)):
        return page
    db().delete(item)
    audit.record(db(), g.user.id, "saved_reply.delete", f"saved_reply:{item_id}")
    flash(_("saved.deleted"), "success")
    return redirect(url_for("portal.saved_replies"))


def _own(item_id: int | None) -> SavedReply:
    item = db().get(SavedReply, item_id) if item_id else None
    if item is None or item.ngo_id != g.user.ngo_id:
        abort(404)
    return item
