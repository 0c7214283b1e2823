"""The administrators' landing page: open alerts in words (en and fr) that can be acknowledged, the
alert e-mail sent again when it failed, and the way to the indicators."""

from __future__ import annotations

from bot.cases import alerts
from bot.cases.models import AdminAlert
from tests.portal.conftest import csrf_from, text
from tests.support.services import wait_until

ADMIN = "admin@puente.example.org"


def _gap(portal) -> int:
    """The alert routing raises when nobody in the province speaks the worker's language."""
    with portal.runtime.db.session() as session:
        return alerts.raise_alert(
            session,
            portal.runtime,
            "coverage_gap",
            "QC:language:tl",
            province="QC",
            detail={"gap": ["language:tl"], "fallback": False},
        ).id


def test_open_alerts_are_listed_in_words_and_can_be_acknowledged(make_portal, database_url):
    portal = make_portal(database_url, **{"routing.admin_alert_emails": ["admins@puente.example"]})
    alert_id = _gap(portal)
    admin = portal.logged_in(ADMIN)
    page = text(admin.get("/portal/admin"))
    assert "Alerts to look at: 1" in page and "A gap in coverage" in page
    assert "nobody speaks the worker's language: Tagalog" in page and "Quebec" in page
    assert 'href="/admin/"' in page and "Indicators (anonymous figures)" in page
    admin.post(
        f"/portal/admin/alerts/{alert_id}", data={"do": "ack", "csrf_token": csrf_from(page)}
    )
    page = text(admin.get("/portal/admin"))
    assert "No open alert." in page
    with portal.runtime.db.session() as session:
        alert = session.get(AdminAlert, alert_id)
        assert alert.status == "acknowledged" and alert.acknowledged_by == portal.users[ADMIN]
    admin.post(
        "/portal/language",
        data={"language": "fr", "next": "/portal/admin", "csrf_token": csrf_from(page)},
    )
    assert "Aucune alerte ouverte." in text(admin.get("/portal/admin"))


def test_a_failed_alert_e_mail_is_shown_and_sent_again_on_request(make_portal, database_url):
    portal = make_portal(
        database_url,
        **{
            "routing.admin_alert_emails": ["admins@puente.example"],
            "routing.delivery_max_attempts": 1,
        },
    )
    portal.mail.refuse_next(1)
    alert_id = _gap(portal)
    wait_until(lambda: portal.mail.refused == 1, 10, "the refused alert e-mail")
    admin = portal.logged_in(ADMIN)
    page = wait_until(
        lambda: (p := text(admin.get("/portal/admin"))) and "could not be sent" in p and p,
        10,
        "the failure on the page",
    )
    assert "Send the e-mail again" in page
    admin.post(
        f"/portal/admin/alerts/{alert_id}", data={"do": "email", "csrf_token": csrf_from(page)}
    )
    wait_until(
        lambda: any(m["To"] == "admins@puente.example" for m in portal.mail.messages),
        10,
        "the e-mail",
    )
    with portal.runtime.db.session() as session:
        assert session.get(AdminAlert, alert_id).email_status == "sent"
