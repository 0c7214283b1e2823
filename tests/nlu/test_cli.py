"""The `nlu` commands as an operator or the checker runs them."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from nlu.cli import nlu
from nlu.training_data import load

from .conftest import PEER_RASA, REPO


def test_parse_jsonl_answers_one_json_line_per_input_line():
    lines = [
        "hola buenas",
        "",
        "kinuha ng amo ko ang passport ko",
        '{"text": "thanks", "language_hint": "tl"}',
        "😀",
    ]
    result = CliRunner().invoke(nlu, ["parse", "--jsonl"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    parses = [json.loads(line) for line in result.output.splitlines()]
    assert len(parses) == len(lines)
    assert parses[0]["intent"]["name"] == "greet" and parses[0]["language"] == "es"
    assert parses[2]["intent"]["name"] == "ask_documents" and parses[2]["language"] == "tl"
    assert parses[3]["text"] == "thanks" and parses[3]["language"] == "tl"


def test_python_dash_m_nlu_runs_standalone():
    result = subprocess.run(
        [sys.executable, "-m", "nlu", "parse", "--jsonl"],
        cwd=REPO,
        input="mi codigo es 7kq3-mx92\n",
        capture_output=True,
        text=True,
        check=True,
    )
    parse = json.loads(result.stdout)
    assert parse["intent"]["name"] == "case_status"
    assert parse["entities"][0]["value"] == "7KQ3-MX92"


def test_train_saves_a_model_that_parses_like_the_in_process_one(tmp_path, interpreter):
    model = tmp_path / "model.npz"
    result = CliRunner().invoke(nlu, ["train", "--model", str(model)])
    assert result.exit_code == 0, result.output
    assert "held-out accuracy" in result.output and model.exists()
    parse = CliRunner().invoke(
        nlu, ["parse", "--model", str(model), "me", "quitaron", "el", "pasaporte"]
    )
    assert (
        json.loads(parse.output)["intent"]["name"]
        == interpreter.parse("me quitaron el pasaporte").intent
    )


def test_eval_cross_validates_a_peer_project(tmp_path):
    result = CliRunner().invoke(
        nlu, ["eval", "--data", str(PEER_RASA / "helpdesk-assistant" / "nlu.yml"), "--folds", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "3-fold cross-validation" in result.output and "intent accuracy" in result.output


def test_review_writes_candidates_that_load_as_training_data(tmp_path):
    records = [
        {
            "text": "que tiempo hara mañana",
            "intent": "nlu_fallback",
            "confidence": 0.08,
            "language": "es",
        },
        {"text": "me duele\nla mano", "intent": "ask_health", "confidence": 0.11, "language": "es"},
        {"text": "me duele la mano", "intent": "ask_health", "confidence": 0.12, "language": "es"},
    ]
    out = tmp_path / "candidates.yml"
    result = CliRunner().invoke(
        nlu, ["review", "--output", str(out)], input="\n".join(json.dumps(r) for r in records)
    )
    assert result.exit_code == 0, result.output
    data = load(out)
    assert sorted(e.text for e in data.examples) == ["me duele la mano", "que tiempo hara mañana"]
    assert all(e.language == "es" and "confidence" in e.metadata for e in data.examples)
