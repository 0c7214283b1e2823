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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.routing.errors import DirectoryError, Problem
from bot.routing.hours import OfficeHours, parse_office_hours
from bot.routing.vocabulary import NATIONAL, PROVINCE_TIMEZONES, PROVINCES, SERVICES

ENV_PREFIX = "env:"
MIN_SECRET_LENGTH = 16

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_SECTOR = re.compile(r"^[a-z][a-z0-9_]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9]\d{7,14}$")
_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


@dataclass(frozen=True)
class Contacts:
    """How a referral reaches an organization. ``webhook_secret`` may be ``env:VAR_NAME``."""

    email: str | None = None
    sms: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)

    @property
    def channels(self) -> tuple[str, ...]:
        """The configured channels, in delivery preference order (webhook, email, sms)."""
        present = {"webhook": self.webhook_url, "email": self.email, "sms": self.sms}
        return tuple(name for name, value in present.items() if value)

    def resolve_secret(self, environ: Mapping[str, str]) -> str | None:
        """The webhook secret itself, reading ``env:VAR_NAME`` from ``environ`` (e.g. os.environ)."""
        secret = self.webhook_secret
        if secret is None or not secret.startswith(ENV_PREFIX):
            return secret
        name = secret[len(ENV_PREFIX) :]
        if not environ.get(name):
            raise KeyError(f"the webhook secret's environment variable {name} is not set")
        return environ[name]


@dataclass(frozen=True)
class Ngo:
    """One organization that can receive referrals (or, if national, the fallback for everyone)."""

    id: str
    name: str
    provinces: tuple[str, ...]
    capacity: int
    towns: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()  # empty: works with every sector
    services: tuple[str, ...] = ()
    contacts: Contacts = Contacts()
    office_hours: OfficeHours | None = None
    active: bool = True
    example_contacts: bool = False  # contact channels are placeholders: never deliver to them
    area: str = ""
    source: str = ""
    note: str = ""

    @property
    def national(self) -> bool:
        return NATIONAL in self.provinces

    def serves(self, province: str) -> bool:
        """Serves this province directly (the national fallback does not count)."""
        return province in self.provinces


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
        ngo, row_problems = _build(where, entry, contact_prefix)
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


_FIELDS = {
    "id", "name", "provinces", "towns", "languages", "sectors", "services", "contacts",
    "capacity", "office_hours", "timezone", "active", "example_contacts", "area", "source", "note",
}  # fmt: skip


def _build(where: str, entry: Any, contact_prefix: str) -> tuple[Ngo | None, list[Problem]]:
    if not isinstance(entry, dict):
        return None, [Problem(where, None, "expected a mapping of fields")]
    problems = [Problem(where, str(key), "unknown field") for key in entry if key not in _FIELDS]
    values: dict[str, Any] = {}

    def take(name: str, parse, *args) -> None:
        try:
            values[name] = parse(entry.get(name), *args)
        except ValueError as exc:
            problems.append(Problem(where, name, str(exc)))

    take("id", _slug)
    take("name", _text, True)
    take("provinces", _provinces)
    take("towns", _list, _town)
    take("languages", _list, _language)
    take("sectors", _list, _sector)
    take("services", _list, _service)
    take("capacity", _capacity)
    take("active", _flag, True)
    take("example_contacts", _flag, False)
    for name in ("area", "source", "note"):
        take(name, _text, False)
    contacts, contact_problems = _contacts(where, entry.get("contacts"), contact_prefix)
    problems.extend(contact_problems)
    if contacts is not None and values.get("active") and not contacts.channels:
        problems.append(
            Problem(where, "contacts", "an active organization needs an email, sms or webhook")
        )
    zone = _timezone(entry.get("timezone"), values.get("provinces"), where, problems)
    if entry.get("office_hours") not in (None, "") and zone is not None:
        take("office_hours", lambda raw: parse_office_hours(str(raw), zone))
    if problems:
        return None, problems
    return Ngo(contacts=contacts, **values), []


def _text(raw: Any, required: bool) -> str:
    if raw is None or str(raw).strip() == "":
        if required:
            raise ValueError("is required")
        return ""
    if not isinstance(raw, str | int | float):
        raise ValueError("expected text")
    return " ".join(str(raw).split())


def _slug(raw: Any) -> str:
    value = _text(raw, True)
    if not _ID.match(value):
        raise ValueError(
            f"'{value}' is not an id (lowercase letters, digits and '-', e.g. 'fcj-refugee-centre')"
        )
    return value


def _list(raw: Any, item) -> tuple[str, ...]:
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        raw = raw.split(";")
    if not isinstance(raw, list):
        raise ValueError("expected a list (in CSV, values separated by ';')")
    items = [item(x) for x in raw if not (isinstance(x, str) and not x.strip())]
    return tuple(dict.fromkeys(items))


def _provinces(raw: Any) -> tuple[str, ...]:
    values = _list(raw, _province)
    if not values:
        raise ValueError(f"is required (province codes, or '{NATIONAL}' for the national fallback)")
    return values


def _province(raw: Any) -> str:
    value = str(raw).strip()
    if value.lower() == NATIONAL:
        return NATIONAL
    if value.upper() not in PROVINCES:
        raise ValueError(f"'{value}' is not a province or territory code")
    return value.upper()


def _town(raw: Any) -> str:
    value = " ".join(str(raw).split())
    if not value:
        raise ValueError("a town is empty")
    return value


def _language(raw: Any) -> str:
    value = str(raw).strip().lower()
    if not _LANGUAGE.match(value):
        raise ValueError(f"'{raw}' is not a language code like es, tl, en, fr")
    return value


def _sector(raw: Any) -> str:
    value = str(raw).strip().lower().replace(" ", "_")
    if not _SECTOR.match(value):
        raise ValueError(f"'{raw}' is not a sector like agriculture or food_processing")
    return value


def _service(raw: Any) -> str:
    value = str(raw).strip().lower().replace(" ", "_")
    if value not in SERVICES:
        raise ValueError(f"'{raw}' is not a known service (one of: {', '.join(sorted(SERVICES))})")
    return value


def _capacity(raw: Any) -> int:
    if isinstance(raw, bool) or raw is None or raw == "":
        raise ValueError("is required: how many open cases the organization can hold")
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"'{raw}' is not a whole number") from None
    if value < 1:
        raise ValueError(f"{value} must be at least 1 (set active: false to stop referrals)")
    return value


_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def _flag(raw: Any, default: bool) -> bool:
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if value in _TRUE | _FALSE:
        return value in _TRUE
    raise ValueError(f"'{raw}' is not true or false")


def _timezone(
    raw: Any, provinces: Sequence[str] | None, where: str, problems: list[Problem]
) -> str | None:
    if raw not in (None, ""):
        try:
            ZoneInfo(str(raw))
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                Problem(where, "timezone", f"'{raw}' is not a time zone like America/Toronto")
            )
            return None
        return str(raw)
    if not provinces:
        return None
    return PROVINCE_TIMEZONES[provinces[0]]


def _contacts(where: str, raw: Any, prefix: str) -> tuple[Contacts | None, list[Problem]]:
    """Contacts are nested under ``contacts:`` in YAML (fields named ``contacts.email``), flat in CSV."""
    if raw is None:
        return Contacts(), []
    if not isinstance(raw, dict):
        return None, [
            Problem(
                where, "contacts", "expected a mapping with email, sms, webhook_url, webhook_secret"
            )
        ]
    known = {"email", "sms", "webhook_url", "webhook_secret"}
    problems = [Problem(where, f"{prefix}{k}", "unknown field") for k in raw if k not in known]
    values = {k: " ".join(str(v).split()) for k, v in raw.items() if v not in (None, "")}
    checks = {
        "email": (_EMAIL, "is not an email address"),
        "sms": (_PHONE, "is not a phone number in +15551234567 form"),
        "webhook_url": (_URL, "is not an http(s) URL"),
    }
    for name, (pattern, message) in checks.items():
        if name in values and not pattern.match(values[name]):
            problems.append(Problem(where, f"{prefix}{name}", f"'{values[name]}' {message}"))
    secret = values.get("webhook_secret")
    if "webhook_url" in values and not secret:
        problems.append(
            Problem(
                where,
                f"{prefix}webhook_secret",
                "a webhook needs a shared secret (e.g. env:NGO_FCJ_SECRET)",
            )
        )
    if secret and secret.startswith(ENV_PREFIX) and not _ENV_NAME.match(secret[len(ENV_PREFIX) :]):
        problems.append(
            Problem(
                where,
                f"{prefix}webhook_secret",
                "env: must be followed by a variable name like NGO_FCJ_SECRET",
            )
        )
    elif secret and not secret.startswith(ENV_PREFIX) and len(secret) < MIN_SECRET_LENGTH:
        problems.append(
            Problem(
                where,
                f"{prefix}webhook_secret",
                f"too short: use at least {MIN_SECRET_LENGTH} random characters, or env:VAR_NAME",
            )
        )
    if problems:
        return None, problems
    return Contacts(
        **{k: values.get(k) for k in ("email", "sms", "webhook_url", "webhook_secret")}
    ), []
