"""Every question of the report fits 2 SMS segments in each language, as SMS sends it (issue 21 §2),
and so does the summary at its longest."""

from __future__ import annotations

import pytest

import flows
from bot.conversation.dialogue import compose
from bot.settings import SmsSettings
from bot.text.render import prepare
from bot.text.segments import count_segments
from flows import Reply
from flows.answers import step_options
from flows.types import ReplyOption

QUESTION_SEGMENTS = 2


def as_sent(reply: Reply, language: str) -> str:
    return prepare(compose(reply, language), "sms", transliterate=SmsSettings().transliterate)


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_each_report_question_with_its_options_fits_two_sms_segments(language):
    report = flows.load_engine().flows["report"]
    over = []
    for step in report.steps.values():
        if step.prompt is None:
            continue
        options = step_options(step, {})
        reply = Reply(
            step.prompt.msgid,
            options=tuple(ReplyOption(str(i), o.label) for i, o in enumerate(options, start=1)),
        )
        text = as_sent(reply, language)
        if count_segments(text) > QUESTION_SEGMENTS:
            over.append((step.id, count_segments(text), len(text)))
    assert over == []


@pytest.mark.parametrize("language", ["es", "tl", "en"])
def test_the_longest_summary_and_its_question_fit_one_turn(language):
    """Clipped employer (40), town and free-text sector (30): the summary stays within the budget."""
    summary = Reply(
        "report.summary",
        {
            "types": [
                {"msgid": f"report.type.{t}"}
                for t in (
                    "wages",
                    "hours",
                    "housing",
                    "health_safety",
                    "documents",
                    "fees",
                    "violence",
                    "retaliation",
                )
            ],
            "employer": "E" * 40,
            "place": "P" * 30,
            "province": {"msgid": "province.nl"},
            "sector": {"msgid": "report.sector.food_processing"},
            "share": {"msgid": "report.share.ngo_tipline"},
        },
    )
    assert count_segments(as_sent(summary, language)) <= SmsSettings().segment_budget
