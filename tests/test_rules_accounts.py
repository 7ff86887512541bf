"""Account rules: phone numbers, passwords, users."""
import pytest

from checkpoint.extensions import db
from checkpoint.models import Activity, User
from checkpoint.rules import RuleViolation
from checkpoint.rules.accounts import create_user, deactivate, normalize_phone, validate_password


@pytest.mark.parametrize("raw", ["+84 90 123 4567", "0901234567", "0901 234 567", "84901234567",
                                 "090.123.4567", "(090) 123-4567", "+84901234567"])
def test_the_same_mobile_number_in_every_usual_spelling(raw):
    assert normalize_phone(raw) == "0901234567"


def test_landline_numbers_have_eleven_digits():
    assert normalize_phone("028 3839 4567") == "02838394567"


@pytest.mark.parametrize("raw", ["", "12345", "0901234", "09012345678", "abc0901234567", "0101234567",
                                 "+1 202 555 0100", "0901234567\x00", "٠٩٠١٢٣٤٥٦٧"])
def test_malformed_numbers_are_refused(raw):
    with pytest.raises(RuleViolation) as refusal:
        normalize_phone(raw)
    assert refusal.value.field == "phone"


@pytest.mark.parametrize("password", ["short", "x" * 129, "abc\x00defgh"])
def test_weak_or_strange_passwords_are_refused(password):
    with pytest.raises(RuleViolation):
        validate_password(password)


def test_creating_a_user_normalises_the_phone_and_records_it(app, make):
    ward = make.ward()
    user = create_user(phone="+84 90 123 4567", full_name="  Nguyễn Văn An ", role="volunteer",
                       password="password123", ward=ward)
    db.session.commit()
    assert (user.phone, user.full_name) == ("0901234567", "Nguyễn Văn An")
    assert db.session.scalar(db.select(Activity).where(Activity.action == "user.created")).subject_id == user.id


def test_a_phone_number_is_one_person_whatever_its_spelling(app, make):
    ward = make.ward()
    make.user(ward=ward, phone="0901234567")
    with pytest.raises(RuleViolation) as refusal:
        create_user(phone="090 123 4567", full_name="B", role="volunteer", password="password123", ward=ward)
    assert refusal.value.code == "duplicate_phone"


def test_a_volunteer_cannot_join_a_checkpoint_of_another_ward(app, make):
    ward_a, ward_b = make.ward("A"), make.ward("B")
    other = make.checkpoint(ward_b)
    with pytest.raises(RuleViolation):
        create_user(phone="0901234567", full_name="B", role="volunteer", password="password123", ward=ward_a,
                    checkpoints=[other])
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_everyone_but_an_admin_belongs_to_a_ward(app):
    with pytest.raises(RuleViolation) as refusal:
        create_user(phone="0901234567", full_name="B", role="police", password="password123")
    assert refusal.value.code == "ward_required"


def test_deactivating_keeps_the_person_and_ends_their_sessions(app, make):
    user = make.user(ward=make.ward())
    version = user.session_version
    deactivate(user)
    db.session.commit()
    assert not user.active and user.session_version > version
