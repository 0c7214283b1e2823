"""Who gets in, and how long they stay: passwords, CSRF, throttling, idle timeout, TOTP, deactivation."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from bot.directory.models import NgoRecord
from bot.portal.models import AuditLog, User
from tests.portal.conftest import PASSWORD, csrf_from, text

ANA = "ana@ngo-on.example.org"


def _user(portal, email):
    with portal.runtime.db.session() as session:
        return session.scalar(select(User).where(User.email == email))


def test_staff_log_in_with_their_password_and_land_on_their_inbox(portal):
    client = portal.client()
    response = portal.login(client, ANA)
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/inbox")
    assert client.get("/portal/inbox").status_code == 200
    assert _user(portal, ANA).last_login_at is not None


def test_passwords_are_stored_as_argon2id_hashes(portal):
    stored = _user(portal, ANA).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_wrong_password_gets_a_clear_message_and_no_session(portal):
    client = portal.client()
    response = portal.login(client, ANA, "not the password at all")
    assert response.status_code == 401
    assert "Sign-in refused: the e-mail or the password is wrong" in text(response)
    assert client.get("/portal/inbox").status_code == 302


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(portal):
    response = portal.login(portal.client(), "nobody@example.org")
    assert response.status_code == 401
    assert "Sign-in refused: the e-mail or the password is wrong" in text(response)


def test_pages_need_a_login_and_come_back_after_it(portal):
    client = portal.client()
    response = client.get("/portal/inbox?status=new")
    assert response.status_code == 302 and "/portal/login?next=" in response.headers["Location"]
    page = text(client.get(response.headers["Location"]))
    assert "Please log in to continue." in page
    token = csrf_from(page)
    response = client.post(
        "/portal/login",
        data={
            "email": ANA,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/portal/inbox?status=new",
        },
    )
    assert response.headers["Location"].endswith("/portal/inbox?status=new")


def test_login_never_redirects_to_another_site(portal):
    client = portal.client()
    token = csrf_from(text(client.get("/portal/login")))
    response = client.post(
        "/portal/login",
        data={
            "email": ANA,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example.com/portal/x",
        },
    )
    assert response.headers["Location"].endswith("/portal/inbox")


def test_a_forged_or_missing_csrf_token_is_refused_with_a_clear_message(portal):
    client = portal.logged_in(ANA)
    for data in ({}, {"csrf_token": "forged-token"}):
        response = client.post("/portal/logout", data=data)
        assert response.status_code == 400
        assert "This form could not be accepted" in text(response)
    assert client.get("/portal/inbox").status_code == 200  # still logged in: nothing happened


def test_a_login_form_from_another_site_is_refused(portal):
    response = portal.client().post("/portal/login", data={"email": ANA, "password": PASSWORD})
    assert response.status_code == 400


def test_session_cookie_is_httponly_samesite_lax_and_secure_over_https(portal):
    client = portal.client()
    token = csrf_from(text(client.get("/portal/login", base_url="https://localhost")))
    response = client.post(
        "/portal/login",
        base_url="https://localhost",
        data={"email": ANA, "password": PASSWORD, "csrf_token": token},
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_session_cookie_is_not_marked_secure_over_plain_http(portal):
    cookie = portal.login(portal.client(), ANA).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" not in cookie


def test_too_many_failures_from_one_address_are_throttled_across_accounts(portal):
    client = portal.client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for n in range(20):
        assert portal.login(client, f"guess{n}@example.org", "whatever password").status_code == 401
    response = portal.login(client, ANA)
    assert response.status_code == 429
    assert "Too many failed logins from your network" in text(response)
    other = portal.client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert portal.login(other, ANA).status_code == 302
    with portal.runtime.db.session() as session:
        targets = set(
            session.scalars(select(AuditLog.target).where(AuditLog.action == "login.failed"))
        )
    assert targets and all(t.startswith("ip:") and "203.0.113.9" not in t for t in targets)


def test_an_idle_session_expires_with_a_clear_message(portal):
    client = portal.logged_in(ANA)
    with client.session_transaction() as session:
        session["seen"] = time.time() - 31 * 60
    response = client.get("/portal/inbox")
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Your session has expired. Please log in again." in page
    assert client.get("/portal/inbox").status_code == 302


def test_an_active_session_stays_open(portal):
    client = portal.logged_in(ANA)
    with client.session_transaction() as session:
        session["seen"] = time.time() - 29 * 60
    assert client.get("/portal/inbox").status_code == 200


def test_logging_out_ends_the_session_even_for_a_replayed_cookie(portal):
    client = portal.logged_in(ANA)
    with client.session_transaction() as session:
        copied = dict(session)
    portal.post(client, "/portal/logout")
    assert client.get("/portal/inbox").status_code == 302
    with client.session_transaction() as session:
        session.update(copied)  # an attacker replays the old cookie
    assert client.get("/portal/inbox").status_code == 302


def test_staff_of_a_deactivated_ngo_cannot_log_in_and_are_logged_out(portal):
    client = portal.logged_in(ANA)
    with portal.runtime.db.session() as session:
        session.get(NgoRecord, "ngo-on").active = False
    assert client.get("/portal/inbox").status_code == 302
    response = portal.login(portal.client(), ANA)
    assert response.status_code == 403
    assert "Your organization's access to the portal is turned off" in text(response)


def test_a_deactivated_user_cannot_log_in(portal):
    admin = portal.logged_in("admin@puente.example.org")
    ana = portal.logged_in(ANA)
    path = f"/portal/admin/users/{portal.users[ANA]}"
    asked = portal.post(admin, path, {"active": "0"})
    assert asked.status_code == 200 and f"Deactivate {ANA}?" in text(asked)
    assert ana.get("/portal/inbox").status_code == 200  # not before the administrator confirms
    response = portal.post(admin, path, {"active": "0", "confirmed": "1"})
    assert response.status_code == 302
    assert ana.get("/portal/inbox").status_code == 302
    response = portal.login(portal.client(), ANA)
    assert response.status_code == 403 and "This account is deactivated" in text(response)


def test_two_step_login_with_an_authenticator_code(portal):
    client = portal.logged_in(ANA)
    page = text(client.get("/portal/account/2fa"))
    assert "<svg" in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    totp = pyotp.TOTP(secret)
    response = client.post(
        "/portal/account/2fa",
        data={
            "code": "000000" if totp.now() != "000000" else "111111",
            "csrf_token": csrf_from(page),
        },
    )
    assert response.status_code == 400
    enabling_code = totp.now()
    response = client.post(
        "/portal/account/2fa", data={"code": enabling_code, "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    assert _user(portal, ANA).totp_secret_enc and secret not in _user(portal, ANA).totp_secret_enc

    fresh = portal.client()
    response = portal.login(fresh, ANA)
    assert response.headers["Location"].endswith("/portal/login/code")
    assert fresh.get("/portal/inbox").status_code == 302  # the password alone is not enough
    code_page = text(fresh.get("/portal/login/code"))
    # The code that turned it on cannot be used again.
    response = fresh.post(
        "/portal/login/code", data={"code": enabling_code, "csrf_token": csrf_from(code_page)}
    )
    assert response.status_code == 401 and "That code is wrong or was already used" in text(
        response
    )
    next_code = totp.at(time.time() + 30)
    response = fresh.post(
        "/portal/login/code", data={"code": next_code, "csrf_token": csrf_from(code_page)}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/inbox")
    assert fresh.get("/portal/inbox").status_code == 200


def test_changing_the_password_logs_out_other_sessions(portal):
    phone = portal.logged_in(ANA)
    laptop = portal.logged_in(ANA)
    new = "another long passphrase here"
    response = portal.post(
        laptop, "/portal/account/password", {"current": PASSWORD, "new": new, "confirm": new}
    )
    assert response.status_code == 302
    assert laptop.get("/portal/inbox").status_code == 200
    assert phone.get("/portal/inbox").status_code == 302
    assert portal.login(portal.client(), ANA, new).status_code == 302


def test_a_short_new_password_is_refused_with_the_rule(portal):
    client = portal.logged_in(ANA)
    portal.post(
        client,
        "/portal/account/password",
        {"current": PASSWORD, "new": "short", "confirm": "short"},
    )
    page = text(client.get("/portal/account"))
    assert "at least 12 characters" in page


def test_the_portal_speaks_french_from_the_browser_or_the_users_choice(portal):
    client = portal.client()
    page = text(client.get("/portal/login", headers={"Accept-Language": "fr-CA,fr;q=0.9"}))
    assert '<html lang="fr">' in page and "Connexion" in page
    client = portal.logged_in(ANA)
    portal.post(client, "/portal/language", {"language": "fr", "next": "/portal/inbox"})
    assert _user(portal, ANA).language == "fr"
    page = text(client.get("/portal/inbox", headers={"Accept-Language": "en"}))
    assert "Dossiers confiés à votre organisme" in page


def test_staff_cannot_open_the_admin_pages(portal):
    client = portal.logged_in(ANA)
    for path in (
        "/portal/admin",
        "/portal/admin/audit",
        "/portal/admin/users",
        "/portal/admin/ngos",
    ):
        assert client.get(path).status_code == 404


def test_every_page_sends_headers_that_keep_it_out_of_caches_and_frames(portal):
    response = portal.logged_in(ANA).get("/portal/inbox")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
