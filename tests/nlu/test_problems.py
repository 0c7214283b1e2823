"""The NLU finds several problems in one message, clause by clause, and only then."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "no me pagan las horas extra y el patron tiene mi pasaporte",
            ["ask_hours", "ask_documents"],
        ),
        (
            "kinuha ng amo ko ang passport ko tapos hindi binabayaran ang overtime namin",
            ["ask_documents", "ask_hours"],
        ),
        ("mi boss hold mi passport and dem nuh pay overtime", ["ask_documents", "ask_hours"]),
    ],
)
def test_each_problem_of_a_message_is_found_in_writing_order(interpreter, text, problems):
    assert interpreter.parse(text)["problems"] == problems


@pytest.mark.parametrize(
    "text",
    [
        "cuanto es el salario minimo en ontario",
        "hola como estas y gracias por la ayuda",
        "they took my passport",
        "y en bc?",
    ],
)
def test_one_problem_or_none_adds_nothing(interpreter, text):
    assert "problems" not in interpreter.parse(text)
