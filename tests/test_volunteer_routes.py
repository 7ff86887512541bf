"""The volunteer's screens through the test client: shift, check-in, log, urgent, handover."""
import io
import re
import uuid
from datetime import timedelta

import pytest

from checkpoint.extensions import db
from checkpoint.models import Attendance, Handover, Observation, Photo, utcnow
from checkpoint.rules.attendance import qr_token
from tests.factories import jpeg_bytes

UUID_FIELD = re.compile(r'name="uuid" type="hidden" value="([^"]+)"')


@pytest.fixture
def post(make, app, tmp_path):
    app.config["PHOTO_DIR"] = str(tmp_path)
    ward = make.ward("BC")
    ward.duty_phone = "02838394567"
    db.session.commit()
    return make.checkpoint(ward, "C01", name="Chốt hẻm 12", lat=10.78, lng=106.69)


@pytest.fixture
def mai(make, post):
    return make.volunteer(post, phone="0901234567", name="Trần Thị Mai")


@pytest.fixture
def phone(client, mai):
    client.login(mai.phone)
    return client


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def form_uuid(page: str) -> str:
    return UUID_FIELD.search(page).group(1)


def test_my_shift_shows_the_next_shift_and_who_else_is_on_it(phone, make, post, mai):
    partner = make.volunteer(post, name="Lê Minh Tuấn")
    make.shift(post, utcnow() + timedelta(hours=2), volunteers=[mai, partner])
    page = phone.get("/me").get_data(as_text=True)
    assert "Ca tới" in page and "Lê Minh Tuấn" in page


def test_checking_in_records_an_attendance_and_shows_the_duty_timer(phone, post):
    page = phone.get("/me").get_data(as_text=True)
    response = phone.post_form(f"/checkpoints/{post.id}/check-in", {"uuid": form_uuid(page)})
    assert response.status_code == 303
    page = phone.get("/me").get_data(as_text=True)
    assert "Đang trực từ" in page and "data-since=" in page and count(Attendance) == 1


def test_a_double_tap_on_check_in_is_one_attendance(phone, post):
    key = str(uuid.uuid4())
    phone.post_form(f"/checkpoints/{post.id}/check-in", {"uuid": key})
    phone.post_form(f"/checkpoints/{post.id}/check-in", {"uuid": key})
    assert count(Attendance) == 1


def test_check_in_stores_the_position_and_distance(phone, post):
    phone.post_form(f"/checkpoints/{post.id}/check-in", {"uuid": str(uuid.uuid4()), "lat": "10.7809",
                                                         "lng": "106.69"})
    attendance = db.session.scalar(db.select(Attendance))
    assert attendance.check_in_lat == pytest.approx(10.7809) and 90 <= attendance.distance_m <= 110


def test_the_qr_poster_opens_the_check_in_of_its_checkpoint(phone, post):
    page = phone.get(f"/qr/{qr_token(post)}").get_data(as_text=True)
    assert "Chốt hẻm 12" in page and 'name="qr"' in page
    token = re.search(r'name="qr" type="hidden" value="([^"]+)"', page).group(1)
    phone.post_form(f"/checkpoints/{post.id}/check-in", {"uuid": form_uuid(page), "qr": token})
    assert db.session.scalar(db.select(Attendance)).by_qr is True


def test_a_forged_qr_token_is_not_found(phone):
    assert phone.get("/qr/forged-token").status_code == 404


def test_checking_out_without_handover(phone, post):
    phone.post_form(f"/checkpoints/{post.id}/check-in", {"uuid": str(uuid.uuid4())})
    page = phone.get(f"/checkpoints/{post.id}/check-out").get_data(as_text=True)
    assert "Kết thúc ca, không giao ca" in page
    phone.post_form(f"/checkpoints/{post.id}/check-out", {"uuid": str(uuid.uuid4())})
    assert db.session.scalar(db.select(Attendance)).check_out_at is not None


def test_an_observation_with_a_photo_appears_at_the_top_of_the_log(phone, post):
    phone.post_form(f"/checkpoints/{post.id}/observe", {"uuid": str(uuid.uuid4()), "category": "theft",
                                                        "severity": "info", "text": "Mất trộm xe đạp trước nhà số 5"})
    response = phone.post_form(
        f"/checkpoints/{post.id}/observe",
        {"uuid": str(uuid.uuid4()), "category": "suspicious", "severity": "attention",
         "text": "Xe máy không biển số chạy qua lại nhiều lần", "photo": (io.BytesIO(jpeg_bytes(3000, 2000)), "a.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 303 and response.location.endswith(f"/checkpoints/{post.id}/log")
    log = phone.get(response.location).get_data(as_text=True)
    assert log.index("Xe máy không biển số") < log.index("Mất trộm xe đạp")
    assert db.session.scalar(db.select(Photo)).width == 1600


def test_a_double_submitted_observation_is_one_entry(phone, post):
    fields = {"uuid": str(uuid.uuid4()), "category": "theft", "severity": "info", "text": "Mất điện thoại"}
    phone.post_form(f"/checkpoints/{post.id}/observe", dict(fields))
    phone.post_form(f"/checkpoints/{post.id}/observe", dict(fields))
    assert count(Observation) == 1


@pytest.mark.parametrize("fields, message", [
    ({"severity": "info", "text": "x"}, "Hãy chọn loại sự việc."),
    ({"category": "theft", "severity": "info", "text": ""}, "Hãy ghi lại điều bạn thấy."),
    ({"category": "theft", "severity": "info", "text": "x" * 10_000}, "Tối đa 2000 ký tự."),
    ({"category": "theft", "severity": "info", "text": "a\x00b"}, "Có ký tự không được phép."),
    ({"category": "gossip", "severity": "info", "text": "x"}, "Lựa chọn không hợp lệ."),
    ({"category": "theft", "severity": "info", "text": "x", "occurred_day": "2099-01-01", "occurred_time": "10:00"},
     "Lựa chọn không hợp lệ."),
    ({"category": "theft", "severity": "info", "text": "x", "occurred_time": "25:00"},
     "Hãy ghi giờ theo dạng HH:MM, ví dụ 21:45."),
])
def test_a_bad_observation_comes_back_with_the_reason_and_writes_nothing(phone, post, fields, message):
    response = phone.post_form(f"/checkpoints/{post.id}/observe", {"uuid": str(uuid.uuid4()), **fields})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(Observation) == 0


@pytest.mark.parametrize("content", [b"just text renamed", jpeg_bytes()[:200], b""])
def test_a_fake_photo_is_refused_next_to_the_field_and_nothing_is_written(phone, post, content):
    response = phone.post_form(f"/checkpoints/{post.id}/observe",
                               {"uuid": str(uuid.uuid4()), "category": "theft", "severity": "info", "text": "Mất xe",
                                "photo": (io.BytesIO(content), "photo.jpg")}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    if content:
        assert 'id="photo-errors"' in page and "Tệp này không phải là ảnh." in page
    assert count(Observation) == 0 and count(Photo) == 0


def test_the_urgent_alert_sends_an_urgent_observation_and_offers_the_calls(phone, post):
    page = phone.get("/urgent").get_data(as_text=True)
    response = phone.post_form("/urgent", {"uuid": form_uuid(page), "checkpoint": str(post.id),
                                           "lat": "10.78", "lng": "106.69"})
    sent = phone.get(response.location).get_data(as_text=True)
    assert 'href="tel:113"' in sent and 'href="tel:02838394567"' in sent
    observation = db.session.scalar(db.select(Observation))
    assert (observation.severity, observation.lat) == ("urgent", 10.78)


def test_the_urgent_alert_refuses_a_checkpoint_of_someone_else(phone, make):
    other = make.checkpoint(make.ward("XH"), "C09")
    response = phone.post_form("/urgent", {"uuid": str(uuid.uuid4()), "checkpoint": str(other.id)})
    assert response.status_code == 404 and count(Observation) == 0


def test_a_handover_carries_open_items_and_is_accepted_by_the_next_volunteer(app, phone, make, post, mai):
    make.observation(post, mai, text="Cột đèn hẻm 12 bị hỏng")
    phone.post_form(f"/checkpoints/{post.id}/check-in", {"uuid": str(uuid.uuid4())})
    page = phone.get(f"/checkpoints/{post.id}/check-out").get_data(as_text=True)
    assert "Cột đèn hẻm 12 bị hỏng" in page
    fields = {"uuid": str(uuid.uuid4()), "check_out_uuid": str(uuid.uuid4()), "summary": "Ca yên tĩnh",
              "ok-0": "1", "ok-2": "1", "ok-3": "1", "ok-4": "1", "remark-1": "Đèn pin hết pin"}
    assert phone.post_form(f"/checkpoints/{post.id}/handover", fields).status_code == 303
    handover = db.session.scalar(db.select(Handover))
    assert [e["ok"] for e in handover.equipment] == [True, False, True, True, True]
    assert db.session.scalar(db.select(Attendance)).check_out_at is not None

    tuan = make.volunteer(post, name="Lê Minh Tuấn")
    next_phone = app.test_client()
    next_phone.login(tuan.phone)
    assert "Có ca đang chờ bạn nhận" in next_phone.get("/me").get_data(as_text=True)
    next_phone.post_form(f"/handovers/{handover.id}", {"uuid": str(uuid.uuid4()), "remark": "Thiếu 1 áo phản quang"})
    db.session.expire_all()
    assert db.session.get(Handover, handover.id).accepted_by_id == tuan.id


def test_a_missing_item_needs_a_remark(phone, post):
    fields = {"uuid": str(uuid.uuid4()), "check_out_uuid": str(uuid.uuid4()), "summary": "Ca yên tĩnh",
              "ok-0": "1", "ok-2": "1", "ok-3": "1", "ok-4": "1"}
    response = phone.post_form(f"/checkpoints/{post.id}/handover", fields)
    assert response.status_code == 422 and "Hãy ghi rõ tình trạng của: Đèn pin." in response.get_data(as_text=True)
    assert count(Handover) == 0


def test_the_author_cannot_accept_their_own_handover(phone, make, post, mai):
    handover = make.duty_records(post, mai)["handover"]
    response = phone.post_form(f"/handovers/{handover.id}", {"uuid": str(uuid.uuid4())})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Handover, handover.id).accepted_at is None


def test_the_author_adds_a_correction_shown_with_the_entry(phone, make, post, mai):
    observation = make.observation(post, mai, text="Xe biển số 59-X1 123.45")
    phone.post_form(f"/observations/{observation.id}", {"uuid": str(uuid.uuid4()), "text": "Biển số đúng là 59-X1 128.45"})
    log = phone.get(f"/checkpoints/{post.id}/log").get_data(as_text=True)
    assert "Biển số đúng là 59-X1 128.45" in log and "Đính chính" in log
    assert db.session.get(Observation, observation.id).text == "Xe biển số 59-X1 123.45"


def test_someone_else_cannot_correct_an_entry(app, make, post, mai):
    observation = make.observation(post, mai)
    other = app.test_client()
    other.login(make.volunteer(post).phone)
    other.post_form(f"/observations/{observation.id}", {"uuid": str(uuid.uuid4()), "text": "Sửa bậy"})
    assert count(Observation) == 1


def test_the_log_shows_the_police_status(phone, make, post, mai):
    observation = make.observation(post, mai)
    observation.status, observation.acknowledged_at = "acknowledged", utcnow()
    observation.acknowledged_by_id = make.user("police", ward=post.ward, name="Trần Quốc Bảo").id
    db.session.commit()
    log = phone.get(f"/checkpoints/{post.id}/log").get_data(as_text=True)
    assert "Đã tiếp nhận" in log and "Trần Quốc Bảo" in log


def test_the_log_pages_with_htmx_fragments(phone, make, post, mai):
    start = utcnow() - timedelta(days=2)
    for n in range(35):
        make.observation(post, mai, now=start + timedelta(minutes=n), text=f"Ghi nhận số {n}")
    first = phone.get(f"/checkpoints/{post.id}/log")
    assert "HX-Request" in first.headers["Vary"] and "Ghi nhận số 34" in first.get_data(as_text=True)
    more = re.search(r'hx-get="([^"]+)"', first.get_data(as_text=True)).group(1).replace("&amp;", "&")
    fragment = phone.get(more, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Ghi nhận số 0<" in fragment and "Ghi nhận số 34" not in fragment


def test_photos_are_served_to_the_ward_police_but_not_to_another_ward(app, make, post, mai):
    photo = make.duty_records(post, mai)["photo"]
    police = app.test_client()
    police.login(make.user("police", ward=post.ward).phone)
    response = police.get(f"/photos/{photo.uuid}.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    stranger = app.test_client()
    stranger.login(make.user("police", ward=make.ward("XH")).phone)
    assert stranger.get(f"/photos/{photo.uuid}.jpg").status_code == 404


def test_the_qr_poster_leads_to_the_check_in_of_its_checkpoint(app, make, post):
    coordinator = app.test_client()
    coordinator.login(make.user("coordinator", ward=post.ward).phone)
    page = coordinator.get(f"/wards/BC/checkpoints/{post.id}/poster").get_data(as_text=True)
    assert "<svg" in page and "Chốt hẻm 12" in page and "Mở camera điện thoại" in page
    assert f"/qr/{qr_token(post)}" in page


def test_a_decompression_bomb_is_refused_cleanly(phone, post):
    bomb = io.BytesIO()
    from PIL import Image
    Image.new("1", (8000, 6250)).save(bomb, "PNG")  # 50 megapixels in a few kilobytes
    response = phone.post_form(f"/checkpoints/{post.id}/observe",
                               {"uuid": str(uuid.uuid4()), "category": "theft", "severity": "info", "text": "Mất xe",
                                "photo": (io.BytesIO(bomb.getvalue()), "bomb.png")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Ảnh có quá nhiều điểm ảnh." in response.get_data(as_text=True)
    assert count(Observation) == 0 and count(Photo) == 0


def test_every_duty_form_answers_422_with_its_mistakes(phone, make, post, mai):
    """Rule 4: a form that comes back with its mistakes marked says so in its status, too."""
    too_long = phone.post_form("/urgent", {"uuid": str(uuid.uuid4()), "checkpoint": str(post.id), "text": "x" * 400})
    assert too_long.status_code == 422 and count(Observation) == 0
    observation = make.observation(post, mai, text="Xe biển số 59-X1 123.45")
    empty = phone.post_form(f"/observations/{observation.id}", {"uuid": str(uuid.uuid4()), "text": ""})
    assert empty.status_code == 422 and count(Observation) == 1
    assert phone.get(f"/checkpoints/{post.id}/observe").status_code == 200  # the form itself, not a mistake
