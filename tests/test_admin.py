"""The admin's screens: wards, coordinator and police accounts, the city-wide list, moving a person."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from checkpoint.extensions import db
from checkpoint.models import Activity, Shift, User, Ward, shift_assignment, utcnow
from checkpoint.rules import RuleViolation
from checkpoint.rules.attendance import check_in, check_out
from checkpoint.rules.transfers import move_person, move_plan


@pytest.fixture
def admin(make):
    return make.user("admin", phone="0909000001", name="Quản trị viên")


@pytest.fixture
def as_admin(client, admin):
    assert client.login(admin.phone).status_code == 302
    return client


@pytest.fixture
def other(make):
    return make.ward("XH", name="Phường Xuân Hòa")


def ward_named(code: str) -> Ward | None:
    db.session.expire_all()
    return db.session.scalar(select(Ward).where(Ward.code == code))


# ---------------------------------------------------------------- wards

def test_admin_creates_a_ward(as_admin):
    response = as_admin.post_form("/admin/wards/new", {"code": "p9", "name": "Phường 9", "duty_phone": "0283 839 1111"})
    assert response.status_code == 303
    ward = ward_named("P9")
    assert (ward.name, ward.duty_phone) == ("Phường 9", "02838391111")


def test_a_duplicate_ward_code_is_refused_next_to_the_code(as_admin, ward):
    response = as_admin.post_form("/admin/wards/new", {"code": ward.code.lower(), "name": "Phường khác"})
    assert response.status_code == 422
    assert f"Mã phường {ward.code} đã tồn tại." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Ward.id))) == 1


def test_a_bad_duty_phone_creates_no_ward(as_admin):
    response = as_admin.post_form("/admin/wards/new", {"code": "P9", "name": "Phường 9", "duty_phone": "12345"})
    assert response.status_code == 422
    assert 'id="duty_phone-errors"' in response.get_data(as_text=True)
    assert ward_named("P9") is None


def test_admin_renames_a_ward_and_sets_its_duty_phone(as_admin, ward):
    response = as_admin.post_form(f"/admin/wards/{ward.code}/edit",
                                  {"name": "Phường Bàn Cờ mới", "duty_phone": "+84 28 3839 4567"})
    assert response.status_code == 303
    saved = ward_named("BC")
    assert (saved.name, saved.duty_phone) == ("Phường Bàn Cờ mới", "02838394567")


def test_a_rename_is_in_the_activity_log(as_admin, ward, admin):
    as_admin.post_form(f"/admin/wards/{ward.code}/edit", {"name": "Phường mới", "duty_phone": ""})
    entry = db.session.scalar(select(Activity).where(Activity.action == "ward.renamed"))
    assert (entry.actor_id, entry.ward_id, entry.detail["to"]) == (admin.id, ward.id, "Phường mới")


def test_a_bad_duty_phone_leaves_the_ward_as_it_was(as_admin, ward):
    response = as_admin.post_form(f"/admin/wards/{ward.code}/edit", {"name": "Tên mới", "duty_phone": "0123"})
    assert response.status_code == 422
    assert ward_named("BC").name == "Phường BC"


def test_an_empty_duty_phone_removes_it(as_admin, ward):
    ward.duty_phone = "02838394567"
    db.session.commit()
    as_admin.post_form(f"/admin/wards/{ward.code}/edit", {"name": ward.name, "duty_phone": " "})
    assert ward_named("BC").duty_phone is None


def test_the_ward_code_cannot_be_changed(as_admin, ward):
    as_admin.post_form(f"/admin/wards/{ward.code}/edit", {"code": "ZZ", "name": "Phường BC"})
    assert ward_named("ZZ") is None and ward_named("BC") is not None


def test_editing_an_unknown_ward_is_not_found(as_admin):
    assert as_admin.get("/admin/wards/NOPE/edit").status_code == 404


def test_the_wards_list_links_to_each_wards_screens(as_admin, ward):
    page = as_admin.get("/admin/wards").get_data(as_text=True)
    for link in ("/wards/BC\"", "/wards/BC/checkpoints", "/wards/BC/people\"", "/admin/wards/BC/edit",
                 "/admin/people/new?ward=BC"):
        assert link in page


# ---------------------------------------------------------------- staff accounts

STAFF = {"ward": "BC", "role": "coordinator", "full_name": "Lê Văn Tổ", "phone": "0912 345 678",
         "password": "mat-khau-dau"}


def test_admin_creates_a_coordinator_who_can_log_in(as_admin, ward, app):
    response = as_admin.post_form("/admin/people/new", STAFF)
    assert response.status_code == 303
    person = db.session.scalar(select(User).where(User.phone == "0912345678"))
    assert (person.role, person.ward_id) == ("coordinator", ward.id)
    assert app.test_client().login("0912345678", "mat-khau-dau").status_code == 302


def test_admin_creates_a_police_account(as_admin, ward):
    as_admin.post_form("/admin/people/new", {**STAFF, "role": "police"})
    assert db.session.scalar(select(User.role).where(User.phone == "0912345678")) == "police"


def test_a_duplicate_phone_is_refused(as_admin, ward, mai):
    response = as_admin.post_form("/admin/people/new", {**STAFF, "phone": "+84 90 123 4567"})
    assert response.status_code == 422
    assert "Số điện thoại 0901234567 đã được đăng ký." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id)).where(User.phone == "0901234567")) == 1


@pytest.mark.parametrize("role", ["volunteer", "admin"])
def test_only_coordinator_and_police_accounts_are_made_here(as_admin, ward, role):
    response = as_admin.post_form("/admin/people/new", {**STAFF, "role": role})
    assert response.status_code == 422
    assert db.session.scalar(select(User.id).where(User.phone == "0912345678")) is None


def test_an_account_needs_a_ward(as_admin, ward):
    response = as_admin.post_form("/admin/people/new", {**STAFF, "ward": ""})
    assert response.status_code == 422
    assert db.session.scalar(select(User.id).where(User.phone == "0912345678")) is None


def test_the_ward_can_be_chosen_from_the_wards_list(as_admin, ward, other):
    page = as_admin.get("/admin/people/new?ward=xh").get_data(as_text=True)
    assert '<option selected value="XH">' in page


# ---------------------------------------------------------------- the city-wide list

@pytest.fixture
def staff(make, ward, other, post, mai):
    return {
        "coordinator": make.user("coordinator", ward=ward, name="Nguyễn Văn Điều", phone="0911111111"),
        "police": make.user("police", ward=other, name="Phạm Công An", phone="0922222222"),
    }


def listed(client, query: str = "") -> str:
    return client.get("/admin/people" + query).get_data(as_text=True)


def test_the_list_shows_coordinators_and_police_of_every_ward(as_admin, staff):
    page = listed(as_admin)
    assert "Nguyễn Văn Điều" in page and "Phạm Công An" in page


def test_each_person_links_to_their_wards_edit_page_and_the_move(as_admin, staff):
    page = listed(as_admin, "?ward=XH")
    police = staff["police"].id
    assert f'href="/wards/XH/people/{police}"' in page and f'href="/admin/people/{police}/move"' in page


def test_the_list_leaves_volunteers_out_unless_asked(as_admin, staff):
    assert "Trần Thị Mai" not in listed(as_admin)
    assert "Trần Thị Mai" in listed(as_admin, "?role=volunteer")


def test_the_list_filters_by_ward(as_admin, staff):
    page = listed(as_admin, "?ward=XH")
    assert "Phạm Công An" in page and "Nguyễn Văn Điều" not in page


def test_the_list_finds_a_name_in_lower_case(as_admin, staff):
    page = listed(as_admin, "?role=all&q=điều")
    assert "Nguyễn Văn Điều" in page and "Phạm Công An" not in page


def test_the_list_finds_part_of_a_phone_number(as_admin, staff):
    page = listed(as_admin, "?role=all&q=%2B84%20922")
    assert "Phạm Công An" in page and "Nguyễn Văn Điều" not in page


def test_the_list_comes_in_pages_of_fifty(as_admin, make, ward):
    for n in range(51):
        make.user("police", ward=ward, name=f"Cán bộ {n:02d}")
    first, second = listed(as_admin), listed(as_admin, "?page=2")
    assert (first.count("Cán bộ "), second.count("Cán bộ ")) == (50, 1)


def test_a_bad_filter_is_shown_not_searched(as_admin, staff):
    response = as_admin.get("/admin/people?role=everyone")
    assert "Nguyễn Văn Điều" not in response.get_data(as_text=True)


# ---------------------------------------------------------------- moving a person

@pytest.fixture
def far_post(make, other):
    return make.checkpoint(other, "K01", name="Chốt chợ")


@pytest.fixture
def history(make, post, mai):
    """Mai's past at the old ward: a finished shift, a check-in and out, an observation, and two
    shifts she is planned for, one running and one tomorrow."""
    now = utcnow()
    past = make.shift(post, now - timedelta(days=2), volunteers=[mai])
    check_in(mai, post, uuid=uuid.uuid4(), occurred_at=past.starts_at, now=past.starts_at)
    check_out(mai, post, uuid=uuid.uuid4(), occurred_at=past.ends_at, now=past.ends_at)
    db.session.commit()
    observation = make.observation(post, mai, text="Đèn đường hẻm 12 bị hỏng")
    running = make.shift(post, now - timedelta(hours=1), volunteers=[mai])
    tomorrow = make.shift(post, now + timedelta(days=1), volunteers=[mai])
    later = make.shift(post, now + timedelta(days=2), volunteers=[mai])
    return {"past": past, "running": running, "tomorrow": tomorrow, "later": later, "observation": observation}


def assigned(shift: Shift, person: User) -> bool:
    query = select(shift_assignment).where(shift_assignment.c.shift_id == shift.id,
                                           shift_assignment.c.user_id == person.id)
    return db.session.execute(query).first() is not None


def test_the_move_page_counts_future_shifts_before_the_move(as_admin, mai, history):
    page = as_admin.get(f"/admin/people/{mai.id}/move").get_data(as_text=True)
    assert "Số ca sắp tới có tên người này: 2" in page


def test_the_move_page_lists_the_memberships_that_go(as_admin, mai, history):
    assert "C01 · Chốt hẻm 12" in as_admin.get(f"/admin/people/{mai.id}/move").get_data(as_text=True)


def test_moving_changes_the_ward_and_drops_memberships(as_admin, mai, other, history):
    response = as_admin.post_form(f"/admin/people/{mai.id}/move", {"ward": "XH"})
    assert response.status_code == 303
    db.session.expire_all()
    assert (mai.ward_id, mai.checkpoints) == (other.id, [])


def test_moving_removes_future_assignments_only(as_admin, mai, other, history):
    as_admin.post_form(f"/admin/people/{mai.id}/move", {"ward": "XH"})
    kept = {name: assigned(history[name], mai) for name in ("past", "running", "tomorrow", "later")}
    assert kept == {"past": True, "running": True, "tomorrow": False, "later": False}


def test_the_old_ward_still_shows_what_they_did(app, as_admin, make, ward, post, mai, other, history):
    as_admin.post_form(f"/admin/people/{mai.id}/move", {"ward": "XH"})
    coordinator = make.user("coordinator", ward=ward)
    client = app.test_client()
    client.login(coordinator.phone)
    log = client.get(f"/checkpoints/{post.id}/log").get_data(as_text=True)
    assert "Đèn đường hẻm 12 bị hỏng" in log and log.count("Trần Thị Mai") >= 3  # observation, in, out


def test_the_old_wards_history_search_finds_their_observation(app, as_admin, make, ward, mai, other, history):
    as_admin.post_form(f"/admin/people/{mai.id}/move", {"ward": "XH"})
    police = make.user("police", ward=ward)
    client = app.test_client()
    client.login(police.phone)
    assert "Trần Thị Mai" in client.get(f"/wards/{ward.code}/history").get_data(as_text=True)


def test_after_the_move_the_old_checkpoint_log_is_closed_to_them(app, as_admin, post, mai, other, history):
    as_admin.post_form(f"/admin/people/{mai.id}/move", {"ward": "XH"})
    client = app.test_client()
    assert client.login(mai.phone).status_code == 302
    assert client.get(f"/checkpoints/{post.id}/log").status_code == 404


def test_the_move_ends_their_sessions(app, as_admin, mai, other, history):
    client = app.test_client()
    client.login(mai.phone)
    as_admin.post_form(f"/admin/people/{mai.id}/move", {"ward": "XH"})
    response = client.get("/me")
    assert response.status_code == 302 and "/login" in response.location


def test_the_move_is_recorded_in_both_wards(as_admin, admin, ward, mai, other, history):
    as_admin.post_form(f"/admin/people/{mai.id}/move", {"ward": "XH"})
    rows = db.session.execute(select(Activity.ward_id, Activity.actor_id, Activity.detail)
                              .where(Activity.action == "user.moved")).all()
    detail = {"from": "BC", "to": "XH", "memberships_removed": 1, "assignments_removed": 2}
    assert sorted(rows, key=lambda r: r[0]) == [(ward.id, admin.id, detail), (other.id, admin.id, detail)]


def test_an_admin_cannot_be_moved(as_admin, make, other):
    second = make.user("admin")
    response = as_admin.post_form(f"/admin/people/{second.id}/move", {"ward": "XH"})
    assert response.status_code == 422
    assert "Quản trị viên không thuộc phường nào" in response.get_data(as_text=True)


def test_the_move_page_of_an_admin_says_why_and_offers_no_form(as_admin, make, other):
    second = make.user("admin")
    page = as_admin.get(f"/admin/people/{second.id}/move").get_data(as_text=True)
    assert "Quản trị viên không thuộc phường nào" in page and 'name="ward"' not in page


def test_moving_into_the_same_ward_is_refused(as_admin, mai, ward, other):
    response = as_admin.post_form(f"/admin/people/{mai.id}/move", {"ward": ward.code})
    assert response.status_code == 422
    assert "Trần Thị Mai đã ở Phường BC." in response.get_data(as_text=True)


def test_someone_on_duty_is_not_moved(as_admin, mai, post, other):
    now = utcnow()
    check_in(mai, post, uuid=uuid.uuid4(), occurred_at=now, now=now)
    db.session.commit()
    response = as_admin.post_form(f"/admin/people/{mai.id}/move", {"ward": "XH"})
    assert response.status_code == 422
    db.session.expire_all()
    assert mai.ward_id == post.ward_id


def test_moving_an_unknown_person_is_not_found(as_admin, other):
    assert as_admin.post_form("/admin/people/999999/move", {"ward": "XH"}).status_code == 404


def test_moving_into_an_unknown_ward_is_refused(as_admin, mai, other):
    assert as_admin.post_form(f"/admin/people/{mai.id}/move", {"ward": "NOPE"}).status_code == 422


@pytest.mark.parametrize("role", ["volunteer", "coordinator", "police"])
def test_nobody_but_an_admin_moves_people(app, make, ward, mai, other, role):
    someone = make.volunteer(mai.checkpoints[0]) if role == "volunteer" else make.user(role, ward=ward)
    client = app.test_client()
    client.login(someone.phone)
    assert client.post_form(f"/admin/people/{mai.id}/move", {"ward": "XH"}).status_code == 403
    db.session.expire_all()
    assert mai.ward_id == ward.id


def test_a_moved_volunteer_can_join_the_new_wards_checkpoints(admin, mai, other, far_post, history):
    now = utcnow()
    move_person(mai, other, now=now, actor=admin)
    mai.checkpoints.append(far_post)
    db.session.commit()
    attendance, created = check_in(mai, far_post, uuid=uuid.uuid4(), occurred_at=now, now=now)
    assert created and attendance.checkpoint_id == far_post.id


def test_the_plan_lists_at_most_twenty_shifts_but_counts_all(make, post, mai):
    start = utcnow() + timedelta(days=1)
    for n in range(22):
        make.shift(post, start + timedelta(hours=5 * n), hours=4, volunteers=[mai])
    plan = move_plan(mai, utcnow())
    assert (len(plan.future_shifts), plan.future_shift_count) == (20, 22)


def test_the_rule_refuses_an_admin(admin, other):
    with pytest.raises(RuleViolation) as refused:
        move_person(admin, other, now=utcnow())
    assert refused.value.code == "admin_has_no_ward"
