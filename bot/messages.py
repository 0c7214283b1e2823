"""What crosses the stages of the message path: frozen dataclasses, no dicts of unknown shape."""

from __future__ import annotations

from dataclasses import dataclass, field

from vocab import Channel


@dataclass(frozen=True)
class Media:
    url: str
    content_type: str


@dataclass(frozen=True)
class Received:
    """A worker's message as Twilio delivered it, minus the carrier's location fields."""

    message_sid: str
    channel: Channel
    sender: str  # the worker's address, e.g. "+15551234567" or "whatsapp:+15551234567"
    recipient: str  # our number or WhatsApp sender the worker wrote to
    body: str
    media: tuple[Media, ...] = ()
    button: str | None = None  # a tapped WhatsApp button: its ButtonPayload, else its ButtonText
    opt_out_type: str | None = None  # Twilio Advanced Opt-Out: STOP, START or HELP


@dataclass(frozen=True)
class Content:
    """A message as a Twilio Content template (WhatsApp buttons or a list): its SID and the
    variables that fill it (bot.text.content), sent as ContentSid + ContentVariables."""

    sid: str
    variables: dict[str, str]


def describe_content(variables: dict[str, str]) -> str:
    """A filled template as text for the console sender (bot.channels.twilio.gateway): the
    question, then a line per option."""
    titles = [
        variables[key] for key in sorted(variables, key=int) if int(key) >= 3 and int(key) % 3 == 0
    ]
    return "\n".join([variables.get("1", ""), *(f"[{t}]" for t in titles)])


#: One message of a turn: text, or a Content template.
Page = str | Content


@dataclass(frozen=True)
class OutboundMessage:
    """One message to send: free text, or an approved template (WhatsApp outside 24 hours)."""

    to: str
    from_: str
    body: str | None = None
    content_sid: str | None = None
    content_variables: str | None = None
    media_urls: tuple[str, ...] = field(default=())
    status_callback: str | None = None
