"""The ward police's follow-up rules: acknowledge, resolve, comment — scope, once only, audit trail."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from checkpoint.extensions import db
from checkpoint.models import Activity, Comment, Observation
from checkpoint.rules import RuleViolation
from checkpoint.rules.police import acknowledge, add_comment, resolve

NOW = datetime(2025, 3, 1, 14, 0, tzinfo=timezone.utc)
SOON = NOW + timedelta(minutes=3)
LATER = NOW + timedelta(minutes=20)


@pytest.fixture
def ward(make):
    return make.ward("BC")


@pytest.fixture
def post(make, ward):
    return make.checkpoint(ward, "C01")


@pytest.fixture
def mai(make, post):
    return make.volunteer(post, name="Trần Thị Mai")


@pytest.fixture
def report(make, post, mai):
    return make.observation(post, mai, now=NOW)


@pytest.fixture
def officer(make, ward):
    return make.user("police", ward=ward, name="Trần Quốc Bảo")


def refusal(rule, *args, **kwargs) -> str:
    with pytest.raises(RuleViolation) as caught:
        rule(*args, **kwargs)
    db.session.rollback()
    return caught.value.code


def fresh(observation: Observation) -> Observation:
    db.session.expire_all()
    return db.session.get(Observation, observation.id)


def police_actions() -> list[str]:
    query = (select(Activity.action).where(Activity.action.in_(
        ("observation.acknowledged", "observation.resolved", "comment.created"))).order_by(Activity.id))
    return list(db.session.scalars(query))


ACTIONS = {
    "acknowledge": lambda user, o: acknowledge(user, o, now=SOON),
    "resolve": lambda user, o: resolve(user, o, note="Đã mời về phường làm việc.", now=SOON),
    "comment": lambda user, o: add_comment(user, o, text="Đã cử tổ tuần tra.", now=SOON),
}


def test_acknowledging_records_who_and_when(report, officer):
    acknowledge(officer, report, now=SOON)
    db.session.commit()
    seen = fresh(report)
    assert (seen.status, seen.acknowledged_by_id, seen.acknowledged_at) == ("acknowledged", officer.id, SOON)


def test_resolving_keeps_the_earlier_acknowledgement(report, officer, make, ward):
    acknowledge(officer, report, now=SOON)
    colleague = make.user("police", ward=ward)
    resolve(colleague, report, note="Đã trả lại tài sản cho chủ.", now=LATER)
    db.session.commit()
    seen = fresh(report)
    assert (seen.status, seen.acknowledged_by_id, seen.acknowledged_at, seen.resolved_by_id, seen.resolved_at,
            seen.resolution_note) == ("resolved", officer.id, SOON, colleague.id, LATER, "Đã trả lại tài sản cho chủ.")


def test_resolving_an_open_observation_acknowledges_it_at_the_same_time(report, officer):
    resolve(officer, report, note="Xong.", now=LATER)
    db.session.commit()
    seen = fresh(report)
    assert (seen.acknowledged_by_id, seen.acknowledged_at, seen.resolved_at) == (officer.id, LATER, LATER)


@pytest.mark.parametrize("note, code", [
    (None, "required"), ("", "required"), ("   \n ", "required"), ("a\x00b", "control_chars"),
    ("x" * 2001, "too_long"),
])
def test_resolving_needs_a_proper_note(report, officer, note, code):
    assert refusal(resolve, officer, report, note=note, now=LATER) == code
    assert fresh(report).status == "open"


def test_the_note_is_cleaned(report, officer):
    resolve(officer, report, note="  Đã xử lý.\r\nKhông có thiệt hại.  ", now=LATER)
    db.session.commit()
    assert fresh(report).resolution_note == "Đã xử lý.\nKhông có thiệt hại."


def test_acknowledging_twice_is_refused(report, officer, make, ward):
    acknowledge(officer, report, now=SOON)
    db.session.commit()
    assert refusal(acknowledge, make.user("police", ward=ward), report, now=LATER) == "already_acknowledged"
    assert fresh(report).acknowledged_by_id == officer.id


def test_acknowledging_a_resolved_observation_is_refused(report, officer):
    resolve(officer, report, note="Xong.", now=SOON)
    db.session.commit()
    assert refusal(acknowledge, officer, report, now=LATER) == "already_acknowledged"


def test_resolving_twice_is_refused(report, officer):
    resolve(officer, report, note="Lần một.", now=SOON)
    db.session.commit()
    assert refusal(resolve, officer, report, note="Lần hai.", now=LATER) == "already_resolved"
    assert fresh(report).resolution_note == "Lần một."


def test_a_second_resolve_with_a_stale_copy_is_refused(report, officer, make, ward):
    # Another officer's request resolved it after this one loaded the observation: the row says
    # resolved while the object in hand still says open.
    colleague = make.user("police", ward=ward)
    db.session.execute(update(Observation).where(Observation.id == report.id).values(
        status="resolved", acknowledged_by_id=colleague.id, acknowledged_at=SOON, resolved_by_id=colleague.id,
        resolved_at=SOON, resolution_note="Người kia nhanh hơn.").execution_options(synchronize_session=False))
    assert report.status == "open"
    assert refusal(resolve, officer, report, note="Tôi cũng xử lý.", now=LATER) == "already_resolved"


def test_a_second_acknowledge_with_a_stale_copy_is_refused(report, officer, make, ward):
    colleague = make.user("police", ward=ward)
    db.session.execute(update(Observation).where(Observation.id == report.id).values(
        status="acknowledged", acknowledged_by_id=colleague.id, acknowledged_at=SOON)
        .execution_options(synchronize_session=False))
    assert refusal(acknowledge, officer, report, now=LATER) == "already_acknowledged"


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_police_of_another_ward_are_refused(report, make, action):
    stranger = make.user("police", ward=make.ward("XH"))
    assert refusal(ACTIONS[action], stranger, report) == "not_police"


@pytest.mark.parametrize("role", ["volunteer", "coordinator"])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_volunteers_and_coordinators_are_refused(report, make, post, ward, action, role):
    person = make.volunteer(post) if role == "volunteer" else make.user("coordinator", ward=ward)
    assert refusal(ACTIONS[action], person, report) == "not_police"


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_an_admin_may_act(report, make, action):
    ACTIONS[action](make.user("admin"), report)
    db.session.commit()
    assert police_actions()


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_correction_is_refused(report, make, post, mai, officer, action):
    correction = make.observation(post, mai, now=SOON, text="Đính chính: ba người", corrects=report)
    assert refusal(ACTIONS[action], officer, correction) == "is_correction"


def test_resolving_from_open_records_both_steps_in_the_ward(report, officer, post):
    resolve(officer, report, note="Xong.", now=LATER)
    db.session.commit()
    rows = db.session.scalars(select(Activity).where(Activity.action.like("observation.%"),
                                                     Activity.action != "observation.created")
                              .order_by(Activity.id)).all()
    assert [(a.action, a.actor_id, a.ward_id, a.checkpoint_id, a.subject_id, a.at) for a in rows] == [
        ("observation.acknowledged", officer.id, post.ward_id, post.id, report.id, LATER),
        ("observation.resolved", officer.id, post.ward_id, post.id, report.id, LATER)]


def test_a_comment_is_kept_with_its_author_time_and_activity(report, officer, post):
    comment = add_comment(officer, report, text=" Đã cử tổ tuần tra. ", now=SOON)
    db.session.commit()
    activity = db.session.scalar(select(Activity).where(Activity.action == "comment.created"))
    assert (comment.text, comment.author_id, comment.created_at, comment.observation_id) == (
        "Đã cử tổ tuần tra.", officer.id, SOON, report.id)
    assert (activity.subject_type, activity.subject_id, activity.ward_id, activity.checkpoint_id) == (
        "comment", comment.id, post.ward_id, post.id)


def test_a_resolved_observation_can_still_be_commented_on(report, officer):
    resolve(officer, report, note="Xong.", now=SOON)
    add_comment(officer, report, text="Đã báo lại cho người dân.", now=LATER)
    db.session.commit()
    assert [c.text for c in fresh(report).comments] == ["Đã báo lại cho người dân."]


def test_an_empty_comment_is_refused(report, officer):
    assert refusal(add_comment, officer, report, text="  ", now=SOON) == "required"
    assert db.session.scalar(select(db.func.count()).select_from(Comment)) == 0


def test_the_rules_flush_but_never_commit(report, officer):
    acknowledge(officer, report, now=SOON)
    db.session.rollback()
    assert fresh(report).status == "open" and police_actions() == []
