"""The inbox and the case page: only one's own NGO's cases, only what the worker shared, every step audited."""

from __future__ import annotations

from sqlalchemy import select

from bot.cases.models import Referral, Report, ReportMedia
from bot.directory.models import NgoRecord
from bot.portal.models import AuditLog
from tests.portal.conftest import ago, csrf_from, text

ANA, CHLOE, ADMIN = "ana@ngo-on.example.org", "chloe@ngo-qc.example.org", "admin@puente.example.org"


def _actions(portal, user_email):
    with portal.runtime.db.session() as session:
        return list(
            session.execute(
                select(AuditLog.action, AuditLog.target)
                .where(AuditLog.user_id == portal.users[user_email])
                .order_by(AuditLog.id)
            )
        )


def _act(portal, client, referral_id, action, **data):
    page = client.get(f"/portal/cases/{referral_id}")
    return client.post(
        f"/portal/cases/{referral_id}/{action}", data={**data, "csrf_token": csrf_from(text(page))}
    )


def test_a_new_referral_is_in_the_matched_ngos_inbox_and_nowhere_else(portal):
    referral_id = portal.file_report(portal.conversation())
    ana = portal.logged_in(ANA)
    page = text(ana.get("/portal/inbox"))
    assert f"Case #{referral_id}" in page and "Ontario" in page and "Wages" in page
    assert '<span class="count">1</span>' in page
    chloe = portal.logged_in(CHLOE)
    assert f"Case #{referral_id}" not in text(chloe.get("/portal/inbox"))


def test_another_ngos_case_answers_404_for_page_evidence_and_actions(portal):
    referral_id = portal.file_report(portal.conversation())
    chloe = portal.logged_in(CHLOE)
    assert chloe.get(f"/portal/cases/{referral_id}").status_code == 404
    assert chloe.get(f"/portal/cases/{referral_id}/evidence/1").status_code == 404
    token = csrf_from(text(chloe.get("/portal/inbox")))
    for action in ("acknowledge", "accept", "decline", "close", "notes", "reply"):
        response = chloe.post(
            f"/portal/cases/{referral_id}/{action}", data={"csrf_token": token, "body": "x"}
        )
        assert response.status_code == 404, action
    assert portal.referral(referral_id).status in ("pending", "delivered")
    assert ("case.not_found", f"referral:{referral_id}") in _actions(portal, CHLOE)


def test_an_administrator_without_an_ngo_does_not_see_case_contents(portal):
    referral_id = portal.file_report(portal.conversation())
    admin = portal.logged_in(ADMIN)
    response = admin.get(f"/portal/cases/{referral_id}")
    assert response.status_code == 302 and "Granja" not in text(response)


def test_the_case_page_shows_what_the_worker_shared_and_why_this_ngo(portal):
    referral_id = portal.file_report(
        portal.conversation(), details="Nos pagan menos del mínimo", since="1_to_6_months"
    )
    page = text(portal.logged_in(ANA).get(f"/portal/cases/{referral_id}"))
    for shown in (
        "Granja Los Pinos",
        "Leamington",
        "Ontario",
        "Wages",
        "Nos pagan menos del mínimo",
        "What the worker agreed to share",
        "Not their phone number: write to them through Puente",
        "did not agree to the Government of Canada's tip line",
        "Why your organization",
        "Timeline",
        "Report filed",
    ):
        assert shown in page, shown
    assert "+1519" not in page and "5195550101" not in page


def test_the_workers_number_is_shown_only_if_shared_and_once_the_case_is_taken(portal):
    referral_id = portal.file_report(
        portal.conversation(address="+15195550177"), contact="share_number"
    )
    ana = portal.logged_in(ANA)
    page = text(ana.get(f"/portal/cases/{referral_id}"))
    assert "+15195550177" not in page and "it is shown here once you acknowledge" in page
    assert _act(portal, ana, referral_id, "acknowledge").status_code == 302
    page = text(ana.get(f"/portal/cases/{referral_id}"))
    assert "+15195550177" in page and "never shows you their number" not in page


def test_html_and_scripts_in_worker_text_and_notes_are_shown_as_text(portal):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    referral_id = portal.file_report(portal.conversation(), details=attack, employer="<b>Boss</b>")
    ana = portal.logged_in(ANA)
    _act(portal, ana, referral_id, "notes", body="<script>document.title='owned'</script>")
    raw = ana.get(f"/portal/cases/{referral_id}").get_data(as_text=True)
    assert "<script>" not in raw and "<img src=x" not in raw and "<b>Boss</b>" not in raw
    assert "&lt;script&gt;alert(" in raw and "&lt;b&gt;Boss&lt;/b&gt;" in raw
    assert "&lt;script&gt;document.title" in raw


def test_acknowledge_accept_and_close_move_the_case_and_tell_the_worker(portal, twilio):
    referral_id = portal.file_report(portal.conversation())
    ana = portal.logged_in(ANA)
    before = len(twilio.messages)
    response = _act(portal, ana, referral_id, "acknowledge")
    assert response.status_code == 302
    assert "Case acknowledged" in text(ana.get(response.headers["Location"]))
    assert portal.referral(referral_id).status == "acknowledged"
    assert _act(portal, ana, referral_id, "accept").status_code == 302
    assert portal.referral(referral_id).status == "accepted"
    _act(portal, ana, referral_id, "close", outcome="resolved", note="Paid back in full")
    referral = portal.referral(referral_id)
    assert referral.status == "closed" and referral.outcome == "resolved"
    page = text(ana.get(f"/portal/cases/{referral_id}"))
    assert "Resolved" in page and "Paid back in full" in page and "This case is closed." in page
    assert len(twilio.wait_for_messages(before + 3)) >= before + 3  # acknowledged, accepted, closed
    actions = {a for a, _ in _actions(portal, ANA)}
    assert {"case.view", "case.acknowledge", "case.accept", "case.close"} <= actions


def test_closing_needs_an_outcome_category(portal):
    referral_id = portal.file_report(portal.conversation())
    ana = portal.logged_in(ANA)
    _act(portal, ana, referral_id, "acknowledge")
    response = _act(portal, ana, referral_id, "close", outcome="made_up")
    assert "Choose an outcome" in text(ana.get(response.headers["Location"]))
    assert portal.referral(referral_id).status == "acknowledged"


def test_declining_passes_the_case_on_and_it_leaves_the_inbox(portal):
    referral_id = portal.file_report(portal.conversation())
    ana = portal.logged_in(ANA)
    assert _act(portal, ana, referral_id, "decline", reason="capacity").status_code == 302
    assert portal.referral(referral_id).status == "declined"
    assert ana.get(f"/portal/cases/{referral_id}").status_code == 404
    assert f"Case #{referral_id}" not in text(ana.get("/portal/inbox"))


def test_a_move_that_is_no_longer_possible_gets_a_clear_message(portal):
    referral_id = portal.file_report(portal.conversation())
    ana = portal.logged_in(ANA)
    page = text(ana.get(f"/portal/cases/{referral_id}"))
    _act(portal, ana, referral_id, "acknowledge")
    _act(portal, ana, referral_id, "close", outcome="withdrawn")
    # A second tab still shows the old form: accepting a closed case is refused, not applied.
    response = ana.post(f"/portal/cases/{referral_id}/accept", data={"csrf_token": csrf_from(page)})
    assert "the case has moved on" in text(ana.get(response.headers["Location"]))
    assert portal.referral(referral_id).status == "closed"


def test_inbox_tabs_filters_and_counts(portal):
    on = portal.file_report(portal.conversation("+15195550101"), types=["wages"])
    housing = portal.file_report(portal.conversation("+15195550102"), types=["housing", "hours"])
    old = portal.file_report(portal.conversation("+15195550103"), types=["fees"])
    with portal.runtime.db.session() as session:
        session.get(Referral, old).created_at = ago(days=40)
    ana = portal.logged_in(ANA)
    _act(portal, ana, housing, "acknowledge")

    def shown(query: str) -> set[int]:
        page = text(ana.get(f"/portal/inbox{query}"))
        return {rid for rid in (on, housing, old) if f"Case #{rid}<" in page}

    assert shown("") == {on, housing, old}
    assert shown("?status=new") == {on, old}
    assert shown("?status=acknowledged") == {housing}
    assert shown("?status=closed") == set()
    assert shown("?abuse_type=housing") == {housing}
    assert shown("?abuse_type=fees") == {old}
    assert shown("?province=QC") == set()
    assert shown("?age=7d") == {on, housing}
    assert shown("?age=older") == {old}
    page = text(ana.get("/portal/inbox?abuse_type=wages"))
    assert "Cases shown: 1" in page


def test_evidence_is_decrypted_and_streamed_never_cached_never_a_path(portal):
    referral_id = portal.file_report(portal.conversation())
    photo = b"\xff\xd8\xff\xe0" + b"JPEGDATA" * 2000
    with portal.runtime.db.session() as session:
        report = session.get(Report, session.get(Referral, referral_id).report_id)
        media = ReportMedia(
            report_id=report.id, content_type="image/jpeg", size=len(photo), status="stored"
        )
        script = ReportMedia(
            report_id=report.id, content_type="text/html", size=20, status="stored"
        )
        session.add_all([media, script])
        session.flush()
        portal.runtime.envelope.put(session, report.data_key_id, media, "data_enc", photo)
        portal.runtime.envelope.put(
            session, report.data_key_id, script, "data_enc", b"<script>alert(1)</script>"
        )
        media_id, script_id = media.id, script.id
    ana = portal.logged_in(ANA)
    page = ana.get(f"/portal/cases/{referral_id}").get_data(as_text=True)
    assert f"/portal/cases/{referral_id}/evidence/{media_id}" in page and "instance" not in page
    response = ana.get(f"/portal/cases/{referral_id}/evidence/{media_id}")
    assert response.status_code == 200 and response.data == photo
    assert response.headers["Content-Type"] == "image/jpeg"
    assert "no-store" in response.headers["Cache-Control"]
    assert (
        response.headers["Content-Disposition"]
        == f'inline; filename="evidence-{referral_id}-{media_id}.jpg"'
    )
    html = ana.get(f"/portal/cases/{referral_id}/evidence/{script_id}")
    assert html.headers["Content-Type"] == "application/octet-stream"
    assert html.headers["Content-Disposition"].startswith("attachment")
    assert ("case.evidence", f"referral:{referral_id}:media:{media_id}") in _actions(portal, ANA)
    assert (
        portal.logged_in(CHLOE).get(f"/portal/cases/{referral_id}/evidence/{media_id}").status_code
        == 404
    )


def test_internal_notes_stay_within_the_ngo_and_are_encrypted(portal):
    referral_id = portal.file_report(portal.conversation())
    ana = portal.logged_in(ANA)
    _act(portal, ana, referral_id, "notes", body="Called the employer's office")
    assert "Called the employer's office" in text(
        portal.logged_in("ben@ngo-on.example.org").get(f"/portal/cases/{referral_id}")
    )
    with portal.runtime.db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT body_enc FROM notes").fetchall()
    assert rows and all("employer" not in row[0] for row in rows)


def test_administrators_read_the_audit_log_of_views_and_actions(portal):
    referral_id = portal.file_report(portal.conversation())
    ana = portal.logged_in(ANA)
    _act(portal, ana, referral_id, "acknowledge")
    admin = portal.logged_in(ADMIN)
    page = text(admin.get("/portal/admin/audit?action=case."))
    assert "<td>Viewed</td>" in page and "<td>Acknowledged</td>" in page and ANA in page
    assert f"<td>Case #{referral_id}</td>" in page and "referral:" not in page
    page = text(admin.get(f"/portal/admin/audit?user={ANA}"))
    assert "<td>Signed in</td>" in page and "<td>Acknowledged</td>" in page
    admin.post(
        "/portal/language",
        data={"language": "fr", "next": "/portal/admin/audit", "csrf_token": csrf_from(page)},
    )
    assert "<td>A pris en compte</td>" in text(admin.get("/portal/admin/audit?action=case."))


def test_administrators_manage_ngos_and_accounts_in_the_portal(portal):
    admin = portal.logged_in(ADMIN)
    page = text(admin.get("/portal/admin/users"))
    token = csrf_from(page)
    response = admin.post(
        "/portal/admin/users",
        data={
            "csrf_token": token,
            "email": "dora@ngo-qc.example.org",
            "name": "Dora",
            "role": "staff",
            "ngo_id": "ngo-qc",
            "language": "fr",
        },
    )
    assert "Invitation sent to dora@ngo-qc.example.org." in text(
        admin.get(response.headers["Location"])
    )
    response = admin.post(
        "/portal/admin/users",
        data={"csrf_token": token, "email": "eve@example.org", "role": "staff"},
    )
    assert "Staff accounts belong to one organization" in text(
        admin.get(response.headers["Location"])
    )
    asked = admin.post("/portal/admin/ngos/ngo-qc", data={"csrf_token": token, "active": "0"})
    assert asked.status_code == 200 and "Deactivate Aide Québec?" in text(asked)
    with portal.runtime.db.session() as session:
        assert session.get(NgoRecord, "ngo-qc").active  # nothing done before the confirmation
    response = admin.post(
        "/portal/admin/ngos/ngo-qc",
        data={"csrf_token": csrf_from(text(asked)), "active": "0", "confirmed": "1"},
    )
    assert response.status_code == 302
    assert portal.login(portal.client(), CHLOE).status_code == 403
    actions = [a for a, _ in _actions(portal, ADMIN)]
    assert "admin.user_invite" in actions and "admin.ngo_inactive" in actions


def test_report_text_in_the_database_is_never_in_clear(portal):
    portal.file_report(portal.conversation(), details="secreto del trabajador")
    with portal.runtime.db.session() as session:
        report = session.scalar(select(Report))
        assert "secreto" not in (report.details_enc or "")
