"""A worker filing a report through the signed webhook, answering whatever question is pending.

The report flow asks some questions only when the worker's account or an earlier answer did not
already give it (the types, the employer, the province, the sector), so the script answers by
the step the conversation is waiting on.
"""

from __future__ import annotations

import re
from typing import Any

from tests.security.probes import opened_state

CODE = re.compile(r"\b([2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4})\b")

GREETING = {
    "es": "hola buenas tardes, necesito ayuda con mi trabajo",
    "tl": "magandang umaga po, kailangan ko po ng tulong",
    "en": "hello good morning, I need help with my job",
}
#: What the worker answers at each step of flows/report.yaml, per language. The account is skipped
#: ("1") so the questions it would answer ahead are all asked; tests/flows/test_report_webhook.py
#: tells it. `confirm` sends; with optional details to give (`EXTRAS`, or photos) the script first
#: goes through "change" -> "add details".
ANSWERS: dict[str, dict[str, str]] = {
    "es": {
        "danger": "no",
        "story": "1",
        "what": "1 3",
        "employer": "Granja Los Pinos, Leamington",
        "province": "ON",
        "sector": "1",
        "share": "1",
        "confirm": "1",
        "change": "5",
        "since": "2",
        "how_many": "2",
        "photos": "listo",
        "contact": "1",
        "pin": "1",
    },
    "tl": {
        "danger": "hindi",
        "story": "1",
        "what": "1 3",
        "employer": "Granja Los Pinos, Leamington",
        "province": "ON",
        "sector": "1",
        "share": "1",
        "confirm": "1",
        "change": "5",
        "since": "2",
        "how_many": "2",
        "photos": "tapos",
        "contact": "1",
        "pin": "1",
    },
    "en": {
        "danger": "no",
        "story": "1",
        "what": "1 3",
        "employer": "Granja Los Pinos, Leamington",
        "province": "ON",
        "sector": "1",
        "share": "1",
        "confirm": "1",
        "change": "5",
        "since": "2",
        "how_many": "2",
        "photos": "done",
        "contact": "1",
        "pin": "1",
    },
}
#: Optional answers, given only through "change" at the summary.
EXTRAS = ("since", "how_many", "photos", "contact")
SEND, CHANGE = "1", "2"
MAIN_MENU = "0"
REPORT_OPTION = "2"  # the main menu's "report" option


def pending_step(bot: Any, sender: str) -> tuple[str | None, str | None]:
    """(flow, step) the worker's conversation waits on (the state opened as the bot reads it)."""
    state = opened_state(bot.runtime, sender)
    return state.get("flow"), state.get("step")


def file_report(
    bot: Any,
    sender: str,
    language: str,
    *,
    answers: dict[str, str] | None = None,
    media: list[tuple[str, str]] | None = None,
    max_turns: int = 20,
) -> list[str]:
    """Greet, choose "report", answer every question; return the bodies the worker received."""
    twilio = bot.twilio
    start = len(twilio.messages)
    script = {**ANSWERS[language], **(answers or {})}
    if "where" in script:  # the town is given with the employer's name, in one answer
        script["employer"] = f"{script['employer']}, {script.pop('where')}"
    extras = bool(media) or any(name in EXTRAS for name in answers or {})
    bot.send(GREETING[language], sender=sender)
    if pending_step(bot, sender) != ("menu", "main"):
        bot.send(MAIN_MENU, sender=sender)
    bot.send(REPORT_OPTION, sender=sender)
    for _ in range(max_turns):
        flow, step = pending_step(bot, sender)
        if flow != "report":
            break
        if step == "photos" and media:
            bot.send("", sender=sender, media=media)
            media = None
            continue
        if step == "confirm":
            bot.send(CHANGE if extras else script["confirm"], sender=sender)
            extras = False
            continue
        bot.send(script[step], sender=sender)
    else:
        raise AssertionError("the report flow did not end")
    return [m.body for m in twilio.messages[start:] if m.to == sender and m.body]


def case_code(bodies: list[str]) -> str:
    """The case code the worker was given (the last one shown)."""
    codes = [c for body in bodies for c in CODE.findall(body)]
    assert codes, f"no case code in {bodies[-3:]}"
    return codes[-1]
