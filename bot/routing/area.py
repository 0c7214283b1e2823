"""The NGO directory and delivery as one value: find_ngo, and the re-drive of lost deliveries."""

from bot.conversation.areas import Area
from bot.routing import handlers, jobs

AREA = Area("routing", handlers=(handlers.HANDLERS,), housekeeping=(jobs.housekeeping,))
