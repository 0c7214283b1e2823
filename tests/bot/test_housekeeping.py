"""The one housekeeping loop (bot.jobs.tasks.housekeeping_loop), which the rq worker and, without
Redis, the web process both run: a failing pass is logged and retried, and the loop ends when asked."""

from __future__ import annotations

import logging
import threading

from bot.conversation.areas import Area
from bot.jobs.tasks import housekeeping_loop
from bot.runtime import Runtime, set_current
from tests.conftest import make_settings


def test_a_failing_pass_is_retried_and_the_loop_stops_when_asked(tmp_path, sqlite_url, caplog):
    runtime = Runtime.build(
        make_settings(tmp_path, sqlite_url, jobs__redrive_interval_seconds=0.01)
    )
    set_current(runtime)
    stop = threading.Event()
    passes: list[int] = []

    def overdue_referrals(_: Runtime) -> None:
        passes.append(len(passes))
        if len(passes) == 1:
            raise RuntimeError("the database went away")
        if len(passes) == 3:
            stop.set()

    runtime.areas = (Area("cases", housekeeping=(overdue_referrals,)),)
    loop = threading.Thread(
        target=housekeeping_loop, args=(runtime, stop), kwargs={"first_wait": False}
    )
    try:
        with caplog.at_level(logging.INFO, logger="bot.jobs.tasks"):
            loop.start()
            loop.join(timeout=10)
        assert not loop.is_alive()  # stopped, and not by the failure
        assert passes == [0, 1, 2]
        assert "housekeeping failed (RuntimeError)" in caplog.text
    finally:
        stop.set()
        runtime.close()
        set_current(None)
