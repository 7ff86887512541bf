"""Duty rules, called directly: check in and out, observations, handovers and the checkpoint log."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from checkpoint.extensions import db
from checkpoint.models import Activity, Attendance, Comment, Handover, Observation, Photo
from checkpoint.rules import RuleViolation
from checkpoint.rules.attendance import check_in, check_out, checkpoint_for_qr, qr_token
from checkpoint.rules.handovers import accept_handover, waiting_handover, write_handover
from checkpoint.rules.logbook import checkpoint_log
from checkpoint.rules.observations import log_observation, open_observations
from tests.factories import local

# The evening of 28 November 2026 in Ho Chi Minh City; every rule gets its `now` from here.
NOW = local(2026, 11, 28, 22, 0)
LAT, LNG = 10.7769, 106.7009  # a checkpoint near Nhà hát Thành phố
METRES_PER_DEGREE_LAT = 111_195


def at(hour: int, minute: int = 0, day: int = 28):
    return local(2026, 11, day, hour, minute)


# --- world and helpers --------------------------------------------------------------------------


@pytest.fixture
def ward(make):
    return make.ward()


@pytest.fixture
def post(make, ward):
    return make.checkpoint(ward)


@pytest.fixture
def other_post(make, ward):
    return make.checkpoint(ward, code="C02")


@pytest.fixture
def volunteer(make, post):
    return make.volunteer(post, name="An")


@pytest.fixture
def colleague(make, post):
    return make.volunteer(post, name="Bình")


def refusal(rule, *args, **kwargs) -> str:
    """Call a rule that must say no; roll back as the view would, and give the refusal's code."""
    with pytest.raises(RuleViolation) as refused:
        rule(*args, **kwargs)
    db.session.rollback()
    return refused.value.code


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def activities(action: str) -> int:
    return count(Activity, Activity.action == action)


def arrive(user, checkpoint, occurred_at=NOW, now=NOW, **kwargs):
    kwargs.setdefault("uuid", uuid.uuid4())
    attendance, _ = check_in(user, checkpoint, occurred_at=occurred_at, now=now, **kwargs)
    db.session.commit()
    return attendance


def leave(user, checkpoint, occurred_at=NOW, now=NOW, **kwargs):
    kwargs.setdefault("uuid", uuid.uuid4())
    attendance, _ = check_out(user, checkpoint, occurred_at=occurred_at, now=now, **kwargs)
    db.session.commit()
    return attendance


def observe(user, checkpoint, occurred_at=NOW, now=NOW, **kwargs):
    kwargs.setdefault("uuid", uuid.uuid4())
    kwargs.setdefault("category", "suspicious")
    kwargs.setdefault("severity", "attention")
    kwargs.setdefault("text", "Xe máy không biển số đậu trước hẻm 12.")
    observation, _ = log_observation(user, checkpoint, occurred_at=occurred_at, now=now, **kwargs)
    db.session.commit()
    return observation


def hand_over(user, checkpoint, occurred_at=NOW, now=NOW, **kwargs):
    kwargs.setdefault("uuid", uuid.uuid4())
    kwargs.setdefault("summary", "Ca yên tĩnh.")
    handover, _ = write_handover(user, checkpoint, occurred_at=occurred_at, now=now, **kwargs)
    db.session.commit()
    return handover


def accept(user, handover, occurred_at=NOW, now=NOW, **kwargs):
    kwargs.setdefault("uuid", uuid.uuid4())
    handover, _ = accept_handover(user, handover, occurred_at=occurred_at, now=now, **kwargs)
    db.session.commit()
    return handover


def resolve(observation, police, acknowledged_at, resolved_at):
    """The police side is not built yet: set the status trail directly, within the check constraints."""
    police_id = police.id  # read before the changes: loading it would flush a half-made status trail
    observation.status = "resolved"
    observation.acknowledged_by_id = observation.resolved_by_id = police_id
    observation.acknowledged_at, observation.resolved_at = acknowledged_at, resolved_at
    observation.resolution_note = "Đã kiểm tra."
    db.session.commit()


def north_of(lat: float, metres: float) -> float:
    return lat + metres / METRES_PER_DEGREE_LAT


# --- check in -----------------------------------------------------------------------------------


def test_a_check_in_links_to_the_shift_the_person_is_assigned_to(make, post, volunteer):
    shift = make.shift(post, at(18), volunteers=[volunteer])
    assert arrive(volunteer, post, occurred_at=at(18, 5)).shift_id == shift.id


def test_a_check_in_up_to_thirty_minutes_early_links_to_the_shift(make, post, volunteer):
    shift = make.shift(post, at(18), volunteers=[volunteer])
    assert arrive(volunteer, post, occurred_at=at(17, 30)).shift_id == shift.id


def test_a_check_in_thirty_one_minutes_early_is_unscheduled(make, post, volunteer):
    make.shift(post, at(18), volunteers=[volunteer])
    assert arrive(volunteer, post, occurred_at=at(17, 29)).unscheduled


def test_a_late_check_in_links_and_records_how_late(make, post, volunteer):
    shift = make.shift(post, at(18), volunteers=[volunteer])
    attendance = arrive(volunteer, post, occurred_at=at(18, 25))
    assert (attendance.shift_id, attendance.late_minutes) == (shift.id, 25)


def test_an_early_check_in_is_not_late(make, post, volunteer):
    make.shift(post, at(18), volunteers=[volunteer])
    assert arrive(volunteer, post, occurred_at=at(17, 50)).late_minutes == 0


def test_a_check_in_with_no_shift_is_unscheduled(post, volunteer):
    attendance = arrive(volunteer, post)
    assert (attendance.shift_id, attendance.unscheduled, attendance.late_minutes) == (None, True, None)


def test_a_shift_crossing_midnight_links_a_check_in_after_midnight(make, post, volunteer):
    shift = make.shift(post, at(22), hours=4, volunteers=[volunteer])  # 22:00–02:00 local
    attendance = arrive(volunteer, post, occurred_at=at(1, day=29), now=at(1, 1, day=29))
    assert attendance.shift_id == shift.id


def test_a_shift_crossing_midnight_utc_links_a_check_in_after_midnight_utc(make, post, volunteer):
    shift = make.shift(post, at(5), hours=4, volunteers=[volunteer])  # 22:00–02:00 UTC
    attendance = arrive(volunteer, post, occurred_at=at(8), now=at(8, 1))  # 01:00 UTC
    assert attendance.shift_id == shift.id


def test_a_shift_of_the_checkpoint_the_person_is_not_assigned_to_does_not_link(make, post, volunteer, colleague):
    make.shift(post, at(18), volunteers=[colleague])
    assert arrive(volunteer, post, occurred_at=at(18, 5)).unscheduled


def test_a_shift_at_another_checkpoint_does_not_link(make, ward, post, other_post):
    person = make.user("volunteer", ward=ward, checkpoints=[post, other_post])
    make.shift(other_post, at(18), volunteers=[person])
    assert arrive(person, post, occurred_at=at(18, 5)).unscheduled


def test_a_person_cannot_check_in_while_checked_in_elsewhere(make, ward, post, other_post):
    person = make.user("volunteer", ward=ward, checkpoints=[post, other_post])
    arrive(person, other_post, occurred_at=at(20))
    assert refusal(check_in, person, post, uuid=uuid.uuid4(), occurred_at=at(21), now=NOW) == "checked_in_elsewhere"


def test_checking_in_twice_at_the_same_place_is_refused(post, volunteer):
    arrive(volunteer, post, occurred_at=at(20))
    assert refusal(check_in, volunteer, post, uuid=uuid.uuid4(), occurred_at=at(21), now=NOW) == "already_checked_in"


def test_checking_in_again_after_checking_out_is_allowed(post, volunteer):
    arrive(volunteer, post, occurred_at=at(18))
    leave(volunteer, post, occurred_at=at(19))
    assert arrive(volunteer, post, occurred_at=at(20)).open


def test_the_same_check_in_sent_twice_is_one_attendance(post, volunteer):
    key = uuid.uuid4()
    first = check_in(volunteer, post, uuid=key, occurred_at=at(21), now=NOW)
    db.session.commit()
    second = check_in(volunteer, post, uuid=key, occurred_at=at(21), now=NOW + timedelta(minutes=5))
    db.session.commit()
    assert (first[1], second[1], second[0].id, count(Attendance)) == (True, False, first[0].id, 1)


def test_a_check_in_uuid_of_another_person_is_refused(post, volunteer, colleague):
    key = uuid.uuid4()
    arrive(volunteer, post, uuid=key)
    assert refusal(check_in, colleague, post, uuid=key, occurred_at=NOW, now=NOW) == "uuid_taken"


def test_a_check_in_more_than_two_minutes_in_the_future_is_refused(post, volunteer):
    code = refusal(check_in, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW + timedelta(minutes=3), now=NOW)
    assert (code, count(Attendance)) == ("future_time", 0)


def test_a_check_in_one_minute_ahead_is_a_fast_phone_and_accepted(post, volunteer):
    assert arrive(volunteer, post, occurred_at=NOW + timedelta(minutes=1)).check_in_at == NOW + timedelta(minutes=1)


def test_a_check_in_older_than_seven_days_is_refused(post, volunteer):
    moment = NOW - timedelta(days=7, minutes=1)
    assert refusal(check_in, volunteer, post, uuid=uuid.uuid4(), occurred_at=moment, now=NOW) == "too_old"


def test_a_check_in_with_half_a_position_is_refused(post, volunteer):
    assert refusal(check_in, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW,
                   lat=LAT, lng=None) == "half_position"


@pytest.mark.parametrize("lat, lng", [(91, LNG), (LAT, 181), (float("nan"), LNG), (LAT, float("inf")),
                                      ("north", LNG)])
def test_a_check_in_with_an_impossible_position_is_refused(post, volunteer, lat, lng):
    assert refusal(check_in, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW,
                   lat=lat, lng=lng) == "bad_position"


def test_a_check_in_with_booleans_for_a_position_is_refused(post, volunteer):
    assert refusal(check_in, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW,
                   lat=True, lng=False) == "bad_position"


def test_a_check_in_stores_the_distance_to_a_checkpoint_with_a_position(make, ward):
    placed = make.checkpoint(ward, code="C09", lat=LAT, lng=LNG)
    person = make.volunteer(placed)
    attendance = arrive(person, placed, lat=north_of(LAT, 100), lng=LNG)
    assert attendance.distance_m == pytest.approx(100, abs=5)


def test_a_check_in_at_a_checkpoint_without_a_position_has_no_distance(post, volunteer):
    assert arrive(volunteer, post, lat=LAT, lng=LNG).distance_m is None


def test_a_check_in_at_a_retired_checkpoint_is_refused(post, volunteer):
    post.active = False
    db.session.commit()
    code = refusal(check_in, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW)
    assert (code, count(Attendance)) == ("retired", 0)


def test_a_check_in_with_the_checkpoint_qr_is_marked_as_by_qr(post, volunteer):
    assert arrive(volunteer, post, qr=qr_token(post)).by_qr


def test_a_check_in_by_hand_is_not_by_qr(post, volunteer):
    assert not arrive(volunteer, post).by_qr


def test_the_qr_of_another_checkpoint_is_refused(post, other_post, volunteer):
    code = refusal(check_in, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW, qr=qr_token(other_post))
    assert (code, count(Attendance)) == ("bad_qr", 0)


def test_a_tampered_qr_is_refused(post, other_post, volunteer):
    # This checkpoint's payload under another checkpoint's signature.
    payload = qr_token(post).rsplit(".", 1)[0]
    signature = qr_token(other_post).rsplit(".", 1)[1]
    assert refusal(check_in, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW,
                   qr=f"{payload}.{signature}") == "bad_qr"


def test_a_qr_token_names_its_checkpoint(post):
    assert checkpoint_for_qr(qr_token(post)) == post


def test_bumping_the_qr_generation_revokes_the_printed_posters(post):
    old = qr_token(post)
    post.qr_generation += 1
    db.session.commit()
    assert checkpoint_for_qr(old) is None


def test_a_revoked_qr_cannot_be_used_to_check_in(post, volunteer):
    old = qr_token(post)
    post.qr_generation += 1
    db.session.commit()
    assert refusal(check_in, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW, qr=old) == "bad_qr"


def test_a_check_in_is_recorded_once_even_when_sent_twice(post, volunteer):
    key = uuid.uuid4()
    arrive(volunteer, post, uuid=key)
    arrive(volunteer, post, uuid=key)
    assert activities("attendance.check_in") == 1


# --- check out ----------------------------------------------------------------------------------


def test_checking_out_ends_the_attendance(post, volunteer):
    arrive(volunteer, post, occurred_at=at(18))
    assert leave(volunteer, post, occurred_at=at(21, 30)).check_out_at == at(21, 30)


def test_checking_out_when_not_checked_in_is_refused(post, volunteer):
    assert refusal(check_out, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW) == "not_checked_in"


def test_checking_out_of_another_checkpoint_is_refused(make, ward, post, other_post):
    person = make.user("volunteer", ward=ward, checkpoints=[post, other_post])
    arrive(person, post, occurred_at=at(20))
    assert refusal(check_out, person, other_post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW) == "not_checked_in"


def test_checking_out_before_checking_in_is_refused(post, volunteer):
    arrive(volunteer, post, occurred_at=at(21))
    code = refusal(check_out, volunteer, post, uuid=uuid.uuid4(), occurred_at=at(20, 30), now=NOW)
    assert (code, count(Attendance, Attendance.check_out_at.is_not(None))) == ("before_check_in", 0)


def test_the_same_check_out_sent_twice_changes_once(post, volunteer):
    arrive(volunteer, post, occurred_at=at(18))
    key = uuid.uuid4()
    first = check_out(volunteer, post, uuid=key, occurred_at=at(21), now=NOW)
    db.session.commit()
    second = check_out(volunteer, post, uuid=key, occurred_at=at(21, 5), now=NOW)
    db.session.commit()
    assert (first[1], second[1], second[0].check_out_at, activities("attendance.check_out")) == (
        True, False, at(21), 1)


def test_a_second_check_out_with_another_uuid_is_refused(post, volunteer):
    arrive(volunteer, post, occurred_at=at(18))
    leave(volunteer, post, occurred_at=at(21))
    assert refusal(check_out, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW) == "not_checked_in"


def test_a_check_out_uuid_of_another_person_is_refused(post, volunteer, colleague):
    key = uuid.uuid4()
    arrive(volunteer, post, occurred_at=at(18))
    leave(volunteer, post, occurred_at=at(21), uuid=key)
    arrive(colleague, post, occurred_at=at(18))
    assert refusal(check_out, colleague, post, uuid=key, occurred_at=NOW, now=NOW) == "uuid_taken"


# --- observations -------------------------------------------------------------------------------


def test_a_new_observation_is_open_and_received_now(post, volunteer):
    observation = observe(volunteer, post, occurred_at=at(21, 50))
    assert (observation.status, observation.received_at, observation.occurred_at) == ("open", NOW, at(21, 50))


def test_an_observation_with_an_unknown_category_is_refused(post, volunteer):
    code = refusal(log_observation, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW,
                   category="aliens", severity="info", text="?")
    assert (code, count(Observation)) == ("unknown_category", 0)


def test_an_observation_with_an_unknown_severity_is_refused(post, volunteer):
    assert refusal(log_observation, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW,
                   category="theft", severity="apocalyptic", text="?") == "unknown_severity"


@pytest.mark.parametrize("text", ["", "   ", None])
def test_an_observation_without_words_is_refused(post, volunteer, text):
    assert refusal(log_observation, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW,
                   category="theft", severity="attention", text=text) == "required"


def test_an_urgent_alert_may_be_sent_without_words(post, volunteer):
    assert observe(volunteer, post, severity="urgent", category="disturbance", text="").text == ""


def test_an_observation_of_more_than_two_thousand_characters_is_refused(post, volunteer):
    assert refusal(log_observation, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW,
                   category="other", severity="info", text="a" * 2001) == "too_long"


def test_an_observation_of_two_thousand_characters_is_accepted(post, volunteer):
    assert len(observe(volunteer, post, text="a" * 2000).text) == 2000


def test_an_observation_with_a_nul_character_is_refused(post, volunteer):
    assert refusal(log_observation, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW,
                   category="other", severity="info", text="ab\x00c") == "control_chars"


def test_an_observation_may_span_several_lines(post, volunteer):
    assert observe(volunteer, post, text="Hai người.\nMột xe máy.").text == "Hai người.\nMột xe máy."


def test_the_same_observation_sent_twice_is_one_row(post, volunteer):
    key = uuid.uuid4()
    observe(volunteer, post, uuid=key)
    _, created = log_observation(volunteer, post, uuid=key, occurred_at=NOW, now=NOW + timedelta(minutes=3),
                                 category="suspicious", severity="attention", text="lần hai")
    db.session.commit()
    assert (created, count(Observation)) == (False, 1)


def test_an_observation_uuid_of_another_person_is_refused(post, volunteer, colleague):
    key = uuid.uuid4()
    observe(volunteer, post, uuid=key)
    assert refusal(log_observation, colleague, post, uuid=key, occurred_at=NOW, now=NOW,
                   category="other", severity="info", text="x") == "uuid_taken"


def test_an_observation_more_than_two_minutes_in_the_future_is_refused(post, volunteer):
    assert refusal(log_observation, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW + timedelta(minutes=5),
                   now=NOW, category="other", severity="info", text="x") == "future_time"


def test_an_observation_at_a_retired_checkpoint_is_refused(post, volunteer):
    post.active = False
    db.session.commit()
    assert refusal(log_observation, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW,
                   category="other", severity="info", text="x") == "retired"


def test_the_author_corrects_an_observation_with_a_linked_entry(post, volunteer):
    original = observe(volunteer, post, occurred_at=at(21))
    correction = observe(volunteer, post, occurred_at=at(21), text="Xe có biển số 59X1-123.45.", corrects=original)
    assert (correction.corrects_id, original.text) == (original.id, "Xe máy không biển số đậu trước hẻm 12.")


def test_a_correction_is_recorded_as_such(post, volunteer):
    original = observe(volunteer, post, occurred_at=at(21))
    correction = observe(volunteer, post, text="Sửa lại.", corrects=original)
    recorded = db.session.scalar(select(Activity).where(Activity.action == "observation.corrected"))
    assert (recorded.subject_id, recorded.detail["corrects"]) == (correction.id, original.id)


def test_nobody_corrects_someone_elses_observation(post, volunteer, colleague):
    original = observe(volunteer, post, occurred_at=at(21))
    code = refusal(log_observation, colleague, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW,
                   category="other", severity="info", text="Không đúng.", corrects=original)
    assert (code, count(Observation)) == ("not_your_entry", 1)


def test_a_correction_stays_at_the_checkpoint_of_the_original(make, ward, post, other_post):
    person = make.user("volunteer", ward=ward, checkpoints=[post, other_post])
    original = observe(person, post, occurred_at=at(21))
    assert refusal(log_observation, person, other_post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW,
                   category="other", severity="info", text="x", corrects=original) == "not_your_entry"


def test_an_observation_cannot_use_a_photo_someone_else_uploaded(post, volunteer, colleague):
    photo = Photo(uuid=uuid.uuid4(), uploader_id=colleague.id, width=1, height=1, size_bytes=1, received_at=NOW)
    db.session.add(photo)
    db.session.commit()
    code = refusal(log_observation, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW,
                   category="theft", severity="attention", text="Ảnh.", photo_uuid=photo.uuid)
    assert (code, count(Observation)) == ("photo_not_yours", 0)


def test_an_observation_may_name_its_own_photo(post, volunteer):
    photo = Photo(uuid=uuid.uuid4(), uploader_id=volunteer.id, width=1, height=1, size_bytes=1, received_at=NOW)
    db.session.add(photo)
    db.session.commit()
    assert observe(volunteer, post, photo_uuid=photo.uuid).photo == photo


def test_an_observation_may_name_a_photo_that_has_not_arrived_yet(post, volunteer):
    later = uuid.uuid4()
    observation = observe(volunteer, post, photo_uuid=later)
    assert (observation.photo_uuid, observation.photo) == (later, None)


def test_open_observations_leave_out_the_resolved_ones(make, ward, post, volunteer):
    police = make.user("police", ward=ward)
    still_open = observe(volunteer, post, occurred_at=at(20))
    done = observe(volunteer, post, occurred_at=at(21))
    resolve(done, police, at(21, 10), at(21, 30))
    assert open_observations(post) == [still_open]


def test_open_observations_keep_the_acknowledged_ones(make, ward, post, volunteer):
    police = make.user("police", ward=ward)
    seen = observe(volunteer, post, occurred_at=at(20))
    seen.status, seen.acknowledged_by_id, seen.acknowledged_at = "acknowledged", police.id, at(20, 10)
    db.session.commit()
    assert open_observations(post) == [seen]


# --- handovers ----------------------------------------------------------------------------------


def test_a_handover_carries_over_the_unresolved_observations_of_its_checkpoint_only(make, ward, post, other_post,
                                                                                      volunteer):
    police = make.user("police", ward=ward)
    elsewhere = make.volunteer(other_post)
    still_open = observe(volunteer, post, occurred_at=at(20))
    done = observe(volunteer, post, occurred_at=at(20, 30))
    resolve(done, police, at(20, 40), at(20, 50))
    observe(elsewhere, other_post, occurred_at=at(21))
    assert hand_over(volunteer, post).carried_over == [still_open]


def test_missing_equipment_needs_a_remark(post, volunteer):
    code = refusal(write_handover, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW, summary="Ổn.",
                   equipment=[{"item": "Bộ đàm", "ok": False}, {"item": "Đèn pin", "ok": True}])
    assert (code, count(Handover)) == ("remark_required", 0)


def test_missing_equipment_with_a_remark_is_kept(post, volunteer):
    equipment = [{"item": "Bộ đàm", "ok": False, "remark": "hết pin"}, {"item": "Đèn pin", "ok": True}]
    assert hand_over(volunteer, post, equipment=equipment).equipment == [
        {"item": "Bộ đàm", "ok": False, "remark": "hết pin"}, {"item": "Đèn pin", "ok": True, "remark": ""}]


@pytest.mark.parametrize("equipment", [
    "Bộ đàm",
    {"item": "Bộ đàm", "ok": True},
    ["Bộ đàm"],
    [{"item": "Bộ đàm", "ok": "yes"}],
    [{"item": "Bộ đàm"}],
    [{"item": "Bộ đàm", "ok": False, "remark": 7}],
    [{"item": f"Món {n}", "ok": True} for n in range(31)],
], ids=["string", "dict", "item-not-a-dict", "ok-not-a-bool", "ok-missing", "remark-not-text", "31-items"])
def test_a_malformed_equipment_list_is_refused(post, volunteer, equipment):
    assert refusal(write_handover, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW, summary="Ổn.",
                   equipment=equipment) == "bad_equipment"


def test_thirty_equipment_items_are_accepted(post, volunteer):
    equipment = [{"item": f"Món {n}", "ok": True} for n in range(30)]
    assert len(hand_over(volunteer, post, equipment=equipment).equipment) == 30


def test_a_handover_without_a_summary_is_refused(post, volunteer):
    code = refusal(write_handover, volunteer, post, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW, summary="  \n ")
    assert (code, count(Handover)) == ("required", 0)


def test_a_handover_comes_from_the_authors_last_attendance_there(post, volunteer, colleague):
    arrive(volunteer, post, occurred_at=at(17))
    leave(volunteer, post, occurred_at=at(18))
    latest = arrive(volunteer, post, occurred_at=at(19))
    arrive(colleague, post, occurred_at=at(21))
    assert hand_over(volunteer, post).from_attendance_id == latest.id


def test_a_handover_by_someone_never_checked_in_there_comes_from_no_attendance(post, volunteer):
    assert hand_over(volunteer, post).from_attendance_id is None


def test_the_same_handover_sent_twice_is_one_row(post, volunteer):
    key = uuid.uuid4()
    hand_over(volunteer, post, uuid=key)
    _, created = write_handover(volunteer, post, uuid=key, occurred_at=NOW, now=NOW, summary="Lần hai.")
    db.session.commit()
    assert (created, count(Handover), activities("handover.created")) == (False, 1, 1)


def test_a_handover_uuid_of_another_person_is_refused(post, volunteer, colleague):
    key = uuid.uuid4()
    hand_over(volunteer, post, uuid=key)
    assert refusal(write_handover, colleague, post, uuid=key, occurred_at=NOW, now=NOW, summary="x") == "uuid_taken"


# --- accepting a handover -----------------------------------------------------------------------


def test_another_member_of_the_checkpoint_accepts_a_handover(post, volunteer, colleague):
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    accepted = accept(colleague, handover, occurred_at=at(21, 55))
    assert (accepted.accepted_by_id, accepted.accepted_at, accepted.accept_received_at) == (
        colleague.id, at(21, 55), NOW)


def test_accepting_a_handover_is_recorded(post, volunteer, colleague):
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    accept(colleague, handover)
    recorded = db.session.scalar(select(Activity).where(Activity.action == "handover.accepted"))
    assert (recorded.actor_id, recorded.subject_id) == (colleague.id, handover.id)


def test_the_incoming_volunteer_may_note_a_discrepancy(post, volunteer, colleague):
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    assert accept(colleague, handover, remark="  Thiếu áo phản quang. ").accept_remark == "Thiếu áo phản quang."


def test_nobody_accepts_their_own_handover(post, volunteer):
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    code = refusal(accept_handover, volunteer, handover, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW)
    assert (code, handover.accepted) == ("own_handover", False)


def test_a_volunteer_of_another_checkpoint_cannot_accept(make, post, other_post, volunteer):
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    stranger = make.volunteer(other_post)
    code = refusal(accept_handover, stranger, handover, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW)
    assert (code, handover.accepted) == ("not_your_checkpoint", False)


def test_a_coordinator_of_another_ward_cannot_accept(make, post, volunteer):
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    outsider = make.user("coordinator", ward=make.ward("P9"))
    assert refusal(accept_handover, outsider, handover, uuid=uuid.uuid4(), occurred_at=NOW,
                   now=NOW) == "not_your_checkpoint"


def test_the_police_do_not_accept_handovers(make, ward, post, volunteer):
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    police = make.user("police", ward=ward)
    assert refusal(accept_handover, police, handover, uuid=uuid.uuid4(), occurred_at=NOW,
                   now=NOW) == "not_your_checkpoint"


def test_a_coordinator_of_the_ward_accepts_a_handover(make, ward, post, volunteer):
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    coordinator = make.user("coordinator", ward=ward)
    assert accept(coordinator, handover).accepted_by_id == coordinator.id


def test_a_handover_is_accepted_only_once(post, volunteer, colleague, make):
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    accept(colleague, handover, occurred_at=at(21, 55))
    third = make.volunteer(post)
    code = refusal(accept_handover, third, handover, uuid=uuid.uuid4(), occurred_at=NOW, now=NOW)
    assert (code, handover.accepted_by_id) == ("already_accepted", colleague.id)


def test_accepting_again_with_another_uuid_is_refused(post, volunteer, colleague):
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    accept(colleague, handover, occurred_at=at(21, 55))
    assert refusal(accept_handover, colleague, handover, uuid=uuid.uuid4(), occurred_at=NOW,
                   now=NOW) == "already_accepted"


def test_the_same_accept_sent_twice_changes_once(post, volunteer, colleague):
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    key = uuid.uuid4()
    accept(colleague, handover, uuid=key, occurred_at=at(21, 55))
    again, changed = accept_handover(colleague, handover, uuid=key, occurred_at=NOW, now=NOW)
    db.session.commit()
    assert (changed, again.accepted_at, activities("handover.accepted")) == (False, at(21, 55), 1)


def test_an_accept_uuid_already_used_on_another_handover_is_refused(make, post, volunteer, colleague):
    first = hand_over(volunteer, post, occurred_at=at(20))
    second = hand_over(volunteer, post, occurred_at=at(21))
    key = uuid.uuid4()
    accept(colleague, first, uuid=key)
    third = make.volunteer(post)
    assert refusal(accept_handover, third, second, uuid=key, occurred_at=NOW, now=NOW) == "uuid_taken"


def test_an_accept_timed_before_the_handover_is_moved_up_to_it(post, volunteer, colleague):
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    assert accept(colleague, handover, occurred_at=at(21, 40)).accepted_at == at(21, 50)


def test_waiting_handover_is_the_newest_unaccepted_one(post, volunteer, colleague):
    hand_over(volunteer, post, occurred_at=at(20))
    newest = hand_over(volunteer, post, occurred_at=at(21))
    assert waiting_handover(post, colleague) == newest


def test_waiting_handover_skips_accepted_ones(post, volunteer, colleague):
    older = hand_over(volunteer, post, occurred_at=at(20))
    accept(colleague, hand_over(volunteer, post, occurred_at=at(21)))
    assert waiting_handover(post, colleague) == older


def test_waiting_handover_skips_the_users_own(post, volunteer, colleague):
    theirs = hand_over(volunteer, post, occurred_at=at(20))
    hand_over(colleague, post, occurred_at=at(21))
    assert waiting_handover(post, colleague) == theirs


def test_waiting_handover_skips_other_checkpoints(make, post, other_post, colleague):
    elsewhere = make.volunteer(other_post)
    hand_over(elsewhere, other_post, occurred_at=at(21))
    assert waiting_handover(post, colleague) is None


# --- the checkpoint log -------------------------------------------------------------------------


@pytest.fixture
def evening(make, ward, post, volunteer, colleague):
    """One evening at the checkpoint with every kind of entry, a minute or more apart."""
    police = make.user("police", ward=ward)
    arrive(volunteer, post, occurred_at=at(20))
    seen = observe(volunteer, post, occurred_at=at(20, 30), now=at(20, 31))
    observe(volunteer, post, occurred_at=at(20, 30), now=at(20, 40), text="Biển số 59X1.", corrects=seen)
    db.session.add(Comment(observation_id=seen.id, author_id=police.id, text="Đang tới.", created_at=at(21, 10)))
    resolve(seen, police, at(21), at(21, 20))
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    leave(volunteer, post, occurred_at=at(21, 55))
    accept(colleague, handover, occurred_at=at(21, 58))
    return seen


def test_the_log_lists_every_kind_of_entry_newest_first(post, evening):
    assert [(e.at, e.kind) for e in checkpoint_log(post)] == [
        (at(21, 58), "handover_accepted"), (at(21, 55), "check_out"), (at(21, 50), "handover"),
        (at(21, 20), "resolved"), (at(21, 10), "comment"), (at(21), "acknowledged"),
        (at(20, 30), "observation"), (at(20), "check_in")]


def test_a_correction_hangs_off_its_original_in_the_log(post, evening):
    observations = [e.thing for e in checkpoint_log(post) if e.kind == "observation"]
    assert [[c.text for c in o.corrections] for o in observations] == [["Biển số 59X1."]]


def test_the_log_pages_backwards_without_repeating_entries(post, volunteer):
    for minute in range(7):
        observe(volunteer, post, occurred_at=at(21, minute))
    seen, before = [], None
    while page := checkpoint_log(post, before=before, limit=3):
        seen += [e.at for e in page]
        before = page[-1].cursor
    assert seen == [at(21, minute) for minute in reversed(range(7))]


def test_the_log_pages_past_entries_that_share_a_time(post, volunteer, colleague):
    handover = hand_over(volunteer, post, occurred_at=at(21, 50))
    accept(colleague, handover, occurred_at=at(21, 40))  # moved up to 21:50
    first = checkpoint_log(post, limit=1)
    rest = checkpoint_log(post, before=first[-1].cursor, limit=1)
    assert sorted(e.kind for e in first + rest) == ["handover", "handover_accepted"]


def test_the_log_respects_its_limit(post, volunteer):
    for minute in range(5):
        observe(volunteer, post, occurred_at=at(21, minute))
    assert [e.at for e in checkpoint_log(post, limit=2)] == [at(21, 4), at(21, 3)]


def test_the_log_never_shows_another_checkpoints_entries(make, post, other_post, volunteer):
    elsewhere = make.volunteer(other_post)
    arrive(elsewhere, other_post, occurred_at=at(20))
    observe(elsewhere, other_post, occurred_at=at(20, 30))
    hand_over(elsewhere, other_post, occurred_at=at(21))
    leave(elsewhere, other_post, occurred_at=at(21, 5))
    observe(volunteer, post, occurred_at=at(21, 10))
    assert [e.thing.checkpoint_id for e in checkpoint_log(post)] == [post.id]
