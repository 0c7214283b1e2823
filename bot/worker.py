"""`puente worker`: an rq worker, its scheduler for delayed retries, and the periodic housekeeping."""

from __future__ import annotations

import logging
import threading
import time

from bot import logs
from bot.runtime import Runtime, set_current
from bot.settings import Settings

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 6 * 3600


def run_worker(settings: Settings, *, burst: bool = False) -> None:
    from rq import Queue, Worker

    logs.configure(settings.log_level, json_lines=settings.env == "production")
    runtime = Runtime.build(settings)
    set_current(runtime)
    queue = Queue(settings.jobs.queue_name, connection=runtime.queue.redis)
    if not burst:
        threading.Thread(target=_housekeeping, args=(runtime,), name="puente-housekeeping", daemon=True).start()
    Worker([queue], connection=runtime.queue.redis).work(with_scheduler=True, burst=burst, logging_level=settings.log_level)


def _housekeeping(runtime: Runtime) -> None:
    """Re-drive stale work every few seconds and purge old text a few times a day, whatever Redis does."""
    from bot import conversations, jobs
    from bot.routing import jobs as routing

    interval = runtime.settings.jobs.redrive_interval_seconds
    last_purge = 0.0
    while True:
        try:
            conversations.redrive(runtime)
            routing.housekeeping(runtime)  # lost delivery retries, overdue referrals (escalation)
            if time.monotonic() - last_purge > PURGE_EVERY_SECONDS:
                jobs.purge()
                last_purge = time.monotonic()
        except Exception as exc:
            log.warning("housekeeping failed (%s); will try again in %ss", type(exc).__name__, interval)
        time.sleep(interval)
