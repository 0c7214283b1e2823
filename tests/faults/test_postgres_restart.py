"""PostgreSQL restarts in the middle of a burst: refusals Twilio retries, nothing lost, nothing doubled."""

from __future__ import annotations

import pytest

from tests.faults.ledger import assert_each_sent_once, ledger, wait_all_answered, wait_idle
from tests.faults.traffic import accepted, conversations, post

pytestmark = pytest.mark.slow

SENDERS = [f"+1519555{n:04d}" for n in range(8)]
TEXTS = ["hola", "menu", "1", "quiero saber mi salario", "2", "ayuda"]
INTERNALS = (
    "traceback",
    "sqlalchemy",
    "psycopg",
    "operationalerror",
    "postgres",
    "select ",
    "insert ",
)


def test_postgres_restarted_mid_burst_refuses_cleanly_and_answers_everything_once(
    make_stack, private_postgres, twilio
):
    stack = make_stack()
    stack.serve()
    workers = [stack.start_worker(), stack.start_worker()]
    total = len(SENDERS) * len(TEXTS)

    def outage(done: int) -> None:
        # Called between posts, so the middle third of the burst meets a database that is down
        # while the first third is still being processed by the workers.
        if done == total // 3:
            private_postgres.stop("fast")
        elif done == 2 * total // 3:
            private_postgres.start()

    posts = conversations(stack, SENDERS, TEXTS, on_progress=outage)
    assert private_postgres.running()

    refused = [p for p in posts if p.status != 200]
    assert refused, "no request met the outage"
    # 503 is what Twilio retries; a 500 would be a crash, and no page may show the internals.
    assert {p.status for p in refused} == {503}
    leaks = [p.body for p in refused if any(word in p.body.lower() for word in INTERNALS)]
    assert leaks == []

    # Twilio's retries: the same MessageSid again, once the database is back.
    retried = [post(stack, p.sender, p.text, sid=p.sid) for p in refused]
    assert [p.status for p in retried] == [200] * len(retried)

    sids = accepted(posts) | accepted(retried)
    assert len(sids) == total
    wait_all_answered(stack.db, sids, timeout=90)
    wait_idle(stack)  # what would send a second time has run by then
    current = ledger(stack.db, sids)
    assert set(current.inbound) == sids, (
        "a refused request left a row behind, or an accepted one none"
    )
    assert set(current.inbound.values()) == {"done"}
    assert_each_sent_once(current, twilio)
    assert all(row.twilio_sid for row in current.outbox), "an outbox row was never sent"
    assert [w.alive() for w in workers] == [True, True], "a worker died with the database"
    assert "answering 503" in stack.logs()  # the web said why it refused
