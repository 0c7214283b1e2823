"""`puente chat` as a developer uses it: a clean transcript, Twilio's own STOP answer shown, a
fresh conversation on request and a word when an old one is resumed."""

from __future__ import annotations

from click.testing import CliRunner

from bot.cli import main
from bot.logs import configure
from tests.conftest import SECRET


def _chat(tmp_path, monkeypatch, lines: list[str], *args: str):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'chat.db'}")
    monkeypatch.setenv("PUENTE_SECRET_KEY", SECRET)
    monkeypatch.setenv("PUENTE__INSTANCE_PATH", str(tmp_path / "instance"))
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    try:
        return CliRunner().invoke(
            main, ["chat", *args], input="".join(f"{line}\n" for line in lines)
        )
    finally:
        configure("WARNING")  # the next test logs to stderr again


def test_the_transcript_holds_the_conversation_and_stop_shows_twilios_answer(tmp_path, monkeypatch):
    log_file = tmp_path / "chat.log"
    result = _chat(tmp_path, monkeypatch, ["hola", "STOP", "hola?"], "--log-file", str(log_file))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("New conversation as +1555010")
    assert "Otro idioma: IDIOMA" in out  # the bot's reply
    assert "INFO" not in out and "WARNING" not in out  # logs are not in the transcript...
    assert "bot.outbox" in log_file.read_text()  # ...they are in the file
    twilio = out.index("[Twilio, not Puente] You have successfully been unsubscribed")
    assert "[no reply from Puente]" in out[twilio:]  # silence after STOP is said, not a hang


def test_a_second_chat_says_it_resumes_and_new_starts_afresh(tmp_path, monkeypatch):
    _chat(tmp_path, monkeypatch, ["hola"])
    again = _chat(tmp_path, monkeypatch, ["1"])
    assert again.stdout.startswith("Resuming the conversation of +15550100001")
    fresh = _chat(tmp_path, monkeypatch, ["hola"], "--new")
    assert fresh.stdout.startswith("New conversation as +1555010")
    assert "Otro idioma: IDIOMA" in fresh.stdout  # a first contact again
