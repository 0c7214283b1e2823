"""The portal blueprint with every page on it (importing the view modules adds their routes)."""

from bot.portal import admin_views, auth_views, case_views, link_views, saved_replies  # noqa: F401
from bot.portal.web import bp

__all__ = ["bp"]
