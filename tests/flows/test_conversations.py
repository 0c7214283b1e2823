"""Conversations with the engine over SMS and WhatsApp: commands, navigation, timeouts, safety."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.flows.chat import Chat, says

CHANNELS = ["sms", "whatsapp"]
MENU = "menu.main"
FIRST = ["welcome.intro", MENU]
#: From the main menu to the report's list of problems: danger first, then the account (skipped).
TO_REPORT_TYPES = [
    ("2", ["report.intro", "report.ask.danger"]),
    ("no", ["report.ask.story"]),
    ("1", ["report.ask.what"]),
]


@pytest.fixture(params=CHANNELS)
def chat(request: pytest.FixtureRequest, engine) -> Chat:
    return Chat(engine, channel=request.param)


def started(engine, channel: str = "sms", language: str = "es") -> Chat:
    chat = Chat(engine, channel=channel, language=language)
    chat.script([(says("hola", "greet", language=language), FIRST)])
    return chat


def test_first_contact_greets_in_the_detected_language_and_shows_the_menu(engine):
    for language in ("es", "tl", "en"):
        chat = Chat(engine, language=language)
        chat.script([(says("hi", "greet"), [*FIRST, "!set_language"])])
        assert chat.effect("set_language").data == {"language": language}


def test_a_first_question_is_answered_first_with_one_intro_line_before_the_next_question(engine):
    for language in ("es", "tl", "en"):
        chat = Chat(engine, language=language)
        chat.script(
            [
                (
                    says("my boss took my passport, can he?", "ask_documents"),
                    ["topic.documents.answer", "welcome.intro", "next.ask", "!topic_answered"],
                )
            ]
        )


def test_a_worker_who_only_sends_numbers_reaches_an_answer_and_an_organization(chat):
    # The province is a numbered list on WhatsApp only; on SMS it is typed (no 13-item list).
    province = "1" if chat.channel == "whatsapp" else "Ontario"
    chat.script(
        [
            (says("hola", "greet"), FIRST),
            ("1", ["topics.ask"]),
            ("1", ["province.ask"]),
            (province, ["topic.wages.answer", "next.ask", "!set_province", "!topic_answered"]),
            ("2", ["ngo.searching", "!find_ngo"]),
        ]
    )
    assert chat.effect("find_ngo").data == {
        "province": "ON",
        "language": "es",
        "services": ["wages"],
    }


def test_every_topic_is_reachable_by_numbers_from_the_main_menu(engine):
    topics = [
        "wages",
        "hours",
        "housing",
        "health",
        "safety",
        "documents",
        "fees",
        "permit",
        "retaliation",
    ]
    for number, topic in enumerate(topics, start=1):
        chat = started(engine)
        chat.send("1")
        result = chat.send(str(number))
        if result.msgids == ["province.ask"]:
            result = chat.send("bc")
        assert result.msgids[0] == f"topic.{topic}.answer"


@pytest.mark.parametrize("word", ["MENU", "menú", "¡Menú!", "0", " menu. "])
def test_menu_command_works_anywhere_in_any_case_and_accent(engine, word):
    chat = started(engine)
    chat.script([("2", ["report.intro", "report.ask.danger"]), (word, [MENU])])
    assert chat.state["flow"] == "menu"


@pytest.mark.parametrize("word", ["IDIOMA", "wika", "Language"])
def test_language_command_in_each_language_changes_the_language(engine, word):
    chat = started(engine)
    chat.script([(word, ["lang.choose"]), ("3", ["lang.changed", MENU, "!set_language"])])
    assert chat.state["language"] == "en"


def test_language_change_mid_flow_comes_back_to_the_same_question(engine):
    chat = started(engine)
    chat.script(
        [
            *TO_REPORT_TYPES,
            ("1", ["report.ask.employer"]),
            ("WIKA", ["lang.choose"]),
            ("2", ["lang.changed", "report.ask.employer"]),
        ]
    )
    assert chat.state["language"] == "tl"
    assert chat.state["slots"]["types"] == ["wages"]


def test_typing_a_language_name_switches_at_once(engine):
    chat = started(engine)
    chat.script([("English", ["lang.changed", MENU, "!set_language"])])
    assert chat.state["language"] == "en"


@pytest.mark.parametrize("word", ["AYUDA", "tulong", "HELP"])
def test_help_command_explains_then_shows_the_menu(engine, word):
    chat = started(engine)
    chat.script([(word, ["help.text", "help.commands", MENU])])


def test_unknown_answers_at_a_menu_are_reprompted_twice_then_the_menu(chat):
    chat.script(
        [
            (says("hola", "greet"), FIRST),
            ("1", ["topics.ask"]),
            ("banana", ["reprompt.choice"]),
            ("42", ["reprompt.choice"]),
            ("???", ["reprompt.giveup", MENU]),
        ]
    )
    reprompt = chat.last.replies[0]
    assert reprompt.options == ()
    assert chat.state["flow"] == "menu"


def test_a_reprompt_repeats_the_options(engine):
    chat = started(engine)
    chat.send("1")
    result = chat.send("banana")
    topics = engine.flows["topics"].steps["choose"].options
    assert [o.key for o in result.replies[0].options] == [str(n) for n in range(1, len(topics) + 1)]
    assert result.replies[0].options[0].msgid == "topics.option.wages"


def test_stop_then_anything_is_silence_until_start(chat):
    chat.script(
        [
            (says("hola", "greet"), FIRST),
            ("ALTO", ["optout.confirmed", "!opt_out"]),
            (says("hola", "greet"), []),
            (says("me están golpeando", "emergency", triage="danger"), []),
            ("MENU", []),
            ("INICIO", ["optout.resumed", MENU, "!opt_in"]),
        ]
    )


def test_opt_out_words_never_land_inside_a_running_flow(engine):
    chat = started(engine, "whatsapp")
    chat.script(
        [
            *TO_REPORT_TYPES,
            ("1", ["report.ask.employer"]),
            ("HINTO", ["optout.confirmed", "!opt_out"]),
        ]
    )
    assert chat.state["flow"] is None and chat.state["parked"] is None
    assert chat.state["opted_out"] is True


def test_twilio_stop_words_on_sms_get_no_reply_of_ours(engine):
    chat = started(engine, "sms")
    chat.script([("STOP", ["!opt_out"])])
    assert chat.effect("opt_out").data["carrier"] is True
    chat.script([("hello", []), ("START", ["optout.resumed", MENU, "!opt_in"])])


def test_stop_on_whatsapp_is_confirmed_by_us(engine):
    chat = started(engine, "whatsapp")
    chat.script([("stop", ["optout.confirmed", "!opt_out"]), ("SIMULA", ["optout.resumed", MENU])])


def test_opt_out_intent_asks_before_stopping(engine):
    chat = started(engine)
    chat.script(
        [
            (says("ya no me manden mensajes", "opt_out"), ["optout.ask.confirm"]),
            ("2", ["optout.kept", MENU, "!flow_cancelled"]),
            (says("ya no me manden mensajes", "opt_out"), ["optout.ask.confirm"]),
            ("si", ["optout.confirmed", "!opt_out"]),
            ("hola", []),
        ]
    )


def test_erase_needs_a_yes_and_then_forgets_the_worker(chat):
    chat.script(
        [
            (says("hola", "greet"), FIRST),
            ("BORRAR", ["erase.ask.confirm"]),
            ("2", ["erase.cancelled", MENU, "!flow_cancelled"]),
            ("burahin", ["erase.ask.confirm"]),
            ("1", ["erase.ask.reports"]),
            ("2", ["erase.done", "!erase_data"]),
            (says("hola", "greet"), FIRST),
        ]
    )


@pytest.mark.parametrize("has_reports", [True, False])
def test_erase_always_asks_separately_about_reports(engine, has_reports):
    """Asked only when reports exist, the question would tell whoever holds the phone that they do."""
    chat = started(engine)
    chat.state["has_reports"] = has_reports
    chat.script(
        [
            ("DELETE", ["erase.ask.confirm"]),
            ("yes", ["erase.ask.reports"]),
            ("1", ["erase.done", "!erase_data"]),
        ]
    )
    assert chat.effect("erase_data").data == {"unlink_reports": True}


def test_a_late_yes_to_erase_does_not_erase(engine):
    chat = started(engine)
    chat.script(
        [
            ("BORRAR", ["erase.ask.confirm"]),
            (says("1", after=timedelta(minutes=20)), [MENU]),
        ]
    )
    assert "erase_data" not in chat.last.effect_kinds


def test_session_timeout_greets_afresh_but_remembers_language_and_province(engine):
    chat = started(engine)
    chat.script(
        [("1", ["topics.ask"]), ("1", ["province.ask"]), ("bc", ["topic.wages.answer", "next.ask"])]
    )
    chat.script(
        [
            (says("hola", "greet", after=timedelta(hours=3)), ["welcome.back", MENU]),
            ("1", ["topics.ask"]),
            ("1", ["topic.wages.answer", "next.ask"]),
        ]
    )
    assert chat.state["province"] == "BC" and chat.state["language"] == "es"


def test_a_number_after_the_session_timeout_shows_the_menu_instead_of_answering_a_stale_one(engine):
    chat = started(engine)
    chat.script(
        [
            ("1", ["topics.ask"]),
            (says("3", after=timedelta(hours=2)), ["welcome.back", MENU]),
        ]
    )


def test_an_intent_interrupts_a_flow_and_the_worker_comes_back(chat):
    chat.script(
        [
            (says("hola", "greet"), FIRST),
            *TO_REPORT_TYPES,
            ("1 5", ["report.ask.employer"]),
            (
                says(
                    "cuanto es el salario minimo en ontario",
                    "ask_wages",
                    0.97,
                    entities={"province": "ON"},
                ),
                ["topic.wages.answer", "return.ask", "!topic_answered"],
            ),
            ("1", ["report.ask.employer"]),
            ("Granja Los Pinos", ["report.ask.sector"]),  # the province came with the wage question
        ]
    )
    assert chat.state["slots"]["types"] == ["wages", "documents"]
    assert chat.state["slots"]["employer"] == "Granja Los Pinos"


def test_the_return_offer_names_the_interrupted_flow(engine):
    chat = started(engine)
    chat.send("2")
    result = chat.send(says("como cambio de empleador", "ask_permit", 0.9))
    offer = result.replies[-1]
    assert offer.msgid == "return.ask"
    assert offer.params == {"flow": "report.title"} and offer.formats == {"flow": "msgid"}


def test_declining_to_return_parks_the_report_and_offers_it_next_time(engine):
    chat = started(engine)
    chat.script(
        [
            *TO_REPORT_TYPES,
            ("3", ["report.ask.employer"]),
            (says("horas extra", "ask_hours", 0.9), ["topic.hours.answer", "return.ask"]),
            ("2", [MENU]),
            ("2", ["resume.ask"]),
            ("1", ["report.ask.employer"]),
        ]
    )
    assert chat.state["slots"]["types"] == ["housing"]


def test_a_weak_intent_does_not_interrupt_a_free_text_answer(engine):
    chat = started(engine)
    chat.script(
        [
            *TO_REPORT_TYPES,
            ("1", ["report.ask.employer"]),
            (says("Pagos Rapidos Farms", "ask_wages", 0.7), ["report.ask.province"]),
        ]
    )
    assert chat.state["slots"]["employer"] == "Pagos Rapidos Farms"


def test_emergency_message_comes_first_even_mid_flow(chat):
    chat.script(
        [
            (says("hola", "greet"), FIRST),
            *TO_REPORT_TYPES,
            ("1", ["report.ask.employer"]),
            (
                says(
                    "el patron me golpea y no me dejan salir",
                    "emergency",
                    0.96,
                    triage="confinement",
                ),
                ["triage.confinement", "emergency.ask", "!emergency"],
            ),
            ("3", ["report.ask.employer"]),  # back to the report under way, answers kept
        ]
    )
    assert chat.state["slots"]["types"] == ["wages"]


def test_danger_mid_report_gets_its_safety_reply_before_the_next_question(engine):
    chat = started(engine)
    chat.script(
        [
            *TO_REPORT_TYPES,
            ("7", ["report.ask.employer"]),
            (
                says("Finca Sol, me tienen encerrado", "nlu_fallback", 0.3, triage="confinement"),
                ["triage.confinement", "report.ask.province", "!emergency"],
            ),
        ]
    )
    assert chat.effect("emergency").data == {
        "source": "triage",
        "category": "confinement",
        "province": None,
    }


def test_danger_on_first_contact_comes_before_the_welcome(engine):
    chat = Chat(engine)
    result = chat.send(says("ayuda me van a matar", "emergency", triage="danger"))
    assert result.msgids[0] == "triage.danger"
    assert "welcome.intro" in result.msgids


def test_emergency_intent_from_the_menu_offers_help_options(engine):
    chat = started(engine, "whatsapp")
    chat.script(
        [
            (
                says("estoy en peligro", "emergency", triage="danger"),
                ["triage.danger", "emergency.ask"],
            ),
            ("1", ["province.ask.person"]),  # "find people near you: which province?"
            (says("Leamington", entities={"province": "ON"}), ["ngo.searching", "!find_ngo"]),
        ]
    )
    assert "emergency_shelter" in chat.effect("find_ngo").data["services"]


def test_unsure_nlu_offers_the_top_guesses_as_numbers(chat):
    chat.script(
        [
            (says("hola", "greet"), FIRST),
            (
                says(
                    "el mayordomo no me deja descansar y no me paga",
                    "nlu_fallback",
                    0.4,
                    ranking=[
                        ("nlu_fallback", 0.4),
                        ("ask_hours", 0.3),
                        ("ask_wages", 0.2),
                        ("greet", 0.05),
                    ],
                ),
                ["clarify.ask"],
            ),
        ]
    )
    assert [o.msgid for o in chat.last.replies[0].options] == [
        "intent.ask_hours",
        "intent.ask_wages",
    ]
    chat.script([("1", ["topic.hours.answer", "next.ask"])])


def test_a_small_margin_between_two_intents_is_clarified(engine):
    chat = started(engine)
    chat.script(
        [
            (
                says(
                    "me quitan de mi sueldo por la casa",
                    "ask_housing",
                    0.46,
                    ranking=[("ask_housing", 0.46), ("ask_wages", 0.42), ("ask_fees", 0.08)],
                ),
                ["clarify.ask"],
            ),
            ("2", ["province.ask"]),
        ]
    )
    assert len(chat.last.replies) == 1


def test_nothing_understood_and_no_guess_still_leads_to_the_menu(engine):
    chat = started(engine)
    chat.script(
        [
            ("ab3d-7kq9", ["!case_status"]),  # the bot answers the status; nothing is waiting now
            (
                says("jajaja", "nlu_fallback", 0.2, ranking=[("nlu_fallback", 0.2)]),
                ["clarify.none", MENU],
            ),
            (
                says("jajaja", "nlu_fallback", 0.2, ranking=[("nlu_fallback", 0.2)]),
                ["reprompt.choice"],
            ),
        ]
    )


def test_a_confident_intent_goes_straight_to_its_answer(engine):
    chat = started(engine, language="tl")
    chat.script(
        [
            (
                says("kinuha ng amo ko ang passport ko", "ask_documents", 0.93, language="tl"),
                ["topic.documents.answer", "next.ask"],
            )
        ]
    )


def test_whatsapp_buttons_answer_the_menu(engine):
    chat = started(engine, "whatsapp")
    chat.script(
        [
            (says("Conocer mis derechos", button="1"), ["topics.ask"]),
            (says("Horas", button="hours"), ["topic.hours.answer", "next.ask"]),
        ]
    )


def test_button_text_matches_an_option_label_when_the_engine_knows_the_words(structural_dir):
    import flows

    labels = {"menu.option.report": "Reportar un problema"}
    engine = flows.load_engine(
        structural_dir, strict=True, labels=lambda msgid, lang: labels.get(msgid, msgid)
    )
    chat = started(engine, "whatsapp")
    chat.script(
        [
            (
                says("Reportar un problema", button="Reportar un problema"),
                ["report.intro", "report.ask.danger"],
            )
        ]
    )


def test_a_message_in_another_language_is_answered_in_the_chosen_one_with_an_offer_to_switch(
    engine,
):
    chat = Chat(engine)
    chat.script([(says("hola buenas tardes", "greet"), FIRST)])
    result = chat.send(says("magkano ang minimum wage dito", "ask_wages", 0.95, language="tl"))
    assert result.msgids == ["province.ask", "lang.offer"]
    assert result.replies[-1].language == "tl"
    assert chat.state["language"] == "es"
    assert (
        "lang.offer"
        not in chat.send(
            says("sa Ontario po ako nagtatrabaho", language="tl", entities={"province": "ON"})
        ).msgids
    )


def test_a_case_code_alone_asks_for_the_case_status(engine):
    chat = started(engine)
    chat.script([("ab3d-7kq9", ["!case_status"])])
    assert chat.effect("case_status").data == {"code": "AB3D7KQ9"}


def test_a_case_code_the_triage_misreads_as_danger_still_asks_for_the_case_status(engine):
    chat = started(engine)
    result = chat.send(says("628T-G2HE", triage="danger"))
    assert not any(m.startswith("triage.") for m in result.msgids), result.msgids
    assert chat.effect("case_status").data == {"code": "628TG2HE"}


def test_case_status_asks_for_the_code_and_reprompts_a_bad_one(engine):
    chat = started(engine)
    chat.script(
        [
            (says("como va mi denuncia", "case_status"), ["case.ask.code"]),
            ("1234", ["case.reprompt"]),
            ("AB3D 7KQ9", ["!case_status"]),
        ]
    )


def test_agent_hands_off_relays_and_menu_ends_it(chat):
    chat.script(
        [
            (says("hola", "greet"), FIRST),
            ("PERSONA", ["province.ask.person"]),
            ("2" if chat.channel == "whatsapp" else "B.C.", ["agent.connecting", "!handoff_agent"]),
            ("hola, necesito ayuda con mi contrato", ["!relay_to_agent"]),
            ("1", ["!relay_to_agent"]),
            ("MENU", [MENU, "!handoff_end"]),
            ("1", ["topics.ask"]),
        ]
    )


def test_more_pages_when_the_renderer_left_some(engine):
    chat = started(engine)
    chat.state["pages"] = ["page 2"]
    chat.script([("MAS", ["!more"])])
    chat.state.pop("pages")
    chat.script([("MORE", ["paging.empty"])])


def test_goodbye_is_answered_politely(engine):
    chat = started(engine)
    chat.script([(says("gracias", "goodbye"), ["common.goodbye"])])


def test_a_sensitive_flow_ends_with_a_discretion_tip_once_per_session(engine):
    chat = started(engine)
    chat.script(
        [
            (
                says("me van a correr si me quejo", "ask_retaliation"),
                ["topic.retaliation.answer", "next.ask", "!tip_delete_chat"],
            )
        ]
    )
    chat.send("0")
    again = chat.send(says("me van a correr si me quejo", "ask_retaliation"))
    assert "tip_delete_chat" not in again.effect_kinds


def test_analytics_effects_name_the_flow_and_step(engine):
    chat = started(engine)
    chat.send("2")
    chat.send("no")
    result = chat.send("0")
    assert {"flow": "report", "step": "story"} not in [
        e.data for e in result.effects if e.kind == "flow_abandoned"
    ]
    assert chat.state["parked"]["flow"] == "report"  # a report is kept, not thrown away
    chat.send(says("adios", "greet", after=timedelta(days=2)))
    assert {"flow": "report", "step": "story"} in [
        e.data for e in chat.last.effects if e.kind == "flow_abandoned"
    ]


def test_a_question_asked_at_a_topic_menu_is_answered_without_offering_the_menu_back(engine):
    chat = started(engine)
    chat.script(
        [
            ("1", ["topics.ask"]),
            (says("y las horas extra?", "ask_hours", 0.9), ["topic.hours.answer", "next.ask"]),
        ]
    )
    assert chat.state["stack"] == []


def test_a_human_relay_is_not_interrupted_by_a_welcome_after_a_pause(engine):
    chat = started(engine)
    chat.script(
        [
            ("TAO", ["province.ask.person"]),
            ("ontario", ["agent.connecting", "!handoff_agent"]),
            (says("sigo aqui", after=timedelta(hours=3)), ["!relay_to_agent"]),
            (says("hola?", after=timedelta(hours=30)), ["welcome.back", MENU, "!handoff_end"]),
        ]
    )


def test_a_bug_in_the_engine_still_answers_with_the_menu(structural_dir, monkeypatch):
    import flows
    from flows.turn import Handler

    engine = flows.load_engine(structural_dir)  # not strict: the production setting
    chat = started(engine)

    def broken(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(Handler, "run", broken)
    result = chat.send("1")
    assert result.msgids == ["reprompt.giveup", MENU]
    assert result.state["language"] == "es"


def test_a_state_naming_a_flow_that_no_longer_exists_starts_over_cleanly(engine):
    chat = started(engine)
    chat.state.update(
        flow="topic.old", step="gone", stack=[{"flow": "gone", "step": "x", "slots": {}}]
    )
    chat.script([("1", [MENU])])
    assert chat.state["stack"] == []


@pytest.mark.parametrize(
    "language, words",
    [
        (
            "es",
            {
                "menu": "menú",
                "lang": "IDIOMA",
                "skip": "saltar",
                "yes": "sí",
                "no": "no",
                "done": "listo",
                "stop": "parar",
                "start": "inicio",
                "human": "agente",
            },
        ),
        (
            "tl",
            {
                "menu": "MENU",
                "lang": "wika",
                "skip": "laktawan",
                "yes": "opo",
                "no": "hindi",
                "done": "tapos na",
                "stop": "HINTO",
                "start": "simula",
                "human": "tao",
            },
        ),
        (
            "en",
            {
                "menu": "Menu",
                "lang": "language",
                "skip": "SKIP",
                "yes": "yes",
                "no": "nope",
                "done": "done",
                "stop": "stop",
                "start": "start",
                "human": "agent",
            },
        ),
    ],
)
@pytest.mark.parametrize("channel", CHANNELS)
def test_the_same_journey_in_each_language_with_its_own_words(engine, language, words, channel):
    chat = Chat(engine, channel=channel, language=language)
    chat.script(
        [
            (says("hi", "greet"), FIRST),
            ("2", ["report.intro", "report.ask.danger"]),
            (words["no"], ["report.ask.story"]),
            (words["skip"], ["report.ask.what"]),
            ("1 2", ["report.ask.employer"]),
            (words["skip"], ["report.ask.province"]),
            (words["skip"], ["report.ask.sector"]),
            (words["lang"], ["lang.choose"]),
            ("3", ["lang.changed", "report.ask.sector"]),
            (words["skip"], ["report.ask.share"]),
            ("2", ["report.summary", "report.ask.confirm"]),
            ("2", ["report.ask.change"]),
            ("5", ["report.ask.since"]),
            (words["skip"], ["report.ask.how_many"]),
            (words["skip"], ["report.ask.photos"]),
            (words["done"], ["report.ask.contact"]),
            (words["skip"], ["report.summary", "report.ask.confirm"]),
            ("1", ["pin.ask.choose"]),
            (words["no"], ["report.thanks", "!file_report"]),
            (words["menu"], [MENU]),
            (
                words["human"],
                ["agent.connecting", "!handoff_agent"],
            ),  # province skipped in the report
            (words["menu"], [MENU, "!handoff_end"]),
        ]
    )
    stop_reply = (
        [] if channel == "sms" and words["stop"].upper() == "STOP" else ["optout.confirmed"]
    )
    chat.script(
        [
            (words["stop"], [*stop_reply, "!opt_out"]),
            (words["menu"], []),
            (words["start"], ["optout.resumed", MENU, "!opt_in"]),
        ]
    )


# -- language (issue 20 item 6) ------------------------------------------------------------------


def test_a_first_message_of_emoji_guesses_a_language_the_next_real_message_replaces(engine):
    chat = Chat(engine)
    chat.script([(says("🙏🙏", language="es"), ["clarify.none", "welcome.intro", MENU])])
    assert chat.state["language_guessed"]
    chat.send(says("ok", "affirm", language="en"))
    assert chat.state["language"] == "es" and chat.state["language_guessed"]
    result = chat.send(
        says(
            "hello po, magkano po ang sahod dito sa farm namin kasi parang kulang",
            "ask_wages",
            language="tl",
        )
    )
    assert chat.state["language"] == "tl" and not chat.state["language_guessed"]
    assert "lang.offer" not in result.msgids and "lang.changed" not in result.msgids
    assert chat.effect("set_language").data == {"language": "tl"}


def test_a_whole_message_in_another_language_switches_at_once_and_says_so(engine):
    chat = Chat(engine)
    chat.script([(says("hola buenas tardes", "greet"), FIRST)])
    result = chat.send(
        says(
            "po ang employer namin hindi nagbabayad ng overtime sa amin", "ask_hours", language="tl"
        )
    )
    assert chat.state["language"] == "tl" and result.msgids[-1] == "lang.changed"


@pytest.mark.parametrize(
    "text, language",
    [
        ("english please", "en"),
        ("in english pls", "en"),
        ("en español porfa", "es"),
        ("tagalog na lang po", "tl"),
    ],
)
def test_a_request_for_a_language_is_honoured_mid_flow(engine, text, language):
    chat = Chat(engine, language="tl" if language != "tl" else "en")
    chat.script(
        [
            (
                says(
                    "magandang umaga po sa inyo" if language != "tl" else "good morning to you",
                    "greet",
                ),
                FIRST,
            ),
            ("2", ["report.intro", "report.ask.danger"]),
        ]
    )
    chat.script([(text, ["lang.changed", "report.ask.danger"])])
    assert chat.state["language"] == language


def test_a_negated_language_name_is_no_request(engine):
    chat = Chat(engine)
    chat.script([(says("hola buenas tardes", "greet"), FIRST)])
    chat.send(says("no hablo ingles", language="es"))
    assert chat.state["language"] == "es"


def test_an_english_name_inside_a_report_answer_changes_nothing(engine):
    chat = Chat(engine)
    chat.script(
        [
            (says("hola buenas tardes", "greet"), FIRST),
            *TO_REPORT_TYPES,
            ("1", ["report.ask.employer"]),
        ]
    )
    result = chat.send(says("Sunny Valley Greenhouses English Farms", language="en"))
    assert result.msgids == ["report.ask.province"] and chat.state["language"] == "es"


def test_danger_during_a_relay_gets_its_safety_reply_and_still_reaches_the_person(engine):
    chat = started(engine)
    chat.script(
        [
            ("PERSONA", ["province.ask.person"]),
            ("bc", ["agent.connecting", "!handoff_agent"]),
            (
                says("me estan golpeando ahorita", triage="danger"),
                ["triage.danger", "!relay_to_agent", "!emergency"],
            ),
            (says("ya no quiero vivir", triage="suicide"), ["triage.suicide", "!emergency"]),
        ]
    )
