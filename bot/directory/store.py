"""The NGO directory in the database: import a checked file, read it back for matching.

A file is imported in one transaction after it was checked whole (bot.directory.load), so a
refused file leaves the directory in use as it was. A webhook secret written into the file itself
is kept encrypted (``vault:<token>``); ``env:NAME`` secrets stay references to the environment.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.directory.errors import DirectoryError
from bot.directory.load import ImportPlan, load_directory, plan_import
from bot.directory.models import NgoRecord
from bot.directory.ngo import ENV_PREFIX, Ngo
from bot.directory.rows import build_ngo
from bot.resources import PACKAGE_ROOT
from bot.runtime import Runtime
from bot.store.db import utcnow
from bot.store.vault import Vault

log = logging.getLogger(__name__)

VAULT_PREFIX = "vault:"


def to_record(ngo: Ngo, vault: Vault) -> dict[str, Any]:
    """An organization as the directory file would write it (what ``build_ngo`` reads back)."""
    contacts = {k: v for k, v in dataclasses.asdict(ngo.contacts).items() if v}
    secret = contacts.get("webhook_secret")
    if secret and not secret.startswith(ENV_PREFIX):
        contacts["webhook_secret"] = VAULT_PREFIX + vault.encrypt(secret)
    record: dict[str, Any] = {
        "id": ngo.id, "name": ngo.name, "provinces": list(ngo.provinces), "towns": list(ngo.towns),
        "languages": list(ngo.languages), "sectors": list(ngo.sectors),
        "services": list(ngo.services), "contacts": contacts, "capacity": ngo.capacity,
        "active": ngo.active, "example_contacts": ngo.example_contacts,
        "area": ngo.area, "source": ngo.source, "note": ngo.note,
    }  # fmt: skip
    if ngo.office_hours is not None:
        record["office_hours"] = ngo.office_hours.text
        record["timezone"] = ngo.office_hours.timezone
    return record


def from_row(row: NgoRecord, vault: Vault) -> Ngo:
    """The organization a table row holds; ``active`` and ``capacity`` come from the columns."""
    record = dict(row.record)
    contacts = dict(record.get("contacts") or {})
    secret = contacts.get("webhook_secret")
    if isinstance(secret, str) and secret.startswith(VAULT_PREFIX):
        contacts["webhook_secret"] = vault.decrypt(secret[len(VAULT_PREFIX) :])
    record["contacts"] = contacts
    ngo, problems = build_ngo(f"ngos table (id '{row.id}')", record, "contacts.")
    if ngo is None:
        raise DirectoryError(problems)
    return dataclasses.replace(ngo, active=row.active, capacity=row.capacity)


def load_ngos(session: Session, vault: Vault) -> list[Ngo]:
    """Every organization in the directory, active or not, ordered by id."""
    rows = session.scalars(select(NgoRecord).order_by(NgoRecord.id)).all()
    return [from_row(row, vault) for row in rows]


def import_ngos(
    session: Session,
    vault: Vault,
    ngos: Sequence[Ngo],
    *,
    deactivate_missing: bool = False,
    dry_run: bool = False,
) -> ImportPlan:
    """Add or update the given organizations by id (unchanged ones are not touched).

    Organizations absent from the file stay as they are, or are made inactive with
    ``deactivate_missing`` (never deleted: referrals point at them).
    """
    rows = {row.id: row for row in session.scalars(select(NgoRecord)).all()}
    existing = {row.id: from_row(row, vault) for row in rows.values()}
    plan = plan_import(existing, ngos)
    if dry_run:
        return plan
    changed = set(plan.added) | set(plan.updated)
    for ngo in ngos:
        if ngo.id not in changed:
            continue
        row = rows.get(ngo.id) or NgoRecord(id=ngo.id)
        row.name, row.record = ngo.name, to_record(ngo, vault)
        row.active, row.capacity, row.updated_at = ngo.active, ngo.capacity, utcnow()
        session.add(row)
    if deactivate_missing:
        for ngo_id in plan.absent:
            if rows[ngo_id].active:
                rows[ngo_id].active, rows[ngo_id].updated_at = False, utcnow()
    session.flush()
    return plan


def import_file(session: Session, vault: Vault, path: str | Path, **options: bool) -> ImportPlan:
    """Check a YAML or CSV file whole (DirectoryError naming rows and fields), then import it."""
    return import_ngos(session, vault, load_directory(path), **options)


def ensure_seeded(runtime: Runtime) -> int:
    """Development convenience: an empty directory gets the seed file (examples, never contacted)."""
    settings = runtime.settings
    seed = settings.routing.seed_directory
    if not seed or settings.env != "development":
        return 0
    path = Path(seed) if Path(seed).is_absolute() else PACKAGE_ROOT / seed
    try:
        with runtime.db.session() as session:
            if session.scalar(select(func.count()).select_from(NgoRecord)):
                return 0
            plan = import_file(session, runtime.vault, path)
    except SQLAlchemyError as exc:
        log.warning("NGO directory not seeded (%s); run `puente db upgrade`", type(exc).__name__)
        return 0
    except DirectoryError as exc:
        log.error("NGO seed directory %s refused:\n%s", path, exc)
        return 0
    log.info(
        "NGO directory was empty: loaded %s organizations from %s (example contacts, "
        "never contacted; import the real directory with `puente ngo import FILE`)",
        len(plan.added),
        path.name,
    )
    return len(plan.added)
