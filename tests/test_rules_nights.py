"""Counting night duties: 22:00–06:00 local, one per night however many shifts touch it."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from checkpoint.rules.nights import night_dates, nights_in_month

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def local(y, mo, d, h, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=HCM).astimezone(timezone.utc)


def test_a_shift_across_midnight_is_one_night_named_by_its_evening():
    assert night_dates(local(2026, 11, 3, 23), local(2026, 11, 4, 3), HCM) == {date(2026, 11, 3)}


def test_an_evening_shift_that_reaches_into_the_night_counts():
    assert night_dates(local(2026, 11, 3, 19), local(2026, 11, 3, 23), HCM) == {date(2026, 11, 3)}


def test_an_evening_shift_ending_at_ten_does_not_count():
    assert night_dates(local(2026, 11, 3, 18), local(2026, 11, 3, 22), HCM) == set()


def test_an_early_morning_shift_belongs_to_the_night_before():
    assert night_dates(local(2026, 11, 4, 4), local(2026, 11, 4, 8), HCM) == {date(2026, 11, 3)}


def test_a_day_shift_is_no_night():
    assert night_dates(local(2026, 11, 4, 6), local(2026, 11, 4, 22), HCM) == set()


def test_a_full_day_touches_two_nights():
    assert night_dates(local(2026, 11, 4, 0), local(2026, 11, 5, 0), HCM) == {date(2026, 11, 3), date(2026, 11, 4)}


def test_two_shifts_in_one_night_are_one_night_duty():
    periods = [(local(2026, 11, 3, 19), local(2026, 11, 3, 23)), (local(2026, 11, 3, 23), local(2026, 11, 4, 3))]
    assert nights_in_month(periods, 2026, 11, HCM) == {date(2026, 11, 3)}


def test_a_night_belongs_to_the_month_it_begins_in():
    periods = [(local(2026, 11, 30, 23), local(2026, 12, 1, 3))]
    assert nights_in_month(periods, 2026, 11, HCM) == {date(2026, 11, 30)}
    assert nights_in_month(periods, 2026, 12, HCM) == set()
