"""`puente eval replies` plays its scripts through the webhook and reports the issue's goals."""

from bot.eval import replies
from tests.conftest import make_settings


def test_the_reply_report_meets_the_goals(tmp_path):
    report = replies.run(make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}"))
    assert "SMS segments per question: p50 1, p95 2" in report or "p95 1," in report
    assert "held something back for MORE: 0 " in report
    assert "to a filed report" in report and "not reached" not in report
