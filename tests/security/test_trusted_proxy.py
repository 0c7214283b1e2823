"""The client's address behind a reverse proxy (issue 22, item 8, first part): X-Forwarded-For is
believed only for the configured number of proxies (portal.trusted_proxies, werkzeug ProxyFix), so
login throttling counts the real client, and a client cannot pick its own address."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.portal.models import AuditLog
from bot.portal.throttle import FAILED, Throttle
from tests.portal.conftest import csrf_from


def _failed_login_address(portal, forwarded_for: str) -> str:
    client = portal.client()
    token = csrf_from(client.get("/portal/login").get_data(as_text=True))
    client.post(
        "/portal/login",
        data={
            "email": "ana@ngo-on.example.org",
            "password": "wrong password!",
            "csrf_token": token,
        },
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    with portal.runtime.db.session() as session:
        return session.scalar(
            select(AuditLog.target).where(AuditLog.action == FAILED).order_by(AuditLog.id.desc())
        )


@pytest.mark.parametrize("proxies, counted", [(0, "10.0.0.2"), (1, "203.0.113.9")])
def test_the_address_login_throttling_counts_comes_from_a_trusted_proxy_only(
    make_portal, sqlite_url, proxies, counted
):
    portal = make_portal(sqlite_url, **{"portal.trusted_proxies": proxies})
    throttle = Throttle(portal.runtime.settings.portal, portal.runtime.vault)
    # The client claims 198.51.100.7; the proxy (10.0.0.2) appended the address it saw.
    assert _failed_login_address(portal, "198.51.100.7, 203.0.113.9") == throttle.address_key(
        counted
    )
