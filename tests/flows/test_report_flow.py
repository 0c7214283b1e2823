"""The anonymous report flow (issue 5 §1): short questions, each skippable, ends in file_report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.flows.chat import Chat, says

MENU = "menu.main"


def reporting(engine, channel: str = "whatsapp", language: str = "es") -> Chat:
    chat = Chat(engine, channel=channel, language=language)
    chat.send(says("hola", "greet"))
    chat.script([(says("quiero denunciar a mi patron", "report_abuse"), ["report.intro", "report.ask.what"])])
    return chat


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_a_full_report_with_multi_select_photos_and_consent(engine, channel):
    chat = reporting(engine, channel)
    photo = {"url": "https://api.twilio.com/Media/ME1", "content_type": "image/jpeg"}
    chat.script([
        ("1, 3 y 5", ["report.ask.employer"]),
        (says("Granja Los Pinos", entities={"sector": "agriculture"}), ["report.ask.where"]),
        (says("Leamington, Ontario", entities={"province": "ON"}), ["report.ask.since", "!set_province"]),
        ("3", ["report.ask.how_many"]),
        ("2", ["report.ask.photos"]),
        (says("", media=(photo,)), ["media.received"]),
        (says("", media=(photo, photo)), ["media.received"]),
        ("listo", ["report.ask.danger"]),
        ("no", ["report.ask.consent_ngo"]),
        ("si", ["report.ask.consent_tipline"]),
        ("2", ["report.ask.contact"]),
        ("1", ["pin.ask.choose"]),
        ("0417", ["report.thanks", "!file_report", "!set_pin", "!tip_delete_chat", "!flow_completed"]),
    ])
    data = chat.effect("file_report").data
    assert data["language"] == "es" and data["province"] == "ON" and data["channel"] == channel
    assert data["slots"] == {
        "types": ["wages", "housing", "documents"],
        "employer": "Granja Los Pinos",
        "sector": "agriculture",
        "place": "Leamington, Ontario",
        "province": "ON",
        "since": "6_to_12_months",
        "workers": "2_to_5",
        "photos": [photo, photo, photo],
        "danger": False,
        "consent_ngo": True,
        "consent_tipline": False,
        "contact": "anonymous",
        "pin": "0417",
    }
    assert chat.effect("set_pin").data == {"pin": "0417"}  # bot/pin.py keeps only its hash
    assert chat.state["has_reports"] is True and chat.state["flow"] is None
    assert chat.last.replies[1:] == [] or chat.last.msgids == ["report.thanks"]


def test_every_question_can_be_skipped_and_the_report_still_files(engine):
    chat = reporting(engine, "sms")
    chat.script([
        ("SALTAR", ["report.ask.employer"]),
        ("skip", ["report.ask.where"]),
        ("laktawan", ["report.ask.province"]),
        ("saltar", ["report.ask.sector"]),      # free text on SMS: no list, SKIP by word
        ("7", ["report.ask.since"]),            # 6 sectors, then "skip"
        ("5", ["report.ask.how_many"]),
        ("saltar", ["report.ask.photos"]),
        ("1", ["report.ask.danger"]),
        ("3", ["report.ask.consent_ngo"]),
        ("3", ["report.ask.consent_tipline"]),
        ("3", ["pin.ask.choose"]),
        ("saltar", ["report.thanks", "!file_report"]),
    ])
    slots = chat.effect("file_report").data["slots"]
    assert slots["consent_ngo"] is False and slots["consent_tipline"] is False
    assert "contact" not in slots  # not asked without consent to share
    assert slots["types"] is None and slots["employer"] is None
    questions = [m for m in ["report.ask.what", "report.ask.employer", "report.ask.where", "report.ask.province",
                             "report.ask.sector", "report.ask.since", "report.ask.how_many",
                             "report.ask.photos", "report.ask.danger", "report.ask.consent_ngo",
                             "report.ask.consent_tipline"]]
    assert len(questions) <= 11


def test_a_worker_in_danger_gets_the_emergency_message_before_the_next_question(engine):
    chat = reporting(engine)
    for answer in ("8", "saltar", "saltar", "saltar", "saltar", "saltar", "saltar", "1"):
        chat.send(answer)
    chat.script([("si", ["emergency.message", "report.ask.consent_ngo", "!emergency"])])
    assert chat.effect("emergency").data == {"source": "report", "province": None}


def test_free_text_answers_are_kept_where_the_options_do_not_fit(engine):
    chat = reporting(engine)
    chat.script([
        (says("no me pagan las horas extra", "ask_wages", 0.8), ["report.ask.employer"]),
        ("saltar", ["report.ask.where"]),
        (says("Abbotsford", entities={"province": "BC"}), ["report.ask.sector"]),
        ("en un vivero", ["report.ask.since"]),
        ("desde marzo", ["report.ask.how_many"]),
        ("unos 15", ["report.ask.photos"]),
    ])
    slots = chat.state["slots"]
    assert slots["types"] == ["wages"]
    assert slots["sector"] == "en un vivero" and slots["since"] == "desde marzo" and slots["workers"] == "unos 15"


def test_a_wrong_number_in_the_multi_select_is_reprompted_with_the_options(engine):
    chat = reporting(engine)
    chat.script([("1 12", ["reprompt.multi"]), ("2 4", ["report.ask.employer"])])
    assert chat.state["slots"]["types"] == ["hours", "health_safety"]


def test_text_at_the_photo_question_is_reprompted(engine):
    chat = reporting(engine)
    for answer in ("1", "saltar", "saltar", "saltar", "saltar", "saltar", "saltar"):
        chat.send(answer)
    chat.script([("una foto de la casa", ["report.reprompt.photos"]), ("1", ["report.ask.danger"])])


def test_an_unfinished_report_is_kept_for_the_session_timeout_then_offered_then_discarded(engine):
    chat = reporting(engine, "sms")
    chat.script([
        ("1", ["report.ask.employer"]),
        ("Granja Los Pinos", ["report.ask.where"]),
        (says("hola", "greet", after=timedelta(hours=3)), ["welcome.back", "resume.ask"]),
        ("1", ["report.ask.where"]),
    ])
    assert chat.state["slots"]["employer"] == "Granja Los Pinos"
    chat.script([
        (says("hola", "greet", after=timedelta(hours=3)), ["welcome.back", "resume.ask"]),
        ("2", [MENU, "!flow_abandoned"]),
    ])
    assert chat.state["parked"] is None
    chat.script([("2", ["report.intro", "report.ask.what"])])


def test_a_parked_report_expires_silently_after_a_day(engine):
    chat = reporting(engine)
    chat.send("1")
    chat.script([(says("hola", "greet", after=timedelta(days=2)), ["welcome.back", MENU, "!flow_abandoned"])])
    assert "file_report" not in chat.last.effect_kinds


def test_starting_a_report_again_offers_the_unfinished_one(engine):
    chat = reporting(engine)
    chat.script([
        ("1", ["report.ask.employer"]),
        ("0", [MENU]),
        ("2", ["resume.ask"]),
        ("2", ["report.intro", "report.ask.what", "!flow_abandoned"]),
    ])
    assert chat.state["slots"] == {}


def test_a_question_asked_after_the_timeout_with_a_report_parked_is_answered_then_offers_it(engine):
    chat = reporting(engine)
    chat.script([
        ("1", ["report.ask.employer"]),
        (says("necesito un permiso abierto", "ask_permit", 0.9, after=timedelta(hours=2)),
         ["welcome.back", "topic.permit.answer", "return.ask"]),
        ("si", ["report.ask.employer"]),
    ])
