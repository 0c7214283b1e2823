"""The reports area's effect handlers: file_report, case_status, and its part of erase_data."""

from __future__ import annotations

from bot.effects import Context, handler
from bot.reports import service
from bot.routing.referrals import assigned_params
from flows import Effect, Reply


@handler("file_report")
def _file_report(context: Context, effect: Effect) -> list[str]:
    """Store the report (encrypted), route it, and give the worker their case code."""
    filed = service.file_report(context.session, context.runtime, context.conversation, dict(effect.data))
    context.notes["report_id"] = filed.report_id
    replies = [Reply("report.filed", {"code": filed.code})]
    if filed.referral_id:
        replies.append(Reply("case.update.assigned", assigned_params(context.runtime, filed.ngo_name)))
    return context.render(replies, effect.data.get("language"))


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
