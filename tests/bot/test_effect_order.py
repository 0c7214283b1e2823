"""Effect handlers run in one order whatever imported their areas first, so the replies two areas
add for one effect (a case's status, then "sent" to its relay) always reach the worker alike."""

from __future__ import annotations

from bot.conversation import effects


def _from(module: str):
    def func(context, effect):
        return None

    func.__module__ = module
    return func


def test_handlers_run_by_area_not_by_import_order():
    relay, reports = _from("bot.reports.relay"), _from("bot.reports.handlers")
    early = _from("bot.conversation.nlu_review")
    try:
        effects.handler("test_order")(relay)  # the portal imports the relay before the reports area
        effects.handler("test_order")(reports)
        effects.handler("test_order", first=True)(early)
        assert effects._HANDLERS["test_order"] == [early, reports, relay]
    finally:
        effects._HANDLERS.pop("test_order", None)


def test_case_status_gives_the_status_before_the_relay_acknowledgement():
    effects._load_areas()
    names = [f.__module__ for f in effects._HANDLERS["case_status"]]
    assert names == ["bot.reports.handlers", "bot.reports.relay"]
