"""E-mails to an NGO's staff: a new case, a worker's reply. They link to the portal and say nothing else."""

from __future__ import annotations

from bot.portal import notify
from bot.runtime import set_current

ANA, BEN = "ana@ngo-on.example.org", "ben@ngo-on.example.org"


def _staff_mails(portal, subject_part):
    return [m for m in portal.mail.messages if subject_part in m["Subject"] and m["To"] in (ANA, BEN)]


def test_a_new_referral_is_emailed_to_each_active_staff_member_once(portal):
    referral_id = portal.file_report(portal.conversation(), details="mi jefe no me paga")
    set_current(portal.runtime)
    before = len(_staff_mails(portal, "New case"))
    assert notify.new_referral(referral_id) == 2 - before  # routing may have queued it already
    mails = _staff_mails(portal, "New case")
    assert sorted(m["To"] for m in mails) == [ANA, BEN]
    assert notify.new_referral(referral_id) == 0  # a retried job sends nothing twice
    body = mails[0].get_body(("plain",)).get_content()
    assert f"http://localhost/portal/cases/{referral_id}" in body
    assert "no me paga" not in body and "Granja" not in body and "5195550101" not in body
    assert mails[0]["Subject"] == f"New case #{referral_id} for Ontario Workers Aid"


def test_staff_read_notices_in_their_own_language(portal):
    with portal.runtime.db.session() as session:
        from bot.portal.models import User

        session.get(User, portal.users[BEN]).language = "fr"
    referral_id = portal.file_report(portal.conversation())
    set_current(portal.runtime)
    notify.new_referral(referral_id)
    french = [m for m in portal.mail.messages if m["To"] == BEN and "Nouveau dossier" in m["Subject"]]
    assert len(french) == 1


def test_no_mail_server_configured_means_no_notice_and_no_error(make_portal, database_url):
    portal = make_portal(database_url, **{"smtp.host": None})
    referral_id = portal.file_report(portal.conversation())
    set_current(portal.runtime)
    assert notify.new_referral(referral_id) == 0
