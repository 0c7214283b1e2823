"""An NGO's legal hold keeps a case past the retention purge (issue 22, item 7)."""

from __future__ import annotations

from sqlalchemy import select

from bot.cases.models import Report
from tests.portal.conftest import csrf_from, text


def test_staff_set_and_release_a_legal_hold_from_the_case_page(portal):
    referral_id = portal.file_report(portal.conversation())
    ana = portal.logged_in("ana@ngo-on.example.org")
    for value, expected, flashed in (
        ("on", True, "Legal hold set."),
        ("off", False, "Legal hold released."),
    ):
        page = text(ana.get(f"/portal/cases/{referral_id}"))
        response = ana.post(
            f"/portal/cases/{referral_id}/hold", data={"hold": value, "csrf_token": csrf_from(page)}
        )
        assert flashed in text(ana.get(response.headers["Location"]))
        with portal.runtime.db.session() as session:
            assert session.scalar(select(Report.legal_hold)) is expected
