"""Office hours as data: "Mon-Fri 09:00-17:00; Sat 10:00-14:00" read once, asked "open now?".

The matcher uses it to tell staff whether an organization is open when a case arrives; escalation
may use it to avoid counting nights against an organization.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_SEGMENT = re.compile(
    r"^(?P<days>[A-Za-z,\- ]+?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)


@dataclass(frozen=True)
class Window:
    """One opening: a weekday (0 = Monday) from ``start`` to ``end`` (``end`` None = midnight)."""

    weekday: int
    start: time
    end: time | None

    def contains(self, local: datetime) -> bool:
        if local.weekday() != self.weekday:
            return False
        moment = local.time().replace(tzinfo=None)
        return self.start <= moment and (self.end is None or moment < self.end)


@dataclass(frozen=True)
class OfficeHours:
    """When an organization answers, in its own time zone; ``always`` for "24/7"."""

    text: str
    timezone: str
    windows: tuple[Window, ...] = ()
    always: bool = False

    def is_open(self, at: datetime) -> bool:
        """Whether the office is open at an aware datetime (any zone)."""
        if at.tzinfo is None:
            raise ValueError("is_open needs an aware datetime")
        if self.always:
            return True
        local = at.astimezone(ZoneInfo(self.timezone))
        return any(window.contains(local) for window in self.windows)


def parse_office_hours(text: str, timezone: str) -> OfficeHours:
    """Read "Mon-Fri 09:00-17:00; Sat 10:00-14:00" or "24/7"; raise ValueError saying what is wrong.

    Days are English three-letter abbreviations, single ("Sat"), ranges ("Mon-Fri") or lists
    ("Mon,Wed"); segments are separated by ";". Times are 24-hour; an opening cannot cross midnight.
    """
    ZoneInfo(timezone)  # raises for an unknown zone
    cleaned = " ".join(text.split())
    if cleaned.lower() in {"24/7", "24h", "always"}:
        return OfficeHours(text=cleaned, timezone=timezone, always=True)
    windows: list[Window] = []
    for segment in filter(None, (s.strip() for s in cleaned.split(";"))):
        match = _SEGMENT.match(segment)
        if not match:
            raise ValueError(f"'{segment}' is not like 'Mon-Fri 09:00-17:00'")
        start, end = _clock(match["start"]), _clock(match["end"])
        if start is None:
            raise ValueError(f"'{segment}' opens at 24:00 (write 00:00)")
        if end is not None and end <= start:
            raise ValueError(
                f"'{segment}' closes before it opens (overnight hours are not supported)"
            )
        windows.extend(Window(day, start, end) for day in _days(match["days"]))
    if not windows:
        raise ValueError("no opening hours given")
    unique = sorted(set(windows), key=lambda w: (w.weekday, w.start))
    return OfficeHours(text=cleaned, timezone=timezone, windows=tuple(unique))


def _days(spec: str) -> list[int]:
    days: list[int] = []
    for part in filter(None, (p.strip().lower() for p in spec.split(","))):
        first, _, last = (s.strip()[:3] for s in part.partition("-"))
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"'{part}' is not a day or range like Mon-Fri")
        a, b = DAYS.index(first), DAYS.index(last or first)
        if b < a:
            raise ValueError(f"'{part}' runs backwards; write it as two ranges")
        days.extend(range(a, b + 1))
    return days


def _clock(value: str) -> time | None:
    hours, minutes = (int(x) for x in value.split(":"))
    if (hours, minutes) == (24, 0):
        return None
    if hours > 23 or minutes > 59:
        raise ValueError(f"'{value}' is not a time of day")
    return time(hours, minutes)
