"""Names administrators read for the codes the event log holds (English; the codes stay in CSV)."""

from __future__ import annotations

DIMENSIONS = {"province": "Province", "language": "Language", "sector": "Sector",
              "channel": "Channel", "subject": "Subject"}
LANGUAGES = {"es": "Spanish", "tl": "Tagalog", "en": "English"}
CHANNELS = {"sms": "SMS", "whatsapp": "WhatsApp"}
PROVINCES = ("AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT")
SECTORS = {"agriculture": "Agriculture", "caregiving": "Caregiving", "food_processing": "Food processing",
           "construction": "Construction", "hospitality": "Hospitality", "other": "Other sector"}
TOPICS = {"wages": "Wages and pay", "hours": "Hours and overtime", "housing": "Housing",
          "health": "Health care", "permit": "Work permit", "fees": "Recruitment fees",
          "documents": "Documents", "safety": "Health and safety", "retaliation": "Retaliation"}
ABUSE_TYPES = {"wages": "Wages", "hours": "Hours", "housing": "Housing",
               "health_safety": "Health and safety", "documents": "Documents taken",
               "fees": "Recruitment fees", "violence": "Harassment or violence",
               "retaliation": "Threats or retaliation", "other": "Other"}
OUTCOMES = {"resolved": "Resolved", "referred_to_authorities": "Referred to authorities",
            "worker_unreachable": "Worker unreachable", "withdrawn": "Withdrawn", "other": "Other"}
GAP_KINDS = {"province": "No organization in the province", "language": "Nobody speaks the language",
             "service": "Service not offered in the province", "sector": "Sector not covered",
             "capacity": "All organizations full"}
RELAY = {"to_worker": "To workers", "from_worker": "From workers"}
TRIAGE = {"danger": "Violence or immediate danger", "confinement": "Confinement", "sexual": "Sexual abuse",
          "injury": "Injury", "suicide": "Thoughts of suicide"}
UNKNOWN = "Not known"

_BY_DIMENSION = {"language": LANGUAGES, "channel": CHANNELS, "sector": SECTORS}


def value(dimension: str, code: str) -> str:
    """A cell label: the name of a code in its dimension (``unknown`` when the worker never said)."""
    if code == "unknown":
        return UNKNOWN
    return _BY_DIMENSION.get(dimension, {}).get(code, code)


def gap(code: str) -> str:
    kind, _, what = code.partition(":")
    name = value(kind, what) if kind in _BY_DIMENSION else what.replace("_", " ")
    return f"{GAP_KINDS.get(kind, kind)}: {name}"


def step(code: str) -> str:
    flow, _, where = code.partition(" @ ")
    return f"{flow} at '{where}'"
