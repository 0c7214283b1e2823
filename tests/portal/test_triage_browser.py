"""The portal as staff and administrators use it, in real headless Chromium at 1280 and 360 px, with
the default settings (no mail server): a report through the signed webhook reaches the inbox; a
danger case and a case with a worker's reply rise above older ones; assigning; the composer is on
screen without scrolling on a phone and the page keeps its place after sending; an administrator
reaches an alert and the indicators from the landing page. axe-core checks every page on the way:
no serious or critical violation (colour contrast included, charts too).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.cases.models import Referral
from tests.portal.conftest import ago
from tests.portal.test_browser import _log_in, _report_by_sms, _worker_says
from tests.support import axe
from tests.support.services import listening

PHONE, DESKTOP = {"width": 360, "height": 740}, {"width": 1280, "height": 900}


@pytest.fixture
def served_default(make_portal, sqlite_url) -> Iterator[tuple[str, object]]:
    """The app on a local server with the README's default: no SMTP server configured."""
    portal = make_portal(sqlite_url, **{"smtp.host": None})
    with listening(portal.bot.app) as url:
        yield url, portal


@pytest.fixture(scope="module")
def axe_js() -> str:
    return axe.source()


def _checked(page, axe_js: str, where: str, checked: dict[str, list]) -> None:
    found = axe.violations(page, axe_js)
    checked[where] = found
    assert axe.blocking(found) == [], f"{where}: {axe.blocking(found)}"


def _aged(portal, referral_id: int, **delta) -> None:
    with portal.runtime.db.session() as session:
        session.get(Referral, referral_id).created_at = ago(**delta)


def _order(page) -> list[int]:
    return [
        int(n)
        for n in page.locator("li.case-card").evaluate_all(
            "els => els.map(e => e.dataset.referral)"
        )
    ]


@pytest.mark.slow
def test_triage_assignment_composer_and_admin_alerts_in_a_real_browser(
    served_default, chromium, twilio, axe_js
):
    url, portal = served_default
    _report_by_sms(url, portal, twilio)  # through the signed webhook, default settings
    with portal.runtime.db.session() as session:
        webhook_case = session.scalar(select(Referral.id))
    old = portal.file_report(portal.conversation("+15195550102"))
    replied = portal.file_report(portal.conversation("+15195550103"))
    danger = portal.file_report(portal.conversation("+15195550104"), danger=True)
    for referral_id, hours in ((old, 20), (replied, 10), (danger, 1)):
        _aged(portal, referral_id, hours=hours)
    checked: dict[str, list] = {}

    desk = chromium.new_context(viewport=DESKTOP, locale="en-CA", bypass_csp=True).new_page()
    _log_in(desk, url, "ana@ngo-on.example.org")
    desk.wait_for_url(re.compile(r".*/portal/inbox$"))
    assert webhook_case in _order(desk)  # delivered with no mail server at all
    desk.goto(f"{url}/portal/cases/{replied}")
    desk.get_by_role("button", name=re.compile("Acknowledge")).click()
    desk.get_by_text("Case acknowledged").wait_for()
    desk.get_by_label("Write to the worker").fill("¿Cuándo te pagaron?")
    desk.get_by_role("button", name="Send").click()
    desk.get_by_text("Message sent to the worker.").wait_for()
    _worker_says(url, portal, "Hace un mes", sender="+15195550103")
    desk.goto(f"{url}/portal/inbox")
    assert _order(desk) == [danger, replied, old, webhook_case]
    _checked(desk, axe_js, "inbox 1280", checked)

    desk.goto(f"{url}/portal/cases/{webhook_case}")
    desk.get_by_label("Staff member in charge").select_option(label="Ana (me)")
    desk.get_by_role("button", name="Assign").click()
    desk.get_by_text("Case assigned.").wait_for()
    _checked(desk, axe_js, "case 1280", checked)
    desk.goto(f"{url}/portal/inbox?owner=mine")
    assert _order(desk) == [webhook_case]
    assert "Assigned to you" in desk.locator("li.case-card").first.inner_text()
    desk.goto(f"{url}/portal/saved-replies")
    desk.get_by_label("Short name").fill("Llamada")
    desk.get_by_label("Text sent to the worker").fill("¿Podemos llamarte mañana?")
    desk.get_by_role("button", name="Add", exact=True).click()
    desk.get_by_text("Saved reply saved.").wait_for()
    _checked(desk, axe_js, "saved replies 1280", checked)

    phone = chromium.new_context(
        viewport=PHONE, locale="en-CA", bypass_csp=True, is_mobile=True
    ).new_page()
    _log_in(phone, url, "ana@ngo-on.example.org")
    phone.wait_for_url(re.compile(r".*/portal/inbox$"))
    _checked(phone, axe_js, "inbox 360", checked)
    phone.goto(f"{url}/portal/cases/{replied}")
    box = phone.get_by_label("Write to the worker")
    top = box.bounding_box()
    assert top["y"] + top["height"] <= PHONE["height"], f"composer below the fold at {top}"
    box.fill("Hola")
    assert "1 SMS part(s)" in phone.locator("#sms-hint").inner_text()
    phone.get_by_label("Saved replies in Spanish").select_option(label="Llamada")
    phone.get_by_role("button", name="Use this reply").click()
    assert phone.get_by_label("Write to the worker").input_value() == "¿Podemos llamarte mañana?"
    _checked(phone, axe_js, "case 360", checked)
    phone.get_by_role("button", name="Send").click()
    phone.get_by_text("Message sent to the worker.").wait_for()
    assert phone.url.endswith("#reply")
    # back at the conversation, not the top of the page (the browser scrolls once laid out)
    phone.wait_for_function("window.scrollY > 0", timeout=5000)
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]

    admin = chromium.new_context(viewport=DESKTOP, locale="en-CA", bypass_csp=True).new_page()
    _log_in(admin, url, "admin@puente.example.org")
    admin.goto(f"{url}/portal/admin")
    alert = admin.locator("li.card.alert-notice_failed").first
    assert "smtp.host" in alert.inner_text() and "Ontario Workers Aid" in alert.inner_text()
    _checked(admin, axe_js, "admin home 1280", checked)
    admin.get_by_role("link", name="Indicators (anonymous figures)").click()
    admin.wait_for_url(re.compile(r".*/admin/$"))
    _checked(admin, axe_js, "indicators 1280", checked)
    _charts_legible(admin, DESKTOP)
    small = chromium.new_context(viewport=PHONE, locale="en-CA", bypass_csp=True).new_page()
    _log_in(small, url, "admin@puente.example.org")
    small.goto(f"{url}/admin/")
    _checked(small, axe_js, "indicators 360", checked)
    _charts_legible(small, PHONE)
    small.get_by_role("button", name="Français").click()  # the portal's language switcher
    small.goto(f"{url}/admin/")
    small.get_by_role("heading", name="Indicateurs du programme").wait_for()
    _checked(small, axe_js, "indicateurs 360", checked)
    _charts_legible(small, PHONE)
    admin.reload()  # the administrator's choice follows them to the other window
    admin.get_by_role("heading", name="Portée").wait_for()
    _charts_legible(admin, DESKTOP)
    small.get_by_role("button", name="English").click()
    small.goto(f"{url}/portal/admin/audit")
    _checked(small, axe_js, "audit log 360", checked)
    print(
        "\naxe-core",
        axe.VERSION,
        "violations (moderate/minor only):",
        {where: [v["id"] for v in found] for where, found in checked.items()},
    )


def _charts_legible(page, viewport: dict) -> None:
    """Every chart text at least 12 px as drawn, at 4.5:1 or more on white, counts as whole numbers,
    and the page no wider than the screen."""
    texts = _chart_texts(page)
    assert texts, "no chart on the indicators page"
    assert min(t["px"] for t in texts) >= 12, [t for t in texts if t["px"] < 12][:3]
    assert min(_contrast(t["fill"]) for t in texts) >= 4.5
    assert not [
        t["text"] for t in texts if re.fullmatch(r"\d+[.,]\d+", t["text"])
    ]  # counts: whole numbers
    assert page.evaluate("document.scrollingElement.scrollWidth") <= viewport["width"]


def _chart_texts(page) -> list[dict]:
    """Every text drawn in the charts, with its size as rendered (the SVG may be scaled) and colour."""
    return page.evaluate("""() => [...document.querySelectorAll('.chart svg')].flatMap(svg => {
      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      return [...svg.querySelectorAll('text')].map(t => ({text: t.textContent,
        px: parseFloat(getComputedStyle(t).fontSize) * scale, fill: getComputedStyle(t).fill}));
    })""")


def _contrast(rgb: str) -> float:
    """WCAG contrast of an ``rgb(r, g, b)`` colour against the white the charts are drawn on."""

    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (float(v) for v in re.findall(r"[\d.]+", rgb)[:3])
    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return 1.05 / (luminance + 0.05)
