"""Replies as a worker receives them: SMS messages within budget, WhatsApp with its markup, and
the MORE hint only at the end of a turn that leaves messages waiting.

Built as bot.conversation.dialogue builds a turn: render_replies prepares each reply and packs
them (prepare, fitter, pack), hold sends a turn's worth and keeps the rest for MORE (take).
"""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.text.render import HINT_SEPARATOR, MAX_BODY_CHARS, fitter, pack, prepare, take
from bot.text.segments import count_segments, encoding, transliterate_gsm7, utf16_len
from vocab import Channel

HINT = "Responde MAS para seguir"

WAGES = """*Salario mínimo*

En Ontario el salario mínimo general es {wage} por hora. Tu empleador debe pagarte al menos eso.

* Guarda tus recibos de pago
* Anota tus horas cada día
* _No firmes nada que no entiendas_

Responde 1 para reportar o 2 para hablar con una organización."""


def messages(
    replies: list[str], channel: Channel, budget: int = 3, transliterate: bool = False
) -> list[str]:
    """One turn's replies as the messages render_replies makes of them."""
    prepared = [prepare(reply, channel, transliterate=transliterate) for reply in replies]
    return pack(prepared, fitter(channel, budget))


def sms_turns(
    replies: list[str],
    budget: int = 3,
    hint: str = HINT,
    limit: int = 3,
    transliterate: bool = False,
) -> list[list[str]]:
    """What the worker receives on SMS: the turn's messages, then those each MORE sends, as hold
    sends them (``limit`` is sms.messages_per_turn)."""
    fits = fitter("sms", budget)
    held = messages(replies, "sms", budget, transliterate)
    more = prepare(hint, "sms", transliterate=transliterate)
    turns: list[list[str]] = []
    while not turns or held:
        now, held = take(held, fits, more, limit)
        turns.append(now)
    return turns


def unhinted(turns: list[list[str]], hint: str) -> list[str]:
    """Every message the worker got, in order, with the MORE hint taken off; checks that the hint
    ends every turn but the last, on the turn's last message or as a message of its own."""
    sent: list[str] = []
    for turn in turns[:-1]:
        *firsts, last = turn
        if last != hint:
            assert last.endswith(HINT_SEPARATOR + hint)
            firsts.append(last[: -len(HINT_SEPARATOR + hint)])
        sent += firsts
    return sent + turns[-1]


def test_short_reply_is_one_message_without_hint():
    assert sms_turns(["Hola, ¿en qué te ayudo?"]) == [["Hola, ¿en qué te ayudo?"]]


def test_empty_replies_give_no_messages():
    assert messages(["", "  \n "], "sms") == []
    assert messages(["  \n "], "whatsapp") == []
    assert sms_turns([""]) == [[]]


def test_sms_strips_whatsapp_markup_and_keeps_lists_readable():
    (page,) = messages([WAGES.format(wage="$17.20")], "sms", budget=6)
    assert "*" not in page and "_" not in page
    assert page.startswith("Salario mínimo\n\n")
    assert "\n- Guarda tus recibos de pago\n- Anota tus horas cada día\n- No firmes" in page


def test_whatsapp_keeps_markup():
    (page,) = messages([WAGES.format(wage="$17.20")], "whatsapp")
    assert page.startswith("*Salario mínimo*")
    assert "* Guarda tus recibos" in page and "_No firmes nada que no entiendas_" in page


def test_markup_characters_inside_words_and_addresses_are_left_alone():
    text = "Escribe a info_ayuda@example.org o visita example.org/a_b. Total: 2*3 = 6"
    assert prepare(text, "sms") == text


def test_an_answer_and_its_question_share_a_message_only_when_both_fit_whole():
    answer = "Tu empleador no puede quedarse con tu pasaporte. " * 4
    question = "Quieres reportarlo? Responde 1 para reportar o 2 para hablar con alguien. " * 2
    assert messages([answer, question], "sms", budget=3) == [
        f"{answer.strip()}\n\n{question.strip()}"
    ]
    # At two segments they no longer fit together: the question goes whole, not cut after the answer.
    assert messages([answer, question], "sms", budget=2) == [answer.strip(), question.strip()]


def test_long_sms_is_paged_at_paragraphs_and_the_hint_ends_the_turn_that_leaves_more():
    text = "\n\n".join(
        f"Parrafo {n}: tu empleador no puede quedarse con tu pasaporte ni tus documentos. "
        "Si lo hace, puedes pedir ayuda a una organizacion."
        for n in range(1, 7)
    )
    first, second = sms_turns([text], budget=2, limit=2)
    assert len(first) == 2 and first[-1].endswith("\n" + HINT)  # two messages, then MORE
    assert HINT not in first[0] and not any(HINT in m for m in second)
    assert all(count_segments(m) <= 2 for m in first + second)
    pages = unhinted([first, second], HINT)
    assert all(p.startswith("Parrafo") for p in pages)  # cuts fall between paragraphs
    assert "\n\n".join(pages) == text


def test_one_accent_outside_gsm7_shrinks_what_fits_in_a_message():
    gsm = ("Tienes derecho a un pago justo y a condiciones seguras de trabajo. " * 6).strip()
    ucs = gsm.replace("justo", "justó", 1)
    assert encoding(gsm) == "GSM-7" and encoding(ucs) == "UCS-2"
    assert sms_turns([gsm]) == [[gsm]]
    (turn,) = sms_turns([ucs])  # two messages, both sent at once: nothing waits for MORE
    assert len(turn) == 2 and not any(HINT in m for m in turn)
    assert all(count_segments(m) <= 3 for m in turn)


def test_transliteration_trades_accents_for_fewer_segments():
    text = "Información útil: ¿cuánto te pagan por hora? Pregunta también por tus días libres. " * 3
    (plain,) = messages([text], "sms", transliterate=True)
    assert encoding(plain) == "GSM-7"
    assert "Informacion util: ¿cuanto" in plain
    assert len(messages([text], "sms")) == 2


def test_a_hint_that_would_break_the_budget_goes_as_a_message_of_its_own():
    hint = "Responde MÁS"  # UCS-2: on a full GSM-7 page it would need a second segment
    turns = sms_turns(["palabra " * 100], budget=1, hint=hint, limit=2)
    assert [len(t) for t in turns] == [3, 3, 1]  # two pages and the hint, twice; then the last
    assert all(t[-1] == hint for t in turns[:-1])
    assert all(count_segments(m) <= 1 for t in turns for m in t)
    assert " ".join(unhinted(turns, hint)).split() == ["palabra"] * 100


def test_a_word_longer_than_a_message_is_the_only_thing_cut():
    link = "https://example.org/" + "x" * 400
    pages = messages([f"Mira {link} ahora"], "sms", budget=1)
    assert all(count_segments(p) <= 1 for p in pages)
    assert "".join(pages).replace("\n", "").replace(" ", "") == f"Mira{link}ahora"


def test_whatsapp_pages_only_past_twilios_body_limit():
    text = "Tus derechos como trabajador temporal en Canada. " * 60
    pages = messages([text], "whatsapp")
    assert len(pages) == 2
    assert all(utf16_len(p) <= MAX_BODY_CHARS for p in pages)
    assert all(utf16_len(p) <= MAX_BODY_CHARS for p in messages([text], "sms", budget=10))


def test_unknown_channel_and_empty_budget_are_refused():
    with pytest.raises(ValueError, match="channel"):
        prepare("hola", "telegram")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="budget"):
        fitter("sms", 0)


def test_rendering_is_deterministic():
    replies = [WAGES.format(wage="$17.20") * 4, "Responde 1 o 2."]
    assert sms_turns(replies, limit=1) == sms_turns(replies, limit=1)


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
# One turn's replies: a text cut where a NUL (never in a word) falls.
turn_replies = st.lists(st.tuples(words, st.one_of(separators, st.just("\0"))), max_size=120).map(
    lambda parts: "".join(w + s for w, s in parts).split("\0")
)
budgets = st.integers(min_value=1, max_value=5)
# The catalogs' "paging.more" and two that are UCS-2 (an accent, an emoji).
hints = st.sampled_from(
    [
        "(Reply MORE for the rest)",
        "(Responde MAS para seguir)",
        "(Sagutin ng PA para sa kasunod)",
        "Responde MÁS",
        "Sumagot ng PA 👉",
    ]
)


@settings(max_examples=300, deadline=None)
@given(turn_replies, budgets, hints, st.integers(1, 3), st.booleans())
def test_every_sms_message_is_within_budget_and_every_word_arrives_once_in_order(
    replies, budget, hint, limit, transliterate
):
    turns = sms_turns(replies, budget, hint, limit, transliterate)
    if transliterate:
        hint = transliterate_gsm7(hint)
    expected = [prepare(r, "sms", transliterate=transliterate) for r in replies]
    assert all(len(t) <= limit + 1 for t in turns)  # a turn's worth, and the hint alone if need be
    assert all(m.strip() for t in turns for m in t)
    assert all(count_segments(m) <= budget for t in turns for m in t)
    sent = unhinted(turns, hint)
    assert " ".join(sent).split() == " ".join(expected).split()
    assert (sent == []) == all(not e.strip() for e in expected)


@settings(max_examples=200, deadline=None)
@given(st.text(), budgets)
def test_any_text_renders_without_error_on_both_channels(text, budget):
    for channel in ("sms", "whatsapp"):
        pages = messages([text], channel, budget)
        assert all(p.strip() for p in pages)
        assert all(utf16_len(p) <= MAX_BODY_CHARS for p in pages)
        if channel == "sms":
            assert all(count_segments(p) <= budget for p in pages)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1), st.sampled_from(["sms", "whatsapp"]))
@example("Hola " + "😀" * 200 + " adios", "sms")
@example("x" * 5000, "whatsapp")
def test_any_text_keeps_all_its_characters_across_messages(text, channel):
    pages = messages([text], channel, budget=1)
    expected = prepare(text, channel)
    assert "".join("".join(pages).split()) == "".join(expected.split())
