"""The indicators as one value: the events a turn records, and the administrators' pages."""

from bot.analytics import events
from bot.conversation.areas import Area

AREA = Area(
    "analytics",
    handlers=(events.HANDLERS,),
    turn_hooks=(events.on_turn,),
    views="bot.analytics.views",
)
