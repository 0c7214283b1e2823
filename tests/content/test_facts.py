"""flows/facts.yaml: every province has its vetted figures, sources and check dates."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from flows.facts import (
    FACTS_FILE,
    PROVINCES,
    Facts,
    FactsError,
    _check,
    facts_for,
    load_facts,
    phone_numbers,
)


def test_every_province_has_a_minimum_wage_with_an_effective_date_an_office_and_a_board():
    facts = load_facts()
    for code in PROVINCES:
        rate = facts["minimum_wage"][code]
        assert float(rate["rate"]) > 0 and isinstance(rate["effective"], dt.date)
        assert facts["offices"][code]["name"]
        assert code in facts["compensation_boards"]


def test_every_fact_names_its_source_and_when_it_was_checked():
    facts = load_facts()
    entries = [*facts["lines"].values()]
    for section in ("minimum_wage", "offices", "compensation_boards"):
        entries += [facts[section][code] for code in PROVINCES]
    for entry in entries:
        assert entry.get("source"), entry
        assert isinstance(entry.get("checked"), dt.date), entry


def test_facts_added_beyond_the_shared_file_were_checked_on_or_after_it():
    facts = load_facts()
    for section in ("minimum_wage", "offices", "compensation_boards"):
        for code in PROVINCES:
            entry = facts[section][code]
            if entry.get("added"):
                assert entry["checked"] >= dt.date(2026, 11, 25), (section, code)


def test_facts_for_a_province_gives_every_placeholder_of_the_answers():
    on = facts_for("on")
    assert on["province"] == "ON"
    assert (on["wage"], on["effective_date"]) == ("17.95", "2026-10-01")
    assert (on["office_name"], on["office_phone"]) == (
        "Employment Standards Information Centre",
        "1-800-531-5551",
    )
    assert on["wcb_name"] == "WSIB"
    assert on["tip_line"] == "1-866-602-9448" and on["trafficking_line"] == "1-833-900-1010"


def test_an_unverified_fact_is_never_given_as_a_value():
    assert facts_for("NT")["office_phone"] is None  # no government page confirms the NWT line
    assert facts_for("YT")["wcb_name"] is None  # the Yukon board's current name is unconfirmed
    assert "1-888-700-5707" not in phone_numbers()


def test_an_unknown_province_gets_only_the_federal_lines():
    unknown = facts_for(None)
    assert (
        unknown["province"] is None and unknown["wage"] is None and unknown["office_phone"] is None
    )
    assert unknown["tip_line"] == "1-866-602-9448"


def test_projected_rates_are_marked_so_the_answer_says_as_of():
    facts = load_facts()
    assert {c for c in PROVINCES if facts["minimum_wage"][c]["status"] == "projected"} == {
        "SK",
        "NT",
        "NU",
    }


def test_the_engine_lookup_reads_the_same_file():
    engine_facts = Facts.load(FACTS_FILE)
    assert engine_facts.lookup("minimum_wage.{province}.rate", "ON") == "17.95"
    assert engine_facts.lookup("offices.{province}.phone", "QC") == "1-844-838-0808"


def test_a_bare_on_key_is_refused_with_a_message_naming_it():
    data = yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))
    data["offices"][True] = data["offices"].pop("ON")
    with pytest.raises(FactsError, match=r"offices\.ON .*quoted"):
        _check(data, "facts.yaml")


def test_an_office_without_a_phone_must_be_marked_unverified():
    data = yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))
    data["offices"]["BC"]["phone"] = None
    with pytest.raises(FactsError, match=r"offices\.BC has no phone"):
        _check(data, "facts.yaml")
