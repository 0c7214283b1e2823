"""The catalogs a worker reads: complete in es/tl/en, consistent, vetted, and short enough for SMS.

Every message id that the flows or the code can send must have a non-empty translation in each
language, with the same placeholders; a phone number in any translation must be one of the vetted
lines of flows/facts.yaml; every rights answer, filled for every province, fits the SMS budget.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import flows
from bot.settings import SmsSettings
from bot.text import catalogs as i18n
from bot.text.render import prepare
from bot.text.segments import count_segments
from flows.facts import FACTS_FILE, PROVINCES, Facts, phone_numbers
from flows.schema import Message, read_flows
from tests.support.shared import FACTS as SHARED_FACTS
from tests.support.shared import MORE_FACTS

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
LANGUAGES = ("es", "tl", "en")
SMS_BUDGET = 3  # segments (config `sms.segment_budget` default)

# A North American number (1-800-555-0100, 800 555 0100, (800) 555-0100) or an N11 line (911).
PHONE = re.compile(
    r"(?<![\d-])(?:1[-. ]?)?\(?\d{3}\)?[-. ]\d{3}[-. ]\d{4}(?![\d-])|(?<!\d)[2-9]11(?!\d)"
)


@pytest.fixture(scope="module")
def catalogs() -> i18n.Catalogs:
    return i18n.load_catalogs(LOCALES)


@pytest.fixture(scope="module")
def used_msgids() -> set[str]:
    """Every message id the flows and the code name, extracted as `pybabel extract` does."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    return {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map
        )
        if isinstance(message, str)
    }


def test_extraction_finds_the_flows_code_and_runtime_ids(used_msgids):
    assert {"menu.main", "emergency.message", "topic.wages.answer", "paging.more"} <= used_msgids
    assert {f"province.{code}" for code in PROVINCES} <= used_msgids
    assert {"language.es", "language.tl", "language.en", "reprompt.choice"} <= used_msgids


def test_every_message_the_bot_can_send_has_a_non_empty_es_tl_and_en_translation(
    catalogs, used_msgids
):
    missing = {
        lang: sorted(m for m in used_msgids if not catalogs.text(lang, m)) for lang in LANGUAGES
    }
    assert missing == {lang: [] for lang in LANGUAGES}


def test_the_template_lists_every_extracted_message(used_msgids):
    with open(LOCALES / "messages.pot", "rb") as fh:
        template = {m.id for m in read_po(fh) if m.id}
    assert used_msgids - template == set(), "run pybabel extract (see locales/README.md)"


def test_no_translation_is_left_fuzzy(catalogs):
    for lang in LANGUAGES:
        with open(LOCALES / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
            fuzzy = [m.id for m in read_po(fh) if m.id and m.fuzzy]
        assert fuzzy == [], f"{lang}: fuzzy entries are not used until reviewed"


def test_placeholders_are_identical_in_every_language(catalogs):
    differ = {}
    for msgid in catalogs.messages["en"]:
        found = {lang: i18n.placeholders(catalogs.text(lang, msgid) or "") for lang in LANGUAGES}
        if len({frozenset(p) for p in found.values()}) > 1:
            differ[msgid] = found
    assert differ == {}


def test_every_phone_number_in_a_translation_is_a_vetted_line():
    vetted = phone_numbers()
    unvetted = {}
    for lang in LANGUAGES:
        for msgid, text in i18n.load_catalogs(LOCALES).messages[lang].items():
            for number in PHONE.findall(text):
                if number not in vetted:
                    unvetted.setdefault(msgid, []).append((lang, number))
    assert unvetted == {}


def test_the_phone_pattern_recognizes_the_usual_ways_of_writing_a_number():
    text = "Call 911, 1-866-602-9448, 1 866 602 9448, (867) 667-5944 or 866.602.9448; 2026-11-25 is a date."
    assert PHONE.findall(text) == [
        "911",
        "1-866-602-9448",
        "1 866 602 9448",
        "(867) 667-5944",
        "866.602.9448",
    ]


def test_messages_stating_facts_cite_their_source_in_translator_comments(catalogs):
    sources = yaml.safe_load((LOCALES / "sources.yaml").read_text(encoding="utf-8"))
    stating = [
        m
        for m in catalogs.messages["en"]
        if PHONE.search(catalogs.text("en", m))
        or re.search(r"\{(\w+_line|office_\w+|wage|wcb_name)\}", catalogs.text("en", m))
    ]
    assert stating, "no fact-stating message found"
    uncited = [
        m for m in stating if not any(c.startswith("fact:") for c in catalogs.comments.get(m, ()))
    ]
    assert uncited == []
    cited = {f for entry in sources["messages"].values() if entry for f in entry.get("facts") or ()}
    assert cited <= set(sources["facts"]), (
        "every cited fact needs its source in sources.yaml `facts`"
    )
    for fact, source in sources["facts"].items():
        assert "http" in source or "flows/facts.yaml" in source, f"{fact} has no source"


def verified_more_facts() -> set[str]:
    """The ids of canada-more.yaml entries marked `verified: true` (the others are leads only)."""
    data = yaml.safe_load(MORE_FACTS.read_text(encoding="utf-8")) or {}
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("id") and node.get("verified") is True:
                found.add(node["id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found


def test_cited_fact_ids_exist_in_the_shared_facts():
    canada = SHARED_FACTS.read_text(encoding="utf-8")
    sources = yaml.safe_load((LOCALES / "sources.yaml").read_text(encoding="utf-8"))
    ids = [f for f in sources["facts"] if "." not in f and f != "qc-cnesst-recruitment"]
    more = verified_more_facts()
    assert [f for f in ids if f"id: {f}" not in canada and f not in more] == []


# --- every rights answer, for every province, within the SMS budget -----------------------------


def topic_messages() -> list[tuple[str, str, Message]]:
    """(flow, step, message) for every message a rights topic says or asks."""
    found = []
    for path in sorted((ROOT / "flows" / "topics").glob("*.yaml")):
        for flow in read_flows(yaml.safe_load(path.read_text(encoding="utf-8")), path.name):
            for step in flow.steps.values():
                for message in step.say:
                    found.append((flow.id, step.id, message))
    return found


def resolve(message: Message, province: str | None, facts: Facts) -> tuple[str, dict, dict]:
    """The msgid, params and formats a message has for a worker in ``province`` (as the engine does)."""
    if message.by_province is not None:
        branch = message.by_province.get(province or "") or message.by_province["default"]
        return resolve(branch, province, facts)
    params, formats = {}, {}
    for name, spec in message.params.items():
        if spec.fact is not None:
            params[name] = facts.lookup(spec.fact, province)
        elif spec.ref == "$province":
            params[name] = province
        else:
            params[name] = spec.literal
        if spec.format:
            formats[name] = spec.format
    return message.msgid, params, formats


@pytest.fixture(scope="module")
def facts() -> Facts:
    return Facts.load(FACTS_FILE)


def test_every_ask_intent_has_a_topic_flow():
    engine = flows.load_engine()
    for topic in (
        "wages",
        "hours",
        "housing",
        "health",
        "permit",
        "fees",
        "documents",
        "safety",
        "retaliation",
    ):
        assert engine.route(f"ask_{topic}") == f"topic.{topic}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_topic_answer_fits_the_sms_budget_in_every_province(language, facts):
    tr = i18n.translator(language, strict=True)
    over = []
    for flow_id, step_id, message in topic_messages():
        for province in (*PROVINCES, None):
            msgid, params, formats = resolve(message, province, facts)
            # As a worker's SMS carries it: the default settings transliterate to GSM-7.
            text = prepare(
                tr.render(msgid, params, formats), "sms", transliterate=SmsSettings().transliterate
            )
            if count_segments(text) > SMS_BUDGET:
                over.append((flow_id, step_id, province, msgid, count_segments(text), len(text)))
    assert over == []


def test_unverified_facts_get_the_variant_that_says_where_to_ask_instead(facts):
    """A province whose office phone or board name is unverified never gets a sentence that needs
    it (strict rendering would fail), and one whose fact is verified never gets the fallback."""
    data = facts.data
    for _flow, _step, message in topic_messages():
        for province in PROVINCES:
            msgid, params, _ = resolve(message, province, facts)
            fallback = msgid.endswith(("_general", "_no_phone"))
            if msgid.startswith("topic.health.injury"):
                verified = data["compensation_boards"][province]["status"] != "unverified"
                assert fallback != verified, (province, msgid)
            elif "office_phone" in params or msgid.endswith("_general"):
                verified = data["offices"][province]["status"] != "unverified"
                assert (msgid.endswith("_general") and verified) is False, (province, msgid)
                assert params.get("office_phone", "x") is not None, (province, msgid)


def test_wage_answers_state_the_vetted_rate_and_date_for_each_province(facts):
    for language in LANGUAGES:
        tr = i18n.translator(language, strict=True)
        wages = next(m for f, s, m in topic_messages() if f == "topic.wages" and s == "answer")
        for province in PROVINCES:
            rate = facts.data["minimum_wage"][province]
            text = tr.render(*resolve(wages, province, facts))
            assert i18n.format_money(rate["rate"], language) in text
            assert i18n.format_date(rate["effective"], language) in text
            assert facts.data["offices"][province]["name"] in text
