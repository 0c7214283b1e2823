"""How messages are read: accents, numbers, lists of numbers, case codes, danger phrases."""

from __future__ import annotations

import pytest

import flows
from flows.text import bare_number, case_code, normalize, number_list

NUMBERS = {"dos": 2, "dalawa": 2, "two": 2}


@pytest.mark.parametrize(
    "raw, folded",
    [
        ("¡MENÚ!", "menu"),
        ("  Sí, claro ", "si, claro"),
        ("INGLÉS", "ingles"),
        ("Español 🙂", "espanol"),
        ("", ""),
    ],
)
def test_messages_are_folded_for_comparison(raw, folded):
    assert normalize(raw) == folded


@pytest.mark.parametrize(
    "raw, number",
    [
        ("2", 2),
        (" 2. ", 2),
        ("#2", 2),
        ("2)", 2),
        ("dos", 2),
        ("Dalawa", 2),
        ("two", 2),
        ("2 3", None),
        ("2a", None),
        ("", None),
    ],
)
def test_a_bare_number_is_recognized_in_any_form(raw, number):
    assert bare_number(raw, NUMBERS) == number


@pytest.mark.parametrize(
    "raw, numbers",
    [
        ("1 3 5", [1, 3, 5]),
        ("1,3", [1, 3]),
        ("1 y 3", [1, 3]),
        ("1 and 3", [1, 3]),
        ("1 at 3", [1, 3]),
        ("1-3", [1, 3]),
        ("uno y dos", None),
        ("1 o 3", None),
        ("", None),
    ],
)
def test_several_choices_can_be_given_at_once(raw, numbers):
    assert number_list(raw, {}) == numbers


@pytest.mark.parametrize(
    "raw, code",
    [
        ("ab3d-7kq9", "AB3D7KQ9"),
        ("AB3D 7KQ9", "AB3D7KQ9"),
        ("AB3D7KQ9", "AB3D7KQ9"),
        ("AB0D7KQ9", None),
        ("ABCDEFGH", None),
        ("23456789", None),
        ("AB3D7KQ", None),
    ],
)
def test_case_codes_are_accepted_in_any_case_with_or_without_a_hyphen(raw, code):
    assert case_code(raw) == code


def test_carrier_stop_words_count_only_on_sms(engine: flows.Engine):
    keywords = engine.keywords
    assert keywords.command("cancel", "sms") == "stop"
    assert keywords.command("cancel", "whatsapp") is None
    assert keywords.command("Alto", "whatsapp") == "stop"
