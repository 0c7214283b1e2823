"""Portal fixtures: two organizations in the directory, their staff, an administrator, and cases.

``portal`` builds the app (SQLite and PostgreSQL through ``database_url``) with a small directory:
``ngo-on`` takes Ontario, ``ngo-qc`` Quebec, so a report's province decides who gets it.
"""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cases import service
from bot.cases.models import Referral
from bot.directory import store
from bot.directory.load import load_directory
from bot.portal import accounts
from bot.store.db import utcnow
from bot.store.models import Conversation
from tests.support.ngo_receivers import MailReceiver

PASSWORD = "correct horse battery staple"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DIRECTORY = """
ngos:
  - id: ngo-on
    name: Ontario Workers Aid
    provinces: [ON]
    languages: [es, en, tl]
    services: [legal, wages, housing, health, complaints, information]
    capacity: 50
    contacts: {email: staff@ngo-on.example.org}
  - id: ngo-qc
    name: Aide Québec
    provinces: [QC]
    languages: [es, en, fr]
    services: [legal, wages, housing, health, complaints, information]
    capacity: 50
    contacts: {email: staff@ngo-qc.example.org}
  - id: ngo-qc2
    name: Deuxième Aide Québec
    provinces: [QC]
    languages: [fr]
    services: [legal, wages]
    capacity: 50
    contacts: {email: staff@ngo-qc2.example.org}
"""
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def text(response) -> str:
    """A response's HTML with entities decoded, to compare with what a person reads."""
    return html.unescape(response.get_data(as_text=True))


def csrf_from(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


@dataclass
class Portal:
    bot: object
    mail: MailReceiver | None = None
    users: dict[str, int] = field(default_factory=dict)
    codes: dict[int, str] = field(default_factory=dict)  # referral id -> the worker's case code

    @property
    def runtime(self):
        return self.bot.runtime

    def client(self):
        return self.bot.app.test_client()

    def login(self, client, email: str, password: str = PASSWORD):
        page = client.get("/portal/login")
        token = csrf_from(page.get_data(as_text=True))
        return client.post(
            "/portal/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logged_in(self, email: str):
        client = self.client()
        response = self.login(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    def post(self, client, path: str, data: dict | None = None, page: str | None = None):
        """A form post with the CSRF token of ``page`` (or of the page at ``path``'s case)."""
        html = client.get(page or "/portal/account").get_data(as_text=True)
        return client.post(path, data={**(data or {}), "csrf_token": csrf_from(html)})

    def conversation(
        self,
        address: str = "+15195550101",
        channel: str = "sms",
        language: str = "es",
        last_inbound: datetime | None = None,
    ) -> int:
        """A worker's conversation, as the webhook would have made it."""
        vault = self.runtime.vault
        with self.runtime.db.session() as session:
            key = vault.address_key(address)
            found = session.scalar(select(Conversation).where(Conversation.address_key == key))
            if found is None:
                found = Conversation(
                    address_key=key,
                    address_enc="",
                    channel=channel,
                    data_key_id=self.runtime.envelope.new_key(session, "conversation"),
                    bot_address="whatsapp:+15550108888"
                    if channel == "whatsapp"
                    else "+15550109999",
                    language=language,
                    state={"language": language, "last_seen": utcnow().isoformat()},
                )
                session.add(found)
                session.flush()
                self.runtime.envelope.put(session, found.data_key_id, found, "address_enc", address)
            found.last_inbound_at = last_inbound or utcnow()
            session.flush()
            return found.id

    def file_report(
        self, conversation_id: int, province: str = "ON", channel: str = "sms", **slots
    ) -> int:
        """A report filed as the report flow's file_report effect would, consented to an NGO;
        returns the referral id."""
        data = {
            "slots": {
                "types": ["wages"],
                "employer": "Granja Los Pinos",
                "place": "Leamington",
                "consent_ngo": True,
                "contact": "anonymous",
                **slots,
            },
            "language": "es",
            "province": province,
            "channel": channel,
        }
        with self.runtime.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            filed = service.file_report(session, self.runtime, conversation, data)
        assert filed.referral_id is not None
        self.codes[filed.referral_id] = filed.code
        return filed.referral_id

    def referral(self, referral_id: int) -> Referral:
        with self.runtime.db.session() as session:
            return session.get(Referral, referral_id)


@pytest.fixture
def mail():
    """The SMTP server both NGOs' inboxes and their staff's e-mail go through."""
    with MailReceiver() as receiver:
        yield receiver


@pytest.fixture
def make_portal(make_bot, tmp_path: Path, mail: MailReceiver):
    """Builds the portal on a database with settings overrides (``twilio.whatsapp_templates=...``)."""

    def factory(database_url: str, **overrides) -> Portal:
        bot = make_bot(
            database_url,
            **{
                "routing.seed_directory": None,
                "smtp.host": "127.0.0.1",
                "smtp.port": mail.port,
                "smtp.starttls": False,
                **overrides,
            },
        )
        return _populate(Portal(bot, mail), tmp_path)

    return factory


@pytest.fixture
def portal(make_portal, database_url) -> Portal:
    return make_portal(database_url)


def _populate(made: Portal, tmp_path: Path) -> Portal:
    bot = made.bot
    directory = tmp_path / "ngos.yaml"
    directory.write_text(DIRECTORY)
    with bot.runtime.db.session() as session:
        store.import_ngos(session, bot.runtime.vault, load_directory(directory))
        for email, role, ngo in (
            ("ana@ngo-on.example.org", "staff", "ngo-on"),
            ("ben@ngo-on.example.org", "staff", "ngo-on"),
            ("chloe@ngo-qc.example.org", "staff", "ngo-qc"),
            ("admin@puente.example.org", "admin", None),
        ):
            user = accounts.create_user(
                session,
                email=email,
                password=PASSWORD,
                role=role,
                ngo_id=ngo,
                name=email.split("@")[0].title(),
            )
            session.flush()
            made.users[email] = user.id
    return made


def ago(**delta) -> datetime:
    return utcnow() - timedelta(**delta)


@pytest.fixture
def chromium():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(
            "Chromium is missing: install Debian's chromium (apt-get update && apt-get install -y "
            "chromium) to run the portal's end-to-end test",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
