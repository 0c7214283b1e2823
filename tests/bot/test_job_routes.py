"""Jobs are queued by function, each on its declared queue, so a backlog of housekeeping or
re-driven work never holds up a worker's first reply (bot.jobs.queue.QUEUES)."""

from __future__ import annotations

from bot.analytics.jobs import email_digest
from bot.channels.twilio.cleanup import delete_at_twilio
from bot.conversation.inbox import process_inbound
from bot.jobs.queue import route
from bot.jobs.tasks import purge, record_status
from bot.outbox import probe_twilio, send_message
from bot.portal.notify import new_referral, worker_reply
from bot.reports.evidence import fetch_media
from bot.routing.delivery import deliver_referral


def test_each_job_goes_to_the_queue_of_its_kind():
    assert route(process_inbound) == "turns"
    assert {route(job) for job in (send_message, probe_twilio, record_status, worker_reply)} == {"sends"}
    assert {route(job) for job in (deliver_referral, new_referral, fetch_media)} == {"referrals"}
    assert {route(job) for job in (email_digest, purge, delete_at_twilio)} == {"housekeeping"}
