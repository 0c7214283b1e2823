"""Asking for something else while a question waits, through the signed webhook and the real NLU:
the new request is served, the waiting question is asked once (saying why), and what the worker
first asked is then answered, never a confusing "go back to your province?"."""

from __future__ import annotations

import pytest

from bot.text import catalogs

from .test_followups_webhook import ask

FIRST = {
    "es": "quiero saber el salario minimo",
    "en": "what is the minimum wage",
    "tl": "magkano po ang minimum wage",
}
PERSON = {
    "es": "quiero hablar con una persona",
    "en": "i want to talk to a person",
    "tl": "gusto ko po makausap ang tao",
}


@pytest.mark.parametrize("language", ["es", "en", "tl"])
def test_asking_for_a_person_while_the_province_question_waits(make_bot, sqlite_url, language):
    bot = make_bot(sqlite_url)
    tr = catalogs.translator(language)
    assert tr.gettext("province.ask")[:20] in ask(bot, FIRST[language])

    asked_again = ask(bot, PERSON[language])
    assert tr.gettext("province.ask.person")[:30] in asked_again  # why it is asked again
    assert tr.gettext("province.ask")[:20] not in asked_again  # not the same words, as if unheard

    answer = ask(bot, "ontario")
    assert "Migrant Workers Alliance" in answer  # the people near them
    assert "$17.95" in answer  # and the wage they first asked about, for Ontario
    assert tr.gettext("province.title") not in answer  # no "go back to your province?"
