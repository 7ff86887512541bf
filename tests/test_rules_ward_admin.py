"""Rules of the coordinator's screens: checkpoints, people and the CSV import plan."""
import uuid

import pytest
from sqlalchemy import func, select

from checkpoint.extensions import db
from checkpoint.models import Activity, User, utcnow
from checkpoint.rules import RuleViolation
from checkpoint.rules.attendance import check_in
from checkpoint.rules.checkpoints import (clean_equipment, parse_position, reactivate_checkpoint,
                                          retire_checkpoint, revoke_posters, set_duty_phone, update_checkpoint)
from checkpoint.rules.people import add_person, generate_password, has_password, update_person
from checkpoint.rules.people_import import MAX_BYTES, MAX_ROWS, apply_plan, plan_import, read_csv, template_csv


def users() -> int:
    return db.session.scalar(select(func.count(User.id)))


# ——— Positions and equipment ———

@pytest.mark.parametrize("lat, lng", [("10.7769", "106.7009"), ("10,7769", "106,7009"), ("10.7769, 106.7009", ""),
                                      ("10.7769 106.7009", "")])
def test_typed_positions_in_the_usual_spellings(lat, lng):
    assert parse_position(lat, lng) == (10.7769, 106.7009)


def test_no_position_is_fine():
    assert parse_position("", " ") == (None, None)


@pytest.mark.parametrize("lat, lng", [("10.7", ""), ("", "106.7"), ("abc", "106.7"), ("95", "106.7"), ("10", "190")])
def test_half_or_impossible_positions_are_refused(lat, lng):
    with pytest.raises(RuleViolation):
        parse_position(lat, lng)


def test_equipment_is_one_item_a_line_without_blanks_or_repeats():
    assert clean_equipment("Bộ đàm\n\n  Đèn pin \nbộ đàm\r\nSổ trực") == ["Bộ đàm", "Đèn pin", "Sổ trực"]


def test_too_many_equipment_items_are_refused():
    with pytest.raises(RuleViolation):
        clean_equipment("\n".join(f"Món {i}" for i in range(31)))


# ——— Checkpoints ———

def test_editing_records_only_the_fields_that_changed(ward, post):
    changed = update_checkpoint(post, name="Chốt hẻm 12 mới", address=None, lat=None, lng=None,
                                standing_orders=None, equipment=post.equipment, min_staff=post.min_staff,
                                actor=None, now=utcnow())
    db.session.commit()
    entry = db.session.scalar(select(Activity).where(Activity.action == "checkpoint.updated"))
    assert changed == ["name"] and entry.detail == {"fields": ["name"]}


def test_minimum_staff_stays_within_bounds(ward, post):
    with pytest.raises(RuleViolation) as refusal:
        update_checkpoint(post, name=post.name, address=None, lat=None, lng=None, standing_orders=None,
                          equipment=[], min_staff=21, actor=None, now=utcnow())
    assert refusal.value.field == "min_staff"


def test_retiring_keeps_the_checkpoint_and_can_be_undone(ward, post):
    retire_checkpoint(post, actor=None, now=utcnow())
    assert post.active is False
    reactivate_checkpoint(post, actor=None, now=utcnow())
    assert post.active is True


def test_a_checkpoint_with_someone_on_duty_is_not_retired(ward, post, mai):
    now = utcnow()
    check_in(mai, post, uuid=uuid.uuid4(), occurred_at=now, now=now)
    with pytest.raises(RuleViolation) as refusal:
        retire_checkpoint(post, actor=None, now=now)
    assert refusal.value.code == "on_duty"


def test_revoking_posters_changes_the_token(ward, post):
    from checkpoint.rules.attendance import qr_token
    old = qr_token(post)
    revoke_posters(post, actor=None, now=utcnow())
    assert qr_token(post) != old


def test_duty_phone_is_normalised_and_can_be_removed(ward):
    set_duty_phone(ward, "028 3829 1234", actor=None, now=utcnow())
    assert ward.duty_phone == "02838291234"
    set_duty_phone(ward, "", actor=None, now=utcnow())
    assert ward.duty_phone is None


# ——— People ———

@pytest.fixture
def coordinator(make, ward):
    return make.user("coordinator", ward=ward, name="Điều Phối")


def test_coordinators_may_only_add_volunteers(ward, coordinator):
    with pytest.raises(RuleViolation) as refusal:
        add_person(ward, full_name="Công An", phone="0911000001", role="police", checkpoints=[],
                   password="password123", actor=coordinator)
    assert refusal.value.field == "role"


def test_checkpoints_of_another_ward_are_refused(make, ward, coordinator):
    elsewhere = make.checkpoint(make.ward("XY"), "C09")
    with pytest.raises(RuleViolation):
        add_person(ward, full_name="Lê Văn B", phone="0911000002", role="volunteer", checkpoints=[elsewhere],
                   password="password123", actor=coordinator)


def test_changing_the_phone_to_a_taken_one_is_refused(make, ward, post, mai, coordinator):
    other = make.volunteer(post, phone="0911000003")
    with pytest.raises(RuleViolation) as refusal:
        update_person(other, full_name=other.full_name, phone="0901 234 567", role="volunteer", checkpoints=[],
                      actor=coordinator, now=utcnow())
    assert refusal.value.code == "duplicate_phone"


def test_updating_records_what_changed(ward, post, mai, coordinator):
    update_person(mai, full_name="Trần Thị Mai", phone="0901234567", role="volunteer", checkpoints=[],
                  actor=coordinator, now=utcnow())
    db.session.commit()
    entry = db.session.scalar(select(Activity).where(Activity.action == "user.updated"))
    assert entry.detail["fields"] == ["checkpoints"] and mai.checkpoints == []


def test_generated_passwords_are_valid_and_different():
    from checkpoint.rules.accounts import validate_password
    first, second = generate_password(), generate_password()
    assert validate_password(first) == first and first != second


# ——— The CSV import ———

def rows(text: str, encoding: str = "utf-8"):
    return read_csv(text.encode(encoding))


def test_vietnamese_headers_with_semicolons_and_bom_are_read():
    read = read_csv("\ufeffHọ và tên;Số điện thoại;Chốt\r\nNguyễn Văn An;0901 111 222;C01\r\n".encode())
    assert [(r.line, r.name, r.phone, r.checkpoints) for r in read] == [(2, "Nguyễn Văn An", "0901 111 222", "C01")]


def test_english_headers_in_any_order_with_commas_are_read():
    read = rows("Phone,Checkpoints,Name\n0901111222,C01 C02,An\n\n,,\n")
    assert [(r.name, r.phone, r.checkpoints) for r in read] == [("An", "0901111222", "C01 C02")]


def test_the_template_reads_as_a_valid_file():
    assert len(read_csv(template_csv().encode("utf-8"))) == 1


@pytest.mark.parametrize("raw, code", [
    (b"", "empty"),
    (b"PK\x03\x04\x00\x00binary spreadsheet", "not_csv"),
    ("Họ và tên,Số điện thoại\nAn,0901111222\n".encode("utf-16"), "not_csv"),
    ("Tên,Phone\nBé Tư,0901111222\n".encode("cp1258"), "not_utf8"),
    (b"Ten,Dien thoai\nAn,0901111222\n", "no_header"),
    (b"Name,Phone\n", "no_rows"),
    (b"Name,Phone\n" + b"An,0901111222\n" * (MAX_ROWS + 1), "too_many_rows"),
    (b"Name,Phone\n" + b"x" * MAX_BYTES, "too_large"),
])
def test_files_that_cannot_be_read_say_why(raw, code):
    with pytest.raises(RuleViolation) as refusal:
        read_csv(raw)
    assert refusal.value.code == code


def test_every_row_is_planned_with_its_reason(make, ward, post, mai):
    make.checkpoint(make.ward("XY"), "C02")  # a C02 exists, but not in this ward
    make.user("police", ward=ward, phone="0933000000")
    make.volunteer(make.checkpoint(make.ward("ZZ"), "C01"), phone="0944000000")
    plan = plan_import(ward, rows(
        "Họ và tên,Số điện thoại,Chốt\n"
        "Nguyễn Văn An,0911 111 111,C01\n"      # 2 new
        "Trần Thị Mai,+84 90 123 4567,\n"        # 3 known, same name, no checkpoint given: unchanged
        ",0922222222,C01\n"                       # 4 no name
        "Lê Văn Cường,12345,C01\n"                # 5 bad phone
        "Phạm Thị Dung,0955555555,C02\n"          # 6 unknown checkpoint
        "Võ Văn Em,0911111111,\n"                 # 7 duplicate of line 2
        "Công An,0933000000,\n"                   # 8 a police account
        "Người Khác,0944000000,\n"                # 9 another ward
        "Trần Thị Mai Anh,0901234567,C01\n"))     # 10 duplicate of line 3
    assert [(r.line, r.action) for r in plan.rows] == [
        (2, "create"), (3, "unchanged"), (4, "error"), (5, "error"), (6, "error"), (7, "error"), (8, "error"),
        (9, "error"), (10, "error")]
    assert "C02" in plan.rows[4].errors[0] and "2" in plan.rows[5].errors[0]


def test_a_known_volunteer_is_updated_and_reactivated(ward, post, mai):
    from checkpoint.rules.accounts import deactivate
    deactivate(mai)
    other = post  # the only checkpoint; an empty membership list makes "checkpoints" change
    mai.checkpoints = []
    plan = plan_import(ward, rows(f"Name,Phone,Checkpoints\nTrần Thị Mai Hoa,0901234567,{other.code}\n"))
    assert plan.rows[0].action == "update" and plan.rows[0].changes == ["name", "checkpoints", "reactivated"]


def test_applying_a_plan_writes_people_without_a_usable_password_and_records_it(ward, post, coordinator):
    plan = plan_import(ward, rows("Name,Phone,Checkpoints\nNguyễn Văn An,0911111111,C01\n"))
    counts = apply_plan(ward, plan, password_hash=None, actor=coordinator, now=utcnow())
    db.session.commit()
    person = db.session.scalar(select(User).where(User.phone == "0911111111"))
    assert counts == {"created": 1, "updated": 0, "unchanged": 0}
    assert not has_password(person) and not person.check_password("")
    assert [c.code for c in person.checkpoints] == ["C01"]
    assert db.session.scalar(select(Activity).where(Activity.action == "people.imported")).detail["created"] == 1


def test_a_plan_with_errors_writes_nothing(ward, post, coordinator):
    before = users()
    plan = plan_import(ward, rows("Name,Phone\nAn,0911111111\nBình,bad\n"))
    with pytest.raises(RuleViolation):
        apply_plan(ward, plan, password_hash=None, actor=coordinator, now=utcnow())
    db.session.rollback()
    assert users() == before
