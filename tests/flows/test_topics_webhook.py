"""Rights topics answered as asked, through the signed webhook and the real NLU: overtime (with
the farm and caregiver exceptions, kept across a province follow-up), injuries and workers'
compensation, working while sick, housing deductions and recruitment fees, only from verified
facts (flows/facts.yaml, from canada.yaml and the `verified: true` entries of canada-more.yaml)."""

from __future__ import annotations

from tests.flows.test_followups_webhook import ask

WORKER = "+15195550177"


def test_overtime_is_answered_with_the_provinces_rule_not_the_minimum_wage(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, "hi", WORKER)
    ask(bot, "im in manitoba", WORKER)
    answer = ask(bot, "we work 60 hrs a week and they pay us for 44", WORKER)
    assert "over 8 a day or 40 a week" in answer and "1.5 times your regular wage" in answer
    assert "$16.40" not in answer and "1-800-821-4307" in answer


def test_farm_workers_get_the_farm_exception_and_keep_it_for_another_province(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, "hola", WORKER)
    general = ask(bot, "cuantas horas extra me tienen q pagar en ontario", WORKER)
    assert (
        "1-800-531-5551" in general and "50% adicional" not in general
    )  # Ontario's rule is unverified
    farm = ask(bot, "y para los del campo?", WORKER)
    assert "En ON, las reglas de la provincia no dan pago de horas extra" in farm
    quebec = ask(bot, "y en quebec?", WORKER)
    assert (
        "En QC, las reglas de la provincia no dan pago de horas extra" in quebec
        and "1-844-838-0808" in quebec
    )


def test_where_the_farm_rule_is_not_verified_the_answer_says_where_to_ask(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, "hello", WORKER)
    ask(bot, "how many hours before overtime in pei", WORKER)
    farm = ask(bot, "what about farm workers?", WORKER)
    assert "depend on the province" in farm and "1-800-333-4362" in farm
    assert "no right to overtime" not in farm


def test_a_caregiver_in_alberta_hears_the_domestic_exception(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, "kumusta po", WORKER)
    answer = ask(bot, "overtime po ng caregiver sa alberta", WORKER)
    assert "walang overtime pay" in answer and "12 oras" in answer and "1-877-427-3731" in answer
    ontario = ask(bot, "eh sa ontario po?", WORKER)
    assert "kasama ang overtime pay" in ontario and "1-800-531-5551" in ontario


def test_an_injury_gets_emergency_care_first_then_the_provinces_board_line(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, "hola", WORKER)
    ask(bot, "estoy en ontario", WORKER)
    answer = ask(bot, "me lastime la espalda en el trabajo", WORKER)
    assert answer.index("911") < answer.index("WSIB: 1-800-387-0750")
    other = ask(bot, "y en bc?", WORKER)
    assert "WorkSafeBC: 1-888-967-5377" in other


def test_working_while_sick_and_bc_paid_sick_days(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, "hello", WORKER)
    ask(bot, "i work in bc", WORKER)
    answer = ask(bot, "im sick and the boss says i have to work anyway", WORKER)
    assert "cannot force you to work if you are sick" in answer
    assert "5 paid sick days a year" in answer and "1-833-236-3700" in answer


def test_what_do_i_do_after_a_housing_answer_gives_the_deductions_allowed(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, "hola", WORKER)
    ask(bot, "la casa donde vivimos esta en malas condiciones", WORKER)
    answer = ask(bot, "q hago", WORKER)
    assert "$2.75" in answer and "$16.50" in answer and "$325.00" in answer


def test_recruitment_fees_in_ontario_can_be_claimed_back(make_bot, sqlite_url):
    bot = make_bot(sqlite_url)
    ask(bot, "hello", WORKER)
    ask(bot, "im in ontario", WORKER)
    answer = ask(bot, "the agency charged me 3000 dollars for this job", WORKER)
    assert "Employment Protection for Foreign Nationals Act" in answer and "3.5 years" in answer
    manitoba = ask(bot, "and manitoba?", WORKER)
    assert "Worker Recruitment and Protection Act" in manitoba and "1-800-821-4307" in manitoba
