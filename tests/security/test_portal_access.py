"""What the portal's access tests leave open: another NGO's evidence through one's own case, the
remaining case action, CSRF on the forms that write to a worker, staff posting to admin forms.

Already covered in tests/portal: another NGO's case page, evidence and the acknowledge, accept,
decline, close, notes and reply actions answer 404
(test_cases.py::test_another_ngos_case_answers_404_for_page_evidence_and_actions,
test_evidence_is_decrypted_and_streamed_never_cached_never_a_path); a missing or forged CSRF token
on logout and a login form without one
(test_access.py::test_a_forged_or_missing_csrf_token_is_refused_with_a_clear_message,
test_a_login_form_from_another_site_is_refused); staff opening admin pages
(test_access.py::test_staff_cannot_open_the_admin_pages).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.cases.models import Note, Referral, RelayMessage, Report, ReportMedia
from bot.directory.models import NgoRecord
from bot.portal.models import User
from tests.portal.conftest import csrf_from, text

ANA, CHLOE = "ana@ngo-on.example.org", "chloe@ngo-qc.example.org"
PHOTO = b"\xff\xd8\xff\xe0 pay stub of a worker in Ontario"


def _evidence(portal, referral_id: int) -> int:
    with portal.runtime.db.session() as session:
        report = session.get(Report, session.get(Referral, referral_id).report_id)
        media = ReportMedia(
            report_id=report.id, content_type="image/jpeg", size=len(PHOTO), status="stored"
        )
        session.add(media)
        session.flush()
        portal.runtime.envelope.put(session, report.data_key_id, media, "data_enc", PHOTO)
        return media.id


def _counts(portal) -> tuple[int, int]:
    with portal.runtime.db.session() as session:
        return session.scalar(select(func.count(Note.id))), session.scalar(
            select(func.count(RelayMessage.id))
        )


def test_another_ngos_evidence_cannot_be_read_through_ones_own_case(portal):
    ontario = portal.file_report(portal.conversation(address="+15195550100"))
    quebec = portal.file_report(portal.conversation(address="+15145550123"), province="QC")
    photo_id = _evidence(portal, ontario)
    chloe = portal.logged_in(CHLOE)
    assert chloe.get(f"/portal/cases/{quebec}").status_code == 200  # her own case opens
    response = chloe.get(f"/portal/cases/{quebec}/evidence/{photo_id}")
    assert response.status_code == 404 and PHOTO not in response.data
    assert portal.logged_in(ANA).get(f"/portal/cases/{ontario}/evidence/{photo_id}").data == PHOTO


def test_another_ngos_case_refuses_the_status_action_and_the_referral_link_leads_nowhere(
    make_portal, sqlite_url
):
    portal = make_portal(sqlite_url)
    ontario = portal.file_report(portal.conversation())
    chloe = portal.logged_in(CHLOE)
    token = csrf_from(text(chloe.get("/portal/inbox")))
    response = chloe.post(
        f"/portal/cases/{ontario}/status", data={"csrf_token": token, "status": "in_progress"}
    )
    assert response.status_code == 404
    assert portal.referral(ontario).status in ("pending", "delivered")
    link = chloe.get(f"/portal/referrals/{ontario}", follow_redirects=True)
    assert link.status_code == 404 and "Granja" not in text(link)


@pytest.mark.parametrize("token", ["missing", "forged", "another-session"])
def test_writing_to_a_worker_or_the_case_needs_this_sessions_csrf_token(
    make_portal, sqlite_url, twilio, token
):
    portal = make_portal(sqlite_url)
    referral_id = portal.file_report(portal.conversation())
    ana = portal.logged_in(ANA)
    page = text(ana.get(f"/portal/cases/{referral_id}"))
    ana.post(f"/portal/cases/{referral_id}/acknowledge", data={"csrf_token": csrf_from(page)})
    sent_before, stored_before = len(twilio.messages), _counts(portal)
    # A page on another site can make Ana's browser post, but cannot read her token.
    sent = {
        "missing": None,
        "forged": "x" * 43,
        "another-session": csrf_from(
            text(portal.logged_in("ben@ngo-on.example.org").get("/portal/inbox"))
        ),
    }[token]
    for action in ("reply", "notes", "close", "decline"):
        data = {
            "body": "Send your passport number to this address",
            "outcome": "resolved",
            "reason": "other",
        }
        if sent is not None:
            data["csrf_token"] = sent
        response = ana.post(f"/portal/cases/{referral_id}/{action}", data=data)
        assert response.status_code == 400, action
        assert "This form could not be accepted" in text(response)
    header = ana.post(
        f"/portal/cases/{referral_id}/reply",
        data={"body": "hello"},
        headers={"X-CSRF-Token": sent or ""},
    )
    assert header.status_code == 400
    assert _counts(portal) == stored_before and len(twilio.messages) == sent_before
    assert portal.referral(referral_id).status == "acknowledged"


def test_staff_posting_to_the_admin_forms_change_nothing(make_portal, sqlite_url):
    portal = make_portal(sqlite_url)
    ana = portal.logged_in(ANA)
    token = csrf_from(text(ana.get("/portal/inbox")))
    attempts = {
        "/portal/admin/users": {
            "email": "mallory@ngo-on.example.org",
            "password": "a long enough password",
            "role": "admin",
            "name": "Mallory",
        },
        f"/portal/admin/users/{portal.users[ANA]}": {"role": "admin", "ngo_id": "ngo-qc"},
        "/portal/admin/ngos/ngo-qc": {"active": "0", "capacity": "0"},
    }
    for path, data in attempts.items():
        assert ana.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    with portal.runtime.db.session() as session:
        assert session.scalar(select(func.count(User.id))) == len(portal.users)
        ana_row = session.get(User, portal.users[ANA])
        assert (ana_row.role, ana_row.ngo_id) == ("staff", "ngo-on")
        quebec = session.get(NgoRecord, "ngo-qc")
        assert quebec.active and quebec.capacity == 50
