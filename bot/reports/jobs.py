"""Background jobs of the reports area. Each takes ids only and is safe to run twice."""

from __future__ import annotations

from bot.reports import evidence, repeat
from bot.runtime import current


def fetch_media(report_id: int) -> dict[str, int]:
    """Fetch a report's evidence from Twilio and keep it encrypted."""
    return evidence.fetch(current(), report_id)


def check_employer_alerts(report_id: int) -> list[int]:
    """After a report naming an employer: alert administrators if enough workers named it."""
    return repeat.check(current())
