"""The inbox triages: danger first, then cases waiting for a reply, then new cases oldest first;
filters for danger, needs reply, language and mine/unassigned; cases can be assigned, and a worker's
reply on an assigned case is e-mailed to the assignee alone."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.cases.models import CaseEvent, Referral, RelayMessage, Report
from tests.portal.conftest import ago, csrf_from, text

ANA, BEN = "ana@ngo-on.example.org", "ben@ngo-on.example.org"


def _act(client, referral_id, action, **data):
    page = client.get(f"/portal/cases/{referral_id}")
    return client.post(
        f"/portal/cases/{referral_id}/{action}", data={**data, "csrf_token": csrf_from(text(page))}
    )


def _order(client, query: str = "") -> list[int]:
    page = client.get(f"/portal/inbox{query}").get_data(as_text=True)
    return [int(n) for n in re.findall(r'data-referral="(\d+)"', page)]


def _aged(portal, referral_id: int, **delta) -> None:
    with portal.runtime.db.session() as session:
        session.get(Referral, referral_id).created_at = ago(**delta)


def test_danger_and_a_workers_reply_rise_above_older_cases(portal):
    oldest = portal.file_report(portal.conversation("+15195550101"))
    older = portal.file_report(portal.conversation("+15195550102"))
    replied = portal.file_report(portal.conversation("+15195550103"))
    danger = portal.file_report(portal.conversation("+15195550104"), danger=True)
    for referral_id, hours in ((oldest, 20), (older, 10), (replied, 5), (danger, 1)):
        _aged(portal, referral_id, hours=hours)
    ana = portal.logged_in(ANA)
    _act(ana, replied, "acknowledge")
    assert _order(ana) == [danger, oldest, older, replied]  # new cases oldest first, then the rest

    _act(ana, replied, "reply", body="¿Cuándo te pagaron?")
    portal.bot.send("Hace un mes", sender="+15195550103")
    assert _order(ana) == [danger, replied, oldest, older]
    page = text(ana.get("/portal/inbox"))
    assert "The worker wrote: 1 message(s) to answer" in page
    assert _order(ana, "?danger=1") == [danger]
    assert _order(ana, "?needs_reply=1") == [replied]


def test_cards_say_language_channel_employer_owner_and_time_left(portal):
    referral_id = portal.file_report(
        portal.conversation("whatsapp:+15195550101", channel="whatsapp"), channel="whatsapp"
    )
    _aged(portal, referral_id, hours=20)
    page = text(portal.logged_in(ANA).get("/portal/inbox"))
    card = page[page.index(f'data-referral="{referral_id}"') :]
    card = card[: card.index("</li>")]
    for shown in (
        "Spanish",
        "WhatsApp",
        "Wages",
        "Employer: Granja Los Pinos",
        "Nobody assigned yet",
        "Acknowledge within 3 h, or it goes to another organization",
    ):
        assert shown in card, shown
    _aged(portal, referral_id, hours=25)
    assert "Not acknowledged in time" in text(portal.logged_in(ANA).get("/portal/inbox"))


def test_the_language_filter_and_the_french_inbox(portal):
    spanish = portal.file_report(portal.conversation("+15195550101"))
    english = portal.file_report(portal.conversation("+15195550102", language="en"))
    ana = portal.logged_in(ANA)
    with portal.runtime.db.session() as session:
        session.get(Report, portal.referral(english).report_id).language = "en"
    assert _order(ana, "?language=en") == [english]
    assert _order(ana, "?language=es") == [spanish]
    page = text(ana.get("/portal/inbox"))
    token = csrf_from(page)
    ana.post(
        "/portal/language", data={"language": "fr", "next": "/portal/inbox", "csrf_token": token}
    )
    french = text(ana.get("/portal/inbox"))
    assert "Personne n'en est encore responsable" in french and "espagnol" in french


def test_assigning_to_me_or_a_colleague_and_the_mine_and_unassigned_filters(portal):
    first = portal.file_report(portal.conversation("+15195550101"))
    second = portal.file_report(portal.conversation("+15195550102"))
    ana, ben = portal.logged_in(ANA), portal.logged_in(BEN)
    assert _act(ana, first, "assign", assignee="me").status_code == 302
    assert portal.referral(first).assigned_to == portal.users[ANA]
    _act(ana, second, "assign", assignee=str(portal.users[BEN]))
    assert portal.referral(second).assigned_to == portal.users[BEN]
    assert _order(ana, "?owner=mine") == [first]
    assert _order(ben, "?owner=mine") == [second]
    assert "Assigned to you" in text(ana.get("/portal/inbox?owner=mine"))
    assert "Assigned to Ben" in text(ana.get("/portal/inbox"))
    _act(ana, second, "assign", assignee="")
    assert portal.referral(second).assigned_to is None
    assert _order(ana, "?owner=unassigned") == [second]
    chloe_id = portal.users["chloe@ngo-qc.example.org"]  # another NGO's staff: refused
    _act(ana, first, "assign", assignee=str(chloe_id))
    assert portal.referral(first).assigned_to == portal.users[ANA]
    with portal.runtime.db.session() as session:
        kinds = list(session.scalars(select(CaseEvent.kind).where(CaseEvent.kind == "owner_set")))
    assert len(kinds) == 3


def test_a_workers_reply_on_an_assigned_case_is_emailed_to_the_assignee_only(portal):
    referral_id = portal.file_report(portal.conversation())
    ana = portal.logged_in(ANA)
    _act(ana, referral_id, "acknowledge")
    _act(ana, referral_id, "assign", assignee="me")
    _act(ana, referral_id, "reply", body="¿Podemos llamarte?")
    before = len(portal.mail.messages)
    portal.bot.send("Sí, en la tarde", sender="+15195550101")
    mails = portal.mail.wait_for(before + 1)
    replies = [m for m in mails[before:] if "wrote on case" in m["Subject"]]
    assert [m["To"] for m in replies] == [ANA]
    with portal.runtime.db.session() as session:
        assert session.scalar(
            select(RelayMessage.direction).where(RelayMessage.direction == "from_worker")
        )


def test_deleting_a_saved_reply_asks_first(portal):
    from bot.portal.models import SavedReply

    ana = portal.logged_in(ANA)
    portal.post(
        ana,
        "/portal/saved-replies",
        {"title": "Pay slips", "body": "Keep your pay slips.", "language": "es"},
        page="/portal/saved-replies",
    )
    with portal.runtime.db.session() as session:
        item_id = session.scalar(select(SavedReply.id))
    path = f"/portal/saved-replies/{item_id}/delete"
    asked = portal.post(ana, path, page="/portal/saved-replies")
    assert asked.status_code == 200 and "Delete the saved reply “Pay slips”?" in text(asked)
    with portal.runtime.db.session() as session:
        assert session.get(SavedReply, item_id) is not None  # nothing deleted before the answer
    done = portal.post(ana, path, {"confirmed": "1"}, page="/portal/saved-replies")
    assert done.status_code == 302
    with portal.runtime.db.session() as session:
        assert session.get(SavedReply, item_id) is None
