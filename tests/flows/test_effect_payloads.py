"""The effects the flows emit read as typed payloads (flows.effects), the way the bot's handlers
read them: a field a flow's YAML or a resolved reference leaves missing or mistyped is None."""

from __future__ import annotations

from flows import Effect
from flows.effects import (
    CaseStatus,
    Emergency,
    EraseData,
    FlowEnded,
    LanguageSet,
    NgoRequest,
    OptOut,
    PinChosen,
    ProvinceSet,
    TopicAnswered,
)
from tests.flows.chat import Chat, says


def test_a_language_chosen_in_a_conversation_reads_as_its_payload(engine):
    chat = Chat(engine, channel="sms", language="es")
    chat.script([(says("hola", "greet", language="es"), ["welcome.intro", "menu.main"])])
    chat.script([("IDIOMA", ["lang.choose"]), ("3", ["lang.changed", "menu.main"])])

    assert LanguageSet.of(chat.effect("set_language")) == LanguageSet("en")


def test_each_payload_reads_what_the_flows_write():
    assert TopicAnswered.of(Effect("topic_answered", {"topic": "wages", "province": "ON"})) == (
        TopicAnswered("wages", "ON")
    )
    assert NgoRequest.of(
        Effect("find_ngo", {"province": "BC", "language": "tl", "services": ["legal", "health"]})
    ) == NgoRequest("BC", "tl", ("legal", "health"))
    assert Emergency.of(
        Effect("emergency", {"source": "triage", "category": "danger"})
    ) == Emergency("triage", None, "danger")
    assert FlowEnded.of(Effect("flow_abandoned", {"flow": "report", "step": "story"})) == (
        FlowEnded("report", "story")
    )
    assert CaseStatus.of(Effect("case_status", {"code": "7KQ4M9XR"})).code == "7KQ4M9XR"
    assert EraseData.of(Effect("erase_data", {"unlink_reports": True})).unlink_reports
    assert OptOut.of(Effect("opt_out", {"carrier": True})) == OptOut(None, True)
    assert PinChosen.of(Effect("set_pin", {"pin": "4821"})) == PinChosen("4821", False)
    assert ProvinceSet.of(Effect("set_province", {"province": "QC"})).province == "QC"


def test_missing_or_mistyped_fields_read_as_nothing():
    assert NgoRequest.of(Effect("find_ngo", {"province": None, "services": "legal"})) == (
        NgoRequest(None, None, ())
    )
    assert TopicAnswered.of(Effect("topic_answered")) == TopicAnswered(None, None)
    assert not EraseData.of(Effect("erase_data", {"unlink_reports": None})).unlink_reports
    assert LanguageSet.of({"language": 3}).language is None
