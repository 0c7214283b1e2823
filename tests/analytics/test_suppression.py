"""Small-cell suppression: no shown figure, total or difference gives a count below the threshold."""

from __future__ import annotations

import itertools
import random

from bot.analytics import suppression as sup
from bot.analytics.suppression import ALL, Cube

K = 5
DIMS = ("province", "language")


def cube(rows: dict[tuple[str, str], int], k: int = K) -> Cube:
    return Cube(DIMS, rows, k)


def test_counts_from_one_to_four_are_shown_as_less_than_five():
    assert sup.count(3, K).text == "<5"
    assert sup.count(0, K).text == "0"
    assert sup.count(5, K).text == "5"
    assert sup.count(3, K).number is None


def test_a_lone_small_province_cannot_be_recovered_by_subtracting_the_others_from_the_total():
    view = cube({("ON", "es"): 13, ("QC", "es"): 5, ("PE", "es"): 4}).view()
    provinces = dict(view.by["province"])
    assert view.total.text == "22"
    assert provinces["PE"].text == "<5"
    assert provinces["QC"].text == "x", "a second cell is hidden so 22 - 13 does not give PE"
    assert provinces["ON"].text == "13"


def test_the_hidden_companion_is_large_enough_that_bounds_do_not_give_the_small_cell_away():
    # 22 - 13 = 9 = PE + QC; had QC (5) been enough, knowing QC >= 5 would pin PE to at most 4;
    # with PE=1 and QC=5 it would be exactly 1. Here QC 5 is too small a companion, ON is taken.
    view = cube({("ON", "es"): 14, ("QC", "es"): 5, ("PE", "es"): 1}).view()
    provinces = dict(view.by["province"])
    assert provinces["PE"].text == "<5"
    assert provinces["ON"].text == "x"
    assert provinces["QC"].text == "5"


def test_a_table_too_small_to_protect_hides_its_total():
    view = cube({("ON", "es"): 5, ("PE", "es"): 1}).view()
    assert view.total.text == "x", "6 - 5 would give PE"
    assert dict(view.by["province"])["PE"].text == "<5"


def _uncertain(total: int, members: list[sup.Cell], values: list[int], k: int) -> bool:
    """Brute force: with what a reader sees of one line, can every "<k" cell still be each of 1..k-1?"""
    known = sum(v for cell, v in zip(members, values, strict=True) if cell.shown)
    unknown = [cell for cell in members if not cell.shown]
    ranges = [range(1, k) if cell.status == "small" else range(k, total + 1) for cell in unknown]
    possible: dict[int, set[int]] = {
        i: set() for i, cell in enumerate(unknown) if cell.status == "small"
    }
    for guess in itertools.product(*ranges):
        if known + sum(guess) == total:
            for i in possible:
                possible[i].add(guess[i])
    return all(found == set(range(1, k)) for found in possible.values())


def test_every_line_of_random_tables_leaves_each_small_cell_fully_uncertain():
    rng = random.Random(7)
    provinces, languages = ["ON", "QC", "PE", "BC"], ["es", "tl", "en"]
    for _ in range(150):
        rows = {
            (p, lang): rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15])
            for p in provinces
            for lang in languages
        }
        c = cube(rows)
        for (parent, axis), children in c.children.items():
            total = c.cell(
                **dict(zip(DIMS, [None if v == ALL else v for v in parent], strict=True))
            )
            if not total.shown:
                continue
            members = [c.cell(**dict(zip(DIMS, child, strict=True))) for child in children]
            values = [c.values[child] for child in children]
            if sum(1 for m in members if not m.shown) <= 4:
                assert _uncertain(int(total.number), members, values, K), (rows, parent, axis)


def test_filtered_views_cannot_be_subtracted_from_the_unfiltered_one():
    rows = {("ON", "es"): 20, ("QC", "es"): 9, ("PE", "es"): 2, ("ON", "tl"): 7, ("QC", "tl"): 6}
    c = cube(rows)
    spanish = c.cell(language="es")
    by_province = [c.cell(language="es", province=p) for p in ("ON", "QC", "PE")]
    assert spanish.shown and by_province[2].text == "<5"
    assert sum(1 for cell in by_province if not cell.shown) >= 2, (
        "Spanish minus ON and QC would give PE"
    )


def test_shares_differences_and_statistics_are_hidden_when_they_would_reveal_a_small_count():
    assert sup.share(sup.count(18, K), sup.count(20, K), K).text == "x", (
        "20 - 18 = 2 not acknowledged"
    )
    assert sup.share(sup.count(15, K), sup.count(20, K), K).text == "75%"
    assert sup.share(sup.count(3, K), sup.count(20, K), K).text == "x"
    assert sup.difference(sup.count(12, K), sup.count(3, K)).text == "x"
    assert sup.difference(sup.count(12, K), sup.count(9, K)).text == "+3"
    assert sup.statistic(4.25, 4, K).text == "x"
    assert sup.statistic(4.25, 5, K).text == "4.2 h"


def test_suppressed_cells_carry_no_number_for_a_chart_or_export_to_show():
    c = cube({("ON", "es"): 13, ("QC", "es"): 5, ("PE", "es"): 4})
    for _, cell in c.view().by["province"]:
        assert (cell.number is None) == (not cell.shown)


def _derived(c: Cube) -> set[tuple[str, ...]]:
    """What a reader can work out exactly from every table of a cube at once: any line (a total and
    its breakdown along one dimension) with a single figure not shown gives that figure, which may
    then complete another line, until nothing more can be learned."""
    known = {key for key in c.values if c.status[key] == "shown"}
    lines = [(parent, children) for (parent, _), children in c.children.items()]
    learned, changed = set(), True
    while changed:
        changed = False
        for parent, children in lines:
            unknown = [key for key in [parent, *children] if key not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                learned.add(unknown[0])
                changed = True
    return learned


def test_no_suppressed_figure_can_be_worked_out_from_the_other_tables():
    # Too few to protect along provinces, so the total is hidden; the language table must not give
    # it back (Spanish is every worker here), or 8 - 6 = QC's 2.
    c = cube({("ON", "es"): 6, ("QC", "es"): 2})
    assert c.view().total.text == "x"
    assert dict(c.view().by["language"])["es"].text != "8"
    assert not _derived(c)
    rng = random.Random(11)
    provinces, languages = ["ON", "QC", "PE", "BC"], ["es", "tl", "en"]
    for _ in range(300):
        rows = {
            (p, lang): rng.choice([0, 0, 0, 1, 2, 3, 4, 5, 6, 9, 15])
            for p in provinces
            for lang in languages
        }
        c = cube(rows)
        assert not _derived(c), rows


def test_a_protected_figure_is_written_as_the_reader_s_language_writes_it():
    from bot.analytics.labels import Words

    english, french = Words("en"), Words("fr")
    figures = [
        sup.count(1234, K),
        sup.share(sup.count(15, K), sup.count(20, K), K),
        sup.statistic(12.5, 6, K),
        sup.difference(sup.count(1300, K), sup.count(12, K)),
        sup.count(3, K),
        sup.hidden(),
    ]
    assert [english.figure(c) for c in figures] == ["1,234", "75%", "12.5 h", "+1,288", "<5", "x"]
    assert [french.figure(c).replace("\u202f", " ") for c in figures] == [
        "1\u00a0234",
        "75\u00a0%",
        "12,5 h",
        "+1\u00a0288",
        "<5",
        "x",
    ]
    assert [c.text for c in figures] == ["1234", "75%", "12.5 h", "+1288", "<5", "x"], (
        "the CSV keeps one form"
    )
