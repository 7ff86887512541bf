"""The attendance report's rules at explicit times: classifying a shift, counting hours and nights."""
import uuid
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from checkpoint.extensions import db
from checkpoint.models import Attendance
from checkpoint.rules import RuleViolation
from checkpoint.rules.attendance_report import (LATE, LATE_AND_LEFT_EARLY, LEFT_EARLY, MISSED, ON_TIME, UPCOMING,
                                                attendance_report, check_period, classify, counted_end,
                                                given_name_key)
from tests.factories import local

TEN = timedelta(minutes=10)
SHIFT = SimpleNamespace(starts_at=local(2026, 11, 3, 18), ends_at=local(2026, 11, 3, 22))
AFTER = local(2026, 11, 4, 9)  # the next morning: the shift is over


def was(check_in, check_out=None):
    return SimpleNamespace(check_in_at=check_in, check_out_at=check_out)


def kept(check_in, check_out=None, now=AFTER, shift=SHIFT):
    return classify(shift, [was(check_in, check_out)], now, TEN, TEN)


# --- classify -----------------------------------------------------------------------------------


def test_arriving_and_leaving_on_the_hour_is_on_time():
    assert kept(local(2026, 11, 3, 18), local(2026, 11, 3, 22)) == ON_TIME


def test_arriving_exactly_at_the_tolerance_is_still_on_time():
    assert kept(local(2026, 11, 3, 18, 10), local(2026, 11, 3, 22)) == ON_TIME


def test_arriving_a_second_past_the_tolerance_is_late():
    assert kept(local(2026, 11, 3, 18, 10) + timedelta(seconds=1), local(2026, 11, 3, 22)) == LATE


def test_leaving_exactly_at_the_tolerance_is_not_early():
    assert kept(local(2026, 11, 3, 18), local(2026, 11, 3, 21, 50)) == ON_TIME


def test_leaving_a_second_before_the_tolerance_is_early():
    assert kept(local(2026, 11, 3, 18), local(2026, 11, 3, 21, 50) - timedelta(seconds=1)) == LEFT_EARLY


def test_late_and_early_together_is_both():
    assert kept(local(2026, 11, 3, 18, 30), local(2026, 11, 3, 21)) == LATE_AND_LEFT_EARLY


def test_the_tolerances_are_settable():
    shift, arrival = SHIFT, was(local(2026, 11, 3, 18, 20), local(2026, 11, 3, 22))
    assert classify(shift, [arrival], AFTER, timedelta(minutes=30), TEN) == ON_TIME


def test_nobody_by_the_end_is_a_no_show():
    assert classify(SHIFT, [], local(2026, 11, 3, 22), TEN, TEN) == MISSED


def test_nobody_before_the_end_is_not_yet_a_no_show():
    assert classify(SHIFT, [], local(2026, 11, 3, 21, 59), TEN, TEN) == UPCOMING


def test_a_forgotten_check_out_is_not_leaving_early():
    assert kept(local(2026, 11, 3, 18), None) == ON_TIME


def test_a_break_in_the_middle_counts_the_first_arrival_and_the_last_departure():
    visits = [was(local(2026, 11, 3, 17, 55), local(2026, 11, 3, 19)),
              was(local(2026, 11, 3, 20), local(2026, 11, 3, 22, 5))]
    assert classify(SHIFT, visits, AFTER, TEN, TEN) == ON_TIME


def test_a_shift_across_midnight_is_judged_on_its_own_end():
    night = SimpleNamespace(starts_at=local(2026, 11, 3, 22), ends_at=local(2026, 11, 4, 2))
    assert kept(local(2026, 11, 3, 21, 58), local(2026, 11, 4, 1, 30), shift=night) == LEFT_EARLY


def test_someone_on_duty_now_is_counted_by_arrival():
    assert kept(local(2026, 11, 3, 18, 25), None, now=local(2026, 11, 3, 19)) == LATE


# --- counted time -------------------------------------------------------------------------------


def test_an_open_attendance_counts_up_to_now_during_the_shift():
    assert counted_end(was(local(2026, 11, 3, 18)), SHIFT.ends_at, local(2026, 11, 3, 20)) == local(2026, 11, 3, 20)


def test_a_forgotten_check_out_counts_only_until_the_shift_ends():
    assert counted_end(was(local(2026, 11, 3, 18)), SHIFT.ends_at, local(2026, 11, 9, 8)) == SHIFT.ends_at


def test_a_check_out_a_little_after_the_end_is_believed():
    out = local(2026, 11, 3, 23, 30)
    assert counted_end(was(local(2026, 11, 3, 18), out), SHIFT.ends_at, AFTER) == out


def test_a_check_out_days_later_is_capped_two_hours_after_the_plan():
    late = was(local(2026, 11, 3, 18), local(2026, 11, 5, 17, 55))
    assert counted_end(late, SHIFT.ends_at, AFTER) == local(2026, 11, 4, 0)


# --- the period ---------------------------------------------------------------------------------


def test_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(RuleViolation) as refused:
        check_period(date(2026, 11, 5), date(2026, 11, 4))
    assert refused.value.field == "date_to"


def test_366_days_are_allowed_but_not_367():
    check_period(date(2025, 11, 1), date(2026, 11, 1))
    with pytest.raises(RuleViolation):
        check_period(date(2025, 11, 1), date(2026, 11, 2))


def test_names_are_ordered_by_the_given_name_as_vietnamese_lists_are():
    names = ["Trần Thị Đào", "Nguyễn Văn Dũng", "Lê Văn An", "Phạm Thị Ánh"]
    assert sorted(names, key=given_name_key) == ["Lê Văn An", "Phạm Thị Ánh", "Nguyễn Văn Dũng", "Trần Thị Đào"]


# --- the report over the database ---------------------------------------------------------------

NOW = local(2026, 11, 27, 12)
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
def ward(make):
    return make.ward("P4")


@pytest.fixture
def alley(make, ward):
    return make.checkpoint(ward, "C01", name="Chốt hẻm 12")


@pytest.fixture
def market(make, ward):
    return make.checkpoint(ward, "C02", name="Chốt chợ")


@pytest.fixture
def an(make, alley, market):
    return make.user("volunteer", ward=alley.ward, checkpoints=[alley, market], name="Nguyễn Văn An")


@pytest.fixture
def binh(make, alley):
    return make.volunteer(alley, name="Trần Thị Bình")


def attend(person, checkpoint, check_in, check_out=None, shift=None):
    """An attendance as the phone would have left it; `shift` links it as check-in would."""
    row = Attendance(uuid=uuid.uuid4(), user_id=person.id, checkpoint_id=checkpoint.id,
                     shift_id=shift.id if shift else None, check_in_at=check_in, check_in_received_at=check_in,
                     check_out_at=check_out, check_out_received_at=check_out,
                     check_out_uuid=uuid.uuid4() if check_out else None)
    db.session.add(row)
    db.session.commit()
    return row


def report(ward, period=NOVEMBER, now=NOW):
    return attendance_report(ward, *period, now)


def person(result, user):
    return next(line for line in result.volunteers if line.user.id == user.id)


def post(result, checkpoint):
    return next(line for line in result.checkpoints if line.checkpoint.id == checkpoint.id)


def test_each_kind_of_shift_is_counted_for_the_person(make, ward, alley, an):
    on_time = make.shift(alley, local(2026, 11, 2, 18), volunteers=[an])
    late = make.shift(alley, local(2026, 11, 3, 18), volunteers=[an])
    early = make.shift(alley, local(2026, 11, 4, 18), volunteers=[an])
    make.shift(alley, local(2026, 11, 5, 18), volunteers=[an])  # missed
    make.shift(alley, local(2026, 11, 28, 18), volunteers=[an])  # not yet due
    attend(an, alley, local(2026, 11, 2, 17, 55), local(2026, 11, 2, 22), on_time)
    attend(an, alley, local(2026, 11, 3, 18, 40), local(2026, 11, 3, 22), late)
    attend(an, alley, local(2026, 11, 4, 18), local(2026, 11, 4, 20), early)
    line = person(report(ward), an)
    assert (line.planned, line.on_time, line.late, line.left_early, line.missed, line.upcoming) == (5, 1, 1, 1, 1, 1)


def test_late_and_left_early_counts_in_both_columns(make, ward, alley, an):
    shift = make.shift(alley, local(2026, 11, 3, 18), volunteers=[an])
    attend(an, alley, local(2026, 11, 3, 19), local(2026, 11, 3, 21), shift)
    line = person(report(ward), an)
    assert (line.late, line.left_early, line.on_time) == (1, 1, 0)


def test_hours_are_the_time_between_check_in_and_check_out(make, ward, alley, an):
    shift = make.shift(alley, local(2026, 11, 3, 18), volunteers=[an])
    attend(an, alley, local(2026, 11, 3, 17, 45), local(2026, 11, 3, 22, 15), shift)
    assert person(report(ward), an).hours == pytest.approx(4.5)


def test_a_forgotten_check_out_counts_until_the_shift_end_and_is_flagged(make, ward, alley, an):
    shift = make.shift(alley, local(2026, 11, 3, 18), volunteers=[an])
    attend(an, alley, local(2026, 11, 3, 18), None, shift)
    line = person(report(ward), an)
    assert line.hours == pytest.approx(4) and line.no_check_out == 1


def test_someone_on_duty_now_counts_up_to_now_and_is_not_flagged(make, ward, alley, an):
    shift = make.shift(alley, local(2026, 11, 27, 10), volunteers=[an])
    attend(an, alley, local(2026, 11, 27, 10), None, shift)
    line = person(report(ward), an)
    assert line.hours == pytest.approx(2) and line.no_check_out == 0 and line.on_time == 1


def test_presence_without_a_plan_is_unscheduled(make, ward, alley, binh):
    attend(binh, alley, local(2026, 11, 6, 8), local(2026, 11, 6, 11))
    line = person(report(ward), binh)
    assert (line.unscheduled, line.planned, line.hours) == (1, 0, pytest.approx(3))


def test_an_unscheduled_forgotten_check_out_counts_one_usual_shift(make, ward, alley, binh):
    attend(binh, alley, local(2026, 11, 6, 8))
    assert person(report(ward), binh).hours == pytest.approx(4)


def test_checking_in_too_early_to_be_linked_still_keeps_the_shift(make, ward, alley, an):
    make.shift(alley, local(2026, 11, 3, 18), volunteers=[an])
    attend(an, alley, local(2026, 11, 3, 17, 15), local(2026, 11, 3, 22))  # not linked: 45 minutes early
    line = person(report(ward), an)
    assert (line.on_time, line.unscheduled, line.missed) == (1, 0, 0)


def test_one_stay_through_two_shifts_keeps_both(make, ward, alley, an):
    evening = make.shift(alley, local(2026, 11, 3, 18), volunteers=[an])
    make.shift(alley, local(2026, 11, 3, 22), volunteers=[an])
    attend(an, alley, local(2026, 11, 3, 17, 55), local(2026, 11, 4, 2, 5), evening)
    line = person(report(ward), an)
    assert (line.on_time, line.missed, line.hours) == (2, 0, pytest.approx(8 + 10 / 60))


def test_presence_at_another_checkpoint_does_not_keep_a_shift(make, ward, alley, market, an):
    make.shift(alley, local(2026, 11, 3, 18), volunteers=[an])
    attend(an, market, local(2026, 11, 3, 18), local(2026, 11, 3, 22))
    line = person(report(ward), an)
    assert (line.missed, line.unscheduled) == (1, 1)


def test_someone_elses_presence_does_not_keep_a_shift(make, ward, alley, an, binh):
    make.shift(alley, local(2026, 11, 3, 18), volunteers=[an])
    attend(binh, alley, local(2026, 11, 3, 18), local(2026, 11, 3, 22))
    assert person(report(ward), an).missed == 1


def test_a_shift_belongs_to_the_period_it_starts_in(make, ward, alley, an):
    make.shift(alley, local(2026, 10, 31, 22), volunteers=[an])
    assert person(report(ward), an).planned == 0


def test_hours_are_cut_at_the_edge_of_the_period(make, ward, alley, an):
    shift = make.shift(alley, local(2026, 10, 31, 22), volunteers=[an])
    attend(an, alley, local(2026, 10, 31, 22), local(2026, 11, 1, 2), shift)
    assert person(report(ward), an).hours == pytest.approx(2)


def test_night_duties_are_distinct_nights_actually_on_duty(make, ward, alley, an):
    for day in (3, 4):
        attend(an, alley, local(2026, 11, day, 19), local(2026, 11, day, 23))
        attend(an, alley, local(2026, 11, day, 23), local(2026, 11, day + 1, 3))
    attend(an, alley, local(2026, 11, 5, 8), local(2026, 11, 5, 12))  # a day duty
    assert person(report(ward), an).nights == 2


def test_a_planned_night_not_attended_is_no_night_duty(make, ward, alley, an):
    make.shift(alley, local(2026, 11, 3, 22), volunteers=[an])
    assert person(report(ward), an).nights == 0


def test_more_nights_than_the_cap_are_marked(make, ward, alley, an):
    for day in range(1, 12):
        attend(an, alley, local(2026, 11, day, 22), local(2026, 11, day + 1, 2))
    line = person(report(ward), an)
    assert [(m.label, m.nights) for m in line.over_cap] == [("11/2026", 11)]


def test_the_cap_itself_is_not_over(make, ward, alley, an):
    for day in range(1, 11):
        attend(an, alley, local(2026, 11, day, 22), local(2026, 11, day + 1, 2))
    assert person(report(ward), an).over_cap == []


def test_the_cap_counts_the_whole_month_even_for_part_of_it(make, ward, alley, an):
    for day in range(1, 12):
        attend(an, alley, local(2026, 11, day, 22), local(2026, 11, day + 1, 2))
    line = person(report(ward, (date(2026, 11, 10), date(2026, 11, 20))), an)
    assert line.nights == 2 and [m.nights for m in line.over_cap] == [11]


def test_every_volunteer_of_the_ward_has_a_line(make, ward, alley, an, binh):
    assert {line.user.full_name for line in report(ward).volunteers} == {"Nguyễn Văn An", "Trần Thị Bình"}


def test_a_deactivated_volunteer_without_records_has_no_line(make, ward, alley, binh):
    binh.active = False
    db.session.commit()
    assert report(ward).volunteers == []


def test_the_checkpoint_lines_add_up_to_the_totals(make, ward, alley, market, an, binh):
    alley_shift = make.shift(alley, local(2026, 11, 3, 18), volunteers=[an, binh])
    make.shift(market, local(2026, 11, 4, 18), volunteers=[an])
    attend(an, alley, local(2026, 11, 3, 18), local(2026, 11, 3, 22), alley_shift)
    attend(binh, market, local(2026, 11, 4, 8), local(2026, 11, 4, 10))
    result = report(ward)
    assert (post(result, alley).planned, post(result, alley).missed, post(result, market).unscheduled) == (2, 1, 1)
    assert (result.totals.planned, result.totals.missed, result.totals.hours) == (3, 2, pytest.approx(6))


def test_another_wards_shifts_and_people_stay_out(make, ward, alley, an):
    other = make.checkpoint(make.ward("XH"), "C09")
    stranger = make.volunteer(other)
    make.shift(other, local(2026, 11, 3, 18), volunteers=[stranger])
    attend(stranger, other, local(2026, 11, 3, 18), local(2026, 11, 3, 22))
    result = report(ward)
    assert stranger.id not in {line.user.id for line in result.volunteers} and result.totals.planned == 0


def test_the_report_asks_the_same_number_of_queries_for_more_people(make, ward, alley, an):
    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            report(ward)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    shift = make.shift(alley, local(2026, 11, 3, 18), volunteers=[an])
    attend(an, alley, local(2026, 11, 3, 18), local(2026, 11, 3, 22), shift)
    db.session.expire_all()
    before = statements()
    for code in ("C05", "C06", "C07"):
        extra = make.checkpoint(ward, code)
        people = [make.volunteer(extra), make.volunteer(extra)]
        more = make.shift(extra, local(2026, 11, 4, 18), volunteers=people)
        attend(people[0], extra, local(2026, 11, 4, 18), local(2026, 11, 4, 22), more)
        attend(people[1], extra, local(2026, 11, 5, 8))
    db.session.expire_all()
    assert statements() == before


def test_staying_past_an_evening_shift_into_the_night_is_no_night_duty(make, ward, alley, an):
    evening = make.shift(alley, local(2026, 11, 3, 18), volunteers=[an])
    attend(an, alley, local(2026, 11, 3, 18), local(2026, 11, 3, 22, 20), evening)
    assert person(report(ward), an).nights == 0


def test_part_of_a_night_shift_kept_is_a_night_duty(make, ward, alley, an):
    night = make.shift(alley, local(2026, 11, 3, 22), volunteers=[an])
    attend(an, alley, local(2026, 11, 3, 22, 30), local(2026, 11, 3, 23), night)
    assert person(report(ward), an).nights == 1


def test_unscheduled_presence_in_the_night_is_a_night_duty(make, ward, alley, binh):
    attend(binh, alley, local(2026, 11, 7, 23), local(2026, 11, 8, 1))
    assert person(report(ward), binh).nights == 1


def test_a_linked_attendance_that_ended_before_the_start_still_belongs_to_its_shift(make, ward, alley, an):
    shift = make.shift(alley, local(2026, 11, 3, 18), volunteers=[an])
    attend(an, alley, local(2026, 11, 3, 17, 35), local(2026, 11, 3, 17, 50), shift)
    line = person(report(ward), an)
    assert (line.left_early, line.missed, line.unscheduled) == (1, 0, 0)


def test_one_stay_through_three_shifts_in_a_row_keeps_all_three(make, ward, alley, an):
    first = make.shift(alley, local(2026, 11, 3, 14), volunteers=[an])
    make.shift(alley, local(2026, 11, 3, 18), volunteers=[an])
    make.shift(alley, local(2026, 11, 3, 22), volunteers=[an])
    attend(an, alley, local(2026, 11, 3, 14), local(2026, 11, 4, 2), first)
    line = person(report(ward), an)
    assert (line.on_time, line.hours) == (3, pytest.approx(12))


def test_a_check_out_days_later_counts_two_hours_past_the_plan(make, ward, alley, an):
    shift = make.shift(alley, local(2026, 11, 3, 18), volunteers=[an])
    attend(an, alley, local(2026, 11, 3, 18), local(2026, 11, 5, 17, 55), shift)
    assert person(report(ward), an).hours == pytest.approx(6)
