"""Replies as a worker receives them: SMS pages within budget, WhatsApp with its markup."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.text.render import HINT_SEPARATOR, MAX_BODY_CHARS, render, sms_text
from bot.text.segments import count_segments, encoding, transliterate_gsm7, utf16_len

HINT = "Responde MAS para seguir"

WAGES = """*Salario mínimo*

En Ontario el salario mínimo general es {wage} por hora. Tu empleador debe pagarte al menos eso.

* Guarda tus recibos de pago
* Anota tus horas cada día
* _No firmes nada que no entiendas_

Responde 1 para reportar o 2 para hablar con una organización."""


def body(page: str, hint: str = HINT) -> str:
    """A page without the paging hint the renderer appended."""
    suffix = HINT_SEPARATOR + hint
    return page[: -len(suffix)] if page.endswith(suffix) else page


def test_short_reply_is_one_page_without_hint():
    assert render("Hola, ¿en qué te ayudo?", "sms", more_hint=HINT) == ["Hola, ¿en qué te ayudo?"]


def test_empty_reply_gives_no_pages():
    assert render("", "sms") == []
    assert render("  \n ", "whatsapp") == []


def test_sms_strips_whatsapp_markup_and_keeps_lists_readable():
    (page,) = render(WAGES.format(wage="$17.20"), "sms", budget_segments=6)
    assert "*" not in page and "_" not in page
    assert page.startswith("Salario mínimo\n\n")
    assert "\n- Guarda tus recibos de pago\n- Anota tus horas cada día\n- No firmes" in page


def test_whatsapp_keeps_markup():
    (page,) = render(WAGES.format(wage="$17.20"), "whatsapp")
    assert page.startswith("*Salario mínimo*")
    assert "* Guarda tus recibos" in page and "_No firmes nada que no entiendas_" in page


def test_markup_characters_inside_words_and_addresses_are_left_alone():
    text = "Escribe a info_ayuda@example.org o visita example.org/a_b. Total: 2*3 = 6"
    assert sms_text(text) == text


def test_long_sms_is_paged_at_paragraphs_with_the_hint_within_budget():
    text = "\n\n".join(
        f"Parrafo {n}: tu empleador no puede quedarse con tu pasaporte ni tus documentos. "
        "Si lo hace, puedes pedir ayuda a una organizacion."
        for n in range(1, 7)
    )
    pages = render(text, "sms", budget_segments=2, more_hint=HINT)
    assert len(pages) > 1
    for page in pages[:-1]:
        assert page.endswith("\n" + HINT)
        assert count_segments(page) <= 2
    assert not pages[-1].endswith(HINT)
    assert all(body(p).startswith("Parrafo") for p in pages)  # cuts fall between paragraphs


def test_one_accent_outside_gsm7_shrinks_what_fits_in_a_page():
    gsm = ("Tienes derecho a un pago justo y a condiciones seguras de trabajo. " * 6).strip()
    ucs = gsm.replace("justo", "justó", 1)
    assert encoding(gsm) == "GSM-7" and encoding(ucs) == "UCS-2"
    assert len(render(gsm, "sms", budget_segments=3)) == 1
    ucs_pages = render(ucs, "sms", budget_segments=3, more_hint=HINT)
    assert len(ucs_pages) == 2
    assert all(count_segments(p) <= 3 for p in ucs_pages)


def test_transliteration_trades_accents_for_fewer_segments():
    text = "Información útil: ¿cuánto te pagan por hora? Pregunta también por tus días libres. " * 3
    plain = render(text, "sms", budget_segments=3, transliterate=True, more_hint="Responde MÁS")
    assert len(plain) == 1
    assert encoding(plain[0]) == "GSM-7"
    assert "Informacion util: ¿cuanto" in plain[0]
    accented = render(text, "sms", budget_segments=3, more_hint="Responde MÁS")
    assert len(accented) == 2


def test_hint_counts_toward_the_budget_and_its_encoding():
    text = "palabra " * 100
    pages = render(text, "sms", budget_segments=1, more_hint="Responde MÁS")
    assert all(count_segments(p) <= 1 for p in pages)
    assert all(utf16_len(p) <= 70 for p in pages[:-1])  # the hint made them UCS-2


def test_a_word_longer_than_a_page_is_the_only_thing_cut():
    link = "https://example.org/" + "x" * 400
    pages = render(f"Mira {link} ahora", "sms", budget_segments=1, more_hint=HINT)
    assert all(count_segments(p) <= 1 for p in pages)
    assert "".join(body(p) for p in pages).replace("\n", "").replace(" ", "") == (
        f"Mira{link}ahora"
    )


def test_whatsapp_pages_only_past_twilios_body_limit():
    text = "Tus derechos como trabajador temporal en Canada. " * 60
    pages = render(text, "whatsapp", more_hint="Responde *MAS*")
    assert len(pages) == 2
    assert all(utf16_len(p) <= MAX_BODY_CHARS for p in pages)
    assert pages[0].endswith("\nResponde *MAS*")
    long_sms_page = render(text, "sms", budget_segments=10)
    assert all(utf16_len(p) <= MAX_BODY_CHARS for p in long_sms_page)


def test_a_hint_that_leaves_no_room_is_a_caller_error():
    with pytest.raises(ValueError, match="more_hint"):
        render("palabra " * 100, "sms", budget_segments=1, more_hint="x" * 200)


def test_unknown_channel_and_empty_budget_are_refused():
    with pytest.raises(ValueError, match="channel"):
        render("hola", "telegram")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="budget"):
        render("hola", "sms", budget_segments=0)


def test_rendering_is_deterministic():
    text = WAGES.format(wage="$17.20") * 4
    assert render(text, "sms", more_hint=HINT) == render(text, "sms", more_hint=HINT)


# Words of ordinary length, any script and spacing, including the costly characters.
words = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
        st.sampled_from(list("áéñü€^{}[]~|\\😀👍🏽*_")),
    ),
    min_size=1,
    max_size=25,
)
separators = st.sampled_from([" ", "  ", "\n", "\n\n", ". ", "! ", "\n- ", " * "])
texts = st.lists(st.tuples(words, separators), max_size=120).map(
    lambda parts: "".join(w + s for w, s in parts)
)
budgets = st.integers(min_value=1, max_value=5)
hints = st.sampled_from(["", "Reply MORE", "Responde MÁS", "Sumagot ng PA 👉"])


@settings(max_examples=300, deadline=None)
@given(texts, budgets, hints, st.booleans())
def test_every_sms_page_is_within_budget_and_keeps_every_word_in_order(
    text, budget, hint, transliterate
):
    pages = render(text, "sms", budget_segments=budget, more_hint=hint, transliterate=transliterate)
    expected = sms_text(text)
    if transliterate:
        expected, hint = transliterate_gsm7(expected), transliterate_gsm7(hint)
    assert all(p.strip() for p in pages)
    assert all(count_segments(p) <= budget for p in pages)
    bodies = [body(p, hint) for p in pages[:-1]] + pages[-1:]
    assert " ".join(bodies).split() == expected.split()
    assert (pages == []) == (expected.strip() == "")


@settings(max_examples=200, deadline=None)
@given(st.text(), budgets, hints)
def test_any_text_renders_without_error_on_both_channels(text, budget, hint):
    for channel in ("sms", "whatsapp"):
        pages = render(text, channel, budget_segments=budget, more_hint=hint)
        assert all(p.strip() for p in pages)
        assert all(utf16_len(p) <= MAX_BODY_CHARS for p in pages)
        if channel == "sms":
            assert all(count_segments(p) <= budget for p in pages)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1), st.sampled_from(["sms", "whatsapp"]))
@example("Hola " + "😀" * 200 + " adios", "sms")
@example("x" * 5000, "whatsapp")
def test_any_text_keeps_all_its_characters_across_pages(text, channel):
    pages = render(text, channel, budget_segments=1, more_hint="MORE")
    joined = "".join([body(p, "MORE") for p in pages[:-1]] + pages[-1:])
    expected = sms_text(text) if channel == "sms" else text
    assert "".join(joined.split()) == "".join(expected.split())
