"""The NGO directory as one value: find_ngo (who can help near me)."""

from bot.conversation.areas import Area
from bot.directory import handlers

AREA = Area("directory", handlers=(handlers.HANDLERS,))
