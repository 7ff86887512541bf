"""The board updates by itself: an urgent alert from a phone appears without a reload."""
import pytest

from checkpoint.extensions import db
from checkpoint.models import Checkpoint, User

from tests.browser.conftest import PHONE, PageWatch, screenshot, seed
from tests.browser.test_shift import login

pytestmark = pytest.mark.browser


def test_an_urgent_alert_appears_on_the_board_and_its_acknowledgement_in_the_log(server, browser):
    server.app.config["BOARD_POLL_SECONDS"] = 1

    def world(make):
        ward = make.ward("BC")
        post = make.checkpoint(ward, name="Chốt hẻm 12")
        make.volunteer(post, phone="0901234567", name="Trần Thị Mai")
        make.user("police", ward=ward, phone="0900000021", name="Trần Quốc Bảo")
        return post.id

    post_id = seed(server, world)
    desk = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    board = desk.new_page()
    board_watch = PageWatch(board)
    board.goto(server.url + "/login")
    board.get_by_label("Số điện thoại").fill("0900000021")
    board.get_by_label("Mật khẩu").fill("password123")
    board.get_by_role("button", name="Đăng nhập").click()
    board.wait_for_url("**/wards/BC/board")
    board.evaluate("window.scrollTo(0, 120)")
    board.locator("body").evaluate("body => body.dataset.marker = 'same page'")  # gone if the page reloads

    phone_context = browser.new_context(locale="vi-VN", **PHONE)
    phone = phone_context.new_page()
    login(phone, server, "0901234567")
    phone.get_by_role("link", name="BÁO KHẨN").click()
    phone.get_by_label("Vài lời mô tả (không bắt buộc)").fill("Đánh nhau ở đầu hẻm 12")
    phone.get_by_role("button", name="Gửi báo khẩn").click()
    phone.get_by_role("heading", name="Đã gửi báo khẩn").wait_for(timeout=15_000)  # sent through the outbox

    urgent = board.locator("#board-urgent")
    urgent.get_by_text("Đánh nhau ở đầu hẻm 12").wait_for(timeout=15_000)
    assert board.title().startswith("(1) ")
    assert board.locator("body").get_attribute("data-marker") == "same page"
    screenshot(board, "board-urgent")

    urgent.get_by_role("button", name="Tiếp nhận").click()
    board.locator("#board-urgent h2").wait_for(state="detached", timeout=15_000)
    screenshot(board, "board-acknowledged")

    phone.goto(f"{server.url}/checkpoints/{post_id}/log")
    assert "Công an đã tiếp nhận" in phone.content()
    screenshot(phone, "log-acknowledged")
    assert board_watch.problems == [] and board_watch.csp_violations() == []
    desk.close()
    phone_context.close()


def test_the_board_says_reconnecting_when_offline_and_catches_up_after(server, browser):
    server.app.config["BOARD_POLL_SECONDS"] = 1

    def world(make):
        ward = make.ward("BC")
        post = make.checkpoint(ward, name="Chốt hẻm 12")
        volunteer = make.volunteer(post, phone="0901234567", name="Trần Thị Mai")
        make.user("police", ward=ward, phone="0900000021")
        return post.id, volunteer.id

    desk = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    board = desk.new_page()
    post_id, volunteer_id = seed(server, world)
    board.goto(server.url + "/login")
    board.get_by_label("Số điện thoại").fill("0900000021")
    board.get_by_label("Mật khẩu").fill("password123")
    board.get_by_role("button", name="Đăng nhập").click()
    board.wait_for_url("**/wards/BC/board")

    desk.set_offline(True)
    board.get_by_text("Đang kết nối lại…").wait_for(timeout=15_000)
    screenshot(board, "board-reconnecting")
    seed(server, lambda make: make.observation(db.session.get(Checkpoint, post_id), db.session.get(User, volunteer_id),
                                               text="Ghi nhận trong lúc mất mạng"))
    desk.set_offline(False)
    board.get_by_text("Ghi nhận trong lúc mất mạng").wait_for(timeout=15_000)
    assert board.get_by_text("Đang cập nhật").is_visible()
    desk.close()
