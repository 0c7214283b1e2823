"""`puente user create|deactivate|activate|list`: accounts from the command line."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.directory import store
from bot.directory.load import load_directory
from bot.portal.models import User
from bot.store.db import Database
from tests.portal.conftest import DIRECTORY, PASSWORD


def _env(database_url, tmp_path):
    return {
        "DATABASE_URL": database_url,
        "PUENTE_SECRET_KEY": "x" * 40,
        "PUENTE__INSTANCE_PATH": str(tmp_path),
    }


def _seed(database_url, tmp_path):
    from bot.store.vault import Vault

    directory = tmp_path / "ngos.yaml"
    directory.write_text(DIRECTORY)
    database = Database(database_url)
    with database.session() as session:
        store.import_ngos(session, Vault("x" * 40), load_directory(directory))
    database.dispose()


def _user(database_url, email):
    database = Database(database_url)
    try:
        with database.session() as session:
            return session.scalar(select(User).where(User.email == email))
    finally:
        database.dispose()


def test_create_staff_and_admin_accounts_reading_the_password_from_stdin(database_url, tmp_path):
    _seed(database_url, tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "user",
            "create",
            "--email",
            "Ana@NGO-on.example.org",
            "--ngo",
            "ngo-on",
            "--role",
            "staff",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        env=_env(database_url, tmp_path),
    )
    assert result.exit_code == 0, result.output
    assert "created staff ana@ngo-on.example.org of ngo-on" in result.output
    user = _user(database_url, "ana@ngo-on.example.org")
    assert user.ngo_id == "ngo-on" and user.password_hash.startswith("$argon2id$")
    result = runner.invoke(
        main,
        [
            "user",
            "create",
            "--email",
            "root@puente.example.org",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        env=_env(database_url, tmp_path),
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["user", "list"], env=_env(database_url, tmp_path))
    assert "ana@ngo-on.example.org\tstaff\tngo-on\tactive" in result.output


def test_bad_accounts_are_refused_with_a_message_naming_the_problem(database_url, tmp_path):
    _seed(database_url, tmp_path)
    runner, env = CliRunner(), _env(database_url, tmp_path)
    cases = [
        (
            ["--email", "x@example.org", "--ngo", "nope"],
            PASSWORD,
            "No organization with the id nope",
        ),
        (["--email", "x@example.org"], PASSWORD, "Staff accounts belong to one organization"),
        (["--email", "not-an-email", "--ngo", "ngo-on"], PASSWORD, "is not a valid e-mail address"),
        (["--email", "x@example.org", "--ngo", "ngo-on"], "short", "at least 12 characters"),
    ]
    for args, password, message in cases:
        result = runner.invoke(
            main, ["user", "create", *args, "--password-stdin"], input=password + "\n", env=env
        )
        assert result.exit_code != 0 and message in result.output, result.output
    runner.invoke(
        main,
        ["user", "create", "--email", "x@example.org", "--ngo", "ngo-on", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
    )
    result = runner.invoke(
        main,
        ["user", "create", "--email", "x@example.org", "--ngo", "ngo-on", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
    )
    assert result.exit_code != 0 and "already exists" in result.output


def test_deactivate_and_activate_an_account(database_url, tmp_path):
    _seed(database_url, tmp_path)
    runner, env = CliRunner(), _env(database_url, tmp_path)
    runner.invoke(
        main,
        [
            "user",
            "create",
            "--email",
            "ana@ngo-on.example.org",
            "--ngo",
            "ngo-on",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        env=env,
    )
    result = runner.invoke(
        main, ["user", "deactivate", "--email", "ana@ngo-on.example.org"], env=env
    )
    assert result.exit_code == 0 and "deactivated ana@ngo-on.example.org" in result.output
    assert _user(database_url, "ana@ngo-on.example.org").active is False
    runner.invoke(main, ["user", "activate", "--email", "ana@ngo-on.example.org"], env=env)
    assert _user(database_url, "ana@ngo-on.example.org").active is True
    result = runner.invoke(main, ["user", "deactivate", "--email", "ghost@example.org"], env=env)
    assert result.exit_code != 0 and "no account with e-mail ghost@example.org" in result.output
