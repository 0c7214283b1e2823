"""The shipped seed directory: loads, states only what the facts file says, marks contacts as examples."""

from pathlib import Path

import pytest
import yaml

from bot.directory.load import load_directory
from bot.directory.matching import CaseNeeds, match
from bot.directory.vocabulary import SERVICES
from tests.support.shared import FACTS

SEED = Path(__file__).parents[2] / "bot" / "directory" / "seed_directory.yaml"


@pytest.fixture(scope="module")
def seed():
    return load_directory(SEED)


@pytest.fixture(scope="module")
def organizations():
    return {org["name"]: org for org in yaml.safe_load(FACTS.read_text())["organizations"]}


def test_the_seed_directory_loads(seed):
    assert len(seed) == 10
    assert all(set(ngo.services) <= SERVICES for ngo in seed)


def test_every_contact_is_an_example_that_cannot_reach_anyone(seed):
    for ngo in seed:
        assert ngo.example_contacts is True, ngo.id
        assert ngo.contacts.email.endswith("@example.org"), ngo.id
        assert ngo.contacts.sms is None and ngo.contacts.webhook_url is None, ngo.id


def test_every_organization_but_the_national_line_is_one_of_the_facts(seed, organizations):
    regional = [ngo for ngo in seed if not ngo.national]
    assert sorted(ngo.name for ngo in regional) == sorted(organizations)
    for ngo in regional:
        fact = organizations[ngo.name]
        # canada.yaml's PyYAML reading turns ON into True: compare against the raw strings instead
        assert list(ngo.provinces) == [p if isinstance(p, str) else "ON" for p in fact["provinces"]]
        assert list(ngo.languages) == fact.get("languages", []), ngo.id
        assert ngo.source == fact["source"], ngo.id
        assert ngo.area == fact.get("area", ""), ngo.id
        assert ngo.note in fact.get("note", ""), ngo.id  # quoted, possibly shortened
        assert not ngo.sectors and ngo.office_hours is None, ngo.id


def test_an_organization_offers_services_only_when_the_facts_state_some(seed, organizations):
    for ngo in seed:
        if ngo.national:
            continue
        fact = organizations[ngo.name]
        if "services" not in fact and "help" not in fact.get("note", ""):
            assert ngo.services == (), ngo.id


def test_towns_come_from_the_stated_area(seed, organizations):
    for ngo in seed:
        if not ngo.national:
            area = organizations[ngo.name].get("area", "")
            assert all(town in area for town in ngo.towns), ngo.id


def test_the_national_line_is_a_marked_placeholder_for_the_program_team(seed):
    """Operators see it is a placeholder (the note); a worker reads a plain name, not the mark."""
    (national,) = [ngo for ngo in seed if ngo.national]
    assert national.provinces == ("national",)
    assert "placeholder" in national.note and "replace" in national.note
    assert "placeholder" not in national.name.lower()
    assert "tip line" not in national.name.lower()
    assert set(national.languages) == {"es", "tl", "en"}


def test_the_seed_routes_a_spanish_wage_case_in_ontario_and_falls_back_in_saskatchewan(seed):
    on = match(CaseNeeds(province="ON", language="es", abuse_types=("wages",)), seed, {})
    assert on.best.ngo.id == "mwac" and not on.fallback_used
    sk = match(CaseNeeds(province="SK", language="tl", abuse_types=("wages",)), seed, {})
    assert sk.best.ngo.id == "puente-national" and sk.gap == ("province:SK",)
