"""The one housekeeping loop (bot.jobs.tasks.housekeeping_loop), which the rq worker and, without
Redis, the web process both run: a failing pass is logged and retried, and the loop ends when asked."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import select, update

from bot.conversation.areas import Area
from bot.jobs import tasks
from bot.jobs.tasks import housekeeping_loop
from bot.runtime import Runtime, set_current
from bot.store.db import utcnow
from bot.store.models import InboundMessage
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


def test_the_first_pass_purges_old_text_even_on_a_machine_just_booted(
    make_bot, sqlite_url, monkeypatch
):
    """Before, the purge waited until the host had been up 6 hours (monotonic() - 0.0): a container
    restarted every day kept message text past the retention period."""
    bot = make_bot(sqlite_url)
    bot.send("hola", sender="+15195550179")
    with bot.runtime.db.session() as session:
        session.execute(update(InboundMessage).values(received_at=utcnow() - timedelta(days=40)))
    monkeypatch.setattr(tasks.time, "monotonic", lambda: 120.0)  # up for two minutes
    set_current(bot.runtime)
    stop = threading.Event()
    bot.runtime.areas = (Area("cases", housekeeping=(lambda _: stop.set(),)),)  # one pass
    try:
        housekeeping_loop(bot.runtime, stop, first_wait=False)
        with bot.runtime.db.session() as session:
            assert session.scalars(select(InboundMessage.body_enc)).all() == [None]
    finally:
        set_current(None)
