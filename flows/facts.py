"""Vetted facts (flows/facts.yaml): looked up by path for the engine, and as message parameters.

Two views of one file. The engine resolves a flow's ``{fact: "minimum_wage.{province}.rate"}``
params with ``Facts.lookup`` (a missing province key falls back to ``default``). Content code and
tests use ``facts_for(province)``: every fact placeholder of the rights answers (``{wage}``,
``{effective_date}``, ``{office_name}``, ``{office_phone}``...) for one province, with ``FORMATS``
saying which the renderer must localize. Values stay plain and JSON-serializable; an unverified
fact is None and the topic flow picks a message that says where to ask instead (``by_province``;
tests check the two agree).

Pure: reads one YAML file, imports nothing from bot/.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from vocab import PROVINCES

from .errors import FlowError

FACTS_FILE = Path(__file__).with_name("facts.yaml")

STATUSES = ("current", "projected", "unverified")
PER_PROVINCE = ("minimum_wage", "offices", "compensation_boards")

#: How the renderer localizes the parameters facts_for returns (see flows/README.md `format`).
FORMATS: dict[str, str] = {"wage": "money", "effective_date": "date", "province": "province"}


class FactsError(ValueError):
    """facts.yaml lacks a fact or holds one of the wrong shape; the message names it."""


@lru_cache(maxsize=4)
def load_facts(path: str | Path | None = None) -> dict[str, Any]:
    """Read and check facts.yaml (once per path); raises FactsError naming what is wrong."""
    path = Path(path) if path else FACTS_FILE
    with open(path, encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    _check(data, str(path))
    return data


def _check(data: Any, path: str) -> None:
    if not isinstance(data, dict):
        raise FactsError(f"{path}: expected a mapping at the top level")
    for section in ("lines", *PER_PROVINCE, "organizations"):
        if section not in data:
            raise FactsError(f"{path}: missing section {section!r}")
    for name in ("emergency", "tip_line", "trafficking", "ircc"):
        line = data["lines"].get(name) or {}
        if not line.get("phone") or not line.get("source"):
            raise FactsError(f"{path}: lines.{name} needs a phone and a source")
    for section in PER_PROVINCE:
        for code in PROVINCES:
            entry = data[section].get(code)
            where = f"{path}: {section}.{code}"
            if not isinstance(entry, dict):
                raise FactsError(f"{where} is missing (is the key quoted? bare ON reads as true)")
            if entry.get("status") not in STATUSES or not entry.get("source"):
                raise FactsError(f"{where} needs a status ({', '.join(STATUSES)}) and a source")
    for code in PROVINCES:
        rate = data["minimum_wage"][code]
        if not isinstance(rate.get("effective"), dt.date) or not rate.get("rate"):
            raise FactsError(
                f"{path}: minimum_wage.{code} needs a rate and an effective date (YYYY-MM-DD)"
            )
        office = data["offices"][code]
        if not office.get("name"):
            raise FactsError(f"{path}: offices.{code}.name is missing")
        if office["status"] != "unverified" and not office.get("phone"):
            raise FactsError(f"{path}: offices.{code} has no phone; mark it status: unverified")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def resolve(path: str, province: str | None = None, facts: dict[str, Any] | None = None) -> Any:
    """The fact at a dotted ``path`` (``{province}`` replaced), or None when it is absent."""
    node: Any = facts or load_facts()
    for key in path.replace("{province}", (province or "").upper()).split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return _plain(node)


def _verified(entry: dict[str, Any], key: str) -> Any:
    return entry.get(key) if entry.get("status") != "unverified" else None


def facts_for(province: str | None, facts: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every fact placeholder for a worker in ``province`` (2-letter code; None when unknown).

    Keys: province, wage, effective_date, wage_status, office_name, office_phone, wcb_name,
    emergency_line, tip_line, trafficking_line, ircc_line, ngo_names. Province-specific values
    are None when the province is unknown or the fact unverified.
    """
    facts = facts or load_facts()
    code = (province or "").upper()
    lines = facts["lines"]
    params: dict[str, Any] = {
        "province": code if code in PROVINCES else None,
        "emergency_line": lines["emergency"]["phone"],
        "tip_line": lines["tip_line"]["phone"],
        "trafficking_line": lines["trafficking"]["phone"],
        "ircc_line": lines["ircc"]["phone"],
        "wage": None,
        "effective_date": None,
        "wage_status": None,
        "office_name": None,
        "office_phone": None,
        "wcb_name": None,
        "ngo_names": None,
    }
    if code not in PROVINCES:
        return params
    rate, office = facts["minimum_wage"][code], facts["offices"][code]
    names = [o["name"] for o in facts["organizations"] if code in o.get("provinces", ())]
    params.update(
        wage=rate["rate"],
        effective_date=_plain(rate["effective"]),
        wage_status=rate["status"],
        office_name=office["name"],
        office_phone=_verified(office, "phone"),
        wcb_name=_verified(facts["compensation_boards"][code], "name"),
        ngo_names=", ".join(names) or None,
    )
    return params


def phone_numbers(facts: dict[str, Any] | None = None) -> set[str]:
    """Every phone line the bot may show: the catalogs may quote no other."""
    facts = facts or load_facts()
    numbers = {line["phone"] for line in facts["lines"].values()}
    numbers |= {o["phone"] for o in facts["offices"].values() if _verified(o, "phone")}
    numbers |= {b["phone"] for b in facts["compensation_boards"].values() if b.get("phone")}
    return numbers


# --- the engine's path lookup -------------------------------------------------------------

_MISSING = object()


class Facts:
    """Read-only view of facts.yaml: `lookup("minimum_wage.{province}.rate", "ON")`."""

    def __init__(self, data: dict[str, Any] | None = None, source: str = "facts.yaml") -> None:
        self.data = data or {}
        self.source = source

    @classmethod
    def load(cls, path: Path) -> Facts:
        if not path.exists():
            return cls({}, path.name)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise FlowError(path.name, "", f"cannot read: {exc}") from exc
        if not isinstance(data, dict):
            raise FlowError(path.name, "", "must be a mapping")
        return cls(data, path.name)

    def lookup(self, path: str, province: str | None) -> Any:
        """The value at `path` ({province} substituted; a missing key falls back to `default`)."""
        value = self._walk(path, province)
        return None if value is _MISSING else value

    def resolves(self, path: str, province: str | None) -> bool:
        value = self._walk(path, province)
        return value is not _MISSING and not isinstance(value, dict | list)

    def _walk(self, path: str, province: str | None) -> Any:
        node: Any = self.data
        for part in path.split("."):
            key = (province or "default") if part == "{province}" else part
            if not isinstance(node, dict):
                return _MISSING
            if key in node:
                node = node[key]
            elif part == "{province}" and "default" in node:
                node = node["default"]
            else:
                return _MISSING
        return node
