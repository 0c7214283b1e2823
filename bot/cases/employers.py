"""Recognizing one employer under many spellings, and alerting when several workers name it.

Workers type an employer's name as they know it: "Granja Los Pinos Ltd", "granja los pinos",
"Los Pinos farm". A name is reduced to what distinguishes it (no accents, punctuation, legal
suffixes, generic words like farm/granja/bukid, articles), compared fuzzily, and tied to the town;
a phone or LMIA number given in two reports identifies the employer outright. When at least K
different workers name one employer within a window, administrators get an alert with counts,
types and province, never who reported.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from bot.text import names

#: Two normalized names at or above this similarity (0-100) are the same employer, in one town.
#: Tuned on tests/reports/test_employers.py: typos and word order pass, different farms do not.
NAME_THRESHOLD = 87
#: Stricter when a town is missing on either side: the name alone must carry the identity.
NAME_THRESHOLD_NO_TOWN = 95
TOWN_THRESHOLD = 85
#: Names this short (letters and digits) must match exactly: one letter changes a short name.
SHORT_NAME = 3
#: Phone and LMIA numbers shorter than this (digits or characters) are ignored.
MIN_IDENTIFIER = 7

_LEGAL_SEQUENCES = (
    ("sa", "de", "cv"), ("s", "de", "rl"), ("de", "cv"), ("de", "rl"), ("sa", "cv"),
)  # fmt: skip
_LEGAL = {
    "ltd", "limited", "inc", "incorporated", "corp", "corporation", "co", "llc", "llp", "lp",
    "ltee", "limitee", "plc", "ulc", "gmbh", "sarl", "sas", "sa", "srl", "senc", "enr", "cv",
}  # fmt: skip
_WORKPLACE = {
    # farm and workplace words, es / en / tl / fr
    "farm", "farms", "farming", "granja", "granjas", "rancho", "ranchos", "ranch", "ranches",
    "bukid", "bukirin", "sakahan", "ferme", "fermes", "greenhouse", "greenhouses",
    "invernadero", "invernaderos", "serre", "serres", "orchard", "orchards", "huerta", "huerto",
    "company", "companies", "compania", "cia", "kompanya", "compagnie", "cie",
    "enterprise", "enterprises", "empresa", "empresas", "entreprise", "entreprises",
    "produce", "grower", "growers", "packers", "nursery", "nurseries", "vivero", "viveros",
}  # fmt: skip
_ARTICLES = {
    # articles and connectors, es / en / tl / fr
    "the", "a", "an", "of", "and", "el", "la", "los", "las", "lo", "de", "del", "y",
    "le", "les", "l", "d", "du", "des", "et", "ang", "ng", "mga", "si", "ni", "at",
}  # fmt: skip
_GENERIC = _WORKPLACE | _ARTICLES


@dataclass(frozen=True)
class EmployerMention:
    """One report naming an employer, as the alert job reads it (decrypted in memory only).

    ``reporter_key`` is a keyed hash distinct per worker, so one worker reporting twice counts once.
    """

    report_id: str
    reporter_key: str
    employer: str
    town: str | None
    province: str | None
    abuse_types: tuple[str, ...]
    created_at: datetime
    phone: str | None = None
    lmia: str | None = None


@dataclass(frozen=True)
class Alert:
    """Several workers named one employer: what administrators see. Never who reported.

    ``cluster_key`` is the normalized identity of the cluster's earliest mention, for not raising
    the same alert twice. ``types`` counts, per abuse type, the distinct workers who reported it.
    """

    cluster_key: str
    name: str
    town: str | None
    province: str | None
    reporters: int
    reports: int
    types: tuple[tuple[str, int], ...]
    window_start: datetime
    window_end: datetime


def normalize_employer(name: str) -> str:
    """What distinguishes an employer's name: "Granja Los Pinos, S.A. de C.V." -> "pinos"."""
    return _distinctive(names.words(name))


def same_employer(
    a: str,
    b: str,
    town_a: str | None = None,
    town_b: str | None = None,
    *,
    phone_a: str | None = None,
    phone_b: str | None = None,
    lmia_a: str | None = None,
    lmia_b: str | None = None,
) -> bool:
    """Whether two mentions name one employer: same phone or LMIA number, or a close name in the
    same town (a closer name still when a town is missing)."""
    return _Identity.of(a, town_a, phone_a, lmia_a).same(_Identity.of(b, town_b, phone_b, lmia_b))


def repeat_alerts(
    mentions: Sequence[EmployerMention],
    k: int = 3,
    window_days: int = 90,
    *,
    now: datetime | None = None,
) -> list[Alert]:
    """Employers named by at least ``k`` distinct workers in the ``window_days`` ending at ``now``
    (default: the latest mention). Deterministic: the same mentions give the same alerts."""
    if not mentions:
        return []
    end = now or max(m.created_at for m in mentions)
    start = end - timedelta(days=window_days)
    recent = sorted(
        (m for m in mentions if start < m.created_at <= end),
        key=lambda m: (m.created_at, m.report_id),
    )
    alerts = [
        _alert(cluster, start, end)
        for cluster in _clusters(recent)
        if len({m.reporter_key for m in cluster}) >= k
    ]
    return sorted(alerts, key=lambda a: (-a.reporters, a.province or "", a.cluster_key))


@dataclass(frozen=True)
class _Identity:
    name: str
    compact: str
    spelled: str  # articles kept ("del fresh" -> "delfresh"), for names an article is part of
    town: str
    phone: str
    lmia: str

    @classmethod
    def of(cls, name: str, town: str | None, phone: str | None, lmia: str | None) -> _Identity:
        words = names.words(name)
        normalized = _distinctive(words)
        spelled = [w for w in _drop_legal(words) if w not in _WORKPLACE]
        return cls(
            name=normalized,
            compact=normalized.replace(" ", ""),
            spelled="".join(spelled) or normalized.replace(" ", ""),
            town=names.normalize_town(town or "").replace(" ", ""),
            phone=_identifier(re.sub(r"\D", "", phone or "")[-10:]),
            lmia=_identifier(re.sub(r"[^0-9A-Za-z]", "", lmia or "").upper()),
        )

    def same(self, other: _Identity) -> bool:
        if (self.phone and self.phone == other.phone) or (self.lmia and self.lmia == other.lmia):
            return True
        if not self.compact or not other.compact:
            return False
        if self.town and other.town:
            if fuzz.ratio(self.town, other.town) < TOWN_THRESHOLD:
                return False
            threshold = NAME_THRESHOLD
        else:
            threshold = NAME_THRESHOLD_NO_TOWN
        if min(len(self.compact), len(other.compact)) <= SHORT_NAME:
            return self.compact == other.compact
        score = max(
            fuzz.token_sort_ratio(self.name, other.name, score_cutoff=threshold),
            fuzz.ratio(self.compact, other.compact, score_cutoff=threshold),
            fuzz.ratio(self.spelled, other.spelled, score_cutoff=threshold),
        )
        return score >= threshold


def _identifier(value: str) -> str:
    """A phone or LMIA number too short to be real ("911", "n/a") identifies nothing."""
    return value if len(value) >= MIN_IDENTIFIER else ""


def _clusters(mentions: Sequence[EmployerMention]) -> list[list[EmployerMention]]:
    """Connected groups of mentions naming one employer, compared within a province (phone and
    LMIA numbers link across provinces). Group order follows the earliest mention."""
    identities = [_Identity.of(m.employer, m.town, m.phone, m.lmia) for m in mentions]
    parent = list(range(len(mentions)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    # One representative per distinct identity: repeated spellings are compared once.
    first: dict[tuple[str | None, _Identity], int] = {}
    for index, (mention, identity) in enumerate(zip(mentions, identities, strict=True)):
        representative = first.setdefault((mention.province, identity), index)
        union(representative, index)
    by_province: dict[str | None, list[int]] = defaultdict(list)
    for province, identity in first:
        by_province[province].append(first[(province, identity)])
    for indexes in by_province.values():
        for x, i in enumerate(indexes):
            for j in indexes[x + 1 :]:
                if identities[i].same(identities[j]):
                    union(i, j)
    for field in ("phone", "lmia"):
        seen: dict[str, int] = {}
        for index, identity in enumerate(identities):
            value = getattr(identity, field)
            if value:
                union(seen.setdefault(value, index), index)
    groups: dict[int, list[EmployerMention]] = defaultdict(list)
    for index, mention in enumerate(mentions):
        groups[find(index)].append(mention)
    return [groups[root] for root in sorted(groups)]


def _alert(cluster: list[EmployerMention], start: datetime, end: datetime) -> Alert:
    reporters = {m.reporter_key for m in cluster}
    first = cluster[0]
    spellings = Counter(" ".join(m.employer.split()) for m in cluster)
    name = max(
        spellings, key=spellings.__getitem__
    )  # ties: the earliest spelling (Counter keeps order)
    towns = Counter(" ".join(m.town.split()) for m in cluster if m.town and m.town.strip())
    provinces = Counter(m.province for m in cluster if m.province)
    type_reporters: dict[str, set[str]] = defaultdict(set)
    for mention in cluster:
        for abuse_type in mention.abuse_types:
            type_reporters[abuse_type].add(mention.reporter_key)
    types = sorted(((t, len(r)) for t, r in type_reporters.items()), key=lambda tc: (-tc[1], tc[0]))
    return Alert(
        cluster_key="|".join(
            (
                first.province or "-",
                normalize_employer(first.employer),
                names.normalize_town(first.town or ""),
            )
        ),
        name=name,
        town=_most_common(towns),
        province=_most_common(provinces),
        reporters=len(reporters),
        reports=len(cluster),
        types=tuple(types),
        window_start=start,
        window_end=end,
    )


def _most_common(counts: Counter[str]) -> str | None:
    if not counts:
        return None
    return min(counts, key=lambda value: (-counts[value], value))


def _distinctive(words: list[str]) -> str:
    without_legal = _drop_legal(words)
    kept = [w for w in without_legal if w not in _GENERIC]
    # Nothing distinctive left ("The Farm Inc."): keep what there was rather than match everything.
    return " ".join(kept or without_legal or words)


def _drop_legal(words: list[str]) -> list[str]:
    """Remove legal forms wherever they stand: sequences like "sa de cv", then single words."""
    text = f" {' '.join(words)} "
    for sequence in _LEGAL_SEQUENCES:
        text = text.replace(f" {' '.join(sequence)} ", " ")
    return [word for word in text.split() if word not in _LEGAL]
