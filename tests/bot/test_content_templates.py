"""bot.text.content: a question's options as a Content template's variables, within WhatsApp's limits."""

from __future__ import annotations

import pytest

from bot.messages import describe_content as describe
from bot.text.content import MAX_OPTIONS, TITLE_CHARS, fill, title

pytestmark = pytest.mark.unit
SID = "HX" + "0" * 32


def test_a_label_too_long_for_a_button_is_cut_at_a_word_and_marked():
    assert title("Know my rights") == "Know my rights"
    assert title("Reportar un problema (sin dar tu nombre)") == "Reportar un\u2026"
    assert title("Buscar un grupo de apoyo cerca") == "Buscar un grupo de\u2026"
    assert all(len(title("x" * n)) <= TITLE_CHARS for n in range(1, 60))


def test_each_option_fills_its_title_id_and_whole_label():
    content = fill(SID, "¿Borrar?", "Ver opciones", [("yes", "Sí, borrar"), ("no", "No")])
    assert content is not None and content.sid == SID
    assert content.variables == {
        "1": "¿Borrar?",
        "2": "Ver opciones",
        "3": "Sí, borrar",
        "4": "yes",
        "5": "Sí, borrar",
        "6": "No",
        "7": "no",
        "8": "No",
    }
    assert describe(content.variables) == "¿Borrar?\n[Sí, borrar]\n[No]"


def test_what_a_template_cannot_hold_is_left_to_numbered_text():
    options = [(str(n), f"option {n}") for n in range(MAX_OPTIONS + 1)]
    assert fill(SID, "Pick one", "Options", options) is None
    assert fill(SID, "Pick one", "Options", []) is None
    assert fill(SID, "x" * 1025, "Options", options[:2]) is None
    assert fill(SID, "Pick one", "Options", [("a", "y" * 73)]) is None
