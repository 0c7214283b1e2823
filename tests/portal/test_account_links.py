"""Staff accounts by invitation, passwords reset by link (issue 22, item 16): an administrator
never chooses or sees a password; the person sets their own through a single-use, expiring link
e-mailed to them, and they and their organization are told of every reset."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from bot.portal.models import AccountToken, User
from bot.store.db import utcnow
from tests.portal.conftest import PASSWORD, csrf_from, text

ADMIN, ANA = "admin@puente.example.org", "ana@ngo-on.example.org"
DORA = "dora@ngo-qc.example.org"
NEW = "a brand new long password"
_LINK = re.compile(r"http://localhost(/portal/account/link/[\w-]+)")


def _mails(portal, to: str, subject: str) -> list:
    return [m for m in portal.mail.messages if m["To"] == to and subject in m["Subject"]]


def _link(mail) -> str:
    return _LINK.search(mail.get_body(("plain",)).get_content()).group(1)


def _set_password(portal, path: str, password: str = NEW):
    client = portal.client()
    page = client.get(path)
    assert page.status_code == 200, text(page)
    return client.post(
        path, data={"new": password, "confirm": password, "csrf_token": csrf_from(text(page))}
    )


def _invite(portal, admin) -> None:
    page = text(admin.get("/portal/admin/users"))
    assert 'name="password"' not in page, "the administrator's form has no password"
    admin.post(
        "/portal/admin/users",
        data={
            "csrf_token": csrf_from(page),
            "email": DORA,
            "name": "Dora",
            "role": "staff",
            "ngo_id": "ngo-qc",
            "language": "fr",
        },
    )


def test_an_invited_person_sets_their_own_password_through_a_single_use_link(portal):
    admin = portal.logged_in(ADMIN)
    _invite(portal, admin)
    assert portal.login(portal.client(), DORA, "").status_code in (400, 401)
    [invitation] = _mails(
        portal, DORA, "Votre compte du portail Puente"
    )  # in the language chosen for her
    path = _link(invitation)
    assert path.rsplit("/", 1)[1] not in text(admin.get("/portal/admin/users")), (
        "the administrator never sees it"
    )
    [told] = _mails(portal, "staff@ngo-qc.example.org", "a été créé pour votre organisme")
    assert DORA in told.get_body(("plain",)).get_content()
    with portal.runtime.db.session() as session:
        assert session.scalar(select(AccountToken.token_enc)) is None, "sent: only the hash is kept"
    weak = _set_password(portal, path, "short")
    assert weak.status_code == 400  # too short: the link still works
    assert _set_password(portal, path).status_code == 302
    assert portal.login(portal.client(), DORA, NEW).status_code == 302
    again = portal.client().get(path)
    assert again.status_code == 404 and "no longer works" in text(again)


def test_an_expired_link_no_longer_works(portal):
    _invite(portal, portal.logged_in(ADMIN))
    path = _link(_mails(portal, DORA, "Puente")[0])
    with portal.runtime.db.session() as session:
        session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert portal.client().get(path).status_code == 404


def test_an_administrator_resets_by_link_and_the_user_and_their_ngo_are_told(portal):
    admin = portal.logged_in(ADMIN)
    target = f"/portal/admin/users/{portal.users[ANA]}"
    asked = portal.post(admin, target, {"send_reset": "1"}, page="/portal/admin/users")
    assert asked.status_code == 200 and "E-mail ana@ngo-on.example.org a link" in text(asked)
    assert not _mails(portal, ANA, "Choose a new Puente password")
    portal.post(admin, target, {"send_reset": "1", "confirmed": "1"}, page="/portal/admin/users")
    [mail] = _mails(portal, ANA, "Choose a new Puente password")
    assert portal.login(portal.client(), ANA).status_code == 302, (
        "the old password works until the link is used"
    )
    assert _set_password(portal, _link(mail)).status_code == 302
    assert portal.login(portal.client(), ANA).status_code == 401
    assert portal.login(portal.client(), ANA, NEW).status_code == 302
    assert _mails(portal, ANA, "Your Puente password was changed")
    assert _mails(portal, "staff@ngo-on.example.org", "was reset")


def test_an_administrator_can_no_longer_choose_someones_password(portal):
    admin = portal.logged_in(ADMIN)
    portal.post(
        admin,
        f"/portal/admin/users/{portal.users[ANA]}",
        {"password": "chosen by the admin!"},
        page="/portal/admin/users",
    )
    assert portal.login(portal.client(), ANA, "chosen by the admin!").status_code == 401
    assert portal.login(portal.client(), ANA, PASSWORD).status_code == 302


def test_forgot_password_answers_the_same_for_any_email_and_sends_one_link(portal):
    answers = []
    for email in ("nobody@example.org", ANA, ANA):
        client = portal.client()
        page = text(client.get("/portal/login/forgot"))
        response = client.post(
            "/portal/login/forgot", data={"email": email, "csrf_token": csrf_from(page)}
        )
        answers.append(
            re.findall(
                r'<p class="flash[^"]*"[^>]*>(.*?)</p>',
                text(client.get(response.headers["Location"])),
            )
        )
    assert answers[0] == answers[1] == answers[2]
    assert "If that e-mail has an account, a link is on its way." in answers[0][0]
    assert len(_mails(portal, ANA, "Choose a new Puente password")) == 1, (
        "a second ask within minutes sends nothing"
    )
    with portal.runtime.db.session() as session:
        assert session.scalar(select(User.failed_logins).where(User.email == ANA)) == 0
