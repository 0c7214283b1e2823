"""The inbox, the case page, and what staff do on a case: take it, work it, close it, write to the worker."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from bot.cases import evidence as stored_evidence
from bot.cases import referrals
from bot.cases.draft import ABUSE_TYPES
from bot.cases.models import OUTCOMES, Note, Referral, RelayStatus, Report
from bot.directory.models import NgoRecord
from bot.errors import PuenteError
from bot.portal import audit, cases, saved_replies
from bot.portal.web import _, bp, db, runtime, staff_required
from bot.store.db import utcnow
from bot.text import segments
from vocab import LANGUAGES, PROVINCES

MAX_TEXT = 2000
DECLINE_REASONS = ("capacity", "out_of_scope", "conflict", "other")
#: Evidence types a browser may show inline; anything else is offered as a download.
INLINE_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
    "audio/ogg",
    "audio/mpeg",
    "audio/amr",
    "video/mp4",
    "video/3gpp",
)
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/amr": "amr",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
}


@bp.get("/inbox")
@staff_required
def inbox() -> str:
    filters = cases.Filters.from_args(request.args)
    page = request.args.get("page", 1, type=int) or 1
    settings = runtime().settings
    found = cases.inbox(
        db(),
        runtime().envelope,
        g.user,
        filters,
        page,
        ack_timeout_hours=settings.routing.ack_timeout_hours,
        repeat_k=settings.reports.alert_k,
    )
    audit.record(db(), g.user.id, "inbox.view", f"ngo:{g.user.ngo_id}")
    return render_template(
        "portal/inbox.html",
        inbox=found,
        filters=filters,
        buckets=list(cases.BUCKETS),
        abuse_types=ABUSE_TYPES,
        provinces=sorted(PROVINCES),
        ages=list(cases.AGES),
        worker_languages=LANGUAGES,
        owners=cases.OWNERS,
    )


def _case_or_404(referral_id: int) -> tuple[Referral, Report]:
    found = cases.find_case(db(), g.user.ngo_id, referral_id)
    if found is None:
        audit.record(db(), g.user.id, "case.not_found", f"referral:{referral_id}")
        abort(404)
    return found


@bp.get("/cases/<int:referral_id>")
@staff_required
def case(referral_id: int) -> str:
    referral, report = _case_or_404(referral_id)
    view = cases.case_view(db(), runtime().envelope, referral, report)
    from bot.cases import relay

    blocked = relay.reply_blocked(db(), runtime(), referral, report)
    audit.record(db(), g.user.id, "case.view", f"referral:{referral.id}")
    ngo = db().get(NgoRecord, referral.ngo_id)
    ngo_name = ngo.name if ngo else ""
    language = relay.worker_language(db(), runtime(), report)
    saved = saved_replies.for_language(db(), g.user.ngo_id, language)
    chosen = next((item for item in saved if item.id == request.args.get("saved", type=int)), None)
    draft = chosen.body if chosen else ""
    deadline = cases.ack_deadline(referral, runtime().settings.routing.ack_timeout_hours)
    return render_template(
        "portal/case.html",
        case=view,
        bucket=cases.bucket_of(referral.status),
        steps=list(cases.BUCKETS),
        outcomes=OUTCOMES,
        decline_reasons=DECLINE_REASONS,
        max_text=MAX_TEXT,
        can_reply=blocked is None,
        reply_blocked=blocked,
        worker_language=language,
        ngo_name=ngo_name,
        colleagues=cases.colleagues(db(), g.user.ngo_id),
        saved_replies=saved,
        draft_id=chosen.id if chosen else None,
        draft=draft,
        draft_parts=segments.count_segments(f"{ngo_name}: {draft}") if draft else 0,
        sms=sms_counting(ngo_name),
        ack_deadline=deadline,
        ack_overdue=deadline is not None and deadline <= utcnow(),
        ack_hours=max(0, int((deadline - utcnow()).total_seconds() // 3600)) if deadline else None,
    )


def sms_counting(ngo_name: str) -> dict[str, str]:
    """What the page's SMS length hint counts with (static/case.js): bot/text/segments.py's rule."""
    return {
        "gsm_basic": "".join(sorted(segments.GSM7_BASIC)),
        "gsm_extended": "".join(sorted(segments.GSM7_EXTENDED)),
        "prefix": f"{ngo_name}: ",
        "limits": json.dumps(
            {
                "gsm": [segments.GSM7_SINGLE, segments.GSM7_PART],
                "ucs2": [segments.UCS2_SINGLE, segments.UCS2_PART],
            }
        ),
    }


@bp.get("/referrals/<int:referral_id>")
def referral_link(referral_id: int) -> BaseResponse:
    """The link in referral e-mails and webhooks (bot.cases.notices) leads to the case page."""
    return redirect(url_for("portal.case", referral_id=referral_id))


@bp.get("/cases/<int:referral_id>/evidence/<int:media_id>")
@staff_required
def evidence(referral_id: int, media_id: int) -> BaseResponse:
    """One piece of evidence, decrypted in memory and streamed; never cached, never a file path."""
    referral, report = _case_or_404(referral_id)
    media = cases.media_for(db(), report.id, media_id)
    if media is None:
        abort(404)
    data = stored_evidence.read(db(), runtime(), media)
    audit.record(db(), g.user.id, "case.evidence", f"referral:{referral.id}:media:{media.id}")
    content_type = (
        media.content_type if media.content_type in INLINE_TYPES else "application/octet-stream"
    )
    disposition = "inline" if content_type in INLINE_TYPES else "attachment"
    filename = f"evidence-{referral.id}-{media.id}.{EXTENSIONS.get(content_type, 'bin')}"

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(data), 64 * 1024):
            yield data[start : start + 64 * 1024]

    response = Response(chunks(), content_type=content_type, direct_passthrough=True)
    response.headers.update(
        {
            "Cache-Control": "no-store, max-age=0",
            "Pragma": "no-cache",
            "Content-Length": str(len(data)),
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; sandbox",
        }
    )
    return response


#: A case action: what it does to the case, and the message to flash (None: nothing was done).
CaseAction = Callable[[Referral, Report], str | None]


def _action(name: str) -> Callable[[CaseAction], CaseAction]:
    """A case action: find the case (404 if not this NGO's), run it, audit it, go back to the case."""

    def decorate(func: CaseAction) -> CaseAction:
        def view(referral_id: int) -> BaseResponse:
            referral, report = _case_or_404(referral_id)
            try:
                message = func(referral, report)
            except PuenteError as exc:
                db().rollback()
                audit.record(db(), g.user.id, f"case.{name}.refused", f"referral:{referral_id}")
                flash(_(getattr(exc, "msgid", "case.error.refused")), "error")
                return redirect(url_for("portal.case", referral_id=referral_id))
            if message is None:  # the form was incomplete: nothing done
                return redirect(url_for("portal.case", referral_id=referral_id))
            audit.record(db(), g.user.id, f"case.{name}", f"referral:{referral.id}")
            flash(_(message), "success")
            # Back where the person was working: the conversation after a reply, else the status.
            anchor = {"reply": "reply", "notes": "notes"}.get(name, "status")
            return redirect(url_for("portal.case", referral_id=referral_id, _anchor=anchor))

        view.__name__ = f"case_{name}"
        bp.add_url_rule(
            f"/cases/<int:referral_id>/{name}",
            view.__name__,
            staff_required(view),
            methods=["POST"],
        )
        return func

    return decorate


def _text(field: str) -> str | None:
    text = (request.form.get(field) or "").strip()
    if not text:
        flash(_("case.error.empty"), "error")
        return None
    if len(text) > MAX_TEXT:
        flash(_("case.error.too_long", limit=MAX_TEXT), "error")
        return None
    return text


@_action("acknowledge")
def _acknowledge(referral: Referral, report: Report) -> str:
    referrals.acknowledge(db(), runtime(), referral.id, g.user.id)
    return "case.done.acknowledged"


@_action("accept")
def _accept(referral: Referral, report: Report) -> str:
    referrals.accept(db(), runtime(), referral.id, g.user.id)
    return "case.done.accepted"


@_action("assign")
def _assign(referral: Referral, report: Report) -> str | None:
    """Assign the case to oneself, to a colleague of the same NGO, or to nobody ("")."""
    choice = request.form.get("assignee", "")
    assignee = g.user.id if choice == "me" else (int(choice) if choice.isdigit() else None)
    if assignee is not None and assignee not in cases.colleagues(db(), g.user.ngo_id):
        flash(_("case.error.refused"), "error")
        return None
    referrals.assign(db(), referral.id, g.user.id, assignee)
    return "case.done.assigned" if assignee else "case.done.unassigned"


@_action("decline")
def _decline(referral: Referral, report: Report) -> str:
    reason = request.form.get("reason")
    reason = reason if reason in DECLINE_REASONS else "other"
    referrals.decline(db(), runtime(), referral.id, g.user.id, reason)
    return "case.done.declined"


@_action("close")
def _close(referral: Referral, report: Report) -> str | None:
    outcome = request.form.get("outcome")
    if outcome not in OUTCOMES:
        flash(_("case.error.outcome"), "error")
        return None
    note = (request.form.get("note") or "").strip()[:MAX_TEXT]
    if note:
        _add_note(referral, report, note)
    referrals.close(db(), runtime(), referral.id, g.user.id, outcome)
    return "case.done.closed"


@_action("hold")
def _hold(referral: Referral, report: Report) -> str:
    """A legal hold keeps the case past reports.erase_after_days (bot.cases.retention)."""
    from bot.cases import retention

    on = request.form.get("hold") == "on"
    retention.set_legal_hold(db(), report, on, g.user.id)
    return "case.done.hold_on" if on else "case.done.hold_off"


@_action("notes")
def _note(referral: Referral, report: Report) -> str | None:
    text = _text("body")
    if text is None:
        return None
    _add_note(referral, report, text)
    return "case.done.note"


def _add_note(referral: Referral, report: Report, text: str) -> None:
    note = Note(report_id=report.id, referral_id=referral.id, user_id=g.user.id, body_enc="")
    db().add(note)
    db().flush()  # its id: the note is sealed to its row, under the report's data key
    runtime().envelope.put(db(), report.sealing_key, note, "body_enc", text)
    referrals.add_note(db(), runtime(), referral.id, g.user.id)


@_action("reply")
def _reply(referral: Referral, report: Report) -> str | None:
    text = _text("body")
    if text is None:
        return None
    from bot.cases import relay

    sent = relay.send_to_worker(db(), runtime(), referral.id, g.user.id, text)
    return (
        "case.done.reply_waiting"
        if sent.status == RelayStatus.WAITING_WINDOW
        else "case.done.reply_sent"
    )
