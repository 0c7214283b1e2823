"""The NGO staff portal as one value: its pages at /portal."""

from bot.conversation.areas import Area
from bot.portal import routes

AREA = Area("portal", blueprint=routes.bp)
