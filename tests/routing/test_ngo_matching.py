"""Matching a case to NGOs: order of criteria, reasons shown to staff, fallback, gaps, escalation."""

import itertools
import json
import random
from datetime import UTC, datetime

import pytest

from bot.directory.hours import parse_office_hours
from bot.directory.load import Contacts, Ngo
from bot.directory.matching import ABUSE_SERVICES, CaseNeeds, match, nearby


def ngo(id, provinces=("ON",), capacity=20, **fields):
    fields.setdefault("contacts", Contacts(email=f"{id}@example.org"))
    return Ngo(id=id, name=id.title(), provinces=tuple(provinces), capacity=capacity, **fields)


NATIONAL = ngo("national-line", provinces=("national",), languages=("es", "tl", "en"), capacity=50)


def ranking(result):
    return [candidate.ngo.id for candidate in result.candidates]


def test_only_organizations_serving_the_province_are_candidates_while_any_exists():
    ngos = [ngo("bc-one", provinces=("BC",), languages=("es",)), ngo("on-one"), NATIONAL]
    result = match(CaseNeeds(province="ON", language="es"), ngos, {})
    assert ranking(result) == ["on-one"]
    assert result.fallback_used is False


def test_language_outranks_services():
    ngos = [
        ngo("offers-wages", services=("wages", "legal")),
        ngo("speaks-tagalog", languages=("tl",)),
    ]
    result = match(CaseNeeds(province="ON", language="tl", abuse_types=("wages",)), ngos, {})
    assert ranking(result) == ["speaks-tagalog", "offers-wages"]


def test_services_needed_by_the_abuse_types_outrank_sector():
    ngos = [
        ngo("agri-only", sectors=("agriculture",)),
        ngo("documents-help", services=("documents", "immigration"), sectors=("caregiving",)),
    ]
    case = CaseNeeds(province="ON", abuse_types=("documents_taken",), sector="agriculture")
    assert ranking(match(case, ngos, {})) == ["documents-help", "agri-only"]


def test_covering_more_of_the_abuse_types_ranks_higher_than_more_services_for_one():
    ngos = [
        ngo("wages-only", services=("wages", "complaints")),
        ngo("legal-help", services=("legal",)),  # legal helps with both wages and housing
    ]
    case = CaseNeeds(province="ON", abuse_types=("wages", "housing"))
    assert ranking(match(case, ngos, {})) == ["legal-help", "wages-only"]


def test_a_named_sector_outranks_all_sectors_which_outranks_other_sectors():
    ngos = [
        ngo("caregivers", sectors=("caregiving",)),
        ngo("everyone"),
        ngo("farms", sectors=("agriculture",)),
    ]
    case = CaseNeeds(province="ON", sector="agriculture")
    assert ranking(match(case, ngos, {})) == ["farms", "everyone", "caregivers"]


def test_lower_load_ranks_first_among_equals():
    ngos = [ngo("busy", capacity=10), ngo("calm", capacity=40)]
    result = match(CaseNeeds(province="ON"), ngos, {"busy": 5, "calm": 10})
    assert ranking(result) == ["calm", "busy"]  # 10/40 before 5/10


def test_organizations_at_capacity_come_last_even_when_they_match_better():
    ngos = [
        ngo("full-but-perfect", languages=("es",), services=("wages",), capacity=3),
        ngo("free-but-plain"),
    ]
    case = CaseNeeds(province="ON", language="es", abuse_types=("wages",))
    result = match(case, ngos, {"full-but-perfect": 3})
    assert ranking(result) == ["free-but-plain", "full-but-perfect"]
    assert result.candidates[1].full is True
    assert "full 3/3" in result.candidates[1].explanation


def test_ties_are_broken_by_id():
    ngos = [ngo("b-org"), ngo("a-org"), ngo("c-org")]
    assert ranking(match(CaseNeeds(province="ON"), ngos, {})) == ["a-org", "b-org", "c-org"]


def test_the_ranking_does_not_depend_on_directory_order():
    ngos = [
        ngo("a", languages=("es",), services=("legal",)),
        ngo("b", languages=("es",), services=("wages", "legal"), capacity=5),
        ngo("c", languages=("tl",), services=("wages",)),
        ngo("d", services=("housing",), sectors=("agriculture",)),
        ngo("e", languages=("es",)),
        NATIONAL,
    ]
    case = CaseNeeds(
        province="ON", language="es", abuse_types=("wages", "housing"), sector="agriculture"
    )
    load = {"a": 2, "b": 5, "c": 1}
    expected = match(case, ngos, load)
    for order in itertools.islice(itertools.permutations(ngos), 0, None, 37):
        assert match(case, list(order), load) == expected


def test_reasons_explain_each_criterion_for_staff():
    ngos = [ngo("fcj", languages=("es", "en"), services=("wages", "legal"), towns=("Toronto",))]
    case = CaseNeeds(
        province="ON", language="es", abuse_types=("wages",), sector="agriculture", town="toronto"
    )
    candidate = match(case, ngos, {"fcj": 3}).best
    assert candidate.explanation == [
        "serves ON",
        "speaks es",
        "offers wages, legal",
        "works in all sectors",
        "in toronto",
        "load 3/20",
    ]
    assert [r.key for r in candidate.reasons] == [
        "province",
        "language",
        "services",
        "all_sectors",
        "town",
        "load",
    ]


def test_reasons_say_what_is_missing():
    ngos = [ngo("plain", languages=("en",), sectors=("caregiving",))]
    case = CaseNeeds(
        province="ON", language="tl", abuse_types=("recruitment_fees",), sector="agriculture"
    )
    assert match(case, ngos, {}).best.explanation == [
        "serves ON",
        "does not list tl",
        "offers none of recruitment, legal",
        "works in caregiving, not agriculture",
        "load 0/20",
    ]


def test_the_match_result_is_json_ready_for_the_referral():
    result = match(CaseNeeds(province="ON", language="es", abuse_types=("wages",)), [ngo("a")], {})
    stored = json.loads(json.dumps(result.to_dict()))
    assert stored["candidates"][0]["ngo_id"] == "a"
    assert stored["candidates"][0]["reasons"][0] == {
        "key": "province",
        "params": {"province": "ON"},
        "text": "serves ON",
    }
    assert stored["fallback_used"] is False


def test_a_province_nobody_serves_falls_back_to_the_national_line_and_reports_the_gap():
    ngos = [ngo("on-one"), NATIONAL]
    result = match(CaseNeeds(province="SK", language="tl", abuse_types=("wages",)), ngos, {})
    assert ranking(result) == ["national-line"]
    assert result.fallback_used is True
    assert result.gap == ("province:SK",)
    assert result.best.explanation[0] == "national fallback: no organization available in SK"


def test_an_unknown_province_goes_to_the_national_line_without_claiming_a_gap():
    result = match(CaseNeeds(language="es"), [ngo("on-one"), NATIONAL], {})
    assert ranking(result) == ["national-line"]
    assert result.fallback_used is True
    assert result.gap == ()


def test_gaps_name_the_language_services_and_sector_nobody_in_the_province_covers():
    ngos = [
        ngo("a", languages=("es",), services=("wages",), sectors=("caregiving",)),
        ngo("b", languages=("en",), services=("legal",), sectors=("construction",)),
        ngo("elsewhere", provinces=("BC",), languages=("tl",), services=("housing",)),
    ]
    case = CaseNeeds(
        province="ON", language="tl", abuse_types=("wages", "housing"), sector="agriculture"
    )
    result = match(case, ngos, {})
    assert result.fallback_used is False
    assert result.gap == (
        "language:tl",
        "service:complaints",
        "service:housing",
        "sector:agriculture",
    )


def test_a_province_whose_organizations_are_all_full_is_a_capacity_gap():
    ngos = [ngo("a", capacity=2), ngo("b", capacity=1)]
    result = match(CaseNeeds(province="ON"), ngos, {"a": 2, "b": 4})
    assert ranking(result) == ["a", "b"]  # 2/2 is less over capacity than 4/1
    assert result.gap == ("capacity:ON",)
    assert all(c.full for c in result.candidates)


def test_escalation_skips_organizations_that_declined_or_timed_out():
    ngos = [ngo("first", languages=("es",)), ngo("second"), NATIONAL]
    case = CaseNeeds(province="ON", language="es")
    assert match(case, ngos, {}).best.ngo.id == "first"
    assert match(case, ngos, {}, exclude={"first"}).best.ngo.id == "second"


def test_when_everyone_in_the_province_declined_the_national_line_takes_it_but_coverage_is_not_a_gap():
    ngos = [ngo("first"), ngo("second"), NATIONAL]
    result = match(CaseNeeds(province="ON"), ngos, {}, exclude=["first", "second"])
    assert ranking(result) == ["national-line"]
    assert result.fallback_used is True
    assert result.gap == ()


def test_inactive_organizations_are_never_candidates():
    ngos = [ngo("closed", active=False), ngo("open-one"), NATIONAL]
    assert ranking(match(CaseNeeds(province="ON"), ngos, {})) == ["open-one"]


def test_no_candidates_at_all_is_an_empty_result_not_an_error():
    result = match(CaseNeeds(province="ON"), [ngo("off", active=False)], {})
    assert result.best is None
    assert result.fallback_used is True


def test_unknown_abuse_types_from_a_flow_do_not_break_matching():
    result = match(CaseNeeds(province="ON", abuse_types=("something_new", "other")), [ngo("a")], {})
    assert ranking(result) == ["a"]


def test_a_directory_with_the_same_id_twice_is_refused():
    with pytest.raises(ValueError):
        match(CaseNeeds(province="ON"), [ngo("a"), ngo("a")], {})


def test_open_now_is_shown_and_breaks_ties_when_a_time_is_given():
    hours = parse_office_hours("Mon-Fri 09:00-17:00", "America/Toronto")
    ngos = [ngo("a-closed"), ngo("b-open", office_hours=hours)]
    monday_noon_toronto = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    result = match(CaseNeeds(province="ON"), ngos, {}, now=monday_noon_toronto)
    assert ranking(result) == ["b-open", "a-closed"]
    assert result.best.explanation[-1] == "open now"
    sunday = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    assert (
        match(CaseNeeds(province="ON"), ngos, {}, now=sunday).candidates[1].explanation[-1]
        == "closed now"
    )


def test_every_abuse_type_needs_only_known_services():
    from bot.directory.vocabulary import SERVICES

    assert {s for services in ABUSE_SERVICES.values() for s in services} <= SERVICES
    assert {
        "wages",
        "documents_taken",
        "recruitment_fees",
        "harassment_violence",
        "threats_retaliation",
    } <= set(ABUSE_SERVICES)


def test_nearby_lists_who_can_help_a_worker_and_falls_back_nationally():
    ngos = [
        ngo("qc-fr", provinces=("QC",), languages=("fr",)),
        ngo("qc-es", provinces=("QC",), languages=("fr", "es"), services=("legal",)),
        ngo("on-es", languages=("es",)),
        NATIONAL,
    ]
    assert [n.id for n in nearby("QC", "es", ngos=ngos)] == ["qc-es", "qc-fr"]
    assert [n.id for n in nearby("QC", "fr", ["legal"], ngos=ngos)] == ["qc-es", "qc-fr"]
    assert [n.id for n in nearby("QC", "es", ngos=ngos, limit=1)] == ["qc-es"]
    assert [n.id for n in nearby("YT", "es", ngos=ngos)] == ["national-line"]


def test_random_cases_always_rank_every_candidate_once():
    rng = random.Random(5)
    provinces = ["ON", "BC", "QC", "SK"]
    ngos = [
        ngo(
            f"org-{i}",
            provinces=(rng.choice(provinces),),
            languages=tuple(rng.sample(["es", "tl", "en", "fr"], rng.randint(0, 3))),
            services=tuple(rng.sample(sorted({s for v in ABUSE_SERVICES.values() for s in v}), 3)),
            capacity=rng.randint(1, 10),
        )
        for i in range(30)
    ] + [NATIONAL]
    for _ in range(200):
        case = CaseNeeds(
            province=rng.choice(provinces + [None]),
            language=rng.choice(["es", "tl", "en", None]),
            abuse_types=tuple(rng.sample(list(ABUSE_SERVICES), rng.randint(0, 3))),
        )
        load = {n.id: rng.randint(0, 12) for n in ngos}
        result = match(case, ngos, load)
        ids = ranking(result)
        assert len(ids) == len(set(ids)) >= 1
        assert [c.full for c in result.candidates] == sorted(c.full for c in result.candidates)


def test_a_town_matches_however_the_worker_spells_it():
    ngos = [
        ngo("elsewhere", provinces=("QC",)),
        ngo("local", provinces=("QC",), towns=("Saint-Rémi",)),
    ]
    result = match(CaseNeeds(province="QC", town="St Remi"), ngos, {})
    assert ranking(result) == ["local", "elsewhere"]
    assert "in St Remi" in result.best.explanation
