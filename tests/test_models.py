"""Constraints live in the database, not only in Python."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from checkpoint.extensions import db
from checkpoint.models import Checkpoint, Observation, Shift, User


def _commit_fails():
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_shift_must_end_after_it_starts(app, make):
    checkpoint = make.checkpoint(make.ward())
    start = datetime(2026, 11, 28, 15, tzinfo=timezone.utc)
    db.session.add(Shift(checkpoint_id=checkpoint.id, starts_at=start, ends_at=start - timedelta(hours=1)))
    _commit_fails()


def test_a_shift_may_cross_midnight(app, make):
    checkpoint = make.checkpoint(make.ward())
    start = datetime(2026, 11, 28, 15, tzinfo=timezone.utc)  # 22:00 in Ho Chi Minh City
    shift = Shift(checkpoint_id=checkpoint.id, starts_at=start, ends_at=start + timedelta(hours=4))
    db.session.add(shift)
    db.session.commit()
    assert db.session.get(Shift, shift.id).ends_at == datetime(2026, 11, 28, 19, tzinfo=timezone.utc)


def test_checkpoint_codes_are_unique_within_a_ward_only(app, make):
    ward_a, ward_b = make.ward("A"), make.ward("B")
    make.checkpoint(ward_a, "C01")
    make.checkpoint(ward_b, "C01")
    db.session.add(Checkpoint(ward_id=ward_a.id, code="C01", name="x", equipment=[], min_staff=2))
    _commit_fails()


def test_phone_numbers_are_unique(app, make):
    user = make.user(ward=make.ward())
    db.session.add(User(phone=user.phone, full_name="x", password_hash="x", role="volunteer", ward_id=user.ward_id))
    _commit_fails()


def _observation(checkpoint, author, **fields):
    now = datetime.now(timezone.utc)
    values = dict(uuid=uuid.uuid4(), checkpoint_id=checkpoint.id, author_id=author.id, occurred_at=now,
                  received_at=now, category="theft", severity="info", text="Mất xe đạp")
    values.update(fields)
    return Observation(**values)


def test_client_uuids_are_unique(app, make):
    checkpoint = make.checkpoint(make.ward())
    author = make.volunteer(checkpoint)
    same = uuid.uuid4()
    db.session.add(_observation(checkpoint, author, uuid=same))
    db.session.commit()
    db.session.add(_observation(checkpoint, author, uuid=same))
    _commit_fails()


@pytest.mark.parametrize("field, value", [("category", "gossip"), ("severity", "panic"), ("status", "closed"),
                                          ("lat", 91.0)])
def test_enumerations_and_ranges_are_checked_by_the_database(app, make, field, value):
    checkpoint = make.checkpoint(make.ward())
    author = make.volunteer(checkpoint)
    extra = {"lng": 106.7} if field == "lat" else {}
    db.session.add(_observation(checkpoint, author, **{field: value}, **extra))
    _commit_fails()


def test_a_resolved_observation_must_have_been_acknowledged(app, make):
    checkpoint = make.checkpoint(make.ward())
    author = make.volunteer(checkpoint)
    db.session.add(_observation(checkpoint, author, status="resolved", resolved_at=datetime.now(timezone.utc)))
    _commit_fails()


def test_times_come_back_as_aware_utc(app, make):
    checkpoint = make.checkpoint(make.ward())
    author = make.volunteer(checkpoint)
    local = datetime(2026, 11, 28, 2, 30, tzinfo=timezone(timedelta(hours=7)))
    observation = _observation(checkpoint, author, occurred_at=local)
    db.session.add(observation)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Observation, observation.id).occurred_at
    assert stored == local and stored.utcoffset() == timedelta(0)
