"""The reports area's effect handlers: file_report, case_status, and its part of erase_data."""

from __future__ import annotations

from bot.conversation.effects import Context, handler
from bot.reports import service
from bot.reports.draft import ReportDraft
from bot.routing.referrals import assigned_params
from flows import Effect, Reply


@handler("file_report")
def _file_report(context: Context, effect: Effect) -> list[str]:
    """Store the report (encrypted), route it, and give the worker their case code."""
    filed = service.file_report(context.session, context.runtime, context.conversation, dict(effect.data))
    context.notes["report_id"] = filed.report_id
    replies = [Reply("report.filed", {"code": filed.code}), *where_it_went(context, effect, filed)]
    return context.render(replies, effect.data.get("language"))


def where_it_went(context: Context, effect: Effect, filed: service.Filed) -> list[Reply]:
    """What happened to the report, truthfully: who has it and within how many hours they answer
    (routing.ack_timeout_hours), or that nobody could take it or the worker kept it; and what
    became of the government tip line (Puente never sends it there itself)."""
    draft = ReportDraft.from_effect(effect.data)
    tip_line = {"tip_line": context.runtime.engine.facts.lookup("lines.tip_line.phone", None)}
    if filed.referral_id:
        told = [Reply("case.update.assigned", assigned_params(context.runtime, filed.ngo_name))]
        if draft.consent_tip_line:
            return [*told, Reply("report.tipline.asked", tip_line)]
        return [*told, Reply("report.tipline.declined", tip_line)]
    told = [Reply("report.sent.unrouted" if draft.consent_ngo else "report.sent.kept")]
    return [*told, Reply("report.tipline.self" if draft.consent_tip_line else "report.tipline.declined", tip_line)]


@handler("case_status")
def _case_status(context: Context, effect: Effect) -> list[str]:
    """The status of the case behind a code (throttled), never its details."""
    reply = service.case_status(context.session, context.runtime, context.conversation, effect.data.get("code"))
    return context.render([reply])


@handler("erase_data", first=True)
def _unlink_reports(context: Context, effect: Effect) -> None:
    """Runs before the foundation deletes the conversation: after the worker's second yes, their
    reports stay but nothing ties them to the worker any more."""
    if effect.data.get("unlink_reports"):
        service.unlink(context.session, context.runtime, context.conversation)
