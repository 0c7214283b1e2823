"""`puente user ...`: create and deactivate portal accounts from the command line."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from bot.settings import settings_from
from vocab import STAFF_LANGUAGES

if TYPE_CHECKING:  # imported where used, as the rest of the store and the portal
    from bot.portal.accounts import AccountError
    from bot.store.db import Database


def _database(ctx: click.Context) -> Database:
    from bot.store.db import Database

    return Database(settings_from(ctx).database_url)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise click.ClickException(
            "no terminal to ask for the password: pipe it in with --password-stdin"
        )
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@click.group()
def user() -> None:
    """Accounts of the NGO staff portal."""


@user.command("create")
@click.option("--email", required=True)
@click.option(
    "--ngo", "ngo_id", help="The organization's id in the directory (required for staff)."
)
@click.option("--role", type=click.Choice(["staff", "admin"]), default="staff", show_default=True)
@click.option("--name", default="", help="The person's name, shown to their colleagues.")
@click.option("--language", type=click.Choice(STAFF_LANGUAGES), default="en", show_default=True)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.pass_context
def create(
    ctx: click.Context,
    email: str,
    ngo_id: str | None,
    role: str,
    name: str,
    language: str,
    password_stdin: bool,
) -> None:
    """Create an account (staff of one NGO, or an administrator)."""
    from bot.portal import accounts, audit

    password = _read_password(password_stdin)
    database = _database(ctx)
    try:
        with database.session() as session:
            created = accounts.create_user(
                session,
                email=email,
                password=password,
                role=role,
                ngo_id=ngo_id,
                name=name,
                language=language,
            )
            audit.record(session, None, "cli.user_create", f"user:{created.id}")
            summary = f"created {created.role} {created.email}" + (
                f" of {created.ngo_id}" if created.ngo_id else ""
            )
    except accounts.AccountError as exc:
        raise click.ClickException(_explain(exc)) from None
    finally:
        database.dispose()
    click.echo(summary)


@user.command("deactivate")
@click.option("--email", required=True)
@click.pass_context
def deactivate(ctx: click.Context, email: str) -> None:
    """Deactivate an account: it cannot log in and its open sessions end."""
    _set_active(ctx, email, False)


@user.command("activate")
@click.option("--email", required=True)
@click.pass_context
def activate(ctx: click.Context, email: str) -> None:
    """Activate an account again (and clear a login lock)."""
    _set_active(ctx, email, True)


def _set_active(ctx: click.Context, email: str, active: bool) -> None:
    from bot.portal import accounts, audit

    database = _database(ctx)
    try:
        with database.session() as session:
            found = accounts.find(session, email)
            if found is None:
                raise click.ClickException(
                    f"no account with e-mail {accounts.normalize_email(email)}"
                )
            accounts.set_active(session, found, active)
            audit.record(
                session,
                None,
                "cli.user_active" if active else "cli.user_inactive",
                f"user:{found.id}",
            )
    except accounts.AccountError as exc:
        raise click.ClickException(_explain(exc)) from None
    finally:
        database.dispose()
    click.echo(f"{'activated' if active else 'deactivated'} {accounts.normalize_email(email)}")


@user.command("list")
@click.option("--ngo", "ngo_id", help="Only this organization's staff.")
@click.pass_context
def list_users(ctx: click.Context, ngo_id: str | None) -> None:
    """List accounts: e-mail, role, organization, active, second factor."""
    from sqlalchemy import select

    from bot.portal.models import User

    database = _database(ctx)
    try:
        with database.session() as session:
            query = select(User).order_by(User.ngo_id, User.email)
            if ngo_id:
                query = query.where(User.ngo_id == ngo_id)
            for found in session.scalars(query):
                click.echo(
                    f"{found.email}\t{found.role}\t{found.ngo_id or '-'}\t"
                    f"{'active' if found.active else 'inactive'}\t{'2fa' if found.totp_secret_enc else '-'}"
                )
    finally:
        database.dispose()


def _explain(exc: AccountError) -> str:
    """The portal's English message for an account error, for the terminal."""
    from bot.text import catalogs

    return catalogs.translator("en", domain="portal").gettext(exc.msgid, **exc.params)
