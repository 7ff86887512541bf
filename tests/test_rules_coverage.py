"""Coverage of a ward's checkpoints at an explicit `now`: the tiles of the police board."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event

from checkpoint.extensions import db
from checkpoint.rules.activity import record
from checkpoint.rules.attendance import check_in, check_out, qr_token
from checkpoint.rules.coverage import GRACE, HANDOVER_PATIENCE, coverage_for, ward_change_seq
from checkpoint.rules.handovers import accept_handover, write_handover
from checkpoint.rules.observations import log_observation
from tests.factories import local

LAT, LNG = 10.7769, 106.7009  # a checkpoint near Nhà hát Thành phố
METRES_PER_DEGREE_LAT = 111_195


def at(hour: int, minute: int = 0, day: int = 28):
    """A wall-clock time on the evening of 28 November 2026 in Ho Chi Minh City (or another day)."""
    return local(2026, 11, day, hour, minute)


# --- world and helpers --------------------------------------------------------------------------


@pytest.fixture
def ward(make):
    return make.ward()


@pytest.fixture
def post(make, ward):
    return make.checkpoint(ward, min_staff=2)


@pytest.fixture
def volunteer(make, post):
    return make.volunteer(post, name="An")


@pytest.fixture
def colleague(make, post):
    return make.volunteer(post, name="Bình")


@pytest.fixture
def evening(make, post, volunteer, colleague):
    """The 18:00–22:00 shift at the post, with both volunteers assigned."""
    return make.shift(post, at(18), hours=4, volunteers=[volunteer, colleague])


def tile(ward, checkpoint, now):
    """The coverage of one checkpoint as the board would show it at `now`."""
    [found] = [c for c in coverage_for(ward, now) if c.checkpoint.id == checkpoint.id]
    return found


def arrive(user, checkpoint, occurred_at, now=None, **kwargs):
    attendance, _ = check_in(user, checkpoint, uuid=uuid.uuid4(), occurred_at=occurred_at,
                             now=now or occurred_at, **kwargs)
    db.session.commit()
    return attendance


def leave(user, checkpoint, occurred_at, now=None):
    attendance, _ = check_out(user, checkpoint, uuid=uuid.uuid4(), occurred_at=occurred_at, now=now or occurred_at)
    db.session.commit()
    return attendance


def observe(user, checkpoint, occurred_at, now=None, **kwargs):
    observation, _ = log_observation(user, checkpoint, uuid=uuid.uuid4(), occurred_at=occurred_at,
                                     now=now or occurred_at, category="suspicious", severity="info",
                                     text="Xe máy không biển số đậu trước hẻm 12.", **kwargs)
    db.session.commit()
    return observation


def hand_over(user, checkpoint, occurred_at, now=None):
    handover, _ = write_handover(user, checkpoint, uuid=uuid.uuid4(), occurred_at=occurred_at,
                                 now=now or occurred_at, summary="Ca yên tĩnh.")
    db.session.commit()
    return handover


def accept(user, handover, occurred_at, now=None):
    handover, _ = accept_handover(user, handover, uuid=uuid.uuid4(), occurred_at=occurred_at, now=now or occurred_at)
    db.session.commit()
    return handover


def north_of(lat: float, metres: float) -> float:
    return lat + metres / METRES_PER_DEGREE_LAT


# --- which state ----------------------------------------------------------------------------------


def test_a_checkpoint_with_no_shift_and_nobody_there_is_unplanned(ward, post):
    coverage = tile(ward, post, at(20))
    assert (coverage.state, coverage.shift, coverage.present) == ("unplanned", None, [])


def test_an_unplanned_checkpoint_shows_the_next_shift_today(make, ward, post):
    later = make.shift(post, at(18))
    coverage = tile(ward, post, at(15))
    assert (coverage.state, coverage.shift) == ("unplanned", later)


def test_a_shift_tomorrow_is_not_the_next_one_today(make, ward, post):
    make.shift(post, at(18, day=29))
    assert tile(ward, post, at(20)).shift is None


def test_a_finished_shift_no_longer_runs(ward, post, evening):
    coverage = tile(ward, post, at(22))
    assert (coverage.state, coverage.shift) == ("unplanned", None)


def test_a_running_shift_with_nobody_there_yet_is_waiting_inside_the_grace_period(ward, post, evening):
    coverage = tile(ward, post, at(18, 10))
    assert (coverage.state, coverage.shift) == ("waiting", evening)


def test_a_running_shift_with_nobody_there_after_the_grace_period_is_missing(ward, post, evening):
    assert tile(ward, post, at(18, 40)).state == "missing"


@pytest.mark.parametrize("after, state", [(GRACE - timedelta(seconds=1), "waiting"), (GRACE, "missing")],
                         ids=["just-inside", "at-the-boundary"])
def test_the_grace_period_ends_exactly_at_grace(ward, post, evening, after, state):
    assert tile(ward, post, evening.starts_at + after).state == state


def test_a_shift_crossing_midnight_is_running_after_midnight(make, ward, post, volunteer):
    night = make.shift(post, at(22), hours=4, volunteers=[volunteer])  # 22:00–02:00 local
    coverage = tile(ward, post, at(1, day=29))
    assert (coverage.state, coverage.shift) == ("missing", night)


def test_a_shift_crossing_midnight_is_staffed_after_midnight_by_who_came_before_it(make, ward, post, volunteer):
    night = make.shift(post, at(22), hours=4, volunteers=[volunteer])
    arrive(volunteer, post, at(21, 55))
    coverage = tile(ward, post, at(1, day=29))
    assert (coverage.state, coverage.shift, [p.user for p in coverage.present]) == ("staffed", night, [volunteer])


# --- who is there ---------------------------------------------------------------------------------


def test_a_checked_in_volunteer_staffs_the_checkpoint_since_their_check_in(ward, post, evening, volunteer):
    arrive(volunteer, post, at(17, 55))
    [presence] = tile(ward, post, at(19)).present
    assert (presence.user, presence.since, presence.unscheduled) == (volunteer, at(17, 55), False)


def test_staffed_is_the_state_while_someone_is_checked_in(ward, post, evening, volunteer):
    arrive(volunteer, post, at(18))
    assert tile(ward, post, at(19)).state == "staffed"


@pytest.mark.parametrize("minute, late", [(0, 0), (25, 25)], ids=["on-time", "late"])
def test_a_presence_says_how_late_the_check_in_was(ward, post, evening, volunteer, minute, late):
    arrive(volunteer, post, at(18, minute))
    assert [p.late_minutes for p in tile(ward, post, at(19)).present] == [late]


@pytest.mark.parametrize("by_qr", [True, False], ids=["qr", "by-hand"])
def test_a_presence_says_whether_the_poster_was_scanned(ward, post, volunteer, by_qr):
    arrive(volunteer, post, at(18), qr=qr_token(post) if by_qr else None)
    assert [p.by_qr for p in tile(ward, post, at(19)).present] == [by_qr]


@pytest.mark.parametrize("metres, far", [(300, True), (100, False), (None, False)],
                         ids=["300m", "100m", "no-position"])
def test_a_presence_says_whether_the_check_in_was_far_from_the_checkpoint(make, ward, metres, far):
    placed = make.checkpoint(ward, code="C09", lat=LAT, lng=LNG)
    person = make.volunteer(placed)
    position = {} if metres is None else {"lat": north_of(LAT, metres), "lng": LNG}
    arrive(person, placed, at(18), **position)
    assert [p.far for p in tile(ward, placed, at(19)).present] == [far]


def test_someone_there_without_a_shift_staffs_it_unscheduled(ward, post, volunteer):
    arrive(volunteer, post, at(18))
    coverage = tile(ward, post, at(19))
    assert (coverage.state, coverage.shift, [p.unscheduled for p in coverage.present]) == ("staffed", None, [True])


def test_expected_lists_the_assigned_people_not_checked_in(ward, post, evening, volunteer, colleague):
    arrive(volunteer, post, at(18))
    assert tile(ward, post, at(19)).expected == [colleague]


def test_nobody_is_expected_before_the_shift_starts(ward, post, evening):
    assert tile(ward, post, at(17)).expected == []


def test_one_present_where_two_are_needed_is_understaffed(ward, post, evening, volunteer):
    arrive(volunteer, post, at(18))
    assert tile(ward, post, at(19)).understaffed


def test_two_present_where_two_are_needed_is_not_understaffed(ward, post, evening, volunteer, colleague):
    arrive(volunteer, post, at(18))
    arrive(colleague, post, at(18))
    assert not tile(ward, post, at(19)).understaffed


def test_one_present_without_a_shift_is_not_understaffed(ward, post, volunteer):
    arrive(volunteer, post, at(18))
    assert not tile(ward, post, at(19)).understaffed


# --- leaving early --------------------------------------------------------------------------------


def test_checking_out_before_the_shift_ends_is_leaving_early(ward, post, evening, volunteer, colleague):
    arrive(volunteer, post, at(18))
    arrive(colleague, post, at(18))
    gone = leave(volunteer, post, at(19))
    coverage = tile(ward, post, at(19, 30))
    assert (coverage.state, coverage.left_early) == ("staffed", [gone])


def test_when_the_last_one_leaves_early_the_checkpoint_is_missing(ward, post, evening, volunteer):
    arrive(volunteer, post, at(18))
    gone = leave(volunteer, post, at(19))
    coverage = tile(ward, post, at(19, 30))
    assert (coverage.state, coverage.left_early) == ("missing", [gone])


def test_someone_who_stepped_out_and_came_back_did_not_leave_early(ward, post, evening, volunteer):
    arrive(volunteer, post, at(18))
    leave(volunteer, post, at(19))
    arrive(volunteer, post, at(19, 10))
    assert tile(ward, post, at(19, 30)).left_early == []


def test_leaving_early_is_about_the_running_shift_only(make, ward, post, evening, volunteer):
    arrive(volunteer, post, at(18))
    leave(volunteer, post, at(19))
    make.shift(post, at(22), volunteers=[volunteer])
    assert tile(ward, post, at(22, 30)).left_early == []


# --- handovers ------------------------------------------------------------------------------------


def test_an_unaccepted_handover_is_shown_but_not_overdue_within_the_patience(ward, post, volunteer):
    handover = hand_over(volunteer, post, at(21, 50))
    coverage = tile(ward, post, at(21, 50) + HANDOVER_PATIENCE)
    assert (coverage.handover, coverage.handover_overdue) == (handover, False)


def test_an_unaccepted_handover_is_overdue_after_the_patience(ward, post, volunteer):
    hand_over(volunteer, post, at(21, 50))
    assert tile(ward, post, at(21, 50) + HANDOVER_PATIENCE + timedelta(minutes=1)).handover_overdue


def test_an_accepted_handover_is_no_longer_shown(ward, post, volunteer, colleague):
    handover = hand_over(volunteer, post, at(21, 50))
    accept(colleague, handover, at(22, 40))
    coverage = tile(ward, post, at(22, 45))
    assert (coverage.handover, coverage.handover_overdue) == (None, False)


def test_the_newest_unaccepted_handover_is_shown(ward, post, volunteer):
    hand_over(volunteer, post, at(20))
    newest = hand_over(volunteer, post, at(21))
    assert tile(ward, post, at(21, 5)).handover == newest


def test_an_older_unaccepted_handover_stays_shown_after_a_newer_one_is_accepted(ward, post, volunteer, colleague):
    older = hand_over(volunteer, post, at(20))
    accept(colleague, hand_over(volunteer, post, at(21)), at(21, 5))
    assert tile(ward, post, at(21, 10)).handover == older


# --- last entry -----------------------------------------------------------------------------------


def test_the_last_entry_is_the_newest_observation_of_the_checkpoint(make, ward, post, volunteer):
    observe(volunteer, post, at(19))
    observe(volunteer, post, at(20, 30))
    elsewhere = make.checkpoint(ward, code="C02")
    observe(make.volunteer(elsewhere), elsewhere, at(21))
    assert tile(ward, post, at(21, 30)).last_entry_at == at(20, 30)


def test_a_checkpoint_with_no_observation_has_no_last_entry(ward, post):
    assert tile(ward, post, at(20)).last_entry_at is None


# --- which checkpoints ----------------------------------------------------------------------------


def test_the_tiles_are_the_active_checkpoints_of_the_ward_in_code_order(make, ward):
    make.checkpoint(ward, code="C03")
    make.checkpoint(ward, code="C01")
    retired = make.checkpoint(ward, code="C02")
    retired.active = False
    db.session.commit()
    assert [c.checkpoint.code for c in coverage_for(ward, at(20))] == ["C01", "C03"]


def test_another_wards_checkpoints_are_never_included(make, ward, post):
    other = make.ward("P9")
    foreign = make.checkpoint(other, code="C00")
    arrive(make.volunteer(foreign), foreign, at(18))
    assert [c.checkpoint.id for c in coverage_for(ward, at(20))] == [post.id]


def test_a_ward_without_checkpoints_has_no_tiles(make):
    assert coverage_for(make.ward("P9"), at(20)) == []


# --- the change feed ------------------------------------------------------------------------------


def test_the_change_sequence_grows_when_the_ward_changes(ward, post, volunteer):
    before = ward_change_seq(ward.id)
    arrive(volunteer, post, at(18))
    assert ward_change_seq(ward.id) > before


def test_the_change_sequence_ignores_another_wards_changes(make, ward):
    other = make.ward("P9")
    before = ward_change_seq(ward.id)
    record("test.changed", ward_id=other.id, now=at(18))
    db.session.commit()
    assert ward_change_seq(ward.id) == before


def test_the_change_sequence_of_a_ward_with_no_activity_is_zero(ward):
    assert ward_change_seq(ward.id + 1000) == 0


# --- cost -----------------------------------------------------------------------------------------


def busy_ward(make, code: str, checkpoints: int):
    """A ward whose every checkpoint has a running shift, people, a leaver, observations and a handover."""
    ward = make.ward(code)
    for n in range(checkpoints):
        checkpoint = make.checkpoint(ward, code=f"C{n:02d}")
        staying, going = make.volunteer(checkpoint), make.volunteer(checkpoint)
        make.shift(checkpoint, at(18), volunteers=[staying, going])
        arrive(staying, checkpoint, at(18))
        arrive(going, checkpoint, at(18, 5))
        leave(going, checkpoint, at(19))
        for minute in range(3):
            observe(staying, checkpoint, at(19, minute))
        hand_over(going, checkpoint, at(19))
    return ward


def statements_during(call) -> int:
    db.session.commit()  # start from a cold session, as a fresh board request would
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_number_of_queries_does_not_grow_with_the_checkpoints(make):
    small, large = busy_ward(make, "P1", 3), busy_ward(make, "P2", 12)
    assert statements_during(lambda: coverage_for(large, at(19, 30))) == statements_during(
        lambda: coverage_for(small, at(19, 30)))
