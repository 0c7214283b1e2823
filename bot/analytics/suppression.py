"""Small-cell suppression: what an indicator may show without pointing at a few workers.

Pure. A count from 1 to ``k - 1`` (k = ``analytics.small_cell_threshold``) is shown as ``<k``.
Where a table also shows its total, subtracting the shown cells from it must not give a small
cell back, so more cells are hidden (shown as ``x``: complementary suppression). The rule is
exact: with the hidden cells' sum R known, and the reader knowing that each ``<k`` cell is 1 to
k-1 and each ``x`` cell is k or more, every ``<k`` cell must still be able to be any value from 1
to k-1. When no choice of cells achieves that, the panel's total and every non-zero cell are
hidden. Shares, percentiles and differences are shown only when nothing they are built from is
hidden. Suppressed cells carry no number at all, so neither a chart nor a CSV can show one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

HIDDEN = "x"


@dataclass(frozen=True)
class Cell:
    """What a reader sees: ``text``, and ``number`` only when the value may be shown."""

    text: str
    number: float | None = None
    status: str = "shown"  # shown | small | hidden
    #: What ``number`` is, for writing it in a reader's language (``labels.Words.figure``):
    #: count | percent | hours | change. ``text`` is the language-neutral form (the CSV's).
    kind: str = "count"

    @property
    def shown(self) -> bool:
        return self.status == "shown"


def small_text(k: int) -> str:
    return f"<{k}"


def count(value: int, k: int) -> Cell:
    """One count on its own (primary suppression only)."""
    if 0 < value < k:
        return Cell(small_text(k), None, "small")
    return Cell(str(value), value)


def hidden() -> Cell:
    return Cell(HIDDEN, None, "hidden")


def is_small(value: float, k: int) -> bool:
    return 0 < value < k


# --- tables with totals: a cube of counts and all its margins -----------------------------------

ALL = "*"
UNKNOWN = "unknown"
Key = tuple[str, ...]


def safe(hidden_sum: int, n_small: int, n_hidden: int, k: int) -> bool:
    """Whether every ``<k`` cell of a line can still be any of 1..k-1, given the line's total.

    ``hidden_sum`` is the sum of the line's suppressed cells (total minus the shown ones). The
    other suppressed cells' sum lies in [lo, hi]: each other ``<k`` cell in 1..k-1, each ``x``
    cell k or more (no upper bound).
    """
    if n_small == 0:
        return True
    lo = (n_small - 1) + n_hidden * k
    hi = math.inf if n_hidden else (n_small - 1) * (k - 1)
    return lo <= hidden_sum - (k - 1) <= hi and lo <= hidden_sum - 1 <= hi


@dataclass(frozen=True)
class View:
    """One filtered view of a cube: its total and its breakdowns, protected."""

    total: Cell
    by: dict[str, list[tuple[str, Cell]]]


class Cube:
    """Counts over a few dimensions with every margin (any dimension summed out), protected as one.

    A dashboard filter picks a margin, a breakdown lists a line of it; since all views come from
    one protected cube, comparing views (all provinces, then each province) reveals nothing that
    one view hides. Each line (a cell and its children along one dimension) is made safe with
    :func:`safe`, hiding more children, or the line's total when that is not enough, and no line
    keeps a single figure unshown (the others would give it), until no line changes.
    """

    def __init__(self, dims: tuple[str, ...], rows: Mapping[tuple[str | None, ...], int], k: int):
        self.dims, self.k = dims, k
        self.values: dict[Key, int] = {}
        for coords, value in rows.items():
            if value <= 0:
                continue
            finest = tuple(UNKNOWN if c is None else str(c) for c in coords)
            for mask in range(1 << len(dims)):
                key = tuple(ALL if mask >> i & 1 else c for i, c in enumerate(finest))
                self.values[key] = self.values.get(key, 0) + value
        self.status = {key: ("small" if v < k else "shown") for key, v in self.values.items()}
        self.children: dict[tuple[Key, int], list[Key]] = {}
        for key in self.values:
            for axis, coord in enumerate(key):
                if coord != ALL:
                    parent = key[:axis] + (ALL,) + key[axis + 1 :]
                    self.children.setdefault((parent, axis), []).append(key)
        self._protect()

    def _protect(self) -> None:
        pending = list(self.children)
        queued = set(pending)
        while pending:
            line = pending.pop()
            queued.discard(line)
            for changed in self._settle(line):
                for line_of in self._lines_of(changed):
                    if line_of not in queued:
                        queued.add(line_of)
                        pending.append(line_of)

    def _lines_of(self, key: Key) -> list[tuple[Key, int]]:
        """Every line a figure is in: as a member (of its parent along each axis) or as the total."""
        ups = [
            (key[:axis] + (ALL,) + key[axis + 1 :], axis)
            for axis, coord in enumerate(key)
            if coord != ALL
        ]
        own = [
            (key, axis)
            for axis, coord in enumerate(key)
            if coord == ALL and (key, axis) in self.children
        ]
        return ups + own

    def _settle(self, line: tuple[Key, int]) -> list[Key]:
        """Hide what this line needs hidden; the keys whose status changed."""
        members = self.children[line]
        return self._protect_small(line[0], members) or self._not_alone(line[0], members)

    def _not_alone(self, total: Key, members: list[Key]) -> list[Key]:
        """No figure of a line may be its only one not shown: the others would give it back (a
        hidden total as the sum of its shown breakdown, a hidden member as the total minus the rest)."""
        unknown = [key for key in [total, *members] if self.status[key] != "shown"]
        if len(unknown) != 1:
            return []
        shown = sorted(
            (c for c in members if self.status[c] == "shown"), key=lambda c: (self.values[c], c)
        )
        chosen = shown[0] if shown else total
        self.status[chosen] = "hidden"
        return [chosen]

    def _protect_small(self, total: Key, members: list[Key]) -> list[Key]:
        """Hide more members (or the total) until every small member is uncertain (:func:`safe`)."""
        if self.status.get(total) != "shown":
            return []
        small = [c for c in members if self.status[c] == "small"]
        if not small:
            return []
        hid = [c for c in members if self.status[c] == "hidden"]
        k, values = self.k, self.values

        def ok(extra: list[Key]) -> bool:
            return safe(
                sum(values[c] for c in small + hid + extra), len(small), len(hid) + len(extra), k
            )

        chosen: list[Key] = []
        candidates = sorted(
            (c for c in members if self.status[c] == "shown"), key=lambda c: (values[c], c)
        )
        while not ok(chosen):
            remaining = [c for c in candidates if c not in chosen]
            if not remaining:
                self.status[total] = "hidden"
                return [total]
            single = next((c for c in remaining if ok(chosen + [c])), None)
            chosen.append(single or remaining[-1])
        for c in chosen:
            self.status[c] = "hidden"
        return chosen

    def key(self, **coords: str | None) -> Key:
        return tuple(coords.get(dim) or ALL for dim in self.dims)

    def cell(self, **coords: str | None) -> Cell:
        key = self.key(**coords)
        value = self.values.get(key, 0)
        status = self.status.get(key, "shown")
        if status == "small":
            return Cell(small_text(self.k), None, "small")
        if status == "hidden":
            return hidden()
        return Cell(str(value), value)

    def view(self, **filters: str | None) -> View:
        """The total under ``filters`` and its breakdown by every dimension not filtered."""
        base = self.key(**filters)
        by: dict[str, list[tuple[str, Cell]]] = {}
        for axis, dim in enumerate(self.dims):
            if base[axis] != ALL:
                continue
            members = sorted(
                self.children.get((base, axis), ()), key=lambda c: (-self.values[c], c[axis])
            )
            by[dim] = [(c[axis], self.cell(**{**filters, dim: c[axis]})) for c in members]
        return View(self.cell(**filters), by)


# --- derived figures ------------------------------------------------------------------------------


def share(part: Cell, whole: Cell, k: int) -> Cell:
    """``part`` of ``whole`` as a percentage: only when both are shown and the rest is no small
    count (a share of a shown whole would otherwise give a hidden part back)."""
    if not (part.shown and whole.shown) or not whole.number or part.number is None:
        return hidden()
    if is_small(whole.number - part.number, k):
        return hidden()
    pct = 100.0 * part.number / whole.number
    return Cell(f"{pct:.0f}%", round(pct, 1), kind="percent")


def statistic(value: float | None, n: int, k: int) -> Cell:
    """A median or percentile of hours over ``n`` values: shown only when at least ``k`` values made it."""
    if value is None or n < k:
        return hidden()
    return Cell(f"{value:.1f} h", round(value, 1), kind="hours")


def difference(current: Cell, previous: Cell) -> Cell:
    """A change between two shown counts; hidden when either side is suppressed."""
    if not (current.shown and previous.shown) or current.number is None or previous.number is None:
        return hidden()
    delta = int(current.number - previous.number)
    return Cell(f"{delta:+d}", delta, kind="change")
