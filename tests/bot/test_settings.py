"""Configuration: defaults with comments, environment overrides, errors that name the key."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.errors import ConfigError
from bot.settings import ensure_secret_key, load_settings


def test_defaults_load_and_environment_overrides_them():
    settings = load_settings(
        environ={
            "REDIS_URL": "redis://h:6379/1",
            "TWILIO_AUTH_TOKEN": "t",
            "PUENTE__SMS__SEGMENT_BUDGET": "2",
        }
    )
    assert settings.redis_url == "redis://h:6379/1"
    assert settings.twilio.auth_token == "t"
    assert settings.sms.segment_budget == 2
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith(
        "instance/puente.db"
    )


def test_a_typo_in_a_key_names_the_key_and_suggests_the_right_one(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("twilio:\n  auth_tokn: abc\n")
    with pytest.raises(ConfigError) as error:
        load_settings(config, environ={})
    assert "twilio.auth_tokn: unknown key (did you mean 'auth_token'?)" in str(error.value)


def test_a_wrong_value_names_the_key():
    with pytest.raises(ConfigError, match="sms.segment_budget"):
        load_settings(environ={"PUENTE__SMS__SEGMENT_BUDGET": "many"})


def test_a_whatsapp_content_template_that_is_not_a_content_sid_names_the_key(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("whatsapp:\n  content_templates:\n    menu.main: HX123\n")
    with pytest.raises(ConfigError, match=r"whatsapp\.content_templates\.menu\.main: .*'HX123'"):
        load_settings(config, environ={})
    config.write_text("whatsapp:\n  content_templates:\n    Main Menu: HX" + "0" * 32 + "\n")
    with pytest.raises(ConfigError, match=r"whatsapp\.content_templates\.Main Menu"):
        load_settings(config, environ={})


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    settings = load_settings(environ={}, env="production", instance_path=str(tmp_path))
    with pytest.raises(ConfigError, match="PUENTE_SECRET_KEY"):
        ensure_secret_key(settings)


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    settings = load_settings(environ={}, instance_path=str(tmp_path))
    first = ensure_secret_key(settings, generate=True).secret_key
    assert first and ensure_secret_key(settings).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_cli_reports_a_config_error_in_one_line_without_a_traceback(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("nlu:\n  backnd: rasa\n")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "db", "upgrade"],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "nlu.backnd: unknown key (did you mean 'backend'?)" in result.stderr
    assert "Traceback" not in result.stderr
