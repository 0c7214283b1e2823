"""The NGO staff portal as one value: its pages at /portal."""

from bot.conversation.areas import Area

AREA = Area("portal", views="bot.portal.routes")
