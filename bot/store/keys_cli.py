"""`puente keys`: the master key's rotation and what it wraps.

Rotation rewraps data keys only (a few hundred bytes each), never the data they protect: a new
random master key becomes current in the key file, every data key still under an old one is
rewrapped in batches (each batch committed; interrupted, the command resumes where it stopped),
and the old master keys are forgotten only once no data key needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click
from sqlalchemy import func, select

from bot.errors import PuenteError
from bot.store.models import DataKey

if TYPE_CHECKING:  # the runtime sits above the store
    from bot.runtime import Runtime

BATCH = 500


@click.group("keys")
def keys() -> None:
    """Master key rotation (envelope encryption of conversations and reports)."""


@keys.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """The current master key and how many data keys each master key wraps."""
    runtime = _runtime(ctx)
    keyring = runtime.envelope.keyring
    click.echo(
        f"current master key: {keyring.current} ({keyring.path if keyring.path and keyring.path.exists() else 'derived from the secret key'})"
    )
    with runtime.db.session() as session:
        for master, scope, count in session.execute(
            select(DataKey.master_key_id, DataKey.scope, func.count())
            .group_by(DataKey.master_key_id, DataKey.scope)
            .order_by(DataKey.master_key_id, DataKey.scope)
        ):
            click.echo(
                f"  {master}: {count} {scope} data keys{'' if master == keyring.current else ' (to rewrap)'}"
            )


@keys.command("rotate")
@click.pass_context
def rotate_command(ctx: click.Context) -> None:
    """Make a new master key current and rewrap every data key under it."""
    runtime = _runtime(ctx)
    rewrapped, retired, current = rotate(runtime)
    click.echo(
        f"master key {current} is current: {rewrapped} data keys rewrapped; "
        f"retired {', '.join(retired) or 'no old master key'}. Back up {runtime.envelope.keyring.path} now."
    )


def rotate(runtime: Runtime, *, resume: bool | None = None) -> tuple[int, list[str], str]:
    """(data keys rewrapped, master key ids retired, the current one). An unfinished rotation (data
    keys left under an old master key still in the file) is resumed instead of starting another."""
    keyring = runtime.envelope.keyring
    if resume is None:
        resume = len(keyring.known()) > 1
    if not resume:
        keyring.add_new_current()
    current, rewrapped = keyring.current, 0
    while True:
        with runtime.db.session() as session:
            rows = session.scalars(
                select(DataKey).where(DataKey.master_key_id != current).limit(BATCH)
            ).all()
            for row in rows:
                raw = keyring.unwrap(row.wrapped, row.id, row.master_key_id)
                row.wrapped, row.master_key_id = keyring.wrap(raw, row.id)
            rewrapped += len(rows)
        if len(rows) < BATCH:
            break
    with runtime.db.session() as session:
        left = session.scalar(
            select(func.count()).select_from(DataKey).where(DataKey.master_key_id != current)
        )
    if left:  # written meanwhile by a process that had not read the new key file yet: run again
        raise PuenteError(
            f"{left} data keys were wrapped under an old master key during the rotation: "
            "run `puente keys rotate` again to finish it"
        )
    return rewrapped, keyring.retire_all_but_current(), current


def _runtime(ctx: click.Context) -> Runtime:
    build: Callable[[], Runtime] = ctx.find_root().obj["runtime"]  # bot.cli's: the store sits below
    return build()
