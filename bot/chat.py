"""`puente chat`: the bot in a terminal, through the same webhook pipeline Twilio uses."""

from __future__ import annotations

import secrets

import click

from bot.settings import Settings
from bot.twilio_gateway import INBOUND_WEBHOOK, ConsoleSender


def chat_loop(settings: Settings, *, channel: str, number: str, bot_number: str) -> None:
    from twilio.request_validator import RequestValidator

    from bot import create_app, migrate
    from bot.runtime import Runtime

    settings = settings.with_changes(redis_url=None, jobs__inline_sync=True)
    migrate.upgrade(settings.database_url)
    runtime = Runtime.build(settings, sender=ConsoleSender())
    app = create_app(settings, runtime=runtime)
    client = app.test_client()
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    base = settings.public_base_url or "http://localhost"
    click.echo(f"Chatting as {prefix}{number} on {channel}. Type a message; Ctrl-D to quit.")
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
        headers = {}
        if settings.twilio.auth_token:
            url = f"{base}{INBOUND_WEBHOOK}"
            headers["X-Twilio-Signature"] = RequestValidator(settings.twilio.auth_token).compute_signature(url, form)
        response = client.post(INBOUND_WEBHOOK, data=form, headers=headers, base_url=base)
        if response.status_code != 200:
            click.echo(f"[webhook answered {response.status_code}: {response.get_data(as_text=True).strip()}]")
