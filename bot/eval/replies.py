"""`puente eval replies`: what replies cost and hide, measured through the real webhook pipeline.

Scripted first contacts, answers and two reports in es/tl/en over SMS and WhatsApp: one answered
with numbers (and the employer and town typed), one told in the worker's own words in the first
message. SMS segments of every message (p50, p95, max), of every question, the share of turns
that held something back for MORE, and how many worker messages each full report takes.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bot.text.segments import count_segments, transliterate_gsm7
from vocab import CHANNELS

if TYPE_CHECKING:
    from bot.settings import Settings

#: (name, worker messages) per language; the report is answered only with numbers and words.
SCRIPTS: dict[str, list[tuple[str, list[str]]]] = {
    "es": [
        ("first question", ["mi patron me quito el pasaporte, puede hacer eso?"]),
        ("greeting", ["hola"]),
        ("wage by town", ["cuanto me tienen que pagar por hora", "estoy en leamington", "1"]),
        ("person", ["quiero hablar con una persona", "ontario", "hay alguien?"]),
        (
            "report",
            ["quiero reportar a mi patron", "2", "1", "1 5", "Granja Sol, Leamington", *["1"] * 12],
        ),
        (
            "report in own words",
            [
                "quiero reportar a mi patron. No me pagan las horas extra y me quito el "
                "pasaporte. Trabajo en la Granja Sol en Leamington.",
                *["2"],
                *["1"] * 12,
            ],
        ),
    ],
    "tl": [
        ("first question", ["kinuha ng amo ko ang passport ko, pwede ba yun?"]),
        ("greeting", ["kumusta po"]),
        ("wage by town", ["magkano ang minimum wage kada oras", "nasa calgary ako", "1"]),
        ("person", ["TAO", "alberta", "may tao na po ba?"]),
    ],
    "en": [
        ("first question", ["my employer took my passport, is that allowed?"]),
        ("greeting", ["hi"]),
        ("wage by town", ["how much should I be paid per hour", "i work in kelowna", "1"]),
        ("person", ["AGENT", "bc", "hello?"]),
    ],
}


def percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else 0


def run(settings: Settings) -> str:
    """Play every script on both channels and return the report as text."""
    from bot import create_app
    from bot.channels.twilio.gateway import INBOUND_WEBHOOK, ConsoleSender
    from bot.runtime import Runtime
    from bot.store import migrate
    from bot.text import catalogs

    with tempfile.TemporaryDirectory() as tmp:
        settings = settings.with_changes(
            database_url=f"sqlite:///{tmp}/eval.db",
            redis_url=None,
            jobs__inline_sync=True,
            log_level="WARNING",
            twilio__account_sid=None,
            twilio__auth_token=None,
        )
        migrate.upgrade(settings.database_url)
        sender = ConsoleSender(quiet=True)
        runtime = Runtime.build(settings, sender=sender)
        client = create_app(settings, runtime=runtime).test_client()
        lines, messages, questions, turns, held = [], [], [], 0, 0
        report_turns: dict[str, list[int]] = {}
        for channel in CHANNELS:
            for language, scripts in SCRIPTS.items():
                more = catalogs.translator(language).gettext("paging.more")
                for name, texts in scripts:
                    number = f"+1555020{secrets.randbelow(10_000):04d}"
                    prefix = "whatsapp:" if channel == "whatsapp" else ""
                    for n, text in enumerate(texts, start=1):
                        before = len(sender.sent)
                        client.post(
                            INBOUND_WEBHOOK,
                            data={
                                "MessageSid": "SM" + secrets.token_hex(16),
                                "AccountSid": "AC" + "0" * 32,
                                "From": prefix + number,
                                "To": prefix + "+15550109999",
                                "Body": text,
                                "NumMedia": "0",
                            },
                        )
                        bodies = [m.body or "" for m in sender.sent[before:]]
                        turns += 1
                        if channel == "sms":
                            messages += [count_segments(b) for b in bodies]
                            questions += [count_segments(part) for part in _questions(bodies)]
                            held += any(more.split()[0] in b for b in bodies)
                        filed = transliterate_gsm7(
                            catalogs.translator(language).gettext("report.filed", code="X")
                        )
                        if name.startswith("report") and any(
                            filed.split("X")[0] in transliterate_gsm7(b) for b in bodies
                        ):
                            report_turns.setdefault(name, []).append(n)
                            break
        lines.append(f"turns played: {turns} ({len(messages)} SMS messages)")
        lines.append(
            f"SMS segments per message: p50 {percentile(messages, 0.5)}, p95 {percentile(messages, 0.95)}, "
            f"max {max(messages, default=0)}"
        )
        lines.append(
            f"SMS segments per question: p50 {percentile(questions, 0.5)}, "
            f"p95 {percentile(questions, 0.95)}, max {max(questions, default=0)} "
            f"(goal p95 <= {settings.sms.question_segments})"
        )
        lines.append(
            f"SMS turns that held something back for MORE: {held} "
            f"({100 * held / max(1, turns // 2):.0f}% of SMS turns)"
        )
        for name in ("report", "report in own words"):
            lines.append(
                f"worker messages to a filed {name} (es, sms then whatsapp): "
                f"{report_turns.get(name) or 'not reached'}"
            )
        return "\n".join(lines)


def _questions(bodies: list[str]) -> Iterator[str]:
    """The numbered questions in a turn's messages (a paragraph with options 1., 2. ...)."""
    for body in bodies:
        for part in body.split("\n\n"):
            if "\n1. " in part:
                yield part
