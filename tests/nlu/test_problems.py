"""The NLU finds several problems in one message, clause by clause, and only then."""

from __future__ import annotations

import pytest

from nlu.problems import clauses


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "no me pagan las horas extra y el patron tiene mi pasaporte",
            ["ask_hours", "ask_documents"],
        ),
        (
            "kinuha ng amo ko ang passport ko tapos hindi binabayaran ang overtime namin",
            ["ask_documents", "ask_hours"],
        ),
        ("mi boss hold mi passport and dem nuh pay overtime", ["ask_documents", "ask_hours"]),
        # Jamaican English joins complaints with "an" / "n"; housing said as workers say it.
        (
            "boss nah pay we fi di overtime an di room dem give we cold an di roof a leak",
            ["ask_hours", "ask_housing"],
        ),
        (
            "dem nuh pay mi di overtime money n di bunkhouse have no heater",
            ["ask_hours", "ask_housing"],
        ),
        (
            "me quitaron el pasaporte y tambien en la casa hace mucho frio y gotea",
            ["ask_documents", "ask_housing"],
        ),
        (
            "kinuha ng amo ang passport ko at saka ang lamig sa bahay sira heater",
            ["ask_documents", "ask_housing"],
        ),
        # A two-word complaint ("me gritan", "sinisigawan ako") is a clause of its own; unpaid
        # overtime is hours; a short underpayment ("kulang po ang bayad") and a fever in patois
        # are found.
        ("me gritan y no me pagan el overtime", ["report_abuse", "ask_hours"]),
        ("sinisigawan ako at kulang ang sweldo", ["report_abuse", "ask_wages"]),
        ("kulang po ang bayad, sinisigawan kami ng amo", ["ask_wages", "report_abuse"]),
        ("dem mek wi work wid fever an nuh pay di overtime", ["ask_sick", "ask_hours"]),
        # Days from dawn to late at night, in patois, beside a threat to be sent home.
        (
            "yow mi boss a mek wi work from 5 in di mawning til 9 a nite an when mi complain him"
            " seh him a go sen mi back a yard",
            ["ask_hours", "ask_retaliation"],
        ),
        # A threat with its condition, then the reason for the complaint, in one clause (seseo
        # and a greeting before it); the condition stays with the threat.
        (
            "nos amenaza con mandarnos a mexico si nos quejamos de que no nos pagan las horas"
            " extras",
            ["ask_retaliation", "ask_hours"],
        ),
        (
            "ola buenas noches disculpe mi patron nos grita y nos amenasa con mandarnos a mexico si"
            " nos quejamos de q no nos pagan las oras extras",
            ["report_abuse", "ask_retaliation", "ask_hours"],
        ),
        (
            "takot po ako mag reklamo kasi baka pauwiin ako pero hindi po binabayaran ang"
            " overtime namin",
            ["ask_retaliation", "ask_hours"],
        ),
        (
            "dem seh dem wi sen mi home if mi complain cause dem nuh pay wi overtime",
            ["ask_retaliation", "ask_hours"],
        ),
    ],
)
def test_each_problem_of_a_message_is_found_in_writing_order(interpreter, text, problems):
    assert list(interpreter.parse(text).problems) == problems


@pytest.mark.parametrize(
    "text",
    [
        "cuanto es el salario minimo en ontario",
        "hola como estas y gracias por la ayuda",
        "they took my passport",
        "y en bc?",
        # A condition is not a second complaint: it stays one.
        "no me pagan si me enfermo",
    ],
)
def test_a_message_of_one_part_or_of_no_problem_adds_nothing(interpreter, text):
    assert interpreter.parse(text).problems == ()


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        # Two words that name no problem stay out beside a part that does, which is found alone.
        ("ok gracias, no me pagan el overtime", ("ask_hours",)),
        ("si claro y me pagan poco", ("ask_wages",)),
        # Beside danger the other part is the problem to offer once the worker is safe.
        ("boss lock us in the trailer every night and no pay for 3 weeks", ("ask_wages",)),
    ],
)
def test_the_one_problem_of_a_part_is_found_beside_chatter_or_danger(interpreter, text, problems):
    assert interpreter.parse(text).problems == problems


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        # "an" before a pronoun or determiner joins two complaints ...
        (
            "mi boss nah pay mi an di house dem give we cold",
            ["mi boss nah pay mi", "di house dem give we cold"],
        ),
        ("dem nuh pay wi n dem tek wi passport", ["dem nuh pay wi", "dem tek wi passport"]),
        (
            "dem work wi til late an when mi complain dem seh dem sen mi home",
            ["dem work wi til late", "when mi complain dem seh dem sen mi home"],
        ),
        # ... but "an" the article stays inside its clause.
        ("i got an injury on the job", ["i got an injury on the job"]),
        (
            "they gave me an overtime check that is short",
            ["they gave me an overtime check that is short"],
        ),
    ],
)
def test_informal_and_breaks_clauses_but_the_article_does_not(text, parts):
    assert clauses(text) == parts


@pytest.mark.parametrize(
    "text",
    [
        "me cai de la camioneta en el trabajo y me duele el brazo, estoy en ontario",
        "me cai en el corral y me lastime el hombro, vivo en bc",
        "me cai de una escalera en la granja y me duele mucho el tobillo estoy en manitoba",
        "nahulog ako sa hagdan sa farm masakit ang likod ko nasa alberta ako",
    ],
)
def test_a_fall_at_work_with_a_province_is_an_injury_not_a_place(interpreter, text):
    assert interpreter.parse(text).intent == "ask_injury"


@pytest.mark.parametrize(
    "text",
    [
        # Asked beside the fear that makes the worker ask: the fear was read first.
        "im scared my boss will see this how do i delete everything",
        "tengo miedo q el patron vea mis mensajes como borro todo",
        "natatakot ako baka makita ng amo ko tong chat, pano burahin lahat",
    ],
)
def test_an_erasure_asked_for_in_so_many_words_leads(interpreter, text):
    assert interpreter.parse(text).intent == "delete_data"


@pytest.mark.parametrize(
    "text",
    [
        "el patron me obligo a borrar las fotos",  # told, not asked
        "my boss deleted my hours from the app",
        "binura ng amo yung mga litrato ko",
    ],
)
def test_deleting_told_of_is_not_an_erasure_asked_for(interpreter, text):
    assert interpreter.parse(text).intent != "delete_data"
