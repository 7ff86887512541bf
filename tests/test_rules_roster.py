"""The weekly roster rules: weeks, pattern expansion, warnings and planning, with an explicit `now`."""
import uuid
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from checkpoint.extensions import db
from checkpoint.models import Activity, Shift, ShiftPattern
from checkpoint.rules import RuleViolation
from checkpoint.rules.attendance import check_in
from checkpoint.rules.roster import (add_pattern, add_shift, apply_patterns, assign, cancel_shift, check_times,
                                     copy_previous_week, delete_pattern, expand_pattern, move_shift, parse_week,
                                     pattern_minutes, roster_week, unassign, week_bounds, week_label, week_monday)
from tests.factories import local

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = date(2026, 11, 23)  # ISO week 2026-W48
BEFORE = local(2026, 11, 20, 9)  # the Friday before: the whole week is still ahead


@pytest.fixture
def ward(make):
    return make.ward("P4")


@pytest.fixture
def post(make, ward):
    return make.checkpoint(ward, "C01", min_staff=2)


@pytest.fixture
def other(make, ward):
    return make.checkpoint(ward, "C02", min_staff=1)


@pytest.fixture
def boss(make, ward):
    return make.user("coordinator", ward=ward, name="Điều phối")


@pytest.fixture
def an(make, post):
    return make.volunteer(post, name="An")


@pytest.fixture
def binh(make, post):
    return make.volunteer(post, name="Bình")


def kinds(week, shift):
    return sorted(w.kind for w in week.shift_warnings(shift))


# --- weeks ------------------------------------------------------------------------------------

def test_an_iso_week_names_its_monday():
    assert parse_week("2026-W48") == MONDAY


def test_a_date_names_the_monday_of_its_week():
    assert parse_week("2026-11-29") == MONDAY


@pytest.mark.parametrize("text", ["", "garbage", "2026-W60", "2026-13-01", None])
def test_unreadable_weeks_are_none(text):
    assert parse_week(text) is None


def test_the_week_label_round_trips():
    assert parse_week(week_label(MONDAY)) == MONDAY and week_label(MONDAY) == "2026-W48"


def test_week_monday_of_a_sunday_is_six_days_back():
    assert week_monday(date(2026, 11, 29)) == MONDAY


def test_the_local_week_starts_at_local_midnight_in_utc():
    starts, ends = week_bounds(MONDAY, HCM)
    assert (starts, ends) == (datetime(2026, 11, 22, 17, tzinfo=timezone.utc),
                              datetime(2026, 11, 29, 17, tzinfo=timezone.utc))


# --- patterns ---------------------------------------------------------------------------------

def test_a_pattern_past_midnight_lasts_into_the_next_day():
    assert pattern_minutes(time(23), time(3)) == 240


def test_a_pattern_ending_at_its_start_is_a_whole_day():
    assert pattern_minutes(time(7), time(7)) == 1440


def test_expanding_a_pattern_uses_the_local_wall_clock_and_stores_utc(post):
    pattern = ShiftPattern(checkpoint_id=post.id, starts_at=time(23), duration_minutes=240)
    slots = expand_pattern(pattern, [MONDAY, MONDAY + timedelta(days=1)], HCM)
    assert slots == [(local(2026, 11, 23, 23), local(2026, 11, 24, 3)),
                     (local(2026, 11, 24, 23), local(2026, 11, 25, 3))]
    assert slots[0][0].tzinfo == ZoneInfo("UTC")


def test_a_pattern_shorter_than_fifteen_minutes_is_refused(post, boss):
    with pytest.raises(RuleViolation) as refused:
        add_pattern(post, time(19), time(19, 10), None, by=boss, now=BEFORE)
    assert refused.value.code == "too_short"


def test_the_same_pattern_twice_is_refused(post, boss):
    add_pattern(post, time(19), time(23), "Ca tối", by=boss, now=BEFORE)
    with pytest.raises(RuleViolation) as refused:
        add_pattern(post, time(19), time(23), None, by=boss, now=BEFORE)
    assert refused.value.code == "duplicate"


def test_applying_patterns_plans_every_day_of_the_week(ward, post, boss):
    add_pattern(post, time(19), time(23), None, by=boss, now=BEFORE)
    add_pattern(post, time(23), time(3), None, by=boss, now=BEFORE)
    planned = apply_patterns(ward, [post], MONDAY, by=boss, now=BEFORE)
    assert len(planned.created) == 14


def test_applying_patterns_twice_creates_no_duplicates(ward, post, boss):
    add_pattern(post, time(19), time(23), None, by=boss, now=BEFORE)
    apply_patterns(ward, [post], MONDAY, by=boss, now=BEFORE)
    again = apply_patterns(ward, [post], MONDAY, by=boss, now=BEFORE)
    assert (len(again.created), again.existing) == (0, 7)


def test_applying_patterns_skips_slots_that_have_begun(ward, post, boss):
    add_pattern(post, time(19), time(23), None, by=boss, now=BEFORE)
    planned = apply_patterns(ward, [post], MONDAY, by=boss, now=local(2026, 11, 25, 20))
    assert (len(planned.created), planned.past) == (4, 3)


def test_deleting_a_pattern_keeps_the_shifts_made_from_it(ward, post, boss):
    pattern = add_pattern(post, time(19), time(23), None, by=boss, now=BEFORE)
    apply_patterns(ward, [post], MONDAY, by=boss, now=BEFORE)
    delete_pattern(pattern, by=boss, now=BEFORE)
    assert db.session.scalar(select(func.count(Shift.id))) == 7


# --- reading a week ---------------------------------------------------------------------------

def test_a_shift_belongs_to_the_local_day_it_starts_on(make, ward, post):
    late_sunday = make.shift(post, local(2026, 11, 29, 23), hours=4)
    early_monday = make.shift(post, local(2026, 11, 23, 0, 30), hours=4)
    week = roster_week(ward, MONDAY, night_cap=10)
    assert week.cell(post, date(2026, 11, 29)) == [late_sunday]
    assert week.cell(post, MONDAY) == [early_monday]


def test_the_next_weeks_monday_after_midnight_is_not_in_the_week(make, ward, post):
    make.shift(post, local(2026, 11, 30, 0, 30), hours=4)
    assert roster_week(ward, MONDAY, night_cap=10).shifts == []


def test_retired_checkpoints_are_not_in_the_ward_week(make, ward, post):
    make.checkpoint(ward, "C09").active = False
    db.session.commit()
    assert [c.code for c in roster_week(ward, MONDAY, night_cap=10).checkpoints] == ["C01"]


def test_cells_are_in_start_order_and_slots_line_up(make, ward, post):
    late = make.shift(post, local(2026, 11, 24, 23), hours=4)
    early = make.shift(post, local(2026, 11, 24, 19), hours=4)
    make.shift(post, local(2026, 11, 25, 19), hours=4)
    week = roster_week(ward, MONDAY, post, night_cap=10)
    assert week.cell(post, date(2026, 11, 24)) == [early, late]
    assert week.weeks[post.id].slots == [(time(19), time(23)), (time(23), time(3))]


def test_two_overlapping_shifts_across_midnight_at_two_checkpoints_warn_on_both(make, ward, post, other, an):
    first = make.shift(post, local(2026, 11, 24, 22), hours=4, volunteers=[an])
    second = make.shift(other, local(2026, 11, 25, 1), hours=4, volunteers=[an])
    week = roster_week(ward, MONDAY, night_cap=10)
    assert "overlap" in kinds(week, first) and "overlap" in kinds(week, second)


def test_the_overlap_warning_names_the_other_checkpoint(app, make, ward, post, other, an):
    first = make.shift(post, local(2026, 11, 24, 22), hours=4, volunteers=[an])
    make.shift(other, local(2026, 11, 25, 1), hours=4, volunteers=[an])
    with app.test_request_context(headers={"Accept-Language": "en"}):
        text = [w.text for w in roster_week(ward, MONDAY, night_cap=10).person_warnings(first, an)
                if w.kind == "overlap"]
    assert text == ["An is also booked at C02 01:00–05:00 25/11"]


def test_an_overlap_with_a_shift_outside_the_shown_checkpoint_is_still_found(make, ward, post, other, an):
    first = make.shift(post, local(2026, 11, 24, 22), hours=4, volunteers=[an])
    make.shift(other, local(2026, 11, 25, 1), hours=4, volunteers=[an])
    assert "overlap" in kinds(roster_week(ward, MONDAY, post, night_cap=10), first)


def test_back_to_back_shifts_are_not_an_overlap(make, ward, post, an):
    first = make.shift(post, local(2026, 11, 24, 19), hours=4, volunteers=[an])
    make.shift(post, local(2026, 11, 24, 23), hours=4, volunteers=[an])
    assert "overlap" not in kinds(roster_week(ward, MONDAY, night_cap=10), first)


def test_a_shift_below_the_minimum_staff_warns(make, ward, post, an):
    shift = make.shift(post, local(2026, 11, 24, 19), volunteers=[an])
    assert kinds(roster_week(ward, MONDAY, night_cap=10), shift) == ["understaffed"]


def test_a_shift_at_the_minimum_staff_has_no_warning(make, ward, post, an, binh):
    shift = make.shift(post, local(2026, 11, 24, 19), volunteers=[an, binh])
    assert kinds(roster_week(ward, MONDAY, night_cap=10), shift) == []


def test_a_person_over_the_night_cap_is_warned_on_night_shifts(make, ward, other, an):
    nights = [make.shift(other, local(2026, 11, day, 23), hours=4, volunteers=[an]) for day in (2, 10, 24)]
    day_shift = make.shift(other, local(2026, 11, 25, 8), hours=4, volunteers=[an])
    week = roster_week(ward, MONDAY, night_cap=2)
    assert "night_cap" in kinds(week, nights[2]) and "night_cap" not in kinds(week, day_shift)


def test_two_shifts_in_one_night_count_once_against_the_cap(make, ward, other, an):
    make.shift(other, local(2026, 11, 10, 23), hours=4, volunteers=[an])
    early = make.shift(other, local(2026, 11, 24, 19), hours=4, volunteers=[an])
    make.shift(other, local(2026, 11, 24, 23), hours=4, volunteers=[an])
    assert "night_cap" not in kinds(roster_week(ward, MONDAY, night_cap=2), early)


def test_nights_of_another_month_do_not_count(make, ward, other, an):
    make.shift(other, local(2026, 10, 30, 23), hours=4, volunteers=[an])
    make.shift(other, local(2026, 10, 31, 23), hours=4, volunteers=[an])
    shift = make.shift(other, local(2026, 11, 24, 23), hours=4, volunteers=[an])
    assert "night_cap" not in kinds(roster_week(ward, MONDAY, night_cap=1), shift)


def test_a_volunteer_of_another_checkpoint_is_warned_about(make, ward, post, other, an):
    shift = make.shift(other, local(2026, 11, 24, 19), volunteers=[an])
    assert kinds(roster_week(ward, MONDAY, night_cap=10), shift) == ["not_member"]


def test_a_coordinator_on_a_shift_is_not_a_non_member(make, ward, other, boss):
    shift = make.shift(other, local(2026, 11, 24, 19), volunteers=[boss])
    assert kinds(roster_week(ward, MONDAY, night_cap=10), shift) == []


def test_a_deactivated_person_on_a_shift_is_warned_about(make, ward, other, an):
    member = make.volunteer(other)
    shift = make.shift(other, local(2026, 11, 24, 19), volunteers=[member])
    member.active = False
    db.session.commit()
    assert kinds(roster_week(ward, MONDAY, night_cap=10), shift) == ["inactive"]


def test_warnings_are_counted_by_kind(make, ward, post, other, an):
    make.shift(other, local(2026, 11, 24, 19), volunteers=[an])
    make.shift(post, local(2026, 11, 25, 19), volunteers=[])
    counts = roster_week(ward, MONDAY, night_cap=10).counts()
    assert (counts["not_member"], counts["understaffed"]) == (1, 1)


def statements_during(call) -> int:
    db.session.commit()
    db.session.expire_all()
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def busy_week(make, code: str, checkpoints: int):
    ward = make.ward(code)
    people = []
    for n in range(checkpoints):
        checkpoint = make.checkpoint(ward, f"C{n:02d}")
        crew = [make.volunteer(checkpoint) for _ in range(2)]
        people += crew
        for day in range(7):
            make.shift(checkpoint, local(2026, 11, 23 + day, 19), hours=4, volunteers=crew)
            late_crew = list(dict.fromkeys(crew[:1] + people[:1]))  # someone from the first checkpoint too
            make.shift(checkpoint, local(2026, 11, 23 + day, 23), hours=4, volunteers=late_crew)
    return ward


def test_reading_a_week_takes_as_many_queries_for_many_checkpoints_as_for_few(make):
    small, large = busy_week(make, "P1", 2), busy_week(make, "P2", 6)
    few = statements_during(lambda: roster_week(small, MONDAY, night_cap=10).warnings)
    many = statements_during(lambda: roster_week(large, MONDAY, night_cap=10).warnings)
    assert many == few


# --- single shifts ----------------------------------------------------------------------------

def test_times_that_end_before_they_start_are_refused():
    with pytest.raises(RuleViolation) as refused:
        check_times(local(2026, 11, 24, 23), local(2026, 11, 24, 3))
    assert refused.value.code == "ends_before_start"


def test_a_shift_longer_than_a_day_is_refused():
    with pytest.raises(RuleViolation) as refused:
        check_times(local(2026, 11, 24, 8), local(2026, 11, 25, 9))
    assert refused.value.code == "too_long"


def test_a_whole_day_is_allowed():
    check_times(local(2026, 11, 24, 8), local(2026, 11, 25, 8))


def test_adding_a_shift_records_it(post, boss):
    shift = add_shift(post, local(2026, 11, 24, 19), local(2026, 11, 24, 23), by=boss, now=BEFORE)
    recorded = select(Activity.action).where(Activity.subject_type == "shift", Activity.subject_id == shift.id)
    assert db.session.scalar(recorded) == "shift.added"


def test_adding_a_shift_in_the_past_is_refused(post, boss):
    with pytest.raises(RuleViolation) as refused:
        add_shift(post, local(2026, 11, 24, 19), local(2026, 11, 24, 23), by=boss, now=local(2026, 11, 24, 20))
    assert refused.value.code == "past"


def test_adding_the_same_shift_twice_is_refused(post, boss):
    add_shift(post, local(2026, 11, 24, 19), local(2026, 11, 24, 23), by=boss, now=BEFORE)
    with pytest.raises(RuleViolation) as refused:
        add_shift(post, local(2026, 11, 24, 19), local(2026, 11, 24, 23), by=boss, now=BEFORE)
    assert refused.value.code == "duplicate"


def test_moving_a_shift_keeps_its_volunteers(make, post, boss, an):
    shift = make.shift(post, local(2026, 11, 24, 19), volunteers=[an])
    move_shift(shift, local(2026, 11, 25, 20), local(2026, 11, 26, 0), by=boss, now=BEFORE)
    assert (shift.starts_at, shift.volunteers) == (local(2026, 11, 25, 20), [an])


def test_a_started_shift_cannot_be_moved(make, post, boss):
    shift = make.shift(post, local(2026, 11, 24, 19))
    with pytest.raises(RuleViolation) as refused:
        move_shift(shift, local(2026, 11, 25, 19), local(2026, 11, 25, 23), by=boss, now=local(2026, 11, 24, 19))
    assert refused.value.code == "started"


def test_a_shift_someone_checked_in_to_cannot_be_cancelled(make, post, boss, an):
    shift = make.shift(post, local(2026, 11, 24, 19), volunteers=[an])
    arrived = local(2026, 11, 24, 18, 45)
    check_in(an, post, uuid=uuid.uuid4(), occurred_at=arrived, now=arrived)
    db.session.commit()
    with pytest.raises(RuleViolation) as refused:
        cancel_shift(shift, by=boss, now=local(2026, 11, 24, 18, 50))
    assert refused.value.code == "attended"


def test_cancelling_deletes_the_shift_and_records_what_it_was(make, post, boss, an):
    shift = make.shift(post, local(2026, 11, 24, 19), volunteers=[an])
    shift_id = shift.id
    cancel_shift(shift, by=boss, now=BEFORE)
    entry = db.session.scalar(select(Activity).where(Activity.action == "shift.cancelled"))
    assert db.session.get(Shift, shift_id) is None
    assert (entry.subject_id, entry.detail["volunteers"]) == (shift_id, [[an.id, "An"]])


def test_assigning_twice_changes_nothing_the_second_time(make, post, boss, an):
    shift = make.shift(post, local(2026, 11, 24, 19))
    assert assign(shift, an, by=boss, now=BEFORE) and not assign(shift, an, by=boss, now=BEFORE)


def test_police_cannot_be_assigned(make, ward, post, boss):
    shift = make.shift(post, local(2026, 11, 24, 19))
    with pytest.raises(RuleViolation):
        assign(shift, make.user("police", ward=ward), by=boss, now=BEFORE)


def test_a_volunteer_of_another_ward_cannot_be_assigned(make, post, boss):
    stranger = make.volunteer(make.checkpoint(make.ward("Q9")))
    shift = make.shift(post, local(2026, 11, 24, 19))
    with pytest.raises(RuleViolation):
        assign(shift, stranger, by=boss, now=BEFORE)


def test_unassigning_takes_the_person_off(make, post, boss, an, binh):
    shift = make.shift(post, local(2026, 11, 24, 19), volunteers=[an, binh])
    unassign(shift, an, by=boss, now=BEFORE)
    assert shift.volunteers == [binh]


# --- copying last week ------------------------------------------------------------------------

def test_copying_last_week_repeats_its_shifts_a_week_later(make, ward, post, boss, an):
    make.shift(post, local(2026, 11, 17, 23), hours=4, volunteers=[an])
    copied = copy_previous_week(ward, [post], MONDAY, by=boss, now=BEFORE)
    assert [(s.starts_at, s.ends_at, s.volunteers) for s in copied.created] == [
        (local(2026, 11, 24, 23), local(2026, 11, 25, 3), [an])]


def test_copying_leaves_out_people_who_left(make, ward, post, boss, an, binh):
    make.shift(post, local(2026, 11, 17, 19), volunteers=[an, binh])
    binh.active = False
    db.session.commit()
    copied = copy_previous_week(ward, [post], MONDAY, by=boss, now=BEFORE)
    assert copied.created[0].volunteers == [an]


def test_copying_twice_creates_no_duplicates(make, ward, post, boss, an):
    make.shift(post, local(2026, 11, 17, 19), volunteers=[an])
    copy_previous_week(ward, [post], MONDAY, by=boss, now=BEFORE)
    again = copy_previous_week(ward, [post], MONDAY, by=boss, now=BEFORE)
    assert (len(again.created), again.existing) == (0, 1)


def test_a_twin_slot_written_at_the_same_instant_is_refused_by_the_database_with_the_same_message(
        make, post, boss, monkeypatch):
    # Two coordinators pressing at once: neither sees the other's shift when it checks.
    import checkpoint.rules.roster as roster

    starts = local(2026, 12, 2, 19)
    make.shift(post, starts, hours=4)
    monkeypatch.setattr(roster, "_identical", lambda *args, **kwargs: False)
    with pytest.raises(RuleViolation) as refused:
        add_shift(post, starts, starts + timedelta(hours=4), by=boss, now=local(2026, 12, 1, 8))
    count = db.session.scalar(select(func.count(Shift.id)).where(Shift.checkpoint_id == post.id))
    assert (refused.value.code, count) == ("duplicate", 1)


def test_a_move_onto_a_twin_slot_written_at_the_same_instant_is_refused_and_the_shift_keeps_its_times(
        make, post, boss, monkeypatch):
    import checkpoint.rules.roster as roster

    starts = local(2026, 12, 2, 19)
    make.shift(post, starts, hours=4)
    mine = make.shift(post, starts + timedelta(days=1), hours=4)
    monkeypatch.setattr(roster, "_identical", lambda *args, **kwargs: False)
    with pytest.raises(RuleViolation):
        move_shift(mine, starts, starts + timedelta(hours=4), by=boss, now=local(2026, 12, 1, 8))
    assert db.session.get(Shift, mine.id).starts_at == starts + timedelta(days=1)
