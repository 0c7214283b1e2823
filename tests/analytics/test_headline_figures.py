"""Each headline figure of the dashboard equals what a scripted month of conversations produced.

Workers write through the signed webhook; staff act on the cases in the portal's own functions.
The small-count threshold is 2 here so that every figure is shown as a number, and each figure
is given a different value, so a figure read from the wrong events cannot pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot import create_app
from bot.cases import referrals, relay
from bot.cases.models import Referral
from bot.runtime import Runtime, set_current
from bot.store import migrate
from tests.analytics.conftest import STAFF, Program, setup_program, text
from tests.analytics.test_dashboard import headline
from tests.conftest import Bot, make_settings

ASKING = [f"+1519555{n:04d}" for n in range(600, 603)]  # 3 ask about wages
REPORTING = [f"+1226555{n:04d}" for n in range(610, 616)]  # 6 report: 2 employers x 3
IN_DANGER = [f"+1519555{n:04d}" for n in range(620, 624)]  # 4 triaged as an emergency
STOPPING = [f"+1519555{n:04d}" for n in range(630, 632)]  # 2 opt out
ERASING = [f"+1519555{n:04d}" for n in range(640, 645)]  # 5 erase their data
EMPLOYERS = ["Granja Los Pinos", "Invernaderos del Lago"]
DANGER = [
    "the supervisor punched me in the face",
    "el supervisor me golpio en la cara",
    "they locked us in the bunkhouse",
    "nos tienen encerrados en la granja",
]


@pytest.fixture(scope="module")
def scripted(tmp_path_factory, twilio_server) -> Iterator[Program]:
    tmp = tmp_path_factory.mktemp("headlines")
    url = f"sqlite:///{tmp / 'puente.db'}"
    migrate.upgrade(url)
    twilio_server.reset()
    settings = make_settings(
        tmp,
        url,
        twilio_server,
        **{
            "routing.seed_directory": None,
            "analytics.small_cell_threshold": 2,
            "reports.alert_k": 3,
        },
    )
    runtime = Runtime.build(settings)
    program = setup_program(Bot(create_app(settings, runtime=runtime), runtime, twilio_server), tmp)
    for sender in ASKING:
        program.ask_wages(sender, "es", "ON")
    for i, sender in enumerate(REPORTING):
        program.report(sender, "ON", employer=EMPLOYERS[i % 2])
    for sender, words in zip(IN_DANGER, DANGER, strict=True):
        program.say(sender, words)
    for sender in STOPPING:
        program.say(sender, "hola")
        program.say(sender, "STOP")
    for sender in ERASING:
        program.say(sender, "hola")
        program.say(sender, "BORRAR")
        program.say(sender, "si")
        program.say(sender, "no")
    staff = program.users[STAFF]
    with runtime.db.session() as session:
        ids = session.scalars(
            select(Referral.id).where(Referral.ngo_id == "ngo-on").order_by(Referral.id)
        ).all()
        assert len(ids) == len(REPORTING)
        for referral_id in ids[:4]:  # 4 acknowledged, 3 of them accepted
            referrals.acknowledge(session, runtime, referral_id, staff)
        for referral_id in ids[:3]:
            referrals.accept(session, runtime, referral_id, staff)
        for referral_id in ids[:2]:  # 2 written to, 7 messages in all
            for n in range(3 if referral_id == ids[0] else 4):
                relay.send_to_worker(session, runtime, referral_id, staff, f"message {n}")
        for referral_id in ids[4:]:  # 2 declined: passed on
            referrals.decline(session, runtime, referral_id, staff, "no capacity")
    yield program
    runtime.close()
    set_current(None)


def figure(program: Program, label: str) -> str:
    return headline(text(program.browser().get("/admin/")), label)


def test_workers_and_conversations(scripted: Program):
    everyone = ASKING + REPORTING + IN_DANGER + STOPPING + ERASING
    assert figure(scripted, "Workers reached") == str(len(everyone))
    assert figure(scripted, "Conversations") == str(len(everyone))


def test_rights_answers(scripted: Program):
    assert figure(scripted, "Answers given") == str(len(ASKING))


def test_reports_filed(scripted: Program):
    assert figure(scripted, "Reports filed") == str(len(REPORTING))


def test_referrals_sent_acknowledged_accepted_declined(scripted: Program):
    with scripted.runtime.db.session() as session:
        sent = session.scalar(select(func.count(Referral.id)))
    assert sent == len(REPORTING) + 2, (
        "the declined cases were passed on to the national organization"
    )
    assert figure(scripted, "Referrals sent") == str(sent)
    assert figure(scripted, "Acknowledged") == "4"
    assert figure(scripted, "Accepted") == "3"
    assert figure(scripted, "Declined (re-routed)") == "2"


def test_cases_routed_and_the_national_fallback(scripted: Program):
    assert figure(scripted, "Cases routed") == str(len(REPORTING)), (
        "a case passed on is still one case"
    )
    assert figure(scripted, "National fallback used") == "0"
    assert figure(scripted, "No organization could take the case") == "0"


def test_emergencies_are_the_messages_the_safety_triage_classed_as_one(scripted: Program):
    # The reports name employers and answer "are you in danger?" with no: none of that counts.
    assert figure(scripted, "Emergency messages") == str(len(IN_DANGER))
    page = text(scripted.browser().get("/admin/"))
    table = page.split("<caption>Emergencies by triage category</caption>", 1)[1].split(
        "</table>", 1
    )[0]
    assert "Violence or immediate danger" in table and "Confinement" in table


def test_opt_outs_and_erasures(scripted: Program):
    assert figure(scripted, "Opt-outs") == str(len(STOPPING))
    assert figure(scripted, "Data erasures") == str(len(ERASING))


def test_relay_messages(scripted: Program):
    assert figure(scripted, "Relay messages") == "7"


def test_repeat_employer_alerts(scripted: Program):
    assert figure(scripted, "Repeat-employer alerts") == str(len(EMPLOYERS))


def test_the_dashboard_reads_in_french_with_the_same_figures(scripted: Program):
    browser = scripted.browser()
    english = text(browser.get("/admin/"))
    page = text(scripted.post_language(browser, "fr"))
    scripted.post_language(
        browser, "en"
    )  # the administrator's choice is kept: back for the other tests
    assert '<html lang="fr">' in page
    assert headline(page, "Travailleurs joints") == headline(english, "Workers reached")
    assert headline(page, "Messages d'urgence") == str(len(IN_DANGER))
    assert headline(page, "Signalements déposés") == str(len(REPORTING))
    assert (
        "Travailleurs et conversations par province" in page
        and "Urgences par catégorie de tri" in page
    )
    everyone = len(ASKING + REPORTING + IN_DANGER + STOPPING + ERASING)
    assert f"Puente a joint {everyone} travailleurs" in page
    for english_only in (
        "Workers reached",
        "Reports filed",
        "by province",
        "Headline figures",
        "No data",
    ):
        assert english_only not in page


def test_the_summary_says_each_figure_as_its_table_shows_it(scripted: Program):
    from bot.analytics import dashboard, labels

    with scripted.runtime.db.session() as session:
        month = dashboard.current_month()
        shown = dashboard.build(session, month, k=2)
        small = dashboard.build(session, month, k=50)  # every figure of the month is now "<50"
        french = dashboard.build(session, month, k=50, words=labels.Words("fr"))
    assert (
        f"reached {len(ASKING + REPORTING + IN_DANGER + STOPPING + ERASING)} workers"
        in shown.summary[0]
    )
    workers = next(h.cell for s in small.sections for h in s.headlines if h.key == "workers")
    assert workers.text == "<50"
    assert (
        "Puente reached fewer than 50 workers in fewer than 50 conversations." in small.summary[0]
    )
    assert (
        "Puente a joint moins de 50 travailleurs en moins de 50 conversations." in french.summary[0]
    )
    assert not any("not shown" in line or "None" in line for line in small.summary + french.summary)


def test_the_digest_page_is_in_the_language_asked_for_or_the_portals(scripted: Program):
    browser = scripted.browser()
    dashboard_page = text(browser.get("/admin/"))
    assert (
        'href="/admin/digest?lang=fr' in dashboard_page
        and 'href="/admin/digest?lang=en' in dashboard_page
    )
    english = text(browser.get("/admin/digest?lang=en"))
    french = text(browser.get("/admin/digest?lang=fr"))
    assert (
        '<html lang="fr">' in french and "Bilan Puente" in french and "Puente digest" not in french
    )
    assert "Chiffres clés" in french and "Signalements déposés" in french
    figures = re.compile(r'<td class="num[^"]*">(.*?)</td>')
    written_the_english_way = [
        f.replace("\u00a0", "").replace(",", ".") for f in figures.findall(french)
    ]
    assert written_the_english_way == figures.findall(english), (
        "the same figures, in French notation"
    )
    assert "50\u00a0%" in french and "50%" in english
    assert (
        f"Puente a joint {len(ASKING + REPORTING + IN_DANGER + STOPPING + ERASING)} travailleurs"
        in french
    )
    scripted.post_language(browser, "fr")
    followed = text(browser.get("/admin/digest"))
    scripted.post_language(browser, "en")
    assert "Bilan Puente" in followed, "no ?lang: the portal's language"
    assert "Puente digest" in text(browser.get("/admin/digest")) and "Bilan Puente" not in text(
        browser.get("/admin/digest?lang=de")
    ), "an unknown language: the portal's"
