"""What an SMS costs: GSM-7 vs UCS-2 segments, and transliteration to save it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text.segments import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    count_segments,
    encoding,
    is_gsm7,
    transliterate_gsm7,
    utf16_len,
)


def test_spanish_using_only_the_accents_gsm7_has_stays_gsm7():
    assert encoding("¿Necesitas ayuda? Envié, niño, pingüino, à, ¡hola!") == "GSM-7"
    assert count_segments("¿Necesitas ayuda? Envié, niño, pingüino, à, ¡hola!") == 1


@pytest.mark.parametrize("char", list("áíóúÁÍÓÚç") + ["\u201c", "\u2019", "\u2014", "😀"])
def test_one_character_outside_gsm7_switches_the_whole_message_to_ucs2(char):
    text = "a" * 100 + char
    assert encoding(text) == "UCS-2"
    assert count_segments(text) == 2  # 101 characters no longer fit in one 70-unit segment


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_segments_are_160_alone_then_153_per_part(length, segments):
    assert count_segments("a" * length) == segments


@pytest.mark.parametrize(
    ("length", "segments"),
    [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_ucs2_segments_are_70_alone_then_67_per_part(length, segments):
    assert count_segments("á" * length) == segments


def test_extension_characters_cost_two_septets():
    assert count_segments("€" * 80) == 1
    assert count_segments("€" * 81) == 2
    assert count_segments("a" * 159 + "^") == 2
    assert encoding("[a] {b} ~c| \\ ^ €") == "GSM-7"


def test_escape_sequence_is_never_split_across_parts():
    # 152 septets then a 2-septet character: it cannot straddle parts, so it starts part two.
    text = "a" * 152 + "€" + "a" * 152
    assert count_segments(text) == 3


def test_emoji_count_two_utf16_units():
    assert utf16_len("😀") == 2
    assert count_segments("😀" * 35) == 1
    assert count_segments("😀" * 36) == 2
    assert count_segments("a" + "😀" * 35) == 2


def test_surrogate_pair_is_never_split_across_parts():
    # 66 units then an emoji: it moves whole to part two (67 + 67 would otherwise suffice).
    assert count_segments("á" * 66 + "😀" + "á" * 66) == 3


def test_empty_text_costs_nothing():
    assert count_segments("") == 0


def test_transliteration_drops_accents_gsm7_lacks_and_keeps_those_it_has():
    assert transliterate_gsm7("¿Dónde está mi pasaporte? ¡Ayúdame!") == (
        "¿Donde esta mi pasaporte? ¡Ayudame!"
    )
    assert transliterate_gsm7("niño, pingüino, café, à, É, Ñ, Ü") == (
        "niño, pingüino, café, à, É, Ñ, Ü"
    )
    assert transliterate_gsm7("ÁÍÓÚ áíóú ç") == "AIOU aiou c"


def test_transliteration_straightens_typography():
    assert transliterate_gsm7("\u201cHola\u201d \u2018sí\u2019 \u2014 espera\u2026") == (
        "\"Hola\" 'si' - espera..."
    )
    assert transliterate_gsm7("• uno\u00a0dos") == "- uno dos"


def test_transliteration_drops_emoji_without_leaving_double_spaces():
    assert transliterate_gsm7("Hola 👋 amigo") == "Hola amigo"
    assert transliterate_gsm7("👍🏽 Listo") == "Listo"


def test_transliterated_tagalog_and_spanish_cost_gsm7_segments():
    text = "Kumusta! Ang iyong karapatan sa pasahod: ¿Cuánto te pagan? Información útil."
    assert encoding(text) == "UCS-2"
    assert encoding(transliterate_gsm7(text)) == "GSM-7"


@given(st.text())
def test_transliteration_always_yields_gsm7(text):
    assert is_gsm7(transliterate_gsm7(text))


@given(st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENDED)))
def test_gsm7_text_is_left_unchanged_by_transliteration(text):
    assert transliterate_gsm7(text) == text


@given(st.text())
def test_segments_grow_with_the_text(text):
    assert count_segments(text + "a") >= count_segments(text)
    assert count_segments(text) * 160 >= len(text) or encoding(text) == "UCS-2"
