"""`puente ngo import` / `puente ngo list` against real databases, and the seed loaded at start."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.directory import store
from bot.directory.models import NgoRecord
from bot.resources import PACKAGE_ROOT
from tests.conftest import SECRET
from tests.support.ngo_receivers import directory_yaml, ngo_entry

SEED = PACKAGE_ROOT / "bot" / "directory" / "seed_directory.yaml"


@pytest.fixture
def puente(tmp_path):
    """Run `puente ...` against one database; returns (exit code, output)."""
    runner = CliRunner()

    def run(database_url: str, *args: str) -> tuple[int, str]:
        env = {"DATABASE_URL": database_url, "PUENTE_SECRET_KEY": SECRET, "PUENTE_CONFIG": None}
        result = runner.invoke(main, list(args), env=env | {"PUENTE__INSTANCE_PATH": str(tmp_path)})
        return result.exit_code, result.output

    return run


def records(database_url: str) -> dict[str, dict]:
    from bot.store.db import Database

    db = Database(database_url)
    with db.session() as session:
        rows = {
            row.id: dict(row.record) | {"active": row.active}
            for row in session.scalars(select(NgoRecord))
        }
    db.dispose()
    return rows


def test_the_seed_directory_imports_and_importing_it_again_changes_nothing(puente, database_url):
    code, output = puente(database_url, "ngo", "import", str(SEED))
    assert code == 0, output
    assert "10 were added" in output
    first = records(database_url)
    code, output = puente(database_url, "ngo", "import", str(SEED))
    assert code == 0 and "0 were added" in output and "10 were unchanged" in output
    assert records(database_url) == first
    code, output = puente(database_url, "ngo", "list")
    assert code == 0 and "mosaic" in output and "examples: never contacted" in output


def test_a_malformed_directory_is_refused_naming_row_and_field_and_the_old_one_stays(
    puente, database_url, tmp_path
):
    good = tmp_path / "ngos.yaml"
    good.write_text(
        directory_yaml(
            ngo_entry("first-centre", email="a@first.example"),
            ngo_entry("second-centre", email="b@second.example"),
        )
    )
    assert puente(database_url, "ngo", "import", str(good))[0] == 0
    before = records(database_url)
    bad = tmp_path / "bad.yaml"
    broken = ngo_entry("second-centre", email="not-an-email", capacity=0)
    broken["provinces"] = ["ON", "XX"]
    bad.write_text(directory_yaml(ngo_entry("first-centre", email="new@first.example"), broken))

    code, output = puente(database_url, "ngo", "import", str(bad))

    assert code != 0
    assert "bad.yaml row 2 (id 'second-centre'): field 'contacts.email'" in output
    assert "row 2 (id 'second-centre'): field 'capacity'" in output
    assert "row 2 (id 'second-centre'): field 'provinces': 'XX'" in output
    assert "the directory was not changed" in output
    assert records(database_url) == before  # the valid first row was not applied either


def test_a_csv_directory_imports_and_deactivate_missing_keeps_absent_ones_inactive(
    puente, sqlite_url, tmp_path
):
    seed_code, _ = puente(sqlite_url, "ngo", "import", str(SEED))
    assert seed_code == 0
    csv_file = tmp_path / "ngos.csv"
    csv_file.write_text(
        "id,name,provinces,languages,services,email,capacity\n"
        "leamington-hub,Leamington Hub,ON,es;en,wages;legal,intake@hub.example,15\n"
    )
    code, output = puente(sqlite_url, "ngo", "import", str(csv_file), "--deactivate-missing")
    assert code == 0, output
    rows = records(sqlite_url)
    assert rows["leamington-hub"]["active"] is True and rows["leamington-hub"]["capacity"] == 15
    assert [ngo_id for ngo_id, row in rows.items() if row["active"]] == ["leamington-hub"]
    assert len(rows) == 11  # deactivated, never deleted


def test_a_webhook_secret_written_in_the_file_is_stored_encrypted(puente, sqlite_url, tmp_path):
    secret = "a-literal-webhook-secret-42"
    path = tmp_path / "ngos.yaml"
    path.write_text(
        directory_yaml(
            ngo_entry("hooked", webhook_url="https://ngo.example/hook", webhook_secret=secret)
        )
    )
    assert puente(sqlite_url, "ngo", "import", str(path))[0] == 0
    stored = records(sqlite_url)["hooked"]["contacts"]["webhook_secret"]
    assert stored.startswith("vault:") and secret not in stored
    assert "1 were unchanged" in puente(sqlite_url, "ngo", "import", str(path))[1]


def test_the_app_loads_the_seed_into_an_empty_directory_and_says_so(make_bot, sqlite_url, caplog):
    with caplog.at_level(logging.INFO, logger="bot.directory.store"):
        bot = make_bot(sqlite_url)
    assert "loaded 10 organizations from seed_directory.yaml" in caplog.text
    with bot.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(NgoRecord)) == 10
        assert all(ngo.example_contacts for ngo in store.load_ngos(session, bot.runtime.vault))
    make_bot(sqlite_url)  # not empty any more: nothing loaded twice
    with bot.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(NgoRecord)) == 10


def test_production_never_loads_the_seed(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, env="production")
    with bot.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(NgoRecord)) == 0
