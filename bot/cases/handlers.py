"""The cases' effect handlers: file_report, handoff_agent (a contact request), case_status,
and its part of erase_data."""

from __future__ import annotations

from bot.cases import service
from bot.cases.draft import ReportDraft
from bot.cases.referrals import assigned_params
from bot.conversation.effects import Context, Handlers
from bot.messages import Page
from flows import Effect, Reply
from flows.effects import CaseStatus, EraseData, NgoRequest

#: This module's effect handlers (its area's ``AREA`` carries them).
HANDLERS = Handlers()


@HANDLERS.on("file_report")
def _file_report(context: Context, effect: Effect) -> list[Page]:
    """Store the report (encrypted), route it, and give the worker their case code."""
    filed = service.file_report(
        context.session, context.runtime, context.conversation, dict(effect.data)
    )
    context.notes["report_id"] = filed.report_id
    replies = [Reply("report.filed", {"code": filed.code}), *where_it_went(context, effect, filed)]
    return context.pages(replies, effect.data.get("language"))


@HANDLERS.on("handoff_agent")
def _handoff_agent(context: Context, effect: Effect) -> list[Page]:
    """Ask the matched organization's staff to talk with the worker through Puente (the relay)."""
    data = NgoRequest.of(effect)
    session, runtime, conversation = context.session, context.runtime, context.conversation
    if service.open_contact_request(session, runtime, conversation) is not None:
        return context.pages([Reply("agent.already")], data.language)
    request = {
        "slots": {"consent_ngo": True, "contact": "anonymous"},
        "language": data.language,
        "province": data.province,
        "channel": conversation.channel,
    }
    filed = service.file_report(
        session,
        runtime,
        conversation,
        request,
        kind="contact_request",
        services=list(data.services),
    )
    if filed.ngo_name is None:
        return context.pages([Reply("agent.unavailable", {"code": filed.code})], data.language)
    # Who will write and within how long (the acknowledgement deadline), not just "it may take a while".
    params = {"code": filed.code, **assigned_params(runtime, filed.ngo_name)}
    return context.pages([Reply("agent.requested", params)], data.language)


def where_it_went(context: Context, effect: Effect, filed: service.Filed) -> list[Reply]:
    """What happened to the report, truthfully: who has it and within how many hours they answer
    (routing.ack_timeout_hours), or that nobody could take it or the worker kept it; and what
    became of the government tip line (Puente never sends it there itself)."""
    draft = ReportDraft.from_effect(effect.data)
    tip_line = {"tip_line": context.runtime.engine.facts.lookup("lines.tip_line.phone", None)}
    if filed.ngo_name is not None:
        told = [Reply("case.update.assigned", assigned_params(context.runtime, filed.ngo_name))]
        if draft.consent_tip_line:
            return [*told, Reply("report.tipline.asked", tip_line)]
        return [*told, Reply("report.tipline.declined", tip_line)]
    told = [Reply("report.sent.unrouted" if draft.consent_ngo else "report.sent.kept")]
    return [
        *told,
        Reply(
            "report.tipline.self" if draft.consent_tip_line else "report.tipline.declined", tip_line
        ),
    ]


@HANDLERS.on("case_status")
def _case_status(context: Context, effect: Effect) -> list[Page]:
    """The status of the case behind a code (throttled), never its details."""
    reply = service.case_status(
        context.session, context.runtime, context.conversation, CaseStatus.of(effect).code
    )
    return context.pages([reply])


@HANDLERS.on("erase_data", first=True)
def _unlink_reports(context: Context, effect: Effect) -> None:
    """Runs before the foundation deletes the conversation: after the worker's second yes, their
    reports stay but nothing ties them to the worker any more."""
    if EraseData.of(effect).unlink_reports:
        service.unlink(context.session, context.runtime, context.conversation)
