"""A whole shift on a phone: check in, log, urgent alert (cancelled), hand over, accepted."""
import pytest

from checkpoint.extensions import db
from checkpoint.models import Attendance, Handover, Observation
from tests.browser.conftest import PHONE, PageWatch, screenshot, seed
from tests.factories import jpeg_bytes

pytestmark = pytest.mark.browser


def login(page, server, phone_number):
    page.goto(server.url + "/login")
    page.get_by_label("Số điện thoại").fill(phone_number)
    page.get_by_label("Mật khẩu").fill("password123")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/me")


def test_a_whole_shift(server, browser, phone, tmp_path):
    page, watch = phone
    server.app.config["PHOTO_DIR"] = str(tmp_path / "photos")

    def world(make):
        post = make.checkpoint(make.ward("BC"), name="Chốt hẻm 12", address="Hẻm 12 Nguyễn Thiện Thuật",
                               standing_orders="Kiểm tra người lạ ra vào hẻm.\nBáo công an khi có đánh nhau.")
        make.volunteer(post, phone="0901234567", name="Trần Thị Mai")
        make.volunteer(post, phone="0901234568", name="Lê Minh Tuấn")
        return post.id

    post_id = seed(server, world)
    photo_file = tmp_path / "camera.jpg"
    photo_file.write_bytes(jpeg_bytes(2400, 1800))

    login(page, server, "0901234567")
    screenshot(page, "01-my-shift")
    page.get_by_role("button", name="Vào ca").click()
    page.wait_for_selector(".timer")
    assert "Đang trực từ" in page.content()
    screenshot(page, "02-on-duty")

    page.get_by_role("link", name="Ghi nhận").first.click()
    page.locator("label.category-theft").click()
    page.get_by_label("Bạn đã thấy gì?").fill("Mất trộm xe đạp trước nhà số 5")
    screenshot(page, "03-log-form")
    page.get_by_role("button", name="Gửi", exact=True).click()
    page.wait_for_url(f"**/checkpoints/{post_id}/log")

    page.get_by_role("link", name="Ghi nhận").first.click()
    page.locator("label.category-suspicious").click()
    page.locator("label.severity-attention").click()
    page.get_by_label("Bạn đã thấy gì?").fill("Xe máy không biển số chạy qua lại nhiều lần")
    page.get_by_label("Ảnh (không bắt buộc)").set_input_files(str(photo_file))
    page.wait_for_selector('input[type=file][data-shrink="done"]', state="attached")
    shrunk = page.locator("input[type=file]").evaluate("input => input.files[0].size")
    assert shrunk < photo_file.stat().st_size
    page.get_by_role("button", name="Gửi", exact=True).click()
    page.wait_for_url(f"**/checkpoints/{post_id}/log")
    entries = page.locator(".entry-observation")
    assert "Xe máy không biển số" in entries.first.inner_text() and "có ảnh" in entries.first.inner_text()
    screenshot(page, "04-checkpoint-log")

    page.get_by_role("link", name="BÁO KHẨN").click()
    screenshot(page, "05-urgent")
    page.get_by_role("button", name="Gửi báo khẩn").click()
    assert page.locator("[data-countdown-panel]").is_visible()
    screenshot(page, "06-urgent-countdown")
    page.get_by_role("button", name="Hủy").click()
    assert page.get_by_role("button", name="Gửi báo khẩn").is_visible()

    page.goto(server.url + "/me")
    page.get_by_role("link", name="Giao ca và kết thúc ca").click()
    page.get_by_label("Tóm tắt ca trực").fill("Ca yên tĩnh, có 1 vụ mất xe đạp đã báo.")
    page.get_by_label("Đèn pin", exact=True).uncheck()
    page.get_by_label("Ghi chú về Đèn pin").fill("Hết pin")
    screenshot(page, "07-handover")
    page.get_by_role("button", name="Giao ca và kết thúc ca").click()
    page.wait_for_url(f"**/checkpoints/{post_id}/log")

    with server.app.app_context():
        assert db.session.scalar(db.select(db.func.count(Observation.id))) == 2  # the cancelled alert sent nothing
        assert db.session.scalar(db.select(Attendance)).check_out_at is not None

    second = browser.new_context(locale="vi-VN", **PHONE)
    tuan = second.new_page()
    tuan_watch = PageWatch(tuan)
    login(tuan, server, "0901234568")
    assert "Có ca đang chờ bạn nhận" in tuan.content()
    tuan.get_by_role("link", name="Xem và nhận ca").click()
    assert "Hết pin" in tuan.content()
    screenshot(tuan, "08-accept-handover")
    tuan.get_by_role("button", name="Nhận ca").click()
    tuan.wait_for_url("**/me")
    with server.app.app_context():
        assert db.session.scalar(db.select(Handover)).accepted_at is not None

    assert watch.problems == [] and tuan_watch.problems == []
    assert watch.csp_violations() == [] and tuan_watch.csp_violations() == []
    second.close()


def test_the_urgent_alert_is_sent_when_the_countdown_ends(server, phone):
    page, watch = phone
    seed(server, lambda make: make.volunteer(make.checkpoint(make.ward("BC")), phone="0901234567"))
    login(page, server, "0901234567")
    page.get_by_role("link", name="BÁO KHẨN").click()
    page.get_by_role("button", name="Gửi báo khẩn").click()
    # Sent through the outbox (static/js/outbox.js): the page itself then offers the calls.
    page.get_by_role("heading", name="Đã gửi báo khẩn").wait_for(timeout=15_000)
    assert page.locator('a[href="tel:113"]').is_visible()
    screenshot(page, "09-urgent-sent")
    with server.app.app_context():
        assert db.session.scalar(db.select(Observation)).severity == "urgent"
    assert watch.problems == [] and watch.csp_violations() == []
