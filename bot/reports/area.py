"""The cases area as one value: filing and following a report, the relay to the NGO, their purge."""

from bot.conversation.areas import Area
from bot.reports import handlers, relay, retention

#: The relay's handlers after the reports' own: a case's status, then "sent" to its relay.
AREA = Area("reports", handlers=(handlers.HANDLERS, relay.HANDLERS), purge_hooks=(retention.purge,))
