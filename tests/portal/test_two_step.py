"""Two-step sign-in (issue 22, item 10): required of administrators, required of an organization's
staff when it chooses so, and turned off only with a current code. Through the Flask client here;
tests/portal/test_two_step_browser.py signs in with a code in Chromium."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from bot.directory.models import NgoRecord
from bot.portal.models import User
from tests.portal.conftest import csrf_from, text

ADMIN, ANA, CHLOE = "admin@puente.example.org", "ana@ngo-on.example.org", "chloe@ngo-qc.example.org"


@pytest.fixture
def strict(make_portal, database_url):
    """The portal as config.yaml has it: administrators must use two-step sign-in."""
    return make_portal(database_url, **{"portal.admin_totp_required": True})


def _set_up(client, when: float) -> pyotp.TOTP:
    """Set up two-step sign-in on the page it is set up on; returns the authenticator."""
    page = text(client.get("/portal/account/2fa"))
    totp = pyotp.TOTP(re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1))
    response = client.post(
        "/portal/account/2fa", data={"code": totp.at(when), "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302, text(response)
    return totp


def _code_login(portal, email: str, code: str):
    client = portal.client()
    assert portal.login(client, email).headers["Location"].endswith("/portal/login/code")
    page = text(client.get("/portal/login/code"))
    return client, client.post(
        "/portal/login/code", data={"code": code, "csrf_token": csrf_from(page)}
    )


def test_an_administrator_without_a_second_factor_can_open_nothing_but_its_setup(strict):
    admin = strict.logged_in(ADMIN)
    for path in (
        "/portal/admin",
        "/portal/admin/users",
        "/admin/",
        "/admin/export.csv",
        "/portal/account",
    ):
        response = admin.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/portal/account/2fa"
        ), path
    page = text(admin.get("/portal/account/2fa"))
    assert "Your account must sign in in two steps" in page
    now = time.time()
    totp = _set_up(admin, now - 30)
    assert admin.get("/portal/admin").status_code == 200
    _, wrong = _code_login(strict, ADMIN, "000000" if totp.at(now) != "000000" else "111111")
    assert wrong.status_code == 401
    client, right = _code_login(strict, ADMIN, totp.at(now))
    assert right.status_code == 302 and client.get("/admin/").status_code == 200


def test_an_organization_can_require_it_of_its_staff(portal):
    admin = portal.logged_in(ADMIN)
    asked = portal.post(
        admin, "/portal/admin/ngos/ngo-on", {"staff_totp_required": "1"}, page="/portal/admin/ngos"
    )
    assert asked.status_code == 302
    with portal.runtime.db.session() as session:
        assert session.get(NgoRecord, "ngo-on").staff_totp_required
    ana = portal.logged_in(ANA)
    assert ana.get("/portal/inbox").headers["Location"].endswith("/portal/account/2fa")
    assert portal.logged_in(CHLOE).get("/portal/inbox").status_code == 200, (
        "another organization: optional"
    )
    off = portal.post(
        admin, "/portal/admin/ngos/ngo-on", {"staff_totp_required": "0"}, page="/portal/admin/ngos"
    )
    assert off.status_code == 200 and "Stop requiring two-step sign-in" in text(off)  # asks first


def test_turning_it_off_needs_the_password_and_a_current_code(portal):
    chloe = portal.logged_in(CHLOE)
    now = time.time()
    totp = _set_up(chloe, now - 30)
    client, response = _code_login(portal, CHLOE, totp.at(now))
    assert response.status_code == 302
    password_only = portal.post(
        client, "/portal/account/2fa/off", {"current": "correct horse battery staple"}
    )
    assert "stays on" in text(client.get(password_only.headers["Location"]))
    with portal.runtime.db.session() as session:
        assert session.scalar(select(User.totp_secret_enc).where(User.email == CHLOE))
    done = portal.post(
        client,
        "/portal/account/2fa/off",
        {"current": "correct horse battery staple", "code": totp.at(now + 30)},
    )
    assert "Two-step login is off." in text(client.get(done.headers["Location"]))
    with portal.runtime.db.session() as session:
        assert session.scalar(select(User.totp_secret_enc).where(User.email == CHLOE)) is None
    assert [
        m
        for m in portal.mail.messages
        if m["To"] == CHLOE and "Two-step sign-in was turned off" in m["Subject"]
    ]


def test_where_it_is_required_it_cannot_be_turned_off(strict):
    admin = strict.logged_in(ADMIN)
    now = time.time()
    totp = _set_up(admin, now - 30)
    refused = strict.post(
        admin,
        "/portal/account/2fa/off",
        {"current": "correct horse battery staple", "code": totp.at(now)},
    )
    assert "cannot be turned off" in text(admin.get(refused.headers["Location"]))
    with strict.runtime.db.session() as session:
        assert session.scalar(select(User.totp_secret_enc).where(User.email == ADMIN))
