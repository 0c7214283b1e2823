"""Prometheus metrics: the histograms and counters every process records, and the counts read
from the database when /metrics is scraped (bot/metrics_page.py serves them; this module imports
no Flask, so rq workers do not load it).

Message counts come from the database at scrape time (right across any number of web and rq
processes); latencies and referral acknowledgement times are histograms, shared between processes
through prometheus_client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set (`puente serve`
and `puente worker` set it).

No label tells what kind of message went out: a count of referral or relay messages, scraped
every few seconds, would date each report. Who may scrape: bot/metrics_page.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

if TYPE_CHECKING:  # the app passes its runtime in when scraped
    from bot.runtime import Runtime

NLU_LATENCY = Histogram(
    "puente_nlu_parse_seconds",
    "Time to understand one message",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
TURN_LATENCY = Histogram(
    "puente_turn_seconds",
    "Time to handle one inbound message (NLU, flow, outbox write)",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
REFERRAL_ACK = Histogram(
    "puente_referral_ack_seconds",
    "Time from a referral's creation to an NGO's acknowledgement",
    buckets=(60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 48 * 3600, 7 * 24 * 3600),
)
HOUSEKEEPING_PASSES = Counter(
    "puente_housekeeping_passes",
    "Passes of the housekeeping loop (re-drive, areas' housekeeping, purge) that completed",
)


class DatabaseCollector:
    """Counts read from the tables when scraped: the truth whichever process did the work."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from bot.store.models import Conversation, InboundMessage, OutboxMessage

        inbound = GaugeMetricFamily(
            "puente_messages_in",
            "Inbound messages by channel and status",
            labels=["channel", "status"],
        )
        outbound = GaugeMetricFamily(
            "puente_messages_out",
            "Outbound messages by channel and status",
            labels=["channel", "status"],
        )
        depth = GaugeMetricFamily(
            "puente_queue_depth", "Jobs waiting in each queue", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            "puente_queue_oldest_seconds",
            "Age of the oldest job waiting in each queue",
            labels=["queue"],
        )
        circuit = self.runtime.circuit.state()
        circuit_open = GaugeMetricFamily(
            "puente_twilio_circuit_open",
            "1 while Twilio sends wait for a probe to get an answer (bot.channels.twilio.circuit)",
            value=int(circuit.open),
        )
        failures = GaugeMetricFamily(
            "puente_twilio_failures_in_a_row",
            "Failed Twilio sends since the last success",
            value=circuit.failures,
        )
        with self.runtime.db.session() as session:
            for channel, status, count in session.execute(
                select(Conversation.channel, InboundMessage.status, func.count())
                .join(Conversation, Conversation.id == InboundMessage.conversation_id)
                .group_by(Conversation.channel, InboundMessage.status)
            ):
                inbound.add_metric([channel, status], count)
            for channel, sent_status, count in session.execute(
                select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(
                    OutboxMessage.channel, OutboxMessage.status
                )
            ):
                outbound.add_metric([channel, sent_status], count)
        for queue, (count, age) in self.runtime.queue.backlog().items():
            depth.add_metric([queue], count)
            oldest.add_metric([queue], age)
        yield from (inbound, outbound, depth, oldest, circuit_open, failures)
