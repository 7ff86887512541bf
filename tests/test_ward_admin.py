"""The coordinator's screens through the test client: checkpoints, people, passwords, the CSV import."""
import io
import re

import pytest
from sqlalchemy import func, select

from checkpoint.extensions import db
from checkpoint.models import Activity, Checkpoint, User


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def coordinator(make, ward):
    return make.user("coordinator", ward=ward, name="Nguyễn Điều Phối")


@pytest.fixture
def desk(client, coordinator):
    client.login(coordinator.phone)
    return client


@pytest.fixture
def other_ward(make):
    ward = make.ward("XY")
    make.checkpoint(ward, "C01")
    return ward


# ——— Checkpoints ———

def test_a_new_checkpoint_with_typed_coordinates(desk, ward):
    response = desk.post_form(f"/wards/{ward.code}/checkpoints/new", {
        "code": "c02", "name": "Chốt chợ", "address": "12 Lê Lợi", "lat": "10,7769", "lng": "106,7009",
        "standing_orders": "Trực 2 người", "equipment": "Bộ đàm\nĐèn pin", "min_staff": "3"})
    checkpoint = db.session.scalar(select(Checkpoint).where(Checkpoint.code == "C02"))
    assert response.status_code == 303
    assert (checkpoint.lat, checkpoint.lng, checkpoint.equipment, checkpoint.min_staff) == (
        10.7769, 106.7009, ["Bộ đàm", "Đèn pin"], 3)


def test_a_duplicate_code_is_shown_by_the_field(desk, ward, post):
    response = desk.post_form(f"/wards/{ward.code}/checkpoints/new", {"code": "C01", "name": "X", "min_staff": "2"})
    assert response.status_code == 422 and "C01" in response.get_data(as_text=True)


def test_editing_keeps_the_code(desk, ward, post):
    response = desk.post_form(f"/wards/{ward.code}/checkpoints/{post.id}", {
        "code": "ZZ", "name": "Chốt hẻm 12A", "equipment": "Sổ trực", "min_staff": "2", "lat": "", "lng": ""})
    db.session.refresh(post)
    assert response.status_code == 303 and (post.code, post.name, post.equipment) == ("C01", "Chốt hẻm 12A",
                                                                                       ["Sổ trực"])


def test_a_half_position_is_refused(desk, ward, post):
    response = desk.post_form(f"/wards/{ward.code}/checkpoints/{post.id}", {
        "name": post.name, "min_staff": "2", "lat": "10.77", "lng": ""})
    assert response.status_code == 422


def test_the_edit_page_links_the_poster_and_offers_the_map(desk, ward, post):
    page = desk.get(f"/wards/{ward.code}/checkpoints/{post.id}").get_data(as_text=True)
    assert f"/wards/{ward.code}/checkpoints/{post.id}/poster" in page and 'class="map-picker"' in page


def test_retire_and_reactivate(desk, ward, post):
    desk.post_form(f"/wards/{ward.code}/checkpoints/{post.id}/retire")
    db.session.refresh(post)
    assert post.active is False
    desk.post_form(f"/wards/{ward.code}/checkpoints/{post.id}/reactivate")
    db.session.refresh(post)
    assert post.active is True


def test_revoked_posters_no_longer_check_in(desk, client, ward, post, mai):
    from checkpoint.rules.attendance import qr_token
    old = qr_token(post)
    desk.post_form(f"/wards/{ward.code}/checkpoints/{post.id}/revoke-posters")
    desk.logout()
    desk.login(mai.phone)
    assert desk.get(f"/qr/{old}").status_code == 404


def test_the_duty_phone_is_saved_normalised(desk, ward):
    desk.post_form(f"/wards/{ward.code}/duty-phone", {"duty_phone": "028 3829 1234"})
    db.session.refresh(ward)
    assert ward.duty_phone == "02838291234"


def test_a_malformed_duty_phone_is_refused(desk, ward):
    response = desk.post_form(f"/wards/{ward.code}/duty-phone", {"duty_phone": "12345"})
    db.session.refresh(ward)
    assert response.status_code == 422 and ward.duty_phone is None


# ——— Wrong people, by any URL ———

def test_another_wards_coordinator_cannot_reach_this_wards_things_through_their_own_ward(
        app, make, ward, post, mai, other_ward):
    stranger = make.user("coordinator", ward=other_ward)
    client = app.test_client()
    client.login(stranger.phone)
    urls = [f"/wards/{other_ward.code}/checkpoints/{post.id}", f"/wards/{other_ward.code}/people/{mai.id}"]
    assert [client.get(url).status_code for url in urls] == [404, 404]


@pytest.mark.parametrize("action", ["deactivate", "password", "reactivate"])
def test_another_wards_coordinator_cannot_act_on_this_wards_people(app, make, ward, mai, other_ward, action):
    stranger = make.user("coordinator", ward=other_ward)
    client = app.test_client()
    client.login(stranger.phone)
    before = (mai.active, mai.session_version)
    for code in (ward.code, other_ward.code):
        assert client.post_form(f"/wards/{code}/people/{mai.id}/{action}", {"password": "x" * 10}).status_code == 404
    db.session.refresh(mai)
    assert (mai.active, mai.session_version) == before


def test_a_volunteer_is_told_no(client, ward, mai):
    client.login(mai.phone)
    assert client.get(f"/wards/{ward.code}/people").status_code == 403


def test_coordinators_do_not_manage_police_or_other_coordinators(make, desk, ward):
    officer = make.user("police", ward=ward)
    assert desk.get(f"/wards/{ward.code}/people/{officer.id}").status_code == 404


def test_a_coordinator_cannot_give_a_role(desk, ward):
    desk.post_form(f"/wards/{ward.code}/people/new", {"full_name": "Lê Văn B", "phone": "0911000001",
                                                     "role": "police", "password": "password123"})
    assert db.session.scalar(select(User.role).where(User.phone == "0911000001")) == "volunteer"


def test_admins_choose_the_role(app, make, ward):
    admin = make.user("admin")
    client = app.test_client()
    client.login(admin.phone)
    page = client.get(f"/wards/{ward.code}/people/new").get_data(as_text=True)
    client.post_form(f"/wards/{ward.code}/people/new", {"full_name": "Lê Công An", "phone": "0911000002",
                                                       "role": "police", "password": "password123"})
    assert 'name="role"' in page
    assert db.session.scalar(select(User.role).where(User.phone == "0911000002")) == "police"


# ——— People ———

def test_the_list_shows_volunteers_and_hides_deactivated_ones(make, desk, ward, post, mai):
    gone = make.volunteer(post, name="Người Đã Nghỉ")
    gone.active = False
    db.session.commit()
    page = desk.get(f"/wards/{ward.code}/people").get_data(as_text=True)
    everyone = desk.get(f"/wards/{ward.code}/people?all=1").get_data(as_text=True)
    assert "Trần Thị Mai" in page and "Người Đã Nghỉ" not in page and "Người Đã Nghỉ" in everyone


def test_a_made_up_password_is_shown_once_and_works(app, desk, ward, post):
    response = desk.post_form(f"/wards/{ward.code}/people/new", {
        "full_name": "Phạm Thị Dung", "phone": "0911 000 003", "checkpoints": str(post.id)})
    password = re.search(r'class="secret"[^>]*>([a-z0-9-]+)<', response.get_data(as_text=True)).group(1)
    person = db.session.scalar(select(User).where(User.phone == "0911000003"))
    assert response.headers["Cache-Control"] == "no-store" and password not in person.password_hash
    volunteer = app.test_client()
    assert volunteer.login("0911000003", password).status_code == 302 and volunteer.get("/me").status_code == 200


def test_assigning_checkpoints(make, desk, ward, post, mai):
    second = make.checkpoint(ward, "C02")
    desk.post_form(f"/wards/{ward.code}/people/{mai.id}", {"full_name": mai.full_name, "phone": mai.phone,
                                                          "checkpoints": [str(post.id), str(second.id)]})
    db.session.refresh(mai)
    assert [c.code for c in mai.checkpoints] == ["C01", "C02"]


def test_a_password_reset_ends_the_persons_sessions(app, desk, ward, mai):
    phone = app.test_client()
    phone.login(mai.phone)
    desk.post_form(f"/wards/{ward.code}/people/{mai.id}/password", {"password": "mật-khẩu-mới-1"})
    assert phone.get("/me").status_code == 302
    assert app.test_client().login(mai.phone, "mật-khẩu-mới-1").status_code == 302


def test_a_short_typed_password_is_refused(desk, ward, mai):
    version = mai.session_version
    response = desk.post_form(f"/wards/{ward.code}/people/{mai.id}/password", {"password": "short"})
    db.session.refresh(mai)
    assert response.status_code == 422 and mai.session_version == version


def test_deactivating_keeps_the_history(make, desk, ward, post, mai):
    make.observation(post, mai)
    desk.post_form(f"/wards/{ward.code}/people/{mai.id}/deactivate")
    db.session.refresh(mai)
    log = desk.get(f"/checkpoints/{post.id}/log").get_data(as_text=True)
    assert mai.active is False and "Trần Thị Mai" in log


def test_reactivating(desk, ward, mai):
    desk.post_form(f"/wards/{ward.code}/people/{mai.id}/deactivate")
    desk.post_form(f"/wards/{ward.code}/people/{mai.id}/reactivate")
    db.session.refresh(mai)
    assert mai.active is True


# ——— The CSV import ———

def upload(client, ward, content: bytes, name: str = "people.csv"):
    return client.post_form(f"/wards/{ward.code}/people/import",
                            {"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def plan_field(page: str) -> str:
    return re.search(r'name="plan" type="hidden" value="([^"]+)"', page).group(1)


GOOD = ("\ufeffHọ và tên;Số điện thoại;Chốt\r\n"
        "Nguyễn Văn An;0911 111 111;C01\r\n"
        "Trần Thị Mai Hoa;+84 90 123 4567;C01\r\n").encode("utf-8")


def test_the_preview_shows_every_row_and_writes_nothing(desk, ward, post, mai):
    before = (count(User), count(Activity))
    response = upload(desk, ward, GOOD)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nguyễn Văn An" in page and "0911111111" in page
    assert page.count('class="row-create"') == 1 and page.count('class="row-update"') == 1
    assert (count(User), count(Activity)) == before


def test_confirming_writes_every_row(desk, ward, post, mai):
    page = upload(desk, ward, GOOD).get_data(as_text=True)
    response = desk.post_form(f"/wards/{ward.code}/people/import/confirm", {"plan": plan_field(page)})
    db.session.refresh(mai)
    assert response.status_code == 303 and mai.full_name == "Trần Thị Mai Hoa"
    assert db.session.scalar(select(User.full_name).where(User.phone == "0911111111")) == "Nguyễn Văn An"


def test_a_shared_password_for_the_new_people(app, desk, ward, post):
    page = upload(desk, ward, GOOD).get_data(as_text=True)
    desk.post_form(f"/wards/{ward.code}/people/import/confirm", {"plan": plan_field(page),
                                                                 "password": "chào-tổ-mới"})
    assert app.test_client().login("0911111111", "chào-tổ-mới").status_code == 302


def test_a_tampered_plan_writes_nothing(desk, ward, post):
    token = plan_field(upload(desk, ward, GOOD).get_data(as_text=True))
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    before = count(User)
    response = desk.post_form(f"/wards/{ward.code}/people/import/confirm", {"plan": tampered})
    assert response.status_code == 303 and count(User) == before


def test_a_plan_made_for_one_ward_is_refused_in_another(app, make, desk, ward, post, other_ward):
    page = upload(desk, ward, GOOD).get_data(as_text=True)
    stranger = make.user("coordinator", ward=other_ward)
    before = count(User)
    client = app.test_client()
    client.login(stranger.phone)
    client.post_form(f"/wards/{other_ward.code}/people/import/confirm", {"plan": plan_field(page)})
    assert count(User) == before


def test_a_change_since_the_preview_shows_the_preview_again(make, desk, ward, post):
    page = upload(desk, ward, GOOD).get_data(as_text=True)
    make.user("police", ward=ward, phone="0911111111")  # someone registered the number meanwhile
    before = count(User)
    response = desk.post_form(f"/wards/{ward.code}/people/import/confirm", {"plan": plan_field(page)})
    assert response.status_code == 422 and count(User) == before


BAD_ROWS = ("Name,Phone,Checkpoints\n"
            ",0911111111,C01\n"                 # missing name
            "Lê Văn Cường,0901 23,C01\n"        # malformed phone
            "Phạm Thị Dung,0922222222,C77\n"    # unknown checkpoint
            "Võ Văn Em,0933333333,\n"
            "Võ Văn Em 2,0933 333 333,\n"       # duplicate inside the file
            "Đặng Văn F,0944444444,\n").encode("utf-8")


def test_bad_rows_are_reported_row_by_row_and_nothing_can_be_confirmed(desk, ward, post):
    before = (count(User), count(Activity))
    page = upload(desk, ward, BAD_ROWS).get_data(as_text=True)
    assert page.count('class="row-error"') == 4 and page.count('class="row-create"') == 2
    assert "C77" in page and "people/import/confirm" not in page
    assert (count(User), count(Activity)) == before


def test_a_huge_file_is_refused_on_the_upload_form(desk, ward, post):
    before = count(User)
    big = b"Name,Phone\n" + b"An,0911111111\n" * (50 * 1024 * 1024 // 14)
    response = upload(desk, ward, big)
    assert response.status_code == 413 and 'type="file"' in response.get_data(as_text=True)
    assert count(User) == before


@pytest.mark.parametrize("content, name", [(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png"),
                                           (b"PK\x03\x04\x14\x00\x06\x00", "people.xlsx")])
def test_a_file_that_is_not_csv_is_refused(desk, ward, post, content, name):
    before = count(User)
    response = upload(desk, ward, content, name)
    assert response.status_code == 422 and "CSV UTF-8" in response.get_data(as_text=True)
    assert count(User) == before


def test_the_template_downloads(desk, ward):
    response = desk.get(f"/wards/{ward.code}/people/import/template.csv")
    assert response.data.startswith("\ufeffHọ và tên".encode()) and "attachment" in response.headers[
        "Content-Disposition"]
