"""E-mails to an NGO's staff: a new case, a worker's reply. They link to the portal and say nothing else."""

from __future__ import annotations

from bot.portal import accounts, notify
from bot.portal.models import User
from bot.runtime import set_current
from tests.portal.conftest import PASSWORD, csrf_from, text

ANA, BEN = "ana@ngo-on.example.org", "ben@ngo-on.example.org"


def _staff_mails(portal, subject_part):
    return [
        m for m in portal.mail.messages if subject_part in m["Subject"] and m["To"] in (ANA, BEN)
    ]


def test_a_new_referral_is_emailed_to_each_active_staff_member_once(portal):
    referral_id = portal.file_report(portal.conversation(), details="mi jefe no me paga")
    mails = _staff_mails(portal, "New case")
    assert sorted(m["To"] for m in mails) == [ANA, BEN]
    set_current(portal.runtime)
    assert notify.new_referral(referral_id) == 0  # a retried job sends nothing twice
    body = mails[0].get_body(("plain",)).get_content()
    assert f"http://localhost/portal/cases/{referral_id}" in body
    assert "no me paga" not in body and "Granja" not in body and "5195550101" not in body
    assert mails[0]["Subject"] == f"New case #{referral_id} for Ontario Workers Aid"


def test_staff_read_notices_in_their_own_language(portal):
    with portal.runtime.db.session() as session:
        session.get(User, portal.users[BEN]).language = "fr"
    portal.file_report(portal.conversation())
    french = [
        m for m in portal.mail.messages if m["To"] == BEN and "Nouveau dossier" in m["Subject"]
    ]
    assert len(french) == 1


def test_no_mail_server_configured_means_no_notice_and_no_error(make_portal, database_url):
    portal = make_portal(database_url, **{"smtp.host": None})
    referral_id = portal.file_report(portal.conversation())
    set_current(portal.runtime)
    assert notify.new_referral(referral_id) == 0
    assert portal.mail.messages == []


def test_a_case_declined_by_one_ngo_is_announced_to_the_next(portal):
    referral_id = portal.file_report(portal.conversation(), province="QC")
    chloe = portal.logged_in("chloe@ngo-qc.example.org")
    page = text(chloe.get(f"/portal/cases/{referral_id}"))
    with portal.runtime.db.session() as session:
        accounts.create_user(
            session, email="dora@ngo-qc2.example.org", password=PASSWORD, ngo_id="ngo-qc2"
        )
    chloe.post(
        f"/portal/cases/{referral_id}/decline",
        data={"reason": "capacity", "csrf_token": csrf_from(page)},
    )
    assert portal.referral(referral_id).status == "declined"
    notices = [m for m in portal.mail.messages if m["To"] == "dora@ngo-qc2.example.org"]
    assert len(notices) == 1 and "Deuxième Aide Québec" in notices[0]["Subject"]
    dora = portal.logged_in("dora@ngo-qc2.example.org")
    assert "Cases shown: 1" in text(dora.get("/portal/inbox"))
