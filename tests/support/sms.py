"""Catalog text as a worker's SMS carries it, so tests compare what the phone shows.

The default settings transliterate SMS to GSM-7 (Spanish loses á/í/ó/ú, keeps é ñ ¿), so a
catalog string is only comparable with a received SMS after the same preparation.
"""

from __future__ import annotations

from bot.settings import SmsSettings
from bot.text import catalogs
from bot.text.render import prepare


def as_sms(text: str) -> str:
    """``text`` as the default SMS settings send it."""
    return prepare(text, "sms", transliterate=SmsSettings().transliterate)


def sms_text(language: str, msgid: str, **params: str) -> str:
    """The catalog message ``msgid`` in ``language`` as the default SMS settings send it."""
    return as_sms(catalogs.translator(language).gettext(msgid, **params))


def first_contact(language: str, answer: str) -> str:
    """What a phone's first message gets when ``answer`` (as sent) answers it: the answer first,
    then the one-line introduction, in one message (welcome.intro, "answer first")."""
    return f"{answer}\n\n{sms_text(language, 'welcome.intro')}"
