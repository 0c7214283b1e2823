"""`puente chat`: the bot in a terminal, through the same webhook pipeline Twilio uses.

The transcript holds only the conversation: logs go to a file (``--log-file``) or, at WARNING, to
stderr. On SMS, Twilio's own answer to its STOP/START words (Advanced Opt-Out) is shown as Twilio
would send it, and a message that gets no reply says so, so that silence never looks like a hang.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import select

from bot.channels.twilio import gateway
from bot.channels.twilio.gateway import INBOUND_WEBHOOK, ConsoleSender
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from flows.keywords import Keywords

#: Twilio's default Advanced Opt-Out replies (Messaging Service > Opt-Out Management).
TWILIO_REPLIES = {
    "STOP": "You have successfully been unsubscribed. You will not receive any more messages from this "
    "number. Reply START to resubscribe.",
    "START": "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}


def fresh_number() -> str:
    """A number no earlier chat used (555-01xx is reserved for fiction)."""
    return f"+1555010{secrets.randbelow(10_000):04d}"


def chat_loop(
    settings: Settings,
    *,
    channel: str,
    number: str,
    bot_number: str,
    new: bool = False,
    log_file: str | None = None,
) -> None:
    from bot import create_app, logs
    from bot.runtime import Runtime
    from bot.store import migrate

    changes: dict[str, Any] = {"redis_url": None, "jobs__inline_sync": True}
    changes |= {"log_file": log_file} if log_file else {"log_level": "WARNING"}
    settings = settings.with_changes(**changes)
    logs.configure(settings.log_level, path=settings.log_file)
    migrate.upgrade(settings.database_url, settings=settings)
    sender = ConsoleSender()
    runtime = Runtime.build(settings, sender=sender)
    app = create_app(settings, runtime=runtime)
    runtime.warm_up(progress=click.echo)  # the first message is then answered at once
    client = app.test_client()
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    base = settings.public_base_url or "http://localhost"
    number = fresh_number() if new else number
    last = _last_message_at(runtime, prefix + number)
    if last is None:
        click.echo(
            f"New conversation as {prefix}{number} on {channel}. Type a message; Ctrl-D to quit."
        )
    else:
        click.echo(
            f"Resuming the conversation of {prefix}{number} on {channel} (last message "
            f"{last:%Y-%m-%d %H:%M} UTC); `puente chat --new` starts a fresh one. Ctrl-D to quit."
        )
    keywords = runtime.engine.keywords
    while True:
        try:
            text = input("\nyou> ")
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        form = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": settings.twilio.account_sid or "AC" + "0" * 32,
            "From": prefix + number,
            "To": prefix + bot_number,
            "Body": text,
            "NumMedia": "0",
        }
        opt_out = _twilio_opt_out(keywords, text) if channel == "sms" else None
        if opt_out:
            form["OptOutType"] = opt_out
        headers = {}
        if settings.twilio.auth_token:
            url = f"{base}{INBOUND_WEBHOOK}"
            headers["X-Twilio-Signature"] = gateway.signature(settings.twilio.auth_token, url, form)
        if opt_out:  # Twilio answers its own keywords before it passes them on
            click.echo(f"\n[Twilio, not Puente] {TWILIO_REPLIES[opt_out]}")
        before = len(sender.sent)
        response = client.post(INBOUND_WEBHOOK, data=form, headers=headers, base_url=base)
        if response.status_code != 200:
            click.echo(
                f"[webhook answered {response.status_code}: {response.get_data(as_text=True).strip()}]"
            )
        if len(sender.sent) == before:
            click.echo("\n[no reply from Puente]")


def _twilio_opt_out(keywords: Keywords, text: str) -> str | None:
    """The OptOutType Twilio adds for its own SMS keywords (STOP, START and their synonyms)."""
    if not keywords.is_carrier_word(text):
        return None
    return "START" if keywords.is_start(text, "sms") else "STOP"


def _last_message_at(runtime: Runtime, address: str) -> datetime | None:
    from bot.store.models import Conversation

    with runtime.db.session() as session:
        return session.scalar(
            select(Conversation.last_inbound_at).where(
                Conversation.address_key == runtime.vault.address_key(address)
            )
        )
