"""Who should take a case: a pure, deterministic ranking of the directory, with its reasons.

Order of criteria: the province (an organization serving it; the national fallback only when
none does), then the worker's language, then the services the abuse types need, then the sector,
the town, and the current load against capacity; organizations at capacity come after all the
others, ranked among themselves the same way; ties go to the id.
The reasons are stored with the referral and shown to staff; the gaps feed the administrators'
alert and the coverage-gap indicators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

from bot.directory.ngo import Ngo
from bot.text.names import normalize_town

#: The abuse types of the report flow, and the services that help with each (best first).
ABUSE_SERVICES: dict[str, tuple[str, ...]] = {
    "wages": ("wages", "legal", "complaints"),
    "hours": ("wages", "legal", "complaints"),
    "housing": ("housing", "legal"),
    "health_safety": ("safety", "health", "complaints"),
    "documents_taken": ("documents", "legal", "immigration"),
    "recruitment_fees": ("recruitment", "legal"),
    "harassment_violence": ("counselling", "emergency_shelter", "emergency"),
    "threats_retaliation": ("legal", "immigration"),
    "other": (),
}
ABUSE_TYPES: tuple[str, ...] = tuple(ABUSE_SERVICES)


@dataclass(frozen=True)
class CaseNeeds:
    """What matching needs to know about a case; every field may be unknown (the worker skipped).

    Unknown abuse types count as "other": flow data never makes matching fail.
    """

    province: str | None = None
    language: str | None = None
    abuse_types: tuple[str, ...] = ()
    sector: str | None = None
    town: str | None = None
    services: tuple[
        str, ...
    ] = ()  # asked for directly (find_ngo), on top of the abuse types' needs

    @property
    def needs(self) -> dict[str, tuple[str, ...]]:
        """Each need (an abuse type, or ``service:x`` asked directly) and the services meeting it."""
        needs = {t: ABUSE_SERVICES[t] for t in self.abuse_types if ABUSE_SERVICES.get(t)}
        needs.update({f"service:{s}": (s,) for s in self.services})
        return needs

    @property
    def needed_services(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for services in self.needs.values() for s in services))


@dataclass(frozen=True)
class Reason:
    """One line of explanation: a stable ``key`` and ``params`` for the portal to translate,
    and ``text`` in plain English for logs and the audit trail."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return _TEXTS[self.key](self.params)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "params": dict(self.params), "text": self.text}


_TEXTS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "province": lambda p: f"serves {p['province']}",
    "fallback": lambda p: (
        f"national fallback: no organization available in {p['province']}"
        if p.get("province")
        else "national fallback: province not given"
    ),
    "language": lambda p: f"speaks {p['language']}",
    "no_language": lambda p: f"does not list {p['language']}",
    "services": lambda p: f"offers {', '.join(p['services'])}",
    "no_services": lambda p: f"offers none of {', '.join(p['needed'])}",
    "sector": lambda p: f"works in {p['sector']}",
    "all_sectors": lambda p: "works in all sectors",
    "other_sectors": lambda p: f"works in {', '.join(p['sectors'])}, not {p['sector']}",
    "town": lambda p: f"in {p['town']}",
    "load": lambda p: f"load {p['load']}/{p['capacity']}",
    "full": lambda p: f"full {p['load']}/{p['capacity']}",
    "open": lambda p: "open now",
    "closed": lambda p: "closed now",
}


@dataclass(frozen=True)
class Candidate:
    """An organization in the ranking, with why it stands there."""

    ngo: Ngo
    reasons: tuple[Reason, ...]
    full: bool

    @property
    def explanation(self) -> list[str]:
        return [reason.text for reason in self.reasons]


@dataclass(frozen=True)
class MatchResult:
    """The ranked candidates (best first), whether the national fallback was used, and the gaps.

    ``gap`` entries are ``kind:value`` with kind one of province, language, service, sector,
    capacity (e.g. ``"language:tl"``): what no organization serving the province covers.
    """

    candidates: tuple[Candidate, ...]
    fallback_used: bool
    gap: tuple[str, ...]

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, to store with the referral."""
        return {
            "candidates": [
                {"ngo_id": c.ngo.id, "full": c.full, "reasons": [r.to_dict() for r in c.reasons]}
                for c in self.candidates
            ],
            "fallback_used": self.fallback_used,
            "gap": list(self.gap),
        }


def match(
    case: CaseNeeds,
    ngos: Sequence[Ngo],
    load: Mapping[str, int],
    *,
    exclude: Iterable[str] = (),
    now: datetime | None = None,
) -> MatchResult:
    """Rank the directory for a case. ``load`` maps an NGO id to its open cases (missing = 0);
    ``exclude`` holds ids that already declined or let the case time out (escalation asks again
    without them); ``now`` (aware) only adds an "open now" reason and breaks ties."""
    ids = [ngo.id for ngo in ngos]
    if len(set(ids)) != len(ids):
        raise ValueError("the directory holds the same id twice")
    excluded = set(exclude)
    active = [ngo for ngo in ngos if ngo.active]
    serving = [ngo for ngo in active if case.province and ngo.serves(case.province)]
    regional = [ngo for ngo in serving if ngo.id not in excluded]
    fallback_used = not regional
    tier = regional or [ngo for ngo in active if ngo.national and ngo.id not in excluded]
    ranked = sorted(
        (_rank(case, ngo, load, now, fallback_used) for ngo in tier), key=lambda r: r[0]
    )
    candidates = tuple(candidate for _, candidate in ranked)
    # Gaps describe coverage, so they ignore who declined: every active organization counts.
    return MatchResult(candidates, fallback_used, _gaps(case, serving, load))


def nearby(
    province: str | None,
    language: str | None,
    services: Sequence[str] = (),
    *,
    ngos: Sequence[Ngo],
    limit: int = 3,
) -> list[Ngo]:
    """Who can help near a worker (find_ngo): the best few for the province, language and
    services, regardless of load; the national fallback where nobody serves the province."""
    case = CaseNeeds(province=province, language=language, services=tuple(services))
    return [candidate.ngo for candidate in match(case, ngos, {}).candidates[:limit]]


def _rank(
    case: CaseNeeds, ngo: Ngo, load: Mapping[str, int], now: datetime | None, fallback: bool
) -> tuple[tuple[Any, ...], Candidate]:
    """The sort key (smaller ranks first) and the reasons, one criterion after the other."""
    province = Reason("fallback" if fallback else "province", {"province": case.province})
    speaks, language = _language(case, ngo)
    (met_needs, met_services), services = _services(case, ngo)
    sector_score, sector = _sector(case, ngo)
    in_town, town = _town(case, ngo)
    open_cases = max(0, int(load.get(ngo.id, 0)))
    full = open_cases >= ngo.capacity
    occupancy = Reason("full" if full else "load", {"load": open_cases, "capacity": ngo.capacity})
    open_now, opening = _open(ngo, now)
    key = (
        full,
        not speaks,
        -met_needs,
        -met_services,
        -sector_score,
        not in_town,
        Fraction(open_cases, ngo.capacity),
        not open_now,
        ngo.id,
    )
    reasons = (province, language, services, sector, town, occupancy, opening)
    return key, Candidate(ngo=ngo, reasons=tuple(r for r in reasons if r), full=full)


def _language(case: CaseNeeds, ngo: Ngo) -> tuple[bool, Reason | None]:
    if not case.language:
        return False, None
    speaks = case.language in ngo.languages
    return speaks, Reason("language" if speaks else "no_language", {"language": case.language})


def _services(case: CaseNeeds, ngo: Ngo) -> tuple[tuple[int, int], Reason | None]:
    """How many needs (abuse types) the organization meets at all, then how many services."""
    needs = case.needs
    if not needs:
        return (0, 0), None
    offered = set(ngo.services)
    met_needs = sum(1 for services in needs.values() if offered.intersection(services))
    met = [s for s in case.needed_services if s in offered]
    if met:
        return (met_needs, len(met)), Reason("services", {"services": met})
    return (0, 0), Reason("no_services", {"needed": list(case.needed_services)})


def _sector(case: CaseNeeds, ngo: Ngo) -> tuple[int, Reason | None]:
    """2 for an organization naming the sector, 1 for one working in all, 0 for other sectors."""
    if not case.sector:
        return 0, None
    if case.sector in ngo.sectors:
        return 2, Reason("sector", {"sector": case.sector})
    if not ngo.sectors:
        return 1, Reason("all_sectors")
    return 0, Reason("other_sectors", {"sector": case.sector, "sectors": list(ngo.sectors)})


def _town(case: CaseNeeds, ngo: Ngo) -> tuple[bool, Reason | None]:
    if not case.town or normalize_town(case.town) not in {normalize_town(t) for t in ngo.towns}:
        return False, None
    return True, Reason("town", {"town": case.town})


def _open(ngo: Ngo, now: datetime | None) -> tuple[bool, Reason | None]:
    if now is None or ngo.office_hours is None:
        return False, None
    open_now = ngo.office_hours.is_open(now)
    return open_now, Reason("open" if open_now else "closed")


def _gaps(case: CaseNeeds, regional: Sequence[Ngo], load: Mapping[str, int]) -> tuple[str, ...]:
    if not case.province:
        return ()
    if not regional:
        return (f"province:{case.province}",)
    gaps: list[str] = []
    if case.language and not any(case.language in ngo.languages for ngo in regional):
        gaps.append(f"language:{case.language}")
    offered = {s for ngo in regional for s in ngo.services}
    gaps += [f"service:{s}" for s in case.needed_services if s not in offered]
    if case.sector and not any(not ngo.sectors or case.sector in ngo.sectors for ngo in regional):
        gaps.append(f"sector:{case.sector}")
    if all(load.get(ngo.id, 0) >= ngo.capacity for ngo in regional):
        gaps.append(f"capacity:{case.province}")
    return tuple(gaps)
