"""The directory's effect handler: find_ngo (who can help near me)."""

from __future__ import annotations

from bot.conversation.effects import Context, Handlers
from bot.directory import store
from bot.directory.matching import nearby
from bot.messages import Page
from flows import Effect, Reply
from flows.effects import NgoRequest

#: This module's effect handlers (its area's ``AREA`` carries them).
HANDLERS = Handlers()

#: How many organizations find_ngo lists.
NEARBY = 3


@HANDLERS.on("find_ngo")
def _find_ngo(context: Context, effect: Effect) -> list[Page]:
    """Name the best few organizations for the worker's province, language and needs.

    Only names and areas: the directory's contact channels are for referrals, so the way to reach
    one is through Puente (AGENT), which keeps the worker anonymous.
    """
    data = NgoRequest.of(effect)
    ngos = store.load_ngos(context.session, context.runtime.vault)
    found = nearby(
        data.province,
        data.language,
        list(data.services),
        ngos=ngos,
        limit=NEARBY,
    )
    if not found:
        return context.pages([Reply("ngo.none")], data.language)
    replies = [Reply("ngo.found", {"count": len(found)})]
    replies += [
        Reply("ngo.item", {"name": ngo.name, "area": ngo.area})
        if ngo.area
        else Reply("ngo.item_no_area", {"name": ngo.name})
        for ngo in found
    ]
    replies.append(Reply("ngo.contact_offer"))
    return context.pages(replies, data.language)
