"""Production fails closed (issue 22, items 14 and 15): `puente serve` refuses settings that would
leave it open, naming them; no command but a developer's first start makes a secret key; the key
and the SQLite file are private; HSTS, a __Host- cookie, and /metrics only with its token."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.errors import ConfigError
from bot.settings import ensure_secret_key, load_settings
from bot.store.db import Database
from tests.conftest import SECRET

GOOD = {
    "PUENTE_SECRET_KEY": SECRET,
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "PUBLIC_BASE_URL": "https://puente.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
}


def _serve(tmp_path, **environ: str | None):
    env = {
        k: v
        for k, v in (GOOD | {"PUENTE__INSTANCE_PATH": str(tmp_path)} | environ).items()
        if v is not None
    }
    clean = {
        k: None for k in os.environ if k.startswith(("PUENTE", "TWILIO", "PUBLIC_BASE", "DATABASE"))
    }
    return CliRunner().invoke(main, ["serve", "--port", "1"], env=clean | env)


@pytest.mark.parametrize(
    "environ, named",
    [
        ({"TWILIO_AUTH_TOKEN": None}, "twilio.auth_token"),
        ({"TWILIO_ACCOUNT_SID": None}, "twilio.account_sid"),
        ({"PUENTE__TWILIO__VALIDATE_SIGNATURES": "false"}, "twilio.validate_signatures"),
        ({"PUBLIC_BASE_URL": None}, "public_base_url"),
        ({"PUBLIC_BASE_URL": "http://puente.example.org"}, "public_base_url"),
        ({"TWILIO_API_BASE_URL": "http://twilio-proxy.example.org"}, "twilio.api_base_url"),
    ],
)
def test_serve_refuses_production_settings_that_fail_open(tmp_path, environ, named):
    result = _serve(tmp_path, **environ)
    assert result.exit_code != 0 and named in result.output and "refusing to start" in result.output


def test_an_app_built_for_production_refuses_them_too(tmp_path):
    from bot import create_app

    settings = load_settings(
        environ={},
        env="production",
        secret_key=SECRET,
        database_url=f"sqlite:///{tmp_path / 'p.db'}",
    )
    with pytest.raises(ConfigError, match="twilio.account_sid"):
        create_app(settings)


@pytest.mark.parametrize("command", [["worker", "--burst"], ["redrive"], ["purge"]])
def test_commands_never_make_a_new_secret_key(tmp_path, command):
    env = {
        "PUENTE__INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "PUENTE_SECRET_KEY": None,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }  # given, so restored after
    result = CliRunner().invoke(main, command, env=env)
    assert result.exit_code != 0 and "PUENTE_SECRET_KEY" in result.output
    assert not (tmp_path / "secret_key").exists()


def test_the_key_file_and_the_sqlite_database_are_readable_by_their_owner_only(tmp_path):
    settings = load_settings(environ={}, instance_path=str(tmp_path / "instance"))
    with pytest.raises(ConfigError, match="PUENTE_SECRET_KEY"):
        ensure_secret_key(settings)  # not silently
    key = ensure_secret_key(settings, generate=True).secret_key
    assert key and ensure_secret_key(settings).secret_key == key
    old = os.umask(0o022)  # a usual umask: files would otherwise be world-readable
    try:
        database = Database(f"sqlite:///{tmp_path / 'instance' / 'puente.db'}")
        with database.session() as session:
            session.connection().exec_driver_sql("CREATE TABLE t (x)")
        database.dispose()
    finally:
        os.umask(old)
    for path in (tmp_path / "instance" / "secret_key", tmp_path / "instance" / "puente.db"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((tmp_path / "instance").stat().st_mode) == 0o700


def test_production_sends_hsts_and_a_host_only_secure_session_cookie(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, env="production")
    response = bot.client.get("/portal/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-puente=") and "Secure" in cookie and "Path=/;" in cookie + ";"
    assert "Domain" not in cookie
    development = make_bot(sqlite_url).client.get("/portal/login")
    assert "Strict-Transport-Security" not in development.headers


def test_metrics_need_their_token_and_production_without_one_hides_them(make_bot, sqlite_url):
    assert make_bot(sqlite_url, env="production").client.get("/metrics").status_code == 404
    bot = make_bot(sqlite_url, env="production", metrics__token="scrape-token-0123456789")
    assert bot.client.get("/metrics").status_code == 401
    assert bot.client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    scraped = bot.client.get(
        "/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"}
    )
    assert scraped.status_code == 200 and b"puente_messages_in" in scraped.data
