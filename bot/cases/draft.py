"""What the report flow's slots mean: the ``file_report`` effect's data as one checked draft.

Pure (no I/O): the slot names are those of flows/report.yaml, and anything unexpected (an unknown
type, a free-text sector) is kept in the encrypted details rather than in a clear column, so a
report never puts a worker's words where the database holds plain values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vocab import PROVINCES

#: The report flow's abuse types (option ids of ``report.ask.what``).
ABUSE_TYPES = (
    "wages", "hours", "housing", "health_safety", "documents", "fees", "violence", "retaliation",
    "other",
)  # fmt: skip
#: The same types in the matcher's vocabulary (bot.directory.matching.ABUSE_SERVICES).
MATCHING_TYPES = {
    "documents": "documents_taken",
    "fees": "recruitment_fees",
    "violence": "harassment_violence",
    "retaliation": "threats_retaliation",
}
SECTORS = ("agriculture", "caregiving", "food_processing", "construction", "hospitality", "other")
CONTACT_PREFS = ("anonymous", "share_number")
#: The report's "who receives it" answer: (shared with an organization, may go to the tip line).
SHARE_CHOICES = {"ngo": (True, False), "ngo_tipline": (True, True), "none": (False, False)}
MAX_TEXT = 500

#: Slot names of flows/report.yaml, with the other names a flow might use for the same answer.
_ALIASES = {
    "types": ("types", "abuse_types", "what"),
    "employer": ("employer",),
    "place": ("place", "town", "where"),
    "sector": ("sector",),
    "since": ("since",),
    "workers": ("workers", "how_many", "affected"),
    "photos": ("photos", "media", "evidence"),
    "danger": ("danger",),
    "consent_ngo": ("consent_ngo",),
    "consent_tip_line": ("consent_tipline", "consent_tip_line"),
    "contact": ("contact", "contact_pref"),
    "employer_phone": ("employer_phone",),
    "lmia": ("lmia",),
    "details": ("details", "description", "story"),
}


@dataclass(frozen=True)
class ReportDraft:
    """A report as the worker gave it, every answer optional (each question could be skipped)."""

    language: str
    channel: str
    province: str | None = None
    abuse_types: tuple[str, ...] = ()
    employer: str | None = None
    town: str | None = None
    sector: str | None = None
    danger: bool | None = None
    consent_ngo: bool = False
    consent_tip_line: bool = False
    contact_pref: str = "anonymous"
    media: tuple[Mapping[str, Any], ...] = ()
    employer_phone: str | None = None
    lmia: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_effect(cls, data: Mapping[str, Any], default_language: str = "es") -> ReportDraft:
        """Read a ``file_report`` effect's data: {slots, language, province, channel}."""
        slots = data.get("slots") or {}
        if not isinstance(slots, Mapping):
            slots = {}

        def slot(name: str) -> Any:
            for alias in _ALIASES[name]:
                if slots.get(alias) not in (None, "", []):
                    return slots[alias]
            return None

        details: dict[str, Any] = {}
        types_given = slot("types")
        types_given = [types_given] if isinstance(types_given, str) else list(types_given or [])
        types = tuple(
            dict.fromkeys(t if t in ABUSE_TYPES else "other" for t in map(str, types_given))
        )
        unknown_types = [str(t)[:MAX_TEXT] for t in types_given if t not in ABUSE_TYPES]
        if unknown_types:
            details["other_types"] = unknown_types
        sector = _text(slot("sector"))
        if sector and sector not in SECTORS:
            details["sector_text"], sector = sector, "other"
        for name in ("since", "workers", "details"):
            value = _text(slot(name))
            if value:
                details[name] = value
        contact = slot("contact")
        consent_ngo = _flag(slot("consent_ngo"))
        consent_tip_line = _flag(slot("consent_tip_line"))
        if slots.get("share") in SHARE_CHOICES:
            consent_ngo, consent_tip_line = SHARE_CHOICES[slots["share"]]
        return cls(
            language=str(data.get("language") or default_language),
            channel=str(data.get("channel") or "sms"),
            province=_province(slots.get("province")) or _province(data.get("province")),
            abuse_types=types,
            employer=_text(slot("employer")),
            town=_text(slot("place")),
            sector=sector,
            danger=None if slot("danger") is None else _flag(slot("danger")),
            consent_ngo=consent_ngo,
            consent_tip_line=consent_tip_line,
            contact_pref=contact if consent_ngo and contact in CONTACT_PREFS else "anonymous",
            media=tuple(m for m in (slot("photos") or []) if isinstance(m, Mapping)),
            employer_phone=_text(slot("employer_phone")),
            lmia=_text(slot("lmia")),
            details=details,
        )


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool | list | dict):
        return None
    text = " ".join(str(value).split())[:MAX_TEXT]
    return text or None


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"yes", "true", "1", "si", "sí", "oo"}
    return bool(value)


def _province(value: Any) -> str | None:
    code = str(value or "").strip().upper()
    return code if code in PROVINCES else None
