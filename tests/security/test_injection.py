"""SQL and HTML in everything a worker or a staff member can type: stored as data, shown as text.

Already covered in tests/portal: a report's details and employer and a staff note with <script>
(test_cases.py::test_html_and_scripts_in_worker_text_and_notes_are_shown_as_text, with the report
filed directly) and a worker's relay answer with <script>
(test_relay.py::test_the_workers_answer_comes_back_to_the_thread_escaped_and_staff_are_emailed).
Here every payload goes through the real entry points: the signed webhook, the report flow, the
portal's forms.
"""

from __future__ import annotations

from markupsafe import escape
from sqlalchemy import func, select

from bot.cases.models import Note, Referral, RelayMessage, Report
from bot.portal.models import User
from bot.store.models import InboundMessage
from tests.conftest import BOT_SMS
from tests.portal.conftest import csrf_from
from tests.reports.chat import file_report
from tests.security.probes import (
    DANGEROUS_MARKUP,
    HTML_INJECTIONS,
    INJECTIONS,
    SQL_INJECTIONS,
    table_names,
)
from tests.support.webhooks import inbound_params, signed_webhook_post

ANA = "ana@ngo-on.example.org"
WORKER = "+15195550100"


def _intact(portal, tables: set[str]) -> None:
    """Every table is still there and the staff accounts are untouched."""
    assert table_names(portal.runtime) == tables
    with portal.runtime.db.session() as session:
        assert session.scalar(select(func.count(User.id))) == len(portal.users)


def _shown_as_text(page: str, payload: str) -> None:
    assert str(escape(payload)) in page, payload
    for markup in DANGEROUS_MARKUP:
        assert markup not in page, markup


def test_webhook_text_and_button_are_stored_as_sent_and_the_database_is_intact(portal, twilio):
    tables = table_names(portal.runtime)
    for n, payload in enumerate(INJECTIONS):
        sender = f"+1519555{300 + n:04d}"
        response = portal.bot.send(payload, sender=sender, ButtonText=payload)
        assert response.status_code == 200
        assert any(m.to == sender for m in twilio.messages), payload  # answered, not choked on
    _intact(portal, tables)
    envelope = portal.runtime.envelope
    with portal.runtime.db.session() as session:
        rows = session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
        assert [envelope.get(session, r, "body_enc") for r in rows] == INJECTIONS
        assert [envelope.get(session, r, "button_enc") for r in rows] == INJECTIONS


def test_an_injection_in_the_sender_is_refused_and_nothing_is_stored(make_portal, sqlite_url):
    portal = make_portal(sqlite_url)
    token = portal.runtime.settings.twilio.auth_token
    for payload in SQL_INJECTIONS:
        form = inbound_params(WORKER, BOT_SMS, "hola", From=WORKER + payload)
        assert (
            signed_webhook_post(portal.bot.client, "/webhooks/twilio", form, token).status_code
            == 400
        )
    with portal.runtime.db.session() as session:
        assert session.scalar(select(func.count(InboundMessage.id))) == 0


def test_report_answers_with_sql_and_html_reach_the_ngo_as_text(portal, twilio):
    tables = table_names(portal.runtime)
    employer, town = SQL_INJECTIONS[2], HTML_INJECTIONS[0] + " " + HTML_INJECTIONS[3]
    file_report(portal.bot, WORKER, "es", answers={"employer": employer, "where": town})
    _intact(portal, tables)
    with portal.runtime.db.session() as session:
        referral_id = session.scalar(select(Referral.id))
        assert session.scalar(select(func.count(Report.id))) == 1
    page = portal.logged_in(ANA).get(f"/portal/cases/{referral_id}").get_data(as_text=True)
    _shown_as_text(page, employer)
    _shown_as_text(page, town)


def test_login_fields_with_injections_log_nobody_in_and_are_echoed_escaped(make_portal, sqlite_url):
    portal = make_portal(sqlite_url)
    tables = table_names(portal.runtime)
    for payload in ["' OR '1'='1", "admin@puente.example.org' --", *HTML_INJECTIONS]:
        client = portal.client()
        token = csrf_from(client.get("/portal/login").get_data(as_text=True))
        response = client.post(
            "/portal/login",
            data={"email": payload, "password": payload, "csrf_token": token, "next": payload},
        )
        assert response.status_code == 401, payload
        for markup in DANGEROUS_MARKUP:
            assert markup not in response.get_data(as_text=True)
        assert client.get("/portal/inbox").status_code == 302  # still not logged in
    _intact(portal, tables)


def test_notes_and_relay_replies_with_injections_are_stored_shown_escaped_and_sent_verbatim(
    portal, twilio
):
    referral_id = portal.file_report(portal.conversation(address=WORKER))
    ana = portal.logged_in(ANA)
    tables = table_names(portal.runtime)

    def act(action: str, **data):
        token = csrf_from(ana.get(f"/portal/cases/{referral_id}").get_data(as_text=True))
        response = ana.post(
            f"/portal/cases/{referral_id}/{action}", data={**data, "csrf_token": token}
        )
        assert response.status_code == 302, action

    act("acknowledge")
    for payload in INJECTIONS:
        act("notes", body=payload)
        act("reply", body=payload)
    _intact(portal, tables)
    envelope = portal.runtime.envelope
    with portal.runtime.db.session() as session:
        notes = session.scalars(select(Note).order_by(Note.id))
        assert [envelope.get(session, n, "body_enc") for n in notes] == INJECTIONS
        relayed = session.scalars(
            select(RelayMessage)
            .where(RelayMessage.direction == "to_worker")
            .order_by(RelayMessage.id)
        ).all()
        assert [envelope.get(session, r, "body_enc") for r in relayed] == INJECTIONS
    page = ana.get(f"/portal/cases/{referral_id}").get_data(as_text=True)
    for payload in INJECTIONS:
        _shown_as_text(page, payload)
    # An SMS is plain text: the worker reads exactly what staff typed, not HTML entities.
    sent = "\n".join(m.body for m in twilio.wait_for_messages(len(INJECTIONS)) if m.to == WORKER)
    for payload in INJECTIONS:
        assert payload in sent, payload


def test_inbox_filters_with_injections_show_only_this_ngos_cases(make_portal, sqlite_url):
    portal = make_portal(sqlite_url)
    own = portal.file_report(portal.conversation(address=WORKER))
    other = portal.file_report(portal.conversation(address="+15145550123"), province="QC")
    ana = portal.logged_in(ANA)
    for payload in INJECTIONS:
        for name in ("status", "abuse_type", "province", "age", "page"):
            response = ana.get("/portal/inbox", query_string={name: payload})
            assert response.status_code == 200, (name, payload)
            page = response.get_data(as_text=True)
            assert f"Case #{other}" not in page
            for markup in DANGEROUS_MARKUP:
                assert markup not in page
    assert f"Case #{own}" in ana.get("/portal/inbox").get_data(as_text=True)
