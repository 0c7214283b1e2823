"""Asking for a person with the province unknown, through the signed webhook: once the province
is given, "looking for organizations near you" and the organizations it found arrive in the same
message, not the line alone with its list after it as another message."""

from __future__ import annotations

import pytest

from bot.text import catalogs
from bot.text.segments import transliterate_gsm7

WORKER = "+15195550166"


def sms(language: str, msgid: str) -> str:
    return transliterate_gsm7(catalogs.translator(language).gettext(msgid))


@pytest.mark.parametrize(
    ("language", "person", "province"),
    [
        ("tl", "gusto ko po makausap ang tao", "nasa alberta po ako"),
        ("en", "can i talk to a real person pls", "im in manitoba"),
    ],
)
def test_the_search_line_and_the_organizations_arrive_in_one_message(
    make_bot, sqlite_url, language, person, province
):
    bot = make_bot(sqlite_url)
    assert bot.send(person, sender=WORKER).status_code == 200
    start = len(bot.twilio.messages)
    assert bot.send(province, sender=WORKER).status_code == 200
    bodies = [m.body for m in bot.twilio.messages[start:] if m.to == WORKER]
    (searching,) = [b for b in bodies if sms(language, "ngo.searching") in b]
    assert sms(language, "ngo.found").split("{")[0][:30] in searching
    assert bodies[-1] == searching  # nothing announced and left for a later message
