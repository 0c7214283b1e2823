"""`puente ngo`: import the NGO directory from a YAML or CSV file, and list it."""

from __future__ import annotations

import click

from bot.directory.errors import DirectoryError
from bot.settings import settings_from


@click.group("ngo")
def ngo() -> None:
    """The NGO directory referrals are routed to."""


@ngo.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--deactivate-missing",
    is_flag=True,
    help="Make organizations absent from the file inactive (they are never deleted).",
)
@click.option(
    "--dry-run", is_flag=True, help="Check the file and show what would change; change nothing."
)
@click.pass_context
def import_(ctx: click.Context, path: str, deactivate_missing: bool, dry_run: bool) -> None:
    """Check FILE whole and import it (by id: importing the same file twice changes nothing).

    A file with any error is refused, naming each row and field, and the directory stays as it was.
    """
    from bot.directory import store
    from bot.runtime import Runtime

    runtime = Runtime.build(settings_from(ctx))
    try:
        with runtime.db.session() as session:
            plan = store.import_file(
                session, runtime.vault, path, deactivate_missing=deactivate_missing, dry_run=dry_run
            )
    except DirectoryError as exc:
        raise click.ClickException(
            f"{path} refused ({len(exc.problems)} problem(s)); the directory was not changed:\n{exc}"
        ) from None
    finally:
        runtime.db.dispose()
    verb = "would be" if dry_run else "were"
    for label, ids in (
        ("added", plan.added),
        ("updated", plan.updated),
        ("unchanged", plan.unchanged),
    ):
        click.echo(
            f"{len(ids)} {verb} {label}"
            + (f": {', '.join(ids)}" if ids and label != "unchanged" else "")
        )
    if plan.absent:
        what = "made inactive" if deactivate_missing else "left as they are (not in the file)"
        click.echo(f"{len(plan.absent)} {what}: {', '.join(plan.absent)}")


@ngo.command("list")
@click.option("--province", help="Only organizations serving this province (2-letter code).")
@click.pass_context
def list_(ctx: click.Context, province: str | None) -> None:
    """Show the directory: id, provinces, languages, capacity and open referrals, channels."""
    from bot.cases.referrals import open_load
    from bot.directory import store
    from bot.runtime import Runtime

    runtime = Runtime.build(settings_from(ctx))
    try:
        with runtime.db.session() as session:
            ngos = store.load_ngos(session, runtime.vault)
            load = open_load(session)
    finally:
        runtime.db.dispose()
    if province:
        ngos = [n for n in ngos if n.serves(province.upper()) or n.national]
    if not ngos:
        click.echo("the directory is empty: import one with `puente ngo import FILE`")
        return
    for n in ngos:
        state = "active" if n.active else "inactive"
        channels = ",".join(n.contacts.channels) + (
            " (examples: never contacted)" if n.example_contacts else ""
        )
        click.echo(
            f"{n.id:32} {'/'.join(n.provinces):12} {','.join(n.languages) or '-':14} "
            f"{load.get(n.id, 0)}/{n.capacity:<5} {state:8} {channels}"
        )
