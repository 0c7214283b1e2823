"""The NGO directory: who can take a case, where, in which languages, for which needs.

Read from a YAML or CSV file an operator edits (``puente ngo import FILE``). A file is accepted
whole or refused whole: every problem is reported with its row and field, so the directory in use
is never half-replaced. The id is the identity: importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.directory.errors import DirectoryError, Problem
from bot.directory.ngo import Contacts, Ngo
from bot.directory.rows import build_ngo

__all__ = [
    "Contacts",
    "ImportPlan",
    "Ngo",
    "load_directory",
    "parse_csv",
    "parse_yaml",
    "plan_import",
]


@dataclass(frozen=True)
class ImportPlan:
    """What importing a directory would change, by id; the CLI prints it, the DB layer applies it."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    absent: tuple[str, ...]  # in the database, not in the file: left as they are unless deactivated


def plan_import(existing: Mapping[str, Ngo], incoming: Sequence[Ngo]) -> ImportPlan:
    """Compare a loaded file with the directory in use, so re-importing is visibly a no-op."""
    new = {ngo.id: ngo for ngo in incoming}
    return ImportPlan(
        added=tuple(sorted(i for i in new if i not in existing)),
        updated=tuple(sorted(i for i in new if i in existing and existing[i] != new[i])),
        unchanged=tuple(sorted(i for i in new if i in existing and existing[i] == new[i])),
        absent=tuple(sorted(i for i in existing if i not in new)),
    )


def load_directory(path: str | Path) -> list[Ngo]:
    """Read a YAML (``.yaml``/``.yml``) or CSV (``.csv``) directory; raise DirectoryError if any row is wrong."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".yaml", ".yml", ".csv"}:
        raise DirectoryError([Problem(path.name, None, "expected a .yaml, .yml or .csv file")])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DirectoryError([Problem(path.name, None, f"cannot be read: {exc}")]) from None
    if suffix == ".csv":
        return parse_csv(text, name=path.name)
    return parse_yaml(text, name=path.name)


def parse_yaml(text: str, *, name: str = "directory.yaml") -> list[Ngo]:
    """The YAML form: a list of entries (or ``ngos:`` holding one), contacts as a nested mapping."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise DirectoryError([Problem(name, None, f"is not valid YAML: {exc}")]) from None
    if isinstance(data, dict) and set(data) == {"ngos"}:
        data = data["ngos"]
    if not isinstance(data, list):
        raise DirectoryError(
            [Problem(name, None, "expected a list of organizations under 'ngos:'")]
        )
    rows = []
    for index, entry in enumerate(data, start=1):
        raw_id = entry.get("id") if isinstance(entry, dict) else None
        where = f"{name} row {index}" + (f" (id '{raw_id}')" if raw_id else "")
        rows.append((where, entry))
    return _build_all(rows, contact_prefix="contacts.")


CSV_COLUMNS = (
    "id", "name", "provinces", "towns", "languages", "sectors", "services",
    "email", "sms", "webhook_url", "webhook_secret", "capacity", "office_hours", "timezone",
    "active", "example_contacts", "area", "source", "note",
)  # fmt: skip


def parse_csv(text: str, *, name: str = "directory.csv") -> list[Ngo]:
    """The CSV form: one organization per line, list fields separated by ``;``."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    unknown = [column for column in header if column not in CSV_COLUMNS]
    missing = [column for column in ("id", "name", "provinces", "capacity") if column not in header]
    problems = [Problem(f"{name} line 1", c, "unknown column") for c in unknown]
    problems += [Problem(f"{name} line 1", c, "required column missing") for c in missing]
    if problems:
        raise DirectoryError(problems)
    rows = []
    line = reader.line_num
    for record in reader:
        start, line = line + 1, reader.line_num
        if None in record:
            problems.append(Problem(f"{name} line {start}", None, "more cells than columns"))
            continue
        entry: dict[str, Any] = {k: v.strip() for k, v in record.items() if v and v.strip()}
        contacts = {
            k: entry.pop(k) for k in ("email", "sms", "webhook_url", "webhook_secret") if k in entry
        }
        if contacts:
            entry["contacts"] = contacts
        raw_id = entry.get("id")
        rows.append((f"{name} line {start}" + (f" (id '{raw_id}')" if raw_id else ""), entry))
    if problems:
        raise DirectoryError(problems)
    return _build_all(rows, contact_prefix="")


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads ON, NO, yes, off as booleans: here only true/false are, so ``[ON]`` stays ON."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _build_all(rows: Iterable[tuple[str, Any]], *, contact_prefix: str) -> list[Ngo]:
    problems: list[Problem] = []
    ngos: list[Ngo] = []
    first_seen: dict[str, str] = {}
    for where, entry in rows:
        ngo, row_problems = build_ngo(where, entry, contact_prefix)
        problems.extend(row_problems)
        if ngo is None:
            continue
        if ngo.id in first_seen:
            problems.append(
                Problem(where, "id", f"'{ngo.id}' is already used at {first_seen[ngo.id]}")
            )
            continue
        first_seen[ngo.id] = where.split(" (")[0]
        ngos.append(ngo)
    if problems:
        raise DirectoryError(problems)
    return ngos
