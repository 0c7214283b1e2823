"""One directory row -> an Ngo, or the list of what is wrong with it (row and field named).

Shared by the YAML and CSV readers, so both formats accept and refuse exactly the same things.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.directory.errors import Problem
from bot.directory.hours import parse_office_hours
from bot.directory.ngo import ENV_PREFIX, Contacts, Ngo
from bot.directory.vocabulary import NATIONAL, PROVINCE_TIMEZONES, SERVICES
from vocab import PROVINCES

MIN_SECRET_LENGTH = 16

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_SECTOR = re.compile(r"^[a-z][a-z0-9_]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9]\d{7,14}$")
_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


_FIELDS = {
    "id", "name", "provinces", "towns", "languages", "sectors", "services", "contacts",
    "capacity", "office_hours", "timezone", "active", "example_contacts", "area", "source", "note",
}  # fmt: skip


def build_ngo(where: str, entry: Any, contact_prefix: str) -> tuple[Ngo | None, list[Problem]]:
    """Check every field of one row (not just the first wrong one), so one pass fixes the file.

    ``where`` locates the row in messages; ``contact_prefix`` is "contacts." for YAML's nested
    contacts and "" for CSV's flat columns, so a field is named as the operator wrote it.
    """
    if not isinstance(entry, dict):
        return None, [Problem(where, None, "expected a mapping of fields")]
    problems = [Problem(where, str(key), "unknown field") for key in entry if key not in _FIELDS]
    values: dict[str, Any] = {}

    def take(name: str, parse: Callable[..., Any], *args: Any) -> None:
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
    if problems or contacts is None:  # no contacts comes with its problems
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


def _list(raw: Any, item: Callable[[Any], str]) -> tuple[str, ...]:
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
    known = {"email", "sms", "webhook_url", "webhook_secret", "pgp_key"}
    problems = [Problem(where, f"{prefix}{k}", "unknown field") for k in raw if k not in known]
    values = {
        k: " ".join(str(v).split())
        for k, v in raw.items()
        if v not in (None, "") and k != "pgp_key"
    }
    pgp_key = str(raw.get("pgp_key") or "").strip() or None  # armored: its line breaks matter
    if pgp_key and "BEGIN PGP PUBLIC KEY BLOCK" not in pgp_key:
        problems.append(
            Problem(where, f"{prefix}pgp_key", "is not an ASCII-armored OpenPGP public key")
        )
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
        **{k: values.get(k) for k in ("email", "sms", "webhook_url", "webhook_secret")},
        pgp_key=pgp_key,
    ), []
