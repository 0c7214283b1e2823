"""The routing area's effect handlers: find_ngo (who can help near me) and handoff_agent."""

from __future__ import annotations

from bot.conversation.effects import Context, handler
from bot.reports import service
from bot.routing import store
from bot.routing.matching import nearby
from bot.routing.referrals import assigned_params
from flows import Effect, Reply

#: How many organizations find_ngo lists.
NEARBY = 3


@handler("find_ngo")
def _find_ngo(context: Context, effect: Effect) -> list[str]:
    """Name the best few organizations for the worker's province, language and needs.

    Only names and areas: the directory's contact channels are for referrals, so the way to reach
    one is through Puente (AGENT), which keeps the worker anonymous.
    """
    data = effect.data
    ngos = store.load_ngos(context.session, context.runtime.vault)
    found = nearby(data.get("province"), data.get("language"), list(data.get("services") or ()),
                   ngos=ngos, limit=NEARBY)
    if not found:
        return context.render([Reply("ngo.none")], data.get("language"))
    replies = [Reply("ngo.found", {"count": len(found)})]
    replies += [Reply("ngo.item", {"name": ngo.name, "area": ngo.area}) if ngo.area
                else Reply("ngo.item_no_area", {"name": ngo.name}) for ngo in found]
    replies.append(Reply("ngo.contact_offer"))
    return context.render(replies, data.get("language"))


@handler("handoff_agent")
def _handoff_agent(context: Context, effect: Effect) -> list[str]:
    """Ask the matched organization's staff to talk with the worker through Puente (the relay)."""
    data = effect.data
    session, runtime, conversation = context.session, context.runtime, context.conversation
    if service.open_contact_request(session, runtime, conversation) is not None:
        return context.render([Reply("agent.already")], data.get("language"))
    request = {
        "slots": {"consent_ngo": True, "contact": "anonymous"},
        "language": data.get("language"),
        "province": data.get("province"),
        "channel": conversation.channel,
    }
    filed = service.file_report(session, runtime, conversation, request, kind="contact_request",
                                services=list(data.get("services") or ()))
    if not filed.referral_id:
        return context.render([Reply("agent.unavailable", {"code": filed.code})], data.get("language"))
    # Who will write and within how long (the acknowledgement deadline), not just "it may take a while".
    params = {"code": filed.code, **assigned_params(runtime, filed.ngo_name)}
    return context.render([Reply("agent.requested", params)], data.get("language"))
