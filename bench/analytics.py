"""The indicators on a year of events for 50,000 workers: one query each, and how long it takes.

    python bench/analytics.py [--workers 50000] [--backend sqlite|postgresql|both] [--repeat 3]

Generates a year of anonymized events (``bench/analytics_data.py``) and bulk-loads them into a
migrated, throwaway database: a SQLite file in a temporary directory, and a fresh schema on the
test PostgreSQL (127.0.0.1:5432, database ``test``; PUENTE_TEST_POSTGRES overrides it), dropped
at the end. PostgreSQL gets ANALYZE after the load, as autovacuum would do; SQLite gets none,
as in production. Then times (median of --repeat runs, fresh session each) every indicator for
the report month and for the whole year, the dashboard page (GET /admin, signed in as an
administrator), and the monthly digest. The statements each call runs are counted with a
``before_cursor_execute`` listener. Baseline, same run: ``SELECT count(*)`` over the whole table.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from itertools import islice
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analytics_data import COLUMNS, Generator, year_months  # noqa: E402  (bench/ is the script's directory)
from sqlalchemy import event, func, select  # noqa: E402

from bot.analytics import dashboard, digest, indicators  # noqa: E402
from bot.store import migrate  # noqa: E402
from bot.store.db import Database  # noqa: E402
from bot.store.eventlog import AnalyticsEvent  # noqa: E402

#: The report month: the last whole month before the machine's today would do, but a fixed one
#: keeps runs comparable. The year is the twelve months ending with it.
REPORT_MONTH = "2026-10"
_TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class StatementCounter:
    """Counts the SQL statements sent on an engine (transaction control left out)."""

    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, *args) -> None:
        if not statement.lstrip().upper().startswith(_TRANSACTION):
            self.count += 1


def timed(
    call: Callable[[], object], counter: StatementCounter, repeat: int
) -> tuple[float, float]:
    """Median seconds over ``repeat`` calls after one warm-up, and statements per call."""
    call()
    times, before = [], counter.count
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), (counter.count - before) / repeat


# --- databases ------------------------------------------------------------------------------------


@contextmanager
def sqlite_database(workdir: Path):
    url = f"sqlite:///{workdir / 'analytics.db'}"
    migrate.upgrade(url)
    yield url


@contextmanager
def postgres_database():
    from tests.conftest import drop_postgres_schema, fresh_postgres_schema

    url = fresh_postgres_schema()
    try:
        migrate.upgrade(url)
        yield url
    finally:
        drop_postgres_schema(url)


def load(db: Database, rows: list[tuple]) -> tuple[float, float]:
    """Bulk-insert the rows (COPY on PostgreSQL, executemany on SQLite): seconds to load, to ANALYZE."""
    start = time.perf_counter()
    analyzed = 0.0
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.dialect == "postgresql":
            with cursor.copy(f"COPY analytics_events ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            raw.commit()
            loaded = time.perf_counter()
            cursor.execute("ANALYZE analytics_events")
            raw.commit()
            analyzed = time.perf_counter() - loaded
        else:
            insert = (
                f"INSERT INTO analytics_events ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(COLUMNS))})"
            )
            cursor.execute("BEGIN")
            chunks = iter(rows)
            while chunk := list(islice(chunks, 100_000)):
                cursor.executemany(insert, chunk)
            cursor.execute("COMMIT")
    finally:
        raw.close()
    return time.perf_counter() - start - analyzed, analyzed


# --- what is timed --------------------------------------------------------------------------------


def session_call(db: Database, work: Callable) -> Callable[[], object]:
    def call():
        with db.session() as session:
            return work(session)

    return call


def admin_page(url: str, workdir: Path):
    """GET /admin for the report month as a signed-in administrator: (call, its app's engine, close)."""
    from bot import create_app
    from bot.runtime import Runtime, set_current
    from tests.analytics.conftest import setup_program
    from tests.conftest import Bot, make_settings

    workdir.mkdir(parents=True, exist_ok=True)
    runtime = Runtime.build(make_settings(workdir, url, **{"routing.seed_directory": None}))
    bot = Bot(create_app(runtime.settings, runtime=runtime), runtime, None)
    browser = setup_program(bot, workdir).browser()

    def get():
        response = browser.get(f"/admin/?month={REPORT_MONTH}")
        assert response.status_code == 200, response.status_code

    def close():
        runtime.db.dispose()
        set_current(None)

    return get, runtime.db.engine, close


def _today() -> date:
    """A day late in the report month, so the month is neither future nor finished in the figures."""
    return date(int(REPORT_MONTH[:4]), int(REPORT_MONTH[5:]), 28)


def digest_html(session) -> str:
    return digest.to_html(dashboard.build(session, REPORT_MONTH, today=_today()))


def bench_backend(name: str, url: str, rows: list[tuple], repeat: int, workdir: Path) -> None:
    db = Database(url)
    loaded, analyzed = load(db, rows)
    counter = StatementCounter(db.engine)
    year = year_months(REPORT_MONTH)
    with db.session() as session:
        total = session.scalar(select(func.count()).select_from(AnalyticsEvent))
        in_month = session.scalar(select(func.count()).where(AnalyticsEvent.month == REPORT_MONTH))
    print(
        f"\n== {name}: {total:,} events ({in_month:,} in {REPORT_MONTH}), bulk-loaded in {loaded:.1f} s"
        + (f", ANALYZE {analyzed:.1f} s" if analyzed else "")
    )
    count_all = session_call(
        db, lambda s: s.scalar(select(func.count()).select_from(AnalyticsEvent))
    )
    baseline, _ = timed(count_all, counter, repeat)
    lines = [("baseline: count(*) all rows", 1, baseline, baseline)]
    for indicator_name, indicator in indicators.INDICATORS.items():
        month_s, queries = timed(
            session_call(db, lambda s, f=indicator: f(s, [REPORT_MONTH])), counter, repeat
        )
        year_s, _ = timed(session_call(db, lambda s, f=indicator: f(s, year)), counter, repeat)
        lines.append((indicator_name, queries, month_s, year_s))
    build = session_call(db, lambda s: dashboard.build(s, REPORT_MONTH, today=_today()))
    lines.append(("dashboard.build (12-month trend)", *timed(build, counter, repeat)[::-1], None))
    get, engine, close = admin_page(url, workdir)
    try:
        lines.append(("GET /admin page", *timed(get, StatementCounter(engine), repeat)[::-1], None))
    finally:
        close()
    lines.append(
        (
            "digest (build + HTML)",
            *timed(session_call(db, digest_html), counter, repeat)[::-1],
            None,
        )
    )
    db.dispose()
    _print(lines, baseline)


def _print(lines: list[tuple], baseline: float) -> None:
    print(
        f"{'what':34} {'queries':>7} {'month ms':>10} {'x base':>7} {'year ms':>10} {'x base':>7}"
    )
    for what, queries, month_s, year_s in lines:
        year = (
            f"{year_s * 1000:10.1f} {year_s / baseline:7.1f}"
            if year_s is not None
            else f"{'':10} {'':7}"
        )
        print(f"{what:34} {queries:7.3g} {month_s * 1000:10.1f} {month_s / baseline:7.1f} {year}")
    print(
        "(page, build and digest rows: one report month with its 12-month trend, so year = month)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=50_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs per figure (median shown)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # migrations' progress and the app's start-up notices
    for name in ("alembic", "bot"):
        logging.getLogger(name).setLevel(logging.ERROR)
    start = time.perf_counter()
    rows = list(Generator(year_months(REPORT_MONTH)).rows(args.workers))
    print(
        f"generated {len(rows):,} events for {args.workers:,} workers over the 12 months ending "
        f"{REPORT_MONTH} in {time.perf_counter() - start:.1f} s"
    )
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="analytics-bench-") as workdir:
            opened = sqlite_database(Path(workdir)) if backend == "sqlite" else postgres_database()
            with opened as url:
                bench_backend(backend, url, rows, args.repeat, Path(workdir))


if __name__ == "__main__":
    main()
