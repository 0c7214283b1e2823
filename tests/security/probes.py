"""What an attacker sends and what must never show up: injection payloads, phone number patterns,
and helpers to read what a worker received."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import inspect, select

from bot.conversation import sealed_state
from bot.store.models import Conversation
from bot.text import catalogs
from bot.text.segments import transliterate_gsm7

#: Strings that would break a query built by string concatenation.
SQL_INJECTIONS = [
    "'; DROP TABLE conversations; --",
    "' OR '1'='1",
    "Robert'); DROP TABLE reports;--",
    "1; DELETE FROM users WHERE 1=1; --",
    "' UNION SELECT password_hash FROM users --",
    '" OR ""="',
]
#: Strings that would run in a staff member's browser if a page did not escape them, and template or
#: format placeholders that would be filled if worker text ever became a template.
HTML_INJECTIONS = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "{{7*7}} {% raw %}",
    "{employer} {0} %s %(name)s",
]
INJECTIONS = SQL_INJECTIONS + HTML_INJECTIONS
#: What each HTML payload must never appear as, unescaped, in a page.
DANGEROUS_MARKUP = ["<script>alert", "<img src=x", "<svg onload"]


def phone_pattern(number: str) -> re.Pattern[str]:
    """Any common spelling of a North American E.164 number: +15195550100, 15195550100,
    5195550100, (519) 555-0100, 519.555.0100, whatsapp:+1..."""
    digits = number.removeprefix("whatsapp:").removeprefix("+")
    area, exchange, line = digits[-10:-7], digits[-7:-4], digits[-4:]
    sep = r"[\s().-]{0,2}"
    return re.compile(rf"(?<!\d)(?:\+?1{sep})?\(?{area}\)?{sep}{exchange}{sep}{line}(?!\d)")


def table_names(runtime: Any) -> set[str]:
    with runtime.db.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def conversation_state(runtime: Any, address: str) -> dict | None:
    key = runtime.vault.address_key(address)
    with runtime.db.session() as session:
        return session.scalar(select(Conversation.state).where(Conversation.address_key == key))


def opened_state(runtime: Any, address: str) -> dict:
    """The conversation's state as the bot reads it (its sealed part opened); {} if none."""
    key = runtime.vault.address_key(address)
    with runtime.db.session() as session:
        conversation = session.scalar(select(Conversation).where(Conversation.address_key == key))
        if conversation is None:
            return {}  # nothing was ever stored for this number
        return sealed_state.unseal(runtime.envelope, session, conversation)


def bodies_to(twilio: Any, address: str, since: int = 0) -> list[str]:
    return [m.body for m in twilio.messages[since:] if m.to == address and m.body]


def menu_prompts() -> list[str]:
    """The main menu's question in every language a worker may have switched to."""
    prompts = [catalogs.translator(lang).gettext("menu.main") for lang in ("es", "en", "tl")]
    return prompts + [transliterate_gsm7(prompt) for prompt in prompts]  # as SMS carries them
