"""Portal login failures (issue 22, item 8): one answer for every failure, progressive delays that
no stranger can turn into a lock, and the account's owner told by e-mail after repeated failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.portal.models import AuditLog, User
from bot.portal.throttle import FAILED
from bot.store.db import utcnow
from tests.portal.conftest import text

ANA = "ana@ngo-on.example.org"
WRONG = "not the password!!"
REFUSED = (
    "Sign-in refused: the e-mail or the password is wrong, or this account was tried too often"
)


@pytest.fixture
def portal(make_portal, database_url):
    """Waits long enough that a slow test machine never outlasts one (60 s, at most 90 s)."""
    return make_portal(
        database_url, **{"portal.login_delay_seconds": 60, "portal.login_delay_max_seconds": 90}
    )


def _from(portal, address: str):
    client = portal.client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _user(portal) -> User:
    with portal.runtime.db.session() as session:
        user = session.scalar(select(User).where(User.email == ANA))
        session.expunge(user)
        return user


def _age_failures(portal, **delta) -> None:
    """Move every failed login back in time, as if the wait had passed."""
    with portal.runtime.db.session() as session:
        session.execute(
            update(AuditLog)
            .where(AuditLog.action == FAILED)
            .values(created_at=utcnow() - timedelta(**delta))
        )
        session.execute(update(User).values(locked_until=None))


def test_unknown_email_wrong_password_and_a_waiting_account_get_the_same_answer(portal):
    client = _from(portal, "203.0.113.5")
    answers = [portal.login(client, "nobody@example.org", WRONG)] + [
        portal.login(client, ANA, WRONG) for _ in range(4)
    ]
    answers.append(portal.login(client, ANA))  # the right password, while this address must wait
    assert {a.status_code for a in answers} == {401}
    assert all(REFUSED in text(a) for a in answers)
    assert len({text(a).split('name="csrf_token"')[0] for a in answers}) == 1, "the pages differ"


def test_failures_slow_one_address_down_and_never_lock_the_owner_out(portal):
    guesser = _from(portal, "203.0.113.5")
    for _ in range(4):
        assert portal.login(guesser, ANA, WRONG).status_code == 401
    assert portal.login(guesser, ANA).status_code == 401, "the guesser's address waits"
    assert portal.login(_from(portal, "198.51.100.7"), ANA).status_code == 302, (
        "Ana, elsewhere, signs in"
    )
    _age_failures(portal, minutes=5)
    assert portal.login(guesser, ANA).status_code == 302, "after the wait the right password works"


def test_many_addresses_slow_the_account_down_for_a_bounded_time(portal):
    for n in range(10):
        assert portal.login(_from(portal, f"192.0.2.{n}"), ANA, WRONG).status_code == 401
    assert portal.login(_from(portal, "198.51.100.7"), ANA).status_code == 302, (
        "ten in a row: no wait yet"
    )
    for n in range(
        13
    ):  # the 11th failure in a row starts a wait; tries during it are refused alike
        assert portal.login(_from(portal, f"192.0.2.{20 + n}"), ANA, WRONG).status_code == 401
    user = _user(portal)
    wait = (user.locked_until - utcnow()).total_seconds()
    assert 30 < wait <= 90, "a wait, never longer than portal.login_delay_max_seconds"
    assert portal.login(_from(portal, "198.51.100.8"), ANA).status_code == 401
    _age_failures(portal, minutes=5)
    assert portal.login(_from(portal, "198.51.100.8"), ANA).status_code == 302


def test_the_owner_is_emailed_once_after_repeated_failures(portal):
    for n in range(7):
        portal.login(_from(portal, f"192.0.2.{n}"), ANA, WRONG)
    mails = [
        m for m in portal.mail.messages if m["To"] == ANA and "Failed sign-ins" in m["Subject"]
    ]
    assert len(mails) == 1
    body = mails[0].get_body(("plain",)).get_content()
    assert "5 times in a row" in body and "192.0.2" not in body
