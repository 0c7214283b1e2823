"""A year of made-up, anonymized analytics events for ``bench/analytics.py``.

The rows have the shape ``bot.store.eventlog.record`` writes (same kinds, vocabularies and
dimensions) with a skew like the program's: most workers in agriculture in Ontario, Quebec and
British Columbia, busy from spring to autumn; caregivers all year, many writing in Tagalog;
few people in the territories, where only the national fallback can take a case. Seeded, so two
runs load the same rows. Nothing here touches a database.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

COLUMNS = (
    "kind",
    "month",
    "channel",
    "language",
    "province",
    "sector",
    "subject",
    "step",
    "value",
    "flag",
    "cohort",
    "worker",
)
Row = tuple

SECTORS = {
    "agriculture": 62,
    "caregiving": 12,
    "food_processing": 10,
    "hospitality": 6,
    "construction": 5,
    "other": 2,
    None: 3,
}
PROVINCES = {
    "agriculture": {
        "ON": 45,
        "QC": 22,
        "BC": 18,
        "AB": 4,
        "MB": 3,
        "NS": 3,
        "NB": 2,
        "PE": 1.5,
        "SK": 1,
        "NL": 0.5,
    },
    "caregiving": {"ON": 45, "BC": 20, "AB": 18, "QC": 8, "MB": 4, "SK": 2, "NS": 2, "NB": 1},
    "any": {
        "ON": 38,
        "QC": 18,
        "BC": 16,
        "AB": 12,
        "MB": 5,
        "SK": 3,
        "NS": 3,
        "NB": 2,
        "PE": 1.5,
        "NL": 1,
        "YT": 0.2,
        "NT": 0.2,
        "NU": 0.1,
    },
}
LANGUAGES = {"caregiving": {"tl": 70, "en": 20, "es": 10}, "any": {"es": 72, "tl": 16, "en": 12}}
#: How busy each calendar month is (January = 1), for seasonal work and for the rest.
SEASON = {"agriculture": [0.15, 0.15, 0.35, 0.8, 1, 1, 1, 1, 1, 0.9, 0.5, 0.2], "any": [0.8] * 12}
TOPICS = {
    "wages": 30,
    "hours": 15,
    "housing": 12,
    "permit": 12,
    "health": 10,
    "fees": 6,
    "documents": 6,
    "safety": 5,
    "retaliation": 4,
}
ABUSE = {
    "wages": 30,
    "hours": 18,
    "housing": 15,
    "health_safety": 10,
    "documents": 7,
    "fees": 7,
    "retaliation": 6,
    "violence": 4,
    "other": 3,
}
#: flow -> (chance per conversation, chance it is finished, steps where it is left)
FLOWS = {
    "province": (0.25, 0.85, ["ask"]),
    "language": (0.10, 0.95, ["choose"]),
    "ngo": (0.05, 0.80, ["find"]),
    "case": (0.03, 0.70, ["code", "status"]),
    "report": (
        0.04,
        0.55,
        ["what", "employer", "where", "since", "photos", "danger", "consent_ngo"],
    ),
}
OUTCOMES = {
    "resolved": 55,
    "referred_to_authorities": 15,
    "worker_unreachable": 15,
    "withdrawn": 10,
    "other": 5,
}
#: Provinces and languages with no local partner: matching falls back to the national line.
UNCOVERED_PROVINCES = {"PE", "NL", "YT", "NT", "NU", "SK"}
HOURS_PER_MONTH = 730.0


def year_months(last: str, n: int = 12) -> list[str]:
    """The ``n`` months ending with ``last`` ("2026-10"), oldest first."""
    year, month = map(int, last.split("-"))
    index = year * 12 + month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - n + 1, index + 1)]


def _picker(rnd: random.Random, weights: dict):
    values, cumulative, total = list(weights), [], 0.0
    for weight in weights.values():
        total += weight
        cumulative.append(total)
    choices = rnd.choices

    def pick(k: int = 1):
        return choices(values, cum_weights=cumulative, k=k)

    return pick


class Generator:
    """One worker at a time, month by month, as the webhook and the portal would record them."""

    def __init__(self, months: list[str], seed: int = 2026):
        self.months, self.rnd = months, random.Random(seed)
        rnd = self.rnd
        self.sector = _picker(rnd, SECTORS)
        self.province = {key: _picker(rnd, weights) for key, weights in PROVINCES.items()}
        self.language = {key: _picker(rnd, weights) for key, weights in LANGUAGES.items()}
        self.topic, self.abuse, self.outcome = (
            _picker(rnd, TOPICS),
            _picker(rnd, ABUSE),
            _picker(rnd, OUTCOMES),
        )
        self.calendar = [int(m[5:]) - 1 for m in months]

    def rows(self, workers: int) -> Iterator[Row]:
        for _ in range(workers):
            yield from self.worker()

    def worker(self) -> Iterator[Row]:
        rnd = self.rnd
        sector = self.sector()[0]
        province = (
            self.province.get(sector, self.province["any"])()[0] if rnd.random() > 0.08 else None
        )
        language = self.language.get(sector, self.language["any"])()[0]
        channel = "whatsapp" if rnd.random() < 0.65 else "sms"
        season = SEASON.get(sector, SEASON["any"])
        engagement = rnd.betavariate(1.2, 2.5)  # most write in a few months, some every month
        active = [
            i for i, cal in enumerate(self.calendar) if rnd.random() < season[cal] * engagement
        ]
        if not active:
            active = [rnd.randrange(len(self.months))]
        opt_out = rnd.choice(active) if rnd.random() < 0.05 else None
        erased = active[-1] if rnd.random() < 0.01 else None
        for i in active:
            yield from self.month(i, sector, province, language, channel)
            dims = (channel, language, province, None)
            if i == opt_out:
                yield ("opt_out", self.months[i], *dims, None, None, None, None, None, None)
                if rnd.random() < 0.3:
                    yield ("opt_in", self.months[i], *dims, None, None, None, None, None, None)
            if i == erased:
                yield ("erase_data", self.months[i], *dims, None, None, None, None, None, None)

    def month(self, i: int, sector, province, language, channel) -> Iterator[Row]:
        rnd, month = self.rnd, self.months[i]
        worker = f"{rnd.getrandbits(256):064x}"
        known_later = rnd.random() < 0.3  # the province comes after the first message
        said_sector = sector if rnd.random() < 0.5 else None
        start_province = None if known_later else province
        sessions = 1 + int(rnd.expovariate(1 / 1.3))
        for _ in range(sessions):
            yield (
                "conversation_started",
                month,
                channel,
                language,
                start_province,
                said_sector,
                None,
                None,
                None,
                None,
                None,
                worker,
            )
        if known_later and province:
            yield (
                "worker_profile",
                month,
                channel,
                language,
                province,
                None,
                None,
                None,
                None,
                None,
                None,
                worker,
            )
        dims = (channel, language, province, None)
        asked = int(rnd.expovariate(1 / (1.2 * sessions)))
        for topic in self.topic(asked) if asked else ():
            yield ("topic_asked", month, *dims, topic, None, None, None, None, None)
        answered = asked + int(rnd.expovariate(1 / (0.5 * sessions)))
        for topic in self.topic(answered) if answered else ():
            yield ("topic_answered", month, *dims, topic, None, None, None, None, None)
        for _ in range(sessions):
            for flow, (chance, finished, steps) in FLOWS.items():
                if rnd.random() < chance:
                    if rnd.random() < finished:
                        yield ("flow_completed", month, *dims, flow, None, None, None, None, None)
                    else:
                        yield (
                            "flow_abandoned",
                            month,
                            *dims,
                            flow,
                            rnd.choice(steps),
                            None,
                            None,
                            None,
                            None,
                        )
            if rnd.random() < 0.003:
                yield (
                    "emergency",
                    month,
                    *dims,
                    rnd.choice(("keyword", "nlu")),
                    None,
                    None,
                    None,
                    None,
                    None,
                )
        peak = 1.5 if sector == "agriculture" and self.calendar[i] in (5, 6, 7, 8) else 1.0
        if rnd.random() < 0.02 * peak:
            yield from self.report(i, (channel, language, province or "ON", sector))

    def report(self, i: int, dims: tuple) -> Iterator[Row]:
        """A report filed, matched and referred, and what became of the referral since."""
        rnd, month = self.rnd, self.months[i]
        yield ("report_filed", month, *dims, None, None, None, None, None, None)
        for abuse in set(self.abuse(1 + int(rnd.expovariate(1 / 0.6)))):
            yield ("report_type", month, *dims, abuse, None, None, None, None, None)
        if rnd.random() < 0.03:
            yield (
                "employer_alert",
                month,
                None,
                None,
                dims[2],
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )
        gaps = self.gaps(dims)
        fallback = bool(gaps) and rnd.random() < 0.9
        matched = not gaps or fallback
        yield (
            "match",
            month,
            *dims,
            "matched" if matched else "unmatched",
            None,
            None,
            fallback,
            None,
            None,
        )
        for gap in gaps:
            yield ("coverage_gap", month, *dims, gap, None, None, None, None, None)
        if matched:
            yield from self.referral(i, dims, fallback)

    def gaps(self, dims: tuple) -> list[str]:
        rnd, (_, language, province, sector) = self.rnd, dims
        if province in UNCOVERED_PROVINCES:
            return [f"province:{province}"]
        gaps = []
        if language == "tl" and province not in ("ON", "BC", "AB"):
            gaps.append("language:tl")
        if rnd.random() < 0.05:
            gaps.append("service:housing")
        if sector == "construction" and rnd.random() < 0.3:
            gaps.append("sector:construction")
        if rnd.random() < 0.02:
            gaps.append("capacity:full")
        return gaps

    def referral(self, i: int, dims: tuple, fallback: bool) -> Iterator[Row]:
        rnd, cohort = self.rnd, self.months[i]
        sent_at = rnd.random() * HOURS_PER_MONTH  # hours into the month it was sent

        def stage(kind: str, hours: float, subject=None) -> Row | None:
            later = i + int((sent_at + hours) // HOURS_PER_MONTH)
            if later >= len(self.months):
                return None  # has not happened yet
            return (
                kind,
                self.months[later],
                *dims,
                subject,
                None,
                round(hours, 2),
                None,
                cohort,
                None,
            )

        yield ("referral_sent", cohort, *dims, None, None, None, fallback, cohort, None)
        if rnd.random() > 0.9:
            return
        acknowledged = rnd.lognormvariate(math.log(14), 1.2)
        rows = [stage("referral_acknowledged", acknowledged)]
        decided = acknowledged + rnd.expovariate(1 / 24)
        accepted = rnd.random() < 0.82
        rows.append(stage("referral_accepted" if accepted else "referral_declined", decided))
        if accepted and rnd.random() < 0.6:
            rows.append(
                stage("referral_closed", decided + rnd.expovariate(1 / 500), self.outcome()[0])
            )
        for row in rows:
            if row is not None:
                yield row
        if accepted and rows[1] is not None:
            for _ in range(int(rnd.expovariate(1 / 4))):
                direction = "to_worker" if rnd.random() < 0.55 else "from_worker"
                yield ("relay_message", rows[1][1], *dims, direction, None, None, None, None, None)
