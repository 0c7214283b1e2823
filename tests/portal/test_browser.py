"""End to end in real headless Chromium against the app on a real local server.

A worker reports through the signed Twilio webhook; staff of the matched NGO log in on a 360 px wide
phone screen, see and acknowledge the case, and reply; the reply reaches the worker at the
Twilio-compatible server; the worker's answer (with a <script>) shows as text; staff of another NGO
get 404. Needs Debian's chromium (`apt-get install -y chromium`): without it the test fails.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.conftest import PUBLIC_URL
from tests.portal.conftest import PASSWORD
from tests.support.services import listening
from tests.support.webhooks import inbound_params, signed_webhook_post

WORKER = "+15195550101"
BOT_NUMBER = "+15550109999"
WIDTH = 360
#: A report in Spanish by SMS, answer by answer (the report flow's questions, in order: danger,
#: the account skipped, the problem, employer and town, who receives it, send; the last declines
#: the optional PIN).
REPORT = [
    "hola",
    "quiero denunciar a mi patrón",
    "no",
    "1",
    "1",
    "Granja Los Pinos, Leamington",
    "1",
    "1",
    "1",
]
CODE = re.compile(r"\b([2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4})\b")


@pytest.fixture
def served(make_portal, sqlite_url) -> Iterator[tuple[str, object]]:
    portal = make_portal(sqlite_url)
    with listening(portal.bot.app) as url:
        yield url, portal


def _worker_says(url: str, portal, body: str, sender: str = WORKER) -> None:
    params = inbound_params(sender, BOT_NUMBER, body)
    response = signed_webhook_post(
        url, "/webhooks/twilio", params, portal.runtime.settings.twilio.auth_token, PUBLIC_URL
    )
    assert response.status_code == 200, response.text


def _report_by_sms(url: str, portal, twilio) -> str:
    for body in REPORT:
        _worker_says(url, portal, body)
    transcript = "\n".join(m.body for m in twilio.messages if m.to == WORKER)
    found = CODE.search(transcript)
    assert found, f"the report flow gave no case code:\n{transcript}"
    return found.group(1)


def _log_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/portal/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _no_horizontal_scroll(page) -> int:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} scrolls sideways at {WIDTH} px: {width} px wide"
    return width


@pytest.mark.slow
def test_report_to_reply_in_a_real_browser(served, chromium, twilio, tmp_path):
    url, portal = served
    code = _report_by_sms(url, portal, twilio)
    stored_after = _seconds_until_referral(portal)

    context = chromium.new_context(viewport={"width": WIDTH, "height": 740}, locale="en-CA")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login_started = time.monotonic()
    _log_in(page, url, "ana@ngo-on.example.org")
    page.wait_for_url(re.compile(r".*/portal/inbox$"))
    case_link = page.locator("a.case-link").first
    case_link.wait_for()
    login_to_inbox = time.monotonic() - login_started
    assert "New" in page.locator("li.case-card").first.inner_text()
    page.screenshot(path=str(tmp_path / "inbox-360.png"), full_page=True)
    _no_horizontal_scroll(page)

    case_link.click()
    page.wait_for_url(re.compile(r".*/portal/cases/\d+$"))
    case_url = page.url
    assert "Granja Los Pinos" in page.content()
    page.get_by_role("button", name=re.compile("Acknowledge")).click()
    page.get_by_text("Case acknowledged").wait_for()
    sent_before = len(twilio.messages)
    page.get_by_label("Write to the worker").fill(
        "Hola, somos Ontario Workers Aid. ¿Te podemos ayudar?"
    )
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Message sent to the worker.").wait_for()
    first_reply = time.monotonic() - login_started
    replies = [
        m
        for m in twilio.wait_for_messages(sent_before + 1)[sent_before:]
        if m.to == WORKER and "¿Te podemos ayudar?" in m.body
    ]
    assert len(replies) == 1 and "Ontario Workers Aid" in replies[0].body

    _worker_says(url, portal, "<script>alert('pwned')</script> Gracias, sí")
    page.goto(case_url)
    thread = page.locator("ol.thread")
    assert "<script>alert('pwned')</script> Gracias, sí" in thread.inner_text()
    # No script but the portal's own files (the SMS length hint): the worker's text stayed text.
    assert (
        page.evaluate(
            "[...document.scripts].filter(s => !s.src.includes('/portal/static/')).length"
        )
        == 0
    )
    assert dialogs == []
    page.screenshot(path=str(tmp_path / "case-360.png"), full_page=True)
    _no_horizontal_scroll(page)
    assert code.replace("-", "") not in page.content().replace(
        "-", ""
    )  # the worker's code stays theirs

    other = chromium.new_context(
        viewport={"width": WIDTH, "height": 740}, locale="en-CA"
    ).new_page()
    _log_in(other, url, "chloe@ngo-qc.example.org")
    other.wait_for_url(re.compile(r".*/portal/inbox$"))
    response = other.goto(case_url)
    assert response.status == 404
    assert "Granja Los Pinos" not in other.content()
    print(
        f"\nreferral in the portal {stored_after * 1000:.0f} ms after the worker's last answer was "
        f"acknowledged; login to inbox {login_to_inbox:.2f} s, login to first reply {first_reply:.2f} s "
        f"(automated browser); screenshots in {tmp_path}"
    )


def _seconds_until_referral(portal, timeout: float = 5.0) -> float:
    """How long after the webhook answered the case is in the NGO's inbox (jobs may be async)."""
    from sqlalchemy import func, select

    from bot.cases.models import Referral

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        with portal.runtime.db.session() as session:
            if session.scalar(select(func.count(Referral.id)).where(Referral.ngo_id == "ngo-on")):
                return time.monotonic() - start
        time.sleep(0.02)
    pytest.fail("the referral did not reach the matched NGO within 5 s")
