"""The fixed words every part of Puente shares: provinces, languages, intents, channels.

Each is listed here once, so the flows, the NLU, the store, the portal and the indicators all count
the same things, and adding one is a single edit (plus its words in locales/ and flows/). Pure: this
module imports nothing of Puente and sits below every layer (.importlinter).
"""

from __future__ import annotations

import re
from typing import Final, Literal, get_args

#: Canada's provinces and territories, by their postal codes, in alphabetical order.
PROVINCES: Final = ("AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT")

#: The languages a worker reads and writes: Spanish, Tagalog, English.
Language = Literal["es", "tl", "en"]
LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)

#: The languages of the staff portal and the digests it sends.
StaffLanguage = Literal["en", "fr"]
STAFF_LANGUAGES: Final[tuple[StaffLanguage, ...]] = get_args(StaffLanguage)

#: The channels a worker writes on.
Channel = Literal["sms", "whatsapp"]
CHANNELS: Final[tuple[Channel, ...]] = get_args(Channel)

#: The letters and digits of a case code (no 0/O, 1/I/L): "7KQ4-M9XR".
CASE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CASE_CODE = re.compile(rf"^[{CASE_ALPHABET}]{{8}}$")


def case_code(text: str) -> str | None:
    """A case code in any case, with or without hyphen or space -> 'ABCD2345'; else None."""
    compact = re.sub(r"[\s\-_.]", "", (text or "").strip()).upper()
    if not _CASE_CODE.match(compact):
        return None
    digits = sum(c.isdigit() for c in compact)
    if digits < 2 or len(compact) - digits < 2:
        return None
    return compact


#: The NLU's "not understood".
FALLBACK: Final = "nlu_fallback"

#: Intents that name a problem the flows can answer (not greetings, commands or follow-ups);
#: ``distress`` (sad, alone, worn out) is listened to and offered a person; ``out_of_scope`` is
#: answered with where to ask, so beside a complaint it is offered last.
PROBLEM_INTENTS: Final = frozenset(
    {
        "ask_wages",
        "ask_hours",
        "ask_housing",
        "ask_health",
        "ask_permit",
        "ask_fees",
        "ask_documents",
        "ask_contract",
        "ask_safety",
        "ask_retaliation",
        "ask_injury",
        "ask_sick",
        "report_abuse",
        "emergency",
        "distress",
        "out_of_scope",
    }
)

#: The NLU's intent names (issue 3): a contract between nlu/data and the flows, so a typo in a flow
#: is a load error and the training data must teach exactly these.
INTENTS: Final = (
    "greet",
    "goodbye",
    "affirm",
    "deny",
    "menu",
    "change_language",
    "opt_out",
    "delete_data",
    "ask_wages",
    "ask_hours",
    "ask_housing",
    "ask_health",
    "ask_permit",
    "ask_fees",
    "ask_documents",
    "ask_contract",
    "ask_safety",
    "ask_retaliation",
    "ask_injury",
    "ask_sick",
    "report_abuse",
    "find_ngo",
    "emergency",
    "case_status",
    "inform",
    "ask_next_step",
    "distress",
    "out_of_scope",
    FALLBACK,
)

#: The least confidence at which an intent is acted on or offered as a guess, by default (config.yaml
#: nlu.intent_thresholds documents why these values; the engine and the settings both start here).
INTENT_THRESHOLDS: Final = {"opt_out": 0.4, "delete_data": 0.4, "emergency": 0.5}
#: Intents never offered among a clarification's guesses: they destroy or silence, so they are
#: reached only by their keywords or a confident intent, and a confirmation.
NEVER_OFFERED: Final = ("opt_out", "delete_data")
