"""/metrics tells an operator what the bot is doing (traffic by channel and status, NLU latency,
the queue's backlog, how fast NGOs acknowledge referrals) and never whom it is doing it for."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from bot.cases import referrals
from bot.cases.models import Referral
from bot.jobs.worker import Worker
from tests.reports.chat import file_report

SMS_WORKER = "+15195550101"
WHATSAPP_WORKER = "whatsapp:+5215550102"
#: Every form in which the workers' numbers could leak into a label or a help text.
NUMBER_FORMS = ["5195550101", "15195550101", "5215550102", "+52 1 555", "whatsapp:"]
#: No "kind": referral and relay messages counted apart would date each report (issue 22, item 15).
ALLOWED_LABELS = {"channel", "status", "le", "queue"}


def scrape(bot) -> tuple[str, dict[tuple[str, tuple], float]]:
    """The /metrics text and its samples by (name, sorted labels)."""
    response = bot.client.get("/metrics")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return text, samples


def total(samples: dict, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    return sum(
        value
        for (sample, sample_labels), value in samples.items()
        if sample == name and set(labels.items()) <= set(sample_labels)
    )


def test_metrics_count_real_traffic_by_channel_and_status_with_latency_and_referral_ack_times(
    make_bot, database_url, twilio
):
    bot = make_bot(database_url)
    _, before = scrape(bot)

    file_report(bot, SMS_WORKER, "es")  # a whole conversation ending in a referral
    bot.send("hola", sender=WHATSAPP_WORKER)
    with bot.runtime.db.session() as session:
        referral = session.scalar(select(Referral))
        referrals.acknowledge(
            session,
            bot.runtime,
            referral.id,
            user_id=1,
            now=referral.created_at + timedelta(hours=2),
        )
    text, after = scrape(bot)

    sms_in = total(after, "puente_messages_in", channel="sms")
    assert (
        sms_in >= 9 and total(after, "puente_messages_in", channel="sms", status="done") == sms_in
    )  # a whole report
    assert total(after, "puente_messages_in", channel="whatsapp", status="done") == 1
    sent_to = {"sms": SMS_WORKER, "whatsapp": WHATSAPP_WORKER}
    for channel, address in sent_to.items():
        at_twilio = [m for m in twilio.messages if m.to == address]
        assert (
            total(after, "puente_messages_out", channel=channel, status="sent")
            == len(at_twilio)
            > 0
        )

    parsed = total(after, "puente_nlu_parse_seconds_count") - total(
        before, "puente_nlu_parse_seconds_count"
    )
    assert parsed == sms_in + 1  # every message understood once
    assert total(after, "puente_nlu_parse_seconds_bucket", le="+Inf") == total(
        after, "puente_nlu_parse_seconds_count"
    )
    assert total(after, "puente_queue_depth") == 0  # jobs ran in-process, nothing waits

    def acks(samples: dict, le: str) -> float:
        return total(samples, "puente_referral_ack_seconds_bucket", le=le)

    assert (
        total(after, "puente_referral_ack_seconds_count")
        - total(before, "puente_referral_ack_seconds_count")
        == 1
    )
    assert acks(after, "3600.0") - acks(before, "3600.0") == 0  # two hours: not within the hour ...
    assert acks(after, "14400.0") - acks(before, "14400.0") == 1  # ... within four

    assert not [form for form in NUMBER_FORMS if form in text]
    labels = {
        label
        for (name, sample_labels) in after
        if name.startswith("puente_")
        for label, _ in sample_labels
    }
    assert labels <= ALLOWED_LABELS


def test_queue_depth_shows_the_backlog_until_an_rq_worker_drains_it(
    make_bot, sqlite_url, redis_url, twilio
):
    bot = make_bot(sqlite_url, redis_url=redis_url)
    senders = [f"+1519555{n:04d}" for n in range(3)]
    for sender in senders:
        assert bot.send("hola", sender=sender).status_code == 200

    _, waiting = scrape(bot)
    # One turn job drains every worker's pending messages (not a job per message): the backlog
    # of messages is what the received count shows, the queue holds that one job.
    assert total(waiting, "puente_queue_depth") == 1
    assert total(waiting, "puente_messages_in", channel="sms", status="received") == 3
    assert total(waiting, "puente_messages_out") == 0

    assert total(waiting, "puente_queue_depth", queue="turns") == 1
    assert total(waiting, "puente_queue_oldest_seconds", queue="turns") >= 0
    assert total(waiting, "puente_twilio_circuit_open") == 0

    queues = list(bot.runtime.queue.queues.values())
    Worker(queues, connection=bot.runtime.queue.redis).work(burst=True)  # answers, then sends

    text, drained = scrape(bot)
    assert total(drained, "puente_queue_depth") == 0
    assert total(drained, "puente_messages_in", channel="sms", status="done") == 3
    assert (
        total(drained, "puente_messages_out", channel="sms", status="sent")
        == len(twilio.messages)
        >= 3
    )
    assert not [sender for sender in senders if sender.removeprefix("+") in text]
