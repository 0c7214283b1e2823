"""Puente as a user installs it: the wheel, in a fresh venv from the lock, run from an empty folder.

The wheel and the venv are made by the Dockerfile's build stage (run without Docker), so this is
also what the container image holds.

Nothing of the checkout is on the path: the defaults, flows, NLU data and compiled catalogs must
come out of the installed package, and the instance folder (SQLite file, development key) must be
made in the working directory.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.support import dockerfile
from tests.support.services import free_port, puente_environ, wait_healthy
from tests.support.webhooks import inbound_params, signed_webhook_post

pytestmark = pytest.mark.slow

LANGUAGES = {"messages": ("en", "es", "tl"), "portal": ("en", "fr")}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Dockerfile's build stage, run here: the wheel in /dist, the venv in /opt/puente."""
    root = tmp_path_factory.mktemp("image")
    _, stages = dockerfile.parse()
    dockerfile.run_build_stage(stages[0], root)
    return root


@pytest.fixture(scope="module")
def wheel(built: Path) -> Path:
    (found,) = (built / "dist").glob("puente-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(built: Path) -> Path:
    return built / "opt" / "puente"


def test_the_wheel_carries_the_defaults_and_every_compiled_catalog(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "bot/_data/config.yaml" in names
    for domain, languages in LANGUAGES.items():
        for lang in languages:
            assert f"bot/_data/locales/{lang}/LC_MESSAGES/{domain}.mo" in names
    assert not any(name.endswith(".po") for name in names)
    assert {
        "flows/menu.yaml",
        "nlu/data/es.yml",
        "bot/directory/seed_directory.yaml",
        "vocab/__init__.py",
    } <= names


def test_installed_puente_answers_a_worker_from_an_empty_folder(
    venv: Path, twilio, tmp_path: Path
) -> None:
    folder = tmp_path / "anywhere"
    folder.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = puente_environ("", secret="", twilio=twilio, PUBLIC_BASE_URL=base)
    del (
        env["DATABASE_URL"],
        env["PUENTE_SECRET_KEY"],
    )  # the embedded defaults: SQLite, a generated key
    env.pop("PYTHONPATH", None)
    log = tmp_path / "puente.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(venv / "bin" / "puente"), "run", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            wait_healthy(base, timeout=60)
        except AssertionError:
            raise AssertionError(
                f"puente run did not come up:\n{log.read_text()[-3000:]}"
            ) from None
        reply = signed_webhook_post(
            base,
            "/webhooks/twilio",
            inbound_params("+15195550101", "+15550109999", "hola"),
            twilio.auth_token,
        )
        assert reply.status_code == 200
        try:  # the first turn loads the NLU model: slow on a busy shared machine
            (sent,) = twilio.wait_for_messages(1, timeout=120)
        except TimeoutError:
            raise AssertionError(f"no reply was sent:\n{log.read_text()[-3000:]}") from None
    finally:
        process.terminate()
        process.wait(30)
    assert sent.to == "+15195550101"
    assert "Puente" in sent.body and "1." in sent.body  # the Spanish welcome and its menu
    assert {"puente.db", "secret_key"} <= {p.name for p in (folder / "instance").iterdir()}
    assert (
        "site-packages"
        in subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
