"""The safety triage (nlu/triage): danger of each kind caught as workers write it, ordinary messages
left alone, and a held-out score no worse than the figures the repository reports."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from nlu.triage import CATEGORIES, triage_classifier
from nlu.triage.cli import triage as triage_command
from nlu.triage.cues import IDIOMS, load_cues, near
from tests.support.models import MODEL_CACHE


@pytest.fixture(scope="module")
def classifier():
    return triage_classifier(MODEL_CACHE)


@pytest.mark.parametrize(
    "text, category",
    [
        ("el mayordomo me dio una cachetada", "danger"),
        ("hola, el mayordomo me pego y todavia me deben 2 semanas de pago", "danger"),
        ("Hola, el patrón NO ME DEJAN SALIR del rancho", "confinement"),
        ("tulong po, hindi kami makalabas sa bahay", "confinement"),
        ("please help, they locked us in the bunkhouse", "confinement"),
        ("hinahipuan ako", "sexual"),
        ("me quiero morir ya no aguanto", "suicide"),
        ("ayoko na mabuhay", "suicide"),
        ("me corte la mano... sangra mucho", "injury"),
        ("the supervisor punched me in the face", "danger"),
        ("el supervisor me golpio", "danger"),  # a typo
        # A coworker found unconscious or not breathing: 911 and the emergency room first.
        ("perdio el conocimiento el compa", "injury"),
        ("nawalan ng malay yung katrabaho ko sa init", "injury"),
        ("walang malay si kuya sa bukid", "injury"),
        ("he is unconscious", "injury"),
        ("my friend isnt breathing", "injury"),
        ("nos quitan el celular para que no hablemos con nadie", "confinement"),
        # Tagalog "not allowed to leave", as "no me dejan salir" and "not allowed to leave" are.
        ("bawal daw kami umalis sa farm", "confinement"),
        ("hindi ako pwedeng umalis sa bahay ng amo", "confinement"),
        # Hopelessness: before, "did you mean: hours, pay, health".
        ("wala na akong pag asa dito", "suicide"),
        ("nawawalan na ako ng pag asa", "suicide"),
        (
            "parang ayoko na, pagod na ko sa lahat",
            "suicide",
        ),  # "as if I can't go on, tired of it all"
        # Poison or hanging, told of oneself or of someone close: the crisis line and 911 first.
        ("mi compañero toma veneno para ratas dice que ya no puede", "suicide"),
        ("uminom ng lason yung kasama ko", "suicide"),
        ("mi bredda drink weed killa", "suicide"),
        ("mi nuh have nobody, mi just waan sleep an nuh wake up", "suicide"),
        # Threats to the family back home, debt bondage: the trafficking hotline.
        ("nos dijo que si nos vamos le hace daño a nuestras familias en guatemala", "confinement"),
        ("dem seh if wi leave dem wi hurt wi family back home", "confinement"),
        ("debo 5 mil a la agencia y no me dejan ir hasta pagar", "confinement"),
        ("el caporal le quebro la nariz a mi primo", "danger"),
        ("the boss bus mi head wid a piece a board", "danger"),
        ("i feel so empty, nothing matters anymore", "suicide"),
        ("sir yung amo ko nagpapadala ng malaswang litrato", "sexual"),
        # Rather dead than sent home in debt; breathless in the heat: despair, heat illness.
        ("mejor me muero que regresar a mi pais con deudas", "suicide"),
        ("id rather die than go back home with nothing", "suicide"),
        ("mabuti pang mamatay na lang ako", "suicide"),
        ("ya no le encuentro sentido a nada", "suicide"),
        (  # a better schedule if she gives in to him: coercion
            "sabi ng supervisor bibigyan daw ako ng magandang schedule kung papayag ako sa kanya",
            "sexual",
        ),
        ("di na ko makahinga sa sobrang init sa loob", "injury"),
        ("im about to pass out its so hot in the greenhouse", "injury"),
        # Chest pain: 911 or the emergency room first.
        ("tengo un dolor en el pecho muy fuerte desde la manana", "injury"),
        ("masakit dibdib ko kanina pa", "injury"),
        ("my chest hurts real bad since morning", "injury"),
        # Jamaican English: a hand "chop up" by a machine; "cyaan leave" after the passports.
        ("mi hand get chop up inna di machine an dem seh nuh go doctor", "injury"),
        ("dem tek wi passport an seh wi cyaan leave", "confinement"),
        # The phone taken so the worker cannot call anyone: isolation.
        ("mi esposa esta en mexico y no me dejan llamarla, me quitaron el celular", "confinement"),
        ("kinuha nila ang cellphone ko para hindi ako makatawag sa pamilya ko", "confinement"),
        ("my boss took my phone and i cant call my family", "confinement"),
    ],
)
def test_danger_is_caught_in_its_category(classifier, text, category):
    assert classifier.classify(text).category == category


@pytest.mark.parametrize(
    "text",
    [
        "estoy en ontario",
        "im in ontario",
        "nasa ontario ako",
        "ayuda",
        "help",
        "help me",
        "tulong",
        "what about emergency health insurance?",
        "is it dangerous to spray pesticides",
        "whats the number for labour standards in pei",
        "me muero de hambre",
        "suko na ako sa trabaho",  # "I give up on this job": not an injury, not despair
        "se colgo la aplicacion",  # the app froze
        "nothing matters more than my pay",
        "the low pay hurt our families back home",
        "esto le hace mucho daño a mi familia porque no mandamos dinero",
        "no nos dejan ir hasta las 6 de la tarde",  # the working day, not a debt
        "donde guardo el veneno para ratas",
        "may lason ba yung spray sa farm",  # is the farm's spray poisonous? a safety question
        # A threat to fire a worker who joins a union is retaliation, not violence.
        "mi jefe me dijo que si voy al sindicato me despide",
        "my boss said if i join the union he will fire me",
        "no le encuentro sentido a esta regla de las horas",
        "pinapatay ako ng sakit ng likod ko",  # my back pain is killing me
        "me pagaron menos",
        "👍👍",
        "",
        "Leamington",
        # "mi back a kill mi" is back pain: the cue "kill mi" inside that idiom is no evidence.
        "wah gwaan, mi back a kill mi from liftin di crates an mi cyaan stand up straight, boss"
        " seh work or go home",
        "my feet are killing me after 12 hours",
        # A threat to send a worker home if she gets pregnant is retaliation, not violence.
        "el supervisor me dijo que si me embarazo me regresan",
        # "mash up" is broken: a toilet or a house, not a body.
        "we sleep 10 man in one room and di toilet mash up",
        "di house mash up an leak",
    ],
)
def test_ordinary_messages_are_not_triaged(classifier, text):
    assert classifier.classify(text).category is None


def test_a_suicidal_message_outranks_any_other_danger_in_it(classifier):
    assert classifier.classify("me pego el patron y ya no quiero vivir").category == "suicide"


@pytest.mark.parametrize(
    "text, category",
    [
        (
            "my boss keeps my pasport and we sleep 8 ppl in one room with no heat. also i cut my hand at "
            "work yesterday and its swolen",
            "injury",
        ),
        ("pay is late again. i feel like ending it all honestly", "suicide"),
    ],
)
def test_danger_in_one_part_of_a_long_message_is_not_diluted_by_the_rest(
    classifier, text, category
):
    assert classifier.classify(text).category == category


@pytest.mark.parametrize(
    "text",
    [
        "no me pagan las horas extra y el patron tiene mi pasaporte",
        "kinuha ng amo ko passport ko tapos 10 kami sa isang kwarto",
        "how much is minimum wage in ontario? also can i change employer",
        "trabajamos 60 horas y pagan 44, ademas la casa no tiene agua caliente",
    ],
)
def test_several_ordinary_problems_in_one_message_are_not_triaged(classifier, text):
    assert classifier.classify(text).category is None


def test_one_typo_is_tolerated_only_in_longer_words():
    assert near("golpio", "golpeo") and near("cachetda", "cachetada")
    assert not near("pego", "pega")  # short words must match exactly


def test_every_cue_names_a_known_category():
    assert {cue.category for cue in load_cues()} == {*CATEGORIES, IDIOMS}


@pytest.mark.parametrize(
    "text",
    [
        "me voy a morir de frio en este cuarto jaja",
        "im dying of boredom on sundays",
        "no quiero que el patron sepa que me queje",  # "queje" is no typo for "me queme"
        "the boss scolded me for being late",
        "pinagsabihan ako ng amo kanina",
        "va a nevar el fin de semana?",
        "may pag asa pa ba na ma renew ang permit ko",  # hope of a permit, not despair
        # An idiom and one word beside it: "mi" alone read as danger (0.65), being frequent in the
        # Jamaican danger examples.
        "mi back a kill mi",
        "mi knee a kill mi",
        "we cant go on break until 3",  # "can't go on" is despair only as the worker's whole state
        "i almost cut my finger lol",  # was injury, on the cue "cut my finger"
    ],
)
def test_figures_of_speech_and_scolding_are_ordinary(classifier, text):
    assert classifier.classify(text).category is None


@pytest.mark.parametrize(
    "text, category",
    [
        ("me quiero morir de verdad", "suicide"),  # a cue still decides beside an idiom
        ("el mayordomo saco un rifle", "danger"),
        ("they say they will hurt my family if i leave", "confinement"),
        ("nos tienen como presos en la granja", "confinement"),
        ("a forklift ran over my foot", "injury"),
    ],
)
def test_threats_weapons_and_idiom_lookalikes_are_caught(classifier, text, category):
    assert classifier.classify(text).category == category


@pytest.mark.parametrize(
    "text",
    [
        # Jamaican English says the past with the plain verb: "him slap mi", "dem kick mi".
        "di supervisor slap mi yesterday inna di field",
        "di farmer son kick mi when mi fall down",
        "dem punch mi cause mi ask fi mi money",
        "di boss seh him a go kill mi",  # "kill mi" outside an idiom still decides
        "boss man seh if wi talk to anybody him a go bruk wi neck",  # was the retaliation answer
    ],
)
def test_violence_in_jamaican_english_is_caught(classifier, text):
    assert classifier.classify(text).category == "danger"


@pytest.mark.parametrize(
    "text",
    [
        # Confinement told beside another matter: the passport taken, then the gate locked.
        "him tek wi passport dem an lock di gate a night",
        "the boss locks the gate at night and keeps the key",
        "el patron nos cierra con candado el porton en la noche",
        "kinakandado ng amo ang gate tuwing gabi",
        # The progressive form of "locked up" (kinukulong), beside the past one (kinulong).
        "kinukulong kami ng employer sa barracks tuwing linggo",
    ],
)
def test_a_locked_gate_is_confinement_even_after_another_complaint(classifier, text):
    assert classifier.classify(text).category == "confinement"


def test_two_words_of_a_longer_message_can_tell_of_abuse(classifier):
    """ "hinahawakan ako" (he touches me) was a part too short to be read alone: the whole message
    scored 0.54, under the bar, and the worker got a "did you mean" among housing and sick days."""
    text = (
        "hello po, si sir po kasi pag wala si mam pumapasok sa kwarto ko tapos hinahawakan ako,"
        " di ko na alam gagawin ko"
    )
    assert classifier.classify(text).category == "sexual"


@pytest.mark.parametrize(
    "text",
    [
        # A worker told the crisis line answers that they will not: before, the line came again.
        "no no me quiero matar solo estoy cansado",
        "i dont want to kill myself im just tired",
        "im not suicidal just sad",
        "hindi ako magpapakamatay pagod lang",
    ],
)
def test_saying_one_will_not_end_ones_life_is_not_read_as_wanting_to(classifier, text):
    assert classifier.classify(text).category is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("me quiero matar", "suicide"),
        ("no aguanto mas me quiero matar", "suicide"),
        ("i dont want to live anymore", "suicide"),  # a denial of one thing is not of another
        ("the boss comes to our bunkhouse at night and touches the girls", "sexual"),
        ("el mayordomo manosea a las muchachas en la casa", "sexual"),
        ("yung supervisor hinahawakan yung mga babae sa bunkhouse pag gabi", "sexual"),
    ],
)
def test_wanting_to_die_and_abuse_of_the_other_women_are_caught(classifier, text, category):
    assert classifier.classify(text).category == category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # Read as ordinary (0.44) or as housing before.
        ("ayudaa porfavor el patron esta borracho y nos quiere pegar", "danger"),
        ("the boss is drunk and wants to hit us", "danger"),
        ("lasing si amo gusto kaming saktan", "danger"),
        ("may nakita akong camera sa cr namin sa bahay ng amo", "sexual"),
        ("there is a hidden camera in the bathroom of the bunkhouse", "sexual"),
        ("encontramos una camara en el baño de la casa", "sexual"),
        # Jamaican English: the phones taken (was ordinary); "can't go on" (was confinement, 0.85).
        ("di boss tek weh wi phone dem", "confinement"),
        (
            "mi cyaan sleep, mi tink bout mi pickney dem every night an mi feel like mi cyaan go on",
            "suicide",
        ),
        ("i cant go on anymore", "suicide"),
    ],
)
def test_a_blow_about_to_fall_and_a_camera_where_workers_wash_are_caught(
    classifier, text, category
):
    assert classifier.classify(text).category == category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # Watched while bathing (was ordinary, 0.14-0.47; the Tagalog one got the permit answer).
        ("yung amo kong lalaki lagi akong tinitignan pag naliligo ako", "sexual"),
        ("sinisilipan ako ng amo ko sa banyo", "sexual"),
        ("my employer watches me when i shower", "sexual"),
        ("el patron me espia cuando me estoy bañando", "sexual"),
        # Passive wishes to die (was ordinary) and a word for sexual harassment.
        ("nobody cares if i die", "suicide"),
        ("a nadie le importa si me muero aqui", "suicide"),
        ("walang pakialam kung mamatay ako dito", "suicide"),
        ("minamanyak po ako ng amo ko", "sexual"),
    ],
)
def test_being_watched_bathing_and_a_passive_wish_to_die_are_caught(classifier, text, category):
    assert classifier.classify(text).category == category


@pytest.mark.parametrize(
    "text",
    [
        # A man of the employer's family in a live-in caregiver's room at night (was ordinary,
        # 0.22-0.31: the English one got only the hours answer of its second sentence).
        "hi im a caregiver, my employers husband keeps coming into my room at night and i dont"
        " feel safe. also i work 12 hrs a day",
        "el esposo de mi patrona entra a mi cuarto en la noche y no me siento segura",
        "yung asawa ng amo ko pumapasok sa kwarto ko pag gabi",
    ],
)
def test_a_man_coming_into_a_caregivers_room_at_night_is_caught(classifier, text):
    assert classifier.classify(text).category == "sexual"


@pytest.mark.parametrize(
    ("text", "category", "cue"),
    [
        # Before, only the classifier, near its line (0.58): now surely, by the cue.
        ("sinasaktan po ako ng employer ko araw araw", "danger", "sinasaktan ako"),
        ("tinulak po ako ng foreman", "danger", "tinulak ako"),
        ("ginagalaw ho ako ng anak ng amo", "sexual", "ginagalaw ako"),
        # Forced labour itself still is: the idioms of forced overtime do not hide it.
        ("me obligan a trabajar y no me dejan ir", "confinement", "me obligan a trabajar"),
        (
            "nos obligan a trabajar horas extra y no nos dejan salir",
            "confinement",
            "no nos dejan salir",
        ),
        ("pinapatay po ako ng sakit ng ulo", None, None),  # an idiom with "po" inside is one still
    ],
)
def test_cues_are_found_through_the_po_of_respect_and_beside_idioms(
    classifier, text, category, cue
):
    triage = classifier.classify(text)
    assert triage.category == category
    assert (cue in triage.cues) if cue else not triage.cues


@pytest.mark.parametrize(
    "text",
    [
        "me bano en la casa del patron, hay agua caliente?",
        "can i shower at work after spraying",
        "if i die at work who pays my family",
        # Read as confinement (0.59) and as sexual abuse (0.57) before: a safety question, and a
        # caregiver made to work at another house (a permit question).
        "nos tienen trabajando con quimicos sin mascarilla",
        "pinapatrabaho ako ng amo ko sa bahay ng kapatid nya, caregiver ako",
        # Overtime forced on a worker is the hours answer, not the trafficking line (was confinement).
        "me obligan a trabajar los domingos sin pago extra",
        "im forced to work overtime every day",
    ],
)
def test_bathing_and_dying_asked_about_are_ordinary(classifier, text):
    assert classifier.classify(text).category is None


@pytest.mark.parametrize("text", ["me cortaron, las horas", "sigue lloviendo, me mojo"])
def test_two_word_fragments_the_classifier_is_unsure_of_stay_ordinary(classifier, text):
    assert classifier.classify(text).category is None


def test_locking_the_gate_as_a_chore_is_ordinary(classifier):
    assert classifier.classify("i have to lock the gate when i finish").category is None


def test_a_word_of_ordinary_messages_is_not_read_as_a_typo_for_a_cue(classifier):
    assert classifier.classify("me pagaron menos de lo que trabaje").category is None


def test_the_classifier_never_raises(classifier):
    assert classifier.classify(None).category is None  # type: ignore[arg-type]
    assert classifier.classify("\x00\ufffd" * 5000).category is None


def test_the_evaluation_prints_recall_and_false_alarms():
    output = CliRunner().invoke(triage_command, []).output
    recall = float(output.split("recall on danger messages")[1].split()[0])
    alarms = float(output.split("false alarms on ordinary")[1].split()[0])
    assert recall >= 0.99 and alarms <= 0.01  # the goal of the issue, met on the held-out set


def test_a_few_more_ordinary_examples_change_no_danger_verdict():
    """Two ordinary questions added to the intent data ("what happened to my report", "what
    happened to my complaint") once left three held-out danger messages untriaged, among them "the
    boss just threatened to shoot me": training stopped where the loss had almost stopped moving,
    not at the optimum, and where that was moved with the data. Trained to the optimum, a few
    ordinary examples more leave every danger verdict of the held-out set as it was."""
    from nlu.training_data import Example
    from nlu.triage.evaluate import heldout_examples
    from nlu.triage.model import NONE, TriageClassifier, training_examples

    examples = training_examples()
    more = [
        Example(text, NONE)
        for text in ("what happened to my pay stub", "que paso con mi dia libre")
    ]
    danger = [e.text for e in heldout_examples() if e.intent != NONE]
    before = TriageClassifier.train(examples)
    after = TriageClassifier.train(examples + more)
    changed = [
        text for text in danger if before.classify(text).category != after.classify(text).category
    ]
    assert changed == []


def test_an_almost_cut_beside_a_real_one_is_still_an_injury(classifier):
    assert classifier.classify(
        "i almost cut my finger yesterday and today i cut my hand"
    ).category == ("injury")
