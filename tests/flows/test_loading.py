"""Loading the flows directory: mistakes are refused at start with the file and key named."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import flows
from flows.followup import FOLLOW_UPS
from flows.problems import URGENCY
from vocab import INTENTS, PROBLEM_INTENTS


@pytest.fixture
def flows_copy(structural_dir: Path, tmp_path: Path) -> Path:
    root = tmp_path / "flows"
    shutil.copytree(structural_dir, root)
    return root


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def refused(root: Path) -> str:
    with pytest.raises(flows.FlowError) as caught:
        flows.load_engine(root)
    return str(caught.value)


def test_every_problem_the_nlu_can_name_has_its_place_in_the_urgency_order():
    assert sorted(URGENCY) == sorted(PROBLEM_INTENTS)
    assert PROBLEM_INTENTS <= set(INTENTS)


def test_the_shipped_flows_directory_loads():
    engine = flows.load_engine()
    for intent in INTENTS:
        if intent in FOLLOW_UPS:
            continue  # continue the last topic (flows/followup.py), no flow of their own
        if intent.startswith("ask_") or intent in (
            "report_abuse",
            "find_ngo",
            "case_status",
            "emergency",
            "change_language",
            "opt_out",
            "delete_data",
        ):
            assert engine.route(intent), f"no flow handles {intent}"


def test_an_unknown_step_target_names_the_file_and_key(flows_copy):
    edit(flows_copy / "report.yaml", lambda d: d["steps"]["what"].update(next="employr"))
    message = refused(flows_copy)
    assert "report.yaml" in message and "steps.what.next" in message and "employr" in message


def test_an_option_without_a_label_is_refused(flows_copy):
    edit(
        flows_copy / "menu.yaml",
        lambda d: d["flows"][0]["steps"]["main"]["options"][1].pop("label"),
    )
    message = refused(flows_copy)
    assert (
        "menu.yaml" in message
        and "flows[0].steps.main.options[1]" in message
        and "label" in message
    )


def test_a_misspelled_key_is_refused(flows_copy):
    edit(
        flows_copy / "erase.yaml", lambda d: d["steps"]["confirm"].update(promt="erase.ask.confirm")
    )
    message = refused(flows_copy)
    assert "erase.yaml" in message and "steps.confirm.promt" in message


def test_an_unknown_intent_is_refused(flows_copy):
    edit(flows_copy / "case.yaml", lambda d: d.update(intents=["case_stats"]))
    assert "case_stats" in refused(flows_copy)


def test_an_intent_claimed_by_two_flows_is_refused(flows_copy):
    edit(flows_copy / "ngo.yaml", lambda d: d.update(intents=["find_ngo", "report_abuse"]))
    assert "report_abuse" in refused(flows_copy)


def test_a_missing_structural_flow_is_refused(flows_copy):
    (flows_copy / "clarify.yaml").unlink()
    assert "clarify" in refused(flows_copy)


def test_a_goto_to_an_intent_nobody_handles_is_refused(flows_copy):
    (flows_copy / "topics" / "fees.yaml").unlink()
    message = refused(flows_copy)
    assert "menu.yaml" in message and "ask_fees" in message


def test_a_word_claimed_by_two_commands_is_refused(flows_copy):
    edit(flows_copy / "keywords.yaml", lambda d: d["commands"]["help"]["es"].append("MENU"))
    message = refused(flows_copy)
    assert "keywords.yaml" in message and "commands.help" in message


def test_a_fact_missing_for_a_province_is_refused(flows_copy):
    (flows_copy / "facts.yaml").write_text(
        yaml.safe_dump({"minimum_wage": {"ON": {"rate": "17.95"}}})
    )
    edit(
        flows_copy / "topics" / "wages.yaml",
        lambda d: d["steps"]["answer"].update(
            say=[
                {
                    "msgid": "topic.wages.answer",
                    "params": {"rate": {"fact": "minimum_wage.{province}.rate"}},
                }
            ]
        ),
    )
    message = refused(flows_copy)
    assert "topics/wages.yaml" in message and "params.rate" in message and "AB" in message


def test_facts_fill_message_params_per_province_with_a_branch_for_unknown(flows_copy):
    rates = {
        code: {"rate": f"{15 + i}.00", "effective": "2026-04-01"}
        for i, code in enumerate(
            ("AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT")
        )
    }
    (flows_copy / "facts.yaml").write_text(yaml.safe_dump({"minimum_wage": rates}))
    edit(
        flows_copy / "topics" / "wages.yaml",
        lambda d: d["steps"]["answer"].update(
            say=[
                {
                    "by_province": {
                        "unknown": "topic.wages.general",
                        "default": {
                            "msgid": "topic.wages.answer",
                            "params": {
                                "rate": {"fact": "minimum_wage.{province}.rate", "format": "money"},
                                "since": {
                                    "fact": "minimum_wage.{province}.effective",
                                    "format": "date",
                                },
                            },
                        },
                    }
                }
            ]
        ),
    )
    from tests.flows.chat import Chat, says

    chat = Chat(flows.load_engine(flows_copy, strict=True))
    chat.send(says("hola", "greet"))
    answer = chat.send(
        says("salario minimo en ontario", "ask_wages", entities={"province": "ON"})
    ).replies[0]
    assert answer.msgid == "topic.wages.answer"
    assert answer.params == {"rate": "23.00", "since": "2026-04-01"}
    assert answer.formats == {"rate": "money", "since": "date"}
    chat.state["province"] = None
    chat.send("0")
    chat.send(says("salario minimo", "ask_wages"))
    assert chat.send("saltar").msgids[0] == "topic.wages.general"


def test_the_engine_imports_no_web_database_queue_or_twilio_code():
    code = (
        "import sys, flows; flows.load_engine;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('bot', 'flask', 'sqlalchemy', 'rq', 'twilio', 'redis')];"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(flows.__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stdout + done.stderr
