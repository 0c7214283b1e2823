"""The container stack checked without Docker (no daemon or image pulls on the build machines).

What can be checked here is: compose.yaml's services, their order, commands, health checks and the
secrets it takes from the environment; that each command is a real `puente` command and that the
settings accept that environment; that the health checks pass against real processes; and that
the Dockerfile is multi-stage, slim, unprivileged and installs through scripts/install-from-lock,
as .ci/run does. tests/system/test_wheel.py runs the Dockerfile's build stage itself.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.settings import ENV_KEYS, ensure_secret_key, load_settings, production_problems
from tests.support import dockerfile
from tests.support.services import REPO, free_port, puente_environ, serve, wait_until, worker

COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
PUENTE_SERVICES = ("migrate", "web", "worker")
SECRETS = {
    "PUENTE_SECRET_KEY",
    "POSTGRES_PASSWORD",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "PUBLIC_BASE_URL",
}
REQUIRED = re.compile(r"\$\{(\w+):\?[^}]*\}")
SAMPLE = {
    "PUENTE_SECRET_KEY": "k" * 48,
    "POSTGRES_PASSWORD": "sample-db-password",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "PUBLIC_BASE_URL": "https://sample.invalid",
}


def interpolate(value: str) -> str:
    """compose's ${NAME:?message} and ${NAME:-default}, from SAMPLE."""
    value = REQUIRED.sub(lambda m: SAMPLE[m.group(1)], value)
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: SAMPLE.get(m.group(1), m.group(2)), value)


def test_the_stack_is_postgresql_redis_a_migration_web_and_worker() -> None:
    assert set(SERVICES) == {"db", "redis", *PUENTE_SERVICES}
    assert SERVICES["db"]["image"].startswith("postgres:") and SERVICES["redis"][
        "image"
    ].startswith("redis:")
    assert SERVICES["migrate"]["command"] == ["puente", "db", "upgrade"]
    assert SERVICES["migrate"]["restart"] == "no"
    assert (
        SERVICES["web"]["command"][:2] == ["puente", "serve"]
        and "0.0.0.0" in SERVICES["web"]["command"]
    )
    assert SERVICES["worker"]["command"] == ["puente", "worker"]
    for name in PUENTE_SERVICES:
        assert (
            SERVICES[name]["build"] == "."
            and SERVICES[name]["environment"]["PUENTE_ENV"] == "production"
        )


def test_nothing_starts_before_what_it_needs_is_healthy_or_migrated() -> None:
    assert SERVICES["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("web", "worker"):
        assert SERVICES[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            "redis": {"condition": "service_healthy"},
        }


def test_every_long_running_service_has_a_health_check() -> None:
    for name in ("db", "redis", "web", "worker"):
        check = SERVICES[name]["healthcheck"]
        assert check["test"][0] == "CMD" and check["retries"] >= 3
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])


def test_secrets_come_from_the_environment_and_a_missing_one_stops_compose() -> None:
    text = (REPO / "compose.yaml").read_text()
    assert set(REQUIRED.findall(text)) == SECRETS
    for name in PUENTE_SERVICES:
        environment = SERVICES[name]["environment"]
        for var in (
            "PUENTE_SECRET_KEY",
            "TWILIO_ACCOUNT_SID",
            "TWILIO_AUTH_TOKEN",
            "PUBLIC_BASE_URL",
        ):
            required = REQUIRED.fullmatch(environment[var])
            assert required and required.group(1) == var, environment[var]
    for sample in SAMPLE.values():
        assert sample not in text


def test_the_settings_accept_the_stacks_environment() -> None:
    for name in PUENTE_SERVICES:
        environment = {k: interpolate(str(v)) for k, v in SERVICES[name]["environment"].items()}
        assert set(environment) <= set(ENV_KEYS) | {"WEB_CONCURRENCY"}
        settings = ensure_secret_key(load_settings(environ=environment))
        assert settings.env == "production" and production_problems(settings) == []
        assert (
            settings.database_url == "postgresql+psycopg://puente:sample-db-password@db:5432/puente"
        )
        assert settings.redis_url == "redis://redis:6379/0"


@pytest.mark.parametrize(
    "command",
    [
        *(SERVICES[name]["command"] for name in PUENTE_SERVICES),
        ["puente", "secret"],
    ],
)
def test_each_command_is_a_puente_command(command: list[str]) -> None:
    assert command[0] == "puente"
    result = CliRunner().invoke(main, [*command[1:], "--help"])
    assert result.exit_code == 0, result.output


def _health_check(service: str, port: int | None = None) -> list[str]:
    test = SERVICES[service]["healthcheck"]["test"][1:]
    assert test[0] == "python"
    return [sys.executable, *(arg.replace(":8000/", f":{port}/") for arg in test[1:])]


def test_the_web_health_check_passes_against_puente_serve_and_fails_without_it(
    sqlite_url: str, twilio, tmp_path
) -> None:
    port = free_port()
    check = _health_check("web", port)
    assert subprocess.run(check, capture_output=True, timeout=30).returncode != 0
    env = puente_environ(
        sqlite_url,
        secret=SAMPLE["PUENTE_SECRET_KEY"],
        twilio=twilio,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
    )
    with serve(env, port, tmp_path / "serve.log", workers=1):
        assert subprocess.run(check, capture_output=True, timeout=30).returncode == 0


def test_the_worker_health_check_passes_once_puente_worker_is_registered(
    sqlite_url: str, redis_url: str, twilio, tmp_path
) -> None:
    check = _health_check("worker")
    # At its usual nice 10 in a session of its own, a worker starting on a busy shared machine can
    # wait minutes for the CPU; the check is what is tested here, not the priority.
    env = puente_environ(
        sqlite_url,
        secret=SAMPLE["PUENTE_SECRET_KEY"],
        twilio=twilio,
        redis_url=redis_url,
        PUENTE__JOBS__WORKER_NICE="0",
    )
    assert subprocess.run(check, env=env, capture_output=True, timeout=30).returncode == 1
    with worker(env, tmp_path / "worker.log") as process:
        try:
            wait_until(
                lambda: (
                    subprocess.run(check, env=env, capture_output=True, timeout=30).returncode == 0
                ),
                90,
                "the worker health check",
            )
        except AssertionError:
            raise AssertionError(
                f"the worker health check never passed:\n{process.output()[-3000:]}"
            ) from None


def test_the_dockerfile_builds_in_one_stage_and_runs_slim_and_unprivileged_in_another() -> None:
    args, (build, final) = dockerfile.parse()
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", build.image) and final.image == build.image
    assert build.name == "build"
    assert final.all("USER") == ["puente"]
    assert any("useradd" in run and "--system" in run for run in final.all("RUN"))
    assert any(
        "install -y --no-install-recommends gnupg" in run for run in final.all("RUN")
    )  # python-gnupg
    assert final.all("COPY") == ["--from=build /opt/puente /opt/puente"]
    assert shlex.split(final.all("CMD")[0].replace("[", "").replace("]", "").replace(",", " "))[
        :2
    ] == ["puente", "serve"]
    assert "/healthz" in final.all("HEALTHCHECK")[0]


def test_the_image_and_ci_install_through_the_one_script_from_the_lock() -> None:
    _, (build, _) = dockerfile.parse()
    runs = " ".join(build.all("RUN"))
    assert runs.count("scripts/install-from-lock /opt/puente") == 2
    assert "requirements.lock ./" in build.all("COPY")
    assert "scripts/install-from-lock --test .venv-ci" in (REPO / ".ci" / "run").read_text()


def test_everything_the_dockerfile_copies_exists_and_is_not_ignored() -> None:
    ignored = [
        line
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    _, (build, _) = dockerfile.parse()
    for copy in build.all("COPY"):
        *sources, _ = shlex.split(copy)
        for source in sources:
            assert (REPO / source).exists(), source
            assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source
