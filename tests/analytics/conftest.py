"""Analytics fixtures: a bot with a small NGO directory and an administrator, workers who chat and
report through the signed webhook, and the administrator's browser (the portal's login)."""

from __future__ import annotations

import email
import html
import re
import threading
from dataclasses import dataclass, field
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from bot.directory import store
from bot.directory.load import load_directory
from bot.portal import accounts
from tests.security.probes import opened_state

PASSWORD = "correct horse battery staple"
ADMIN = "admin@puente.example.org"
STAFF = "ana@ngo-on.example.org"
DIRECTORY = """
ngos:
  - id: ngo-on
    name: Ontario Workers Aid
    provinces: [ON]
    languages: [es, en]
    services: [legal, wages, housing, health, complaints, information]
    capacity: 50
    contacts: {email: staff@ngo-on.example.org}
  - id: ngo-national
    name: National Line
    provinces: [national]
    languages: [es, en, tl]
    services: [legal, wages, information]
    capacity: 50
    contacts: {email: staff@national.example.org}
"""
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

GREETING = {"es": "hola buenas tardes", "en": "hello good morning", "tl": "magandang umaga po"}
WAGES = {
    "es": "cuanto es el salario minimo",
    "en": "what is the minimum wage",
    "tl": "magkano ang minimum na sahod",
}
#: What a worker answers at each step of flows/report.yaml (anything else: skip).
REPORT = {
    "danger": "no",
    "what": "1",
    "employer": "Granja Los Pinos",
    "province": "ON",
    "sector": "1",
    "share": "1",
    "confirm": "1",
    "contact": "1",
    "pin": "saltar",
}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@dataclass
class Program:
    """The running bot and what the test has sent through it (to compare with the indicators)."""

    bot: Any
    users: dict[str, int] = field(default_factory=dict)
    sent_bodies: list[str] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)

    @property
    def runtime(self):
        return self.bot.runtime

    def say(self, sender: str, body: str) -> None:
        self.sent_bodies.append(body)
        if sender not in self.senders:
            self.senders.append(sender)
        response = self.bot.send(body, sender=sender)
        assert response.status_code == 200, response.get_data(as_text=True)

    def ask_wages(self, sender: str, language: str, province: str) -> None:
        """A worker greets, asks about the minimum wage, and names their province."""
        self.say(sender, GREETING[language])
        self.say(sender, WAGES[language])
        if self.state(sender).get("flow") == "province":
            self.say(sender, province)

    def report(self, sender: str, province: str, **answers: str) -> None:
        """A worker reports (menu option 2) and answers every question of the report flow
        (``answers`` replace some of :data:`REPORT`)."""
        self.say(sender, "hola")
        self.say(sender, "2")
        script = REPORT | answers
        for _ in range(25):
            state = self.state(sender)
            if state.get("flow") != "report":
                return
            step = state.get("step")
            self.say(sender, province if step == "province" else script.get(step, "saltar"))
        raise AssertionError("the report flow did not end")

    def state(self, sender: str) -> dict:
        """The conversation's state as the bot reads it (its sealed part opened)."""
        return opened_state(self.runtime, sender)

    def post_language(self, client, language: str):
        """Choose the portal's language as the switcher does; returns the dashboard after."""
        token = _CSRF.search(client.get("/admin/").get_data(as_text=True)).group(1)
        client.post(
            "/portal/language",
            data={"language": language, "next": "/portal/admin", "csrf_token": token},
        )
        return client.get("/admin/")

    def browser(self, email_address: str = ADMIN):
        client = self.bot.app.test_client()
        page = client.get("/portal/login").get_data(as_text=True)
        token = _CSRF.search(page).group(1)
        response = client.post(
            "/portal/login",
            data={"email": email_address, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302, text(response)
        return client


def setup_program(bot: Any, tmp_path: Path) -> Program:
    """The directory and the two portal users (an administrator, an Ontario NGO's staff)."""
    directory = tmp_path / "ngos.yaml"
    directory.write_text(DIRECTORY)
    made = Program(bot)
    with bot.runtime.db.session() as session:
        store.import_ngos(session, bot.runtime.vault, load_directory(directory))
        for address, role, ngo in ((ADMIN, "admin", None), (STAFF, "staff", "ngo-on")):
            user = accounts.create_user(
                session,
                email=address,
                password=PASSWORD,
                role=role,
                ngo_id=ngo,
                name=address.split("@")[0].title(),
            )
            session.flush()
            made.users[address] = user.id
    return made


@pytest.fixture
def program(make_bot, database_url, tmp_path: Path) -> Program:
    return setup_program(make_bot(database_url, **{"routing.seed_directory": None}), tmp_path)


class MailReceiver:
    """An SMTP server on a local port keeping every message it accepts."""

    def __init__(self):
        import socket

        from aiosmtpd.controller import Controller

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Condition()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
            self._lock.notify_all()
        return "250 OK"

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list:
        with self._lock:
            assert self._lock.wait_for(lambda: len(self.messages) >= count, timeout), (
                "no e-mail arrived"
            )
            return list(self.messages)


@pytest.fixture
def mail():
    receiver = MailReceiver()
    receiver._controller.start()
    yield receiver
    receiver._controller.stop()
