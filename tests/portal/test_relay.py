"""The relay: staff write to the worker through Puente, the worker's answers come back to the case."""

from __future__ import annotations

from sqlalchemy import select

from bot.cases.models import RelayMessage
from bot.store.models import Conversation
from bot.text import catalogs
from tests.portal.conftest import ago, csrf_from, text
from tests.support.sms import sms_text

ANA = "ana@ngo-on.example.org"
WORKER = "+15195550101"


def _act(client, referral_id, action, **data):
    page = client.get(f"/portal/cases/{referral_id}")
    return client.post(
        f"/portal/cases/{referral_id}/{action}", data={**data, "csrf_token": csrf_from(text(page))}
    )


def _taken_case(portal, **conversation):
    referral_id = portal.file_report(
        portal.conversation(**conversation), channel=conversation.get("channel", "sms")
    )
    ana = portal.logged_in(ANA)
    assert _act(ana, referral_id, "acknowledge").status_code == 302
    return referral_id, ana


def _to(twilio, address):
    return [m for m in twilio.messages if m.to == address]


def test_staff_reply_reaches_the_worker_signed_neutrally(portal, twilio):
    """Never the organization's name on the worker's screen: the employer may be looking (issue 22)."""
    referral_id, ana = _taken_case(portal)
    response = _act(ana, referral_id, "reply", body="Hola, soy Ana. ¿Podemos llamarte?")
    assert "Message sent to the worker." in text(ana.get(response.headers["Location"]))
    twilio.wait_for_messages(1)
    sent = [m for m in _to(twilio, WORKER) if "¿Podemos llamarte?" in m.body]
    assert [m.body for m in sent] == ["Puente: Hola, soy Ana. ¿Podemos llamarte?"]
    page = text(ana.get(f"/portal/cases/{referral_id}"))
    assert "¿Podemos llamarte?" in page and "Ana (your organization)" in page
    assert WORKER not in page and "5195550101" not in page
    with portal.runtime.db.engine.connect() as conn:
        bodies = [row[0] for row in conn.exec_driver_sql("SELECT body_enc FROM relay_messages")]
    assert bodies and all("Podemos" not in body for body in bodies)


def test_staff_must_take_the_case_before_writing(portal):
    referral_id = portal.file_report(portal.conversation())
    ana = portal.logged_in(ANA)
    page = text(ana.get(f"/portal/cases/{referral_id}"))
    assert "Acknowledge the case to write to the worker." in page
    _act(ana, referral_id, "reply", body="hello")
    with portal.runtime.db.session() as session:
        assert session.scalar(select(RelayMessage.id)) is None


def test_the_workers_answer_comes_back_to_the_thread_escaped_and_staff_are_emailed(portal, twilio):
    referral_id, ana = _taken_case(portal)
    _act(ana, referral_id, "reply", body="¿Cuándo te pagaron por última vez?")
    emails_before = len(portal.mail.messages)
    response = portal.bot.send("Hace un mes <script>alert('x')</script>", sender=WORKER)
    assert response.status_code == 200
    raw = ana.get(f"/portal/cases/{referral_id}").get_data(as_text=True)
    assert "Hace un mes &lt;script&gt;alert(" in raw and "<script>alert" not in raw
    mails = portal.mail.wait_for(emails_before + 2)
    replies = [m for m in mails if "wrote on case" in m["Subject"]]
    assert sorted(m["To"] for m in replies) == ["ana@ngo-on.example.org", "ben@ngo-on.example.org"]
    assert all("Hace un mes" not in m.get_body(("plain",)).get_content() for m in replies)
    assert f"/portal/cases/{referral_id}" in replies[0].get_body(("plain",)).get_content()
    assert "The worker wrote: 1 message(s) to answer" in text(ana.get("/portal/inbox"))


def test_menu_ends_the_relay_and_a_case_code_prefix_reaches_the_case_again(portal, twilio):
    referral_id, ana = _taken_case(portal)
    _act(ana, referral_id, "reply", body="Escríbenos cuando puedas.")
    portal.bot.send("MENU", sender=WORKER)
    code = portal.codes[referral_id]
    before = len(twilio.messages)
    portal.bot.send(f"{code.lower()} ya me pagaron", sender=WORKER)
    page = text(ana.get(f"/portal/cases/{referral_id}"))
    assert "ya me pagaron" in page
    replies = twilio.wait_for_messages(before + 1)[before:]
    # The case's status, then that the message reached the case: one message, never the NGO's name.
    assert [m.body for m in replies] == [
        sms_text("es", "case.status.acknowledged", code=code)
        + "\n\n"
        + sms_text("es", "relay.passed_on")
    ]
    assert not any("Ontario Workers Aid" in m.body for m in replies)


def test_whatsapp_outside_24_hours_sends_the_template_and_holds_the_message(
    make_portal, database_url, twilio
):
    portal = make_portal(database_url, **{"twilio.whatsapp_templates": {"es": "HX" + "1" * 32}})
    address = "whatsapp:+15195550111"
    referral_id, ana = _taken_case(
        portal, address=address, channel="whatsapp", last_inbound=ago(hours=30)
    )
    response = _act(ana, referral_id, "reply", body="Tenemos noticias de tu caso.")
    assert "they were invited to reply" in text(ana.get(response.headers["Location"]))
    twilio.wait_for_messages(1)
    sent = _to(twilio, address)
    assert not any("Ontario Workers Aid" in (m.content_variables or "") for m in sent)
    invite = catalogs.translator("es").gettext("relay.window_invite")
    invites = [m for m in sent if m.content_sid and invite in (m.content_variables or "")]
    assert len(invites) == 1 and invites[0].content_sid == "HX" + "1" * 32
    assert not any("Tenemos noticias" in (m.body or "") for m in sent)
    assert "waiting for the worker to write" in text(ana.get(f"/portal/cases/{referral_id}"))
    portal.bot.send("Hola", sender=address)
    released = [m for m in _to(twilio, address) if "Tenemos noticias" in (m.body or "")]
    assert len(released) == 1 and "Ontario Workers Aid" not in released[0].body
    with portal.runtime.db.session() as session:
        statuses = [
            m.status for m in session.scalars(select(RelayMessage).order_by(RelayMessage.id))
        ]
    assert statuses[0] == "queued"


def test_a_worker_who_stopped_messages_cannot_be_written_to(portal):
    referral_id, ana = _taken_case(portal)
    with portal.runtime.db.session() as session:
        session.scalar(select(Conversation)).opted_out = True
    page = text(ana.get(f"/portal/cases/{referral_id}"))
    assert "The worker stopped Puente's messages" in page
    _act(ana, referral_id, "reply", body="hello")
    with portal.runtime.db.session() as session:
        assert session.scalar(select(RelayMessage.id)) is None
