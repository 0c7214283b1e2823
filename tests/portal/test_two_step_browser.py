"""Two-step sign-in in real headless Chromium at 360 px: an administrator is sent to set it up,
scans (reads) the key, confirms with a code, and signs in again with a password then a code.
axe-core checks the setup and code pages."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pyotp
import pytest

from tests.portal.test_browser import _log_in
from tests.support import axe
from tests.support.services import listening

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def served_strict(make_portal, sqlite_url) -> Iterator[tuple[str, object]]:
    portal = make_portal(sqlite_url, **{"portal.admin_totp_required": True})
    with listening(portal.bot.app) as url:
        yield url, portal


@pytest.mark.slow
def test_an_administrator_sets_up_and_signs_in_with_a_code_in_a_real_browser(
    served_strict, chromium
):
    url, _portal = served_strict
    axe_js = axe.source()
    page = chromium.new_context(viewport=PHONE, locale="en-CA", bypass_csp=True).new_page()
    _log_in(page, url, "admin@puente.example.org")
    page.goto(f"{url}/portal/admin")
    page.wait_for_url(re.compile(r".*/portal/account/2fa$"))
    page.get_by_text("Your account must sign in in two steps").wait_for()
    assert axe.blocking(axe.violations(page, axe_js)) == []
    totp = pyotp.TOTP(page.locator("code.secret").inner_text().strip())
    # Each code is taken just before it is typed: on a loaded machine a page can take longer than
    # the 30 s a code lasts. The second must belong to a later step (a used step is refused).
    first = int(time.time() // totp.interval)
    page.get_by_label("6-digit code").fill(totp.at(first * totp.interval))
    page.get_by_role("button", name="Turn on", exact=True).click()
    page.wait_for_url(re.compile(r".*/portal/admin$"))

    page.get_by_role("button", name="Log out").click()
    _log_in(page, url, "admin@puente.example.org")
    page.wait_for_url(re.compile(r".*/portal/login/code$"))
    assert axe.blocking(axe.violations(page, axe_js)) == []
    second = max(first + 1, int(time.time() // totp.interval))
    page.get_by_label("6-digit code").fill(totp.at(second * totp.interval))
    page.get_by_role("button", name="Confirm", exact=True).click()
    page.wait_for_url(re.compile(r".*/portal/admin$"))
    page.goto(f"{url}/admin/")
    assert page.get_by_role("heading", name="Program indicators").is_visible()
