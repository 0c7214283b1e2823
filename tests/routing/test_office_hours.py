"""Office hours: written as operators write them, asked "open now?" in the office's time zone."""

from datetime import UTC, datetime

import pytest

from bot.directory.hours import parse_office_hours


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_weekday_hours_are_open_only_inside_them_in_local_time():
    hours = parse_office_hours("Mon-Fri 09:00-17:00", "America/Toronto")
    assert hours.is_open(utc(2026, 11, 24, 14, 0))  # Tuesday 09:00 in Toronto
    assert not hours.is_open(utc(2026, 11, 24, 13, 59))
    assert not hours.is_open(utc(2026, 11, 24, 22, 0))  # 17:00, closing time
    assert not hours.is_open(utc(2026, 11, 29, 15, 0))  # Sunday


def test_several_segments_single_days_and_lists():
    hours = parse_office_hours("Mon,Wed 7:30-12:00; Sat 10:00-14:00", "America/Vancouver")
    assert [w.weekday for w in hours.windows] == [0, 2, 5]
    assert hours.is_open(utc(2026, 11, 28, 19, 0))  # Saturday 11:00 in Vancouver


def test_around_the_clock_and_until_midnight():
    assert parse_office_hours("24/7", "America/Halifax").is_open(utc(2026, 1, 1, 3, 0))
    late = parse_office_hours("Fri 18:00-24:00", "America/Regina")
    assert late.is_open(utc(2026, 11, 28, 5, 59))  # Friday 23:59 in Regina


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("weekdays", "is not like"),
        ("Mon-Fri 17:00-09:00", "closes before it opens"),
        ("Fri-Mon 09:00-17:00", "runs backwards"),
        ("Mon-Fry 09:00-17:00", "is not a day"),
        ("Mon 09:00-25:00", "is not a time of day"),
        ("Mon 24:00-17:00", "opens at 24:00"),  # was a TypeError, not a row problem
    ],
)
def test_unreadable_hours_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_office_hours(text, "America/Toronto")


def test_asking_with_a_naive_time_is_an_error():
    with pytest.raises(ValueError):
        parse_office_hours("24/7", "America/Toronto").is_open(datetime(2026, 1, 1))
