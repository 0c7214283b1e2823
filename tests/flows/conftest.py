"""Fixtures for the flow engine: an engine over the structural flows with stand-in topics.

The rights topics (flows/topics/) belong to the content; these tests check the engine and the
structural flows, so each ask_* intent gets a one-step stand-in topic here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import flows

FLOWS_DIR = Path(flows.__file__).resolve().parent
TOPICS = (
    "wages",
    "hours",
    "housing",
    "health",
    "permit",
    "fees",
    "documents",
    "safety",
    "retaliation",
    "contract",
)


def stand_in_topic(topic: str) -> dict:
    return {
        "flow": f"topic.{topic}",
        "title": f"topic.{topic}.title",
        "intents": [f"ask_{topic}"],
        "needs": ["province"] if topic == "wages" else [],
        "services": [topic],
        "sensitive": topic == "retaliation",
        "then": "next_steps",
        "steps": {
            "answer": {
                "say": [f"topic.{topic}.answer"],
                "effects": [
                    {"kind": "topic_answered", "data": {"topic": topic, "province": "$province"}}
                ],
                "next": "end",
            }
        },
    }


@pytest.fixture(scope="session")
def structural_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("flows")
    for path in FLOWS_DIR.glob("*.yaml"):
        if path.name != "facts.yaml":
            shutil.copy(path, root / path.name)
    topics = root / "topics"
    topics.mkdir()
    for topic in TOPICS:
        (topics / f"{topic}.yaml").write_text(
            yaml.safe_dump(stand_in_topic(topic)), encoding="utf-8"
        )
    return root


@pytest.fixture(scope="session")
def engine(structural_dir: Path) -> flows.Engine:
    return flows.load_engine(structural_dir, strict=True)
