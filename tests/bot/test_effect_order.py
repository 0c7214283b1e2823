"""Effect handlers run in one order, the one create_app lists the areas in, so the replies two
areas add for one effect (a case's status, then "sent" to its relay) always reach the worker alike."""

from __future__ import annotations

from bot import areas
from bot.conversation import effects


def test_first_handlers_run_before_the_others_then_by_area():
    early_area, late_area = effects.Handlers(), effects.Handlers()
    relay, reports, erase = (lambda c, e: None), (lambda c, e: None), (lambda c, e: None)
    early_area.on("test_order")(reports)
    late_area.on("test_order")(relay)
    late_area.on("test_order", first=True)(erase)
    assert effects.ordered([early_area, late_area], "test_order") == [erase, reports, relay]


def test_case_status_gives_the_status_before_the_relay_acknowledgement():
    handlers = [effects.FOUNDATION, *(group for area in areas() for group in area.handlers)]
    names = [f.__module__ for f in effects.ordered(handlers, "case_status")]
    assert names == ["bot.cases.handlers", "bot.cases.relay"]


def test_erasure_reads_the_cases_before_the_conversation_goes():
    handlers = [effects.FOUNDATION, *(group for area in areas() for group in area.handlers)]
    names = [f.__module__ for f in effects.ordered(handlers, "erase_data")]
    assert names == [
        "bot.cases.handlers",
        "bot.analytics.events",
        "bot.conversation.nlu_review",
        "bot.conversation.effects",
    ]
