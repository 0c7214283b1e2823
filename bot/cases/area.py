"""The cases as one value: filing and following a report, the relay to the NGO, their purge, and
the re-drive of lost notices, overdue referrals and lost media fetches."""

from bot.cases import handlers, jobs, relay, retention
from bot.conversation.areas import Area

#: The relay's handlers after the reports' own: a case's status, then "sent" to its relay.
AREA = Area(
    "cases",
    handlers=(handlers.HANDLERS, relay.HANDLERS),
    purge_hooks=(retention.purge,),
    housekeeping=(jobs.housekeeping,),
)
