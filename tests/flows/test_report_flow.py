"""The anonymous report flow (issue 21 §4): safety first, the worker's own account, only what is
still missing, a summary to confirm, then file_report. Every question can be skipped."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.flows.chat import Chat, says

MENU = "menu.main"
#: The questions a report asks by default when the account gives nothing (goal: at most 7).
DEFAULT_QUESTIONS = [
    "report.ask.danger",
    "report.ask.story",
    "report.ask.what",
    "report.ask.employer",
    "report.ask.province",
    "report.ask.sector",
    "report.ask.share",
]


def reporting(engine, channel: str = "whatsapp", language: str = "es") -> Chat:
    chat = Chat(engine, channel=channel, language=language)
    chat.send(says("hola", "greet"))
    chat.script(
        [
            (
                says("quiero denunciar a mi patron", "report_abuse"),
                ["report.intro", "report.ask.danger"],
            )
        ]
    )
    return chat


def to_types(engine, channel: str = "whatsapp") -> Chat:
    """A report at its list of problems: not in danger, the account skipped."""
    chat = reporting(engine, channel)
    chat.script([("no", ["report.ask.story"]), ("1", ["report.ask.what"])])
    return chat


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_a_full_report_with_every_optional_detail_photos_and_consent(engine, channel):
    chat = to_types(engine, channel)
    photo = {"url": "https://api.twilio.com/Media/ME1", "content_type": "image/jpeg"}
    chat.script(
        [
            ("1, 3 y 5", ["report.ask.employer"]),
            (
                says(
                    "Granja Los Pinos, Leamington",
                    entities={"sector": "agriculture", "province": ("ON", "Leamington")},
                ),
                ["report.ask.share", "!set_province"],
            ),
            ("2", ["report.summary", "report.ask.confirm"]),
            ("2", ["report.ask.change"]),
            ("5", ["report.ask.since"]),
            ("3", ["report.ask.how_many"]),
            ("2", ["report.ask.photos"]),
            (says("", media=(photo,)), ["media.received"]),
            (says("", media=(photo, photo)), ["media.received"]),
            ("listo", ["report.ask.contact"]),
            ("2", ["report.summary", "report.ask.confirm"]),
            ("1", ["pin.ask.choose"]),
            (
                "0417",
                [
                    "report.thanks",
                    "!file_report",
                    "!set_pin",
                    "!tip_delete_chat",
                    "!flow_completed",
                ],
            ),
        ]
    )
    data = chat.effect("file_report").data
    assert data["language"] == "es" and data["province"] == "ON" and data["channel"] == channel
    slots = {k: v for k, v in data["slots"].items() if k != "issues"}
    assert slots == {
        "danger": False,
        "details": None,
        "types": ["wages", "housing", "documents"],
        "employer": "Granja Los Pinos",
        "place": "Leamington",
        "sector": "agriculture",
        "province": "ON",
        "share": "ngo_tipline",
        "since": "6_to_12_months",
        "workers": "2_to_5",
        "photos": [photo, photo, photo],
        "contact": "share_number",
        "pin": "0417",
    }
    assert chat.effect("set_pin").data == {
        "pin": "0417"
    }  # bot/conversation/pin.py keeps only its hash
    assert chat.state["has_reports"] is True and chat.state["flow"] is None


def test_every_question_can_be_skipped_and_the_default_questions_are_seven_at_most(engine):
    chat = reporting(engine, "sms")
    asked = ["report.ask.danger"]
    for answer in (
        "SALTAR",
        "skip",
        "laktawan",
        "saltar",
        "saltar",
        "7",
        "3",
    ):  # 3: nobody receives it
        asked += [m for m in chat.send(answer).msgids if m.startswith("report.ask.")]
    assert asked == [*DEFAULT_QUESTIONS, "report.ask.confirm"]
    chat.script([("1", ["pin.ask.choose"]), ("saltar", ["report.thanks", "!file_report"])])
    slots = chat.effect("file_report").data["slots"]
    assert slots["share"] == "none" and "contact" not in slots
    assert slots["types"] is None and slots["employer"] is None and slots["danger"] is None


def test_a_worker_in_danger_gets_the_emergency_message_before_the_account(engine):
    chat = reporting(engine)
    chat.script([("si", ["emergency.message", "report.ask.story", "!emergency"])])
    assert chat.effect("emergency").data == {"source": "report", "province": None}


def test_the_account_fills_in_what_it_names_and_only_the_rest_is_asked(engine):
    chat = reporting(engine, "sms")
    account = says(
        "No me pagan las horas extra y me quitaron el pasaporte. Trabajo en la Granja Sol",
        "ask_wages",
        0.95,
        entities={"province": "ON", "sector": "agriculture"},
        problems=["ask_wages", "ask_documents"],
    )  # a province without its words: no town
    chat.script([("no", ["report.ask.story"]), (account, ["report.ask.share", "!set_province"])])
    slots = chat.state["slots"]
    assert slots["types"] == ["wages", "documents"] and slots["employer"] == "Granja Sol"
    assert slots["sector"] == "agriculture" and slots["province"] == "ON"
    assert slots["details"].startswith("No me pagan")  # the account itself, for the organization
    summary = chat.send("1").replies[0]
    assert summary.msgid == "report.summary"
    assert summary.params["types"] == [
        {"msgid": "report.type.wages"},
        {"msgid": "report.type.documents"},
    ]
    assert summary.params["employer"] == "Granja Sol" and summary.params["province"] == "ON"
    assert summary.params["place"] == {"msgid": "report.summary.none"}
    assert summary.params["share"] == {"msgid": "report.share.ngo"}


def test_an_account_that_reads_like_a_question_is_still_the_answer(engine):
    chat = reporting(engine)
    chat.send("no")
    chat.script(
        [
            (
                says("no me pagan el salario minimo, es legal?", "ask_wages", 0.97),
                ["report.ask.employer"],
            )
        ]
    )
    assert chat.state["flow"] == "report" and chat.state["slots"]["types"] == ["wages"]


def test_the_message_that_starts_the_report_and_the_last_topic_fill_in_the_problems(engine):
    chat = Chat(engine, channel="sms")
    chat.send(says("hola", "greet"))
    chat.send(says("me quitaron el pasaporte", "ask_documents", 0.95))
    chat.script(
        [
            (
                says(
                    "quiero denunciar a la Granja Sol, tampoco me pagan",
                    "report_abuse",
                    0.9,
                    problems=["report_abuse", "ask_wages"],
                ),
                ["report.intro", "report.ask.danger"],
            ),
            ("no", ["report.ask.story"]),
            (
                "1",
                ["report.ask.province"],
            ),  # problems and employer known: the place is what is missing
        ]
    )
    assert chat.state["slots"]["types"] == ["wages", "documents"]
    assert chat.state["slots"]["employer"] == "Granja Sol"


def test_more_of_what_happened_told_at_the_employer_question_joins_the_account(engine):
    """Before, the worker's words became the employer's name in the summary and the report."""
    chat = reporting(engine, "sms")
    more = says(
        "nos gritan todo el dia y trabajamos 70 horas pero pagan 48",
        "ask_hours",
        0.8,
        problems=["ask_hours"],
    )
    chat.script(
        [
            ("no", ["report.ask.story"]),
            (says("no nos pagan bien", "ask_wages", 0.9), ["report.ask.employer"]),
            (more, ["account.added", "report.ask.employer"]),
            ("Granja Sol, Leamington", ["report.ask.province"]),
        ]
    )
    slots = chat.state["slots"]
    assert slots["employer"] == "Granja Sol, Leamington"  # the harness's parse finds no town
    assert slots["details"] == "no nos pagan bien\n" + more.text  # nothing the worker told is lost
    assert slots["types"] == ["wages", "hours"]


def test_a_long_employer_name_that_names_no_problem_is_the_name(engine):
    chat = reporting(engine, "sms")
    chat.script(
        [
            ("no", ["report.ask.story"]),
            (says("no nos pagan bien", "ask_wages", 0.9), ["report.ask.employer"]),
            ("la granja de los hermanos lopez en leamington", ["report.ask.province"]),
        ]
    )
    assert chat.state["slots"]["employer"] == "la granja de los hermanos lopez en leamington"


def test_change_at_the_summary_asks_that_answer_again_and_comes_back(engine):
    chat = to_types(engine)
    chat.script(
        [
            ("1", ["report.ask.employer"]),
            (says("Granja Sol", entities={"province": "ON"}), ["report.ask.sector"]),
            ("1", ["report.ask.share"]),
            ("1", ["report.summary", "report.ask.confirm"]),
            ("2", ["report.ask.change"]),
            ("2", ["report.ask.employer"]),
            (
                says("Granja Luna, Kingsville", entities={"province": ("ON", "Kingsville")}),
                ["report.summary", "report.ask.confirm"],
            ),
        ]
    )
    assert (
        chat.state["slots"]["employer"] == "Granja Luna"
        and chat.state["slots"]["place"] == "Kingsville"
    )
    assert chat.last.replies[0].params["employer"] == "Granja Luna"
    chat.script(
        [
            ("2", ["report.ask.change"]),
            ("1", ["report.ask.what"]),
            ("2", ["report.summary", "report.ask.confirm"]),
        ]
    )
    assert chat.state["slots"]["types"] == ["hours"]


def test_yes_at_the_summary_sends_it(engine):
    chat = to_types(engine)
    for answer in ("1", "Granja Sol", "ON", "1", "1"):
        chat.send(answer)
    chat.script([("si", ["pin.ask.choose"]), ("no", ["report.thanks", "!file_report"])])


def test_cancel_at_the_summary_sends_nothing(engine):
    chat = to_types(engine)
    for answer in ("1", "Granja Sol", "ON", "1"):
        chat.send(answer)
    chat.script(
        [
            ("1", ["report.summary", "report.ask.confirm"]),
            ("3", ["report.cancelled", MENU, "!flow_cancelled"]),
        ]
    )
    assert "file_report" not in chat.last.effect_kinds
    assert "flow_completed" not in chat.last.effect_kinds, (
        "a report not sent is no completed report"
    )
    assert chat.effect("flow_cancelled").data == {"flow": "report", "step": "confirm"}
    assert chat.state["parked"] is None and chat.state["has_reports"] is False


def test_a_wrong_number_in_the_multi_select_is_reprompted_with_the_options(engine):
    chat = to_types(engine)
    chat.script([("1 12", ["reprompt.multi"]), ("2 4", ["report.ask.employer"])])
    assert chat.state["slots"]["types"] == ["hours", "health_safety"]


def test_text_at_the_photo_question_is_reprompted(engine):
    chat = to_types(engine)
    for answer in ("1", "saltar", "saltar", "saltar", "1", "2", "5", "saltar", "saltar"):
        chat.send(answer)
    chat.script(
        [("una foto de la casa", ["report.reprompt.photos"]), ("1", ["report.ask.contact"])]
    )


def test_an_unfinished_report_is_kept_for_the_session_timeout_then_offered_then_discarded(engine):
    chat = to_types(engine, "sms")
    chat.script(
        [
            ("1", ["report.ask.employer"]),
            ("Granja Los Pinos", ["report.ask.province"]),
            (says("hola", "greet", after=timedelta(hours=3)), ["welcome.back", "resume.ask"]),
            ("1", ["report.ask.province"]),
        ]
    )
    assert chat.state["slots"]["employer"] == "Granja Los Pinos"
    chat.script(
        [
            (says("hola", "greet", after=timedelta(hours=3)), ["welcome.back", "resume.ask"]),
            ("2", [MENU, "!flow_abandoned"]),
        ]
    )
    assert chat.state["parked"] is None
    chat.script([("2", ["report.intro", "report.ask.danger"])])


def test_a_parked_report_expires_silently_after_a_day(engine):
    chat = reporting(engine)
    chat.send("no")
    chat.script(
        [
            (
                says("hola", "greet", after=timedelta(days=2)),
                ["welcome.back", MENU, "!flow_abandoned"],
            )
        ]
    )
    assert "file_report" not in chat.last.effect_kinds


def test_starting_a_report_again_offers_the_unfinished_one(engine):
    chat = to_types(engine)
    chat.script(
        [
            ("1", ["report.ask.employer"]),
            ("0", [MENU]),
            ("2", ["resume.ask"]),
            ("2", ["report.intro", "report.ask.danger", "!flow_abandoned"]),
        ]
    )
    assert chat.state["slots"] == {"issues": []}


def test_a_question_asked_after_the_timeout_with_a_report_parked_is_answered_then_offers_it(engine):
    chat = to_types(engine)
    chat.script(
        [
            ("1", ["report.ask.employer"]),
            (
                says("necesito un permiso abierto", "ask_permit", 0.9, after=timedelta(hours=2)),
                ["welcome.back", "topic.permit.answer", "return.ask"],
            ),
            ("si", ["report.ask.employer"]),
        ]
    )
