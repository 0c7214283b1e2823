"""One employer under many spellings, and the alert when several workers name it."""

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.cases.employers import (
    EmployerMention,
    normalize_employer,
    repeat_alerts,
    same_employer,
)

DAY0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "name",
    [
        "Granja Los Pinos Ltd",
        "granja los pinos",
        "Los Pinos farm",
        "LOS PINOS FARMS INC.",
        "Granja Los Pinos, S.A. de C.V.",
        "Bukid ng Los Pinos",
        "Ferme Los Pinos Ltée",
        "  los   piños ",
    ],
)
def test_spellings_of_one_employer_normalize_to_the_same_name(name):
    assert normalize_employer(name) == "pinos"


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Bukid ng mga Santos", "santos"),
        ("Hnos. García Greenhouses", "brothers garcia"),
        ("Ferme L'Érable Ltée", "erable"),
        ("Mastronardi Produce Ltd", "mastronardi"),
        ("O'Brien & Sons Farms", "obrien sons"),
        ("The Farm Inc.", "the farm"),  # nothing distinctive left: keep the generic words
    ],
)
def test_normalization_keeps_what_distinguishes_an_employer(name, normalized):
    assert normalize_employer(name) == normalized


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Granja Los Pinos Ltd", "Los Pino Farm"),
        ("Mastronardi Produce", "Mastronardy Produce Ltd"),
        ("Hnos. García Greenhouses", "Garcia Brothers Greenhouse Inc"),
        ("Green Valley Farms", "Greenvalley Farm"),
        ("Bukid ng mga Santos", "Santos Farms"),
        ("Rancho El Sol", "El Sol Ranch"),
        ("Ferme Lafleur", "Fermes La Fleur inc"),
        ("Sunrise Greenhouses", "Sun Rise Greenhouse"),
        ("Vandenberg Farms", "Van den Berg Farm"),
        ("Rodriguez Farm", "Rodrigues farm"),
        ("Delfresh", "Del Fresh Produce"),
        ("Highline Mushrooms", "High Line Mushroom"),
        ("Jose Perez Farm", "Perez, Jose"),
    ],
)
def test_different_spellings_in_one_town_are_one_employer(a, b):
    assert same_employer(a, b, "Leamington", "leamington")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Los Pinos", "Los Olivos"),
        ("Green Valley Farms", "Green Acres Farms"),
        ("Sunrise Greenhouses", "Sunset Greenhouses"),
        ("Martinez Farms", "Martin Farms"),
        ("Garcia Farms", "Garza Farms"),
        ("Lakeside Produce", "Riverside Produce"),
        ("Santos Farm", "Santo Tomas Farm"),
        ("Pinos Farm", "Pinto Farm"),
        ("Jose Perez Farm", "Juan Perez Farm"),
        ("J&J Farms", "J&K Farms"),
    ],
)
def test_different_employers_in_one_town_stay_apart(a, b):
    assert not same_employer(a, b, "Leamington", "Leamington")


def test_the_same_name_in_another_town_is_another_employer():
    assert not same_employer("Granja Los Pinos", "Los Pinos Farm", "Leamington", "Kingsville")
    assert same_employer("Granja Los Pinos", "Los Pinos Farm", "Saint-Rémi", "st remi")


def test_without_a_town_only_a_very_close_name_is_the_same_employer():
    assert same_employer("Granja Los Pinos", "Los Pinos Farm", "Leamington", None)
    assert not same_employer("Rodriguez Farm", "Rodrigues farm", None, "Leamington")


def test_a_shared_phone_or_lmia_number_identifies_the_employer_whatever_the_name():
    assert same_employer(
        "Los Pinos",
        "JR Holdings",
        "Leamington",
        "Windsor",
        phone_a="+1 519-555-0100",
        phone_b="(519) 555 0100",
    )
    assert same_employer("Los Pinos", "JR Holdings", lmia_a="lmia 1234-567", lmia_b="LMIA1234567")
    assert not same_employer(
        "Los Pinos",
        "JR Holdings",
        "Leamington",
        "Leamington",
        phone_a="5195550100",
        phone_b="5195550199",
    )


def mention(
    report, worker, employer, *, town="Leamington", province="ON", types=("wages",), days=0, **extra
):
    return EmployerMention(
        report_id=f"r{report}",
        reporter_key=f"worker-key-{worker}",
        employer=employer,
        town=town,
        province=province,
        abuse_types=tuple(types),
        created_at=DAY0 + timedelta(days=days),
        **extra,
    )


SPELLINGS = [
    mention(1, "a", "Granja Los Pinos Ltd", types=("wages", "housing"), days=0),
    mention(2, "b", "granja los pinos", types=("wages",), days=5),
    mention(3, "c", "Los Pinos farm", types=("documents_taken", "wages"), days=9),
    mention(4, "d", "Mucci Farms", days=3),
    mention(5, "e", "Los Pinos Farm", town="Kelowna", province="BC", days=4),
]


def test_three_workers_naming_one_employer_in_different_spellings_raise_one_alert():
    (alert,) = repeat_alerts(SPELLINGS, k=3)
    assert alert.name == "Granja Los Pinos Ltd"
    assert (alert.town, alert.province) == ("Leamington", "ON")
    assert (alert.reporters, alert.reports) == (3, 3)
    assert alert.types == (("wages", 3), ("documents_taken", 1), ("housing", 1))
    assert alert.cluster_key == "ON|pinos|leamington"


def test_an_alert_never_holds_who_reported():
    (alert,) = repeat_alerts(SPELLINGS, k=3)
    shown = repr(dataclasses.asdict(alert))
    assert "worker-key" not in shown
    assert not any(f"'r{n}'" in shown for n in range(1, 6))  # nor which reports
    assert {f.name for f in dataclasses.fields(alert)} == {
        "cluster_key", "name", "town", "province", "reporters", "reports", "types",
        "window_start", "window_end",
    }  # fmt: skip


def test_one_worker_reporting_twice_counts_once():
    mentions = SPELLINGS[:2] + [mention(6, "a", "Los Pinos Farm", days=10)]
    assert repeat_alerts(mentions, k=3) == []
    (alert,) = repeat_alerts(mentions, k=2)
    assert (alert.reporters, alert.reports) == (2, 3)
    assert dict(alert.types)["wages"] == 2  # types count workers, not reports


def test_only_reports_inside_the_window_count():
    spread = [
        mention(1, "a", "Los Pinos", days=0),
        mention(2, "b", "Los Pinos", days=50),
        mention(3, "c", "Los Pinos", days=100),
    ]
    assert repeat_alerts(spread, k=3, window_days=90) == []
    assert len(repeat_alerts(spread, k=3, window_days=120)) == 1
    now = DAY0 + timedelta(days=60)
    assert repeat_alerts(spread, k=2, window_days=90, now=now)[0].reporters == 2


def test_the_same_name_in_another_province_is_not_counted_together():
    mentions = [
        mention(i, w, "Los Pinos", province=p, town=None)
        for i, (w, p) in enumerate(zip("abc", ["ON", "ON", "BC"], strict=True))
    ]
    assert repeat_alerts(mentions, k=3) == []


def test_a_shared_phone_number_joins_reports_across_names():
    mentions = [
        mention(1, "a", "Los Pinos", phone="519-555-0100"),
        mention(2, "b", "JR Holdings", town="Windsor", phone="+1 (519) 555-0100"),
        mention(3, "c", "Granja Los Pinos"),
    ]
    (alert,) = repeat_alerts(mentions, k=3)
    assert alert.reporters == 3


def test_alerts_do_not_depend_on_the_order_reports_arrive_in():
    rng = random.Random(3)
    names = [
        "Granja Los Pinos Ltd",
        "los pinos",
        "Los Pino Farm",
        "Mastronardi Produce",
        "Mastronardy",
        "Bukid ng mga Santos",
        "Santos Farms",
    ]
    mentions = [
        mention(
            i,
            rng.choice("abcdefgh"),
            rng.choice(names),
            types=(rng.choice(["wages", "housing"]),),
            days=rng.randint(0, 60),
        )
        for i in range(60)
    ]
    expected = repeat_alerts(mentions, k=3)
    assert [a.cluster_key for a in expected] and len(expected) == 3
    for _ in range(5):
        rng.shuffle(mentions)
        assert repeat_alerts(mentions, k=3) == expected


def test_no_reports_no_alerts():
    assert repeat_alerts([]) == []


def test_a_number_too_short_to_be_real_identifies_nothing():
    assert not same_employer("Los Pinos", "JR Holdings", phone_a="911", phone_b="911")
    assert not same_employer("Los Pinos", "JR Holdings", lmia_a="n/a", lmia_b="N/A")
