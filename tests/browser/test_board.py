"""The board updates by itself: an urgent alert from a phone appears without a reload."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from checkpoint.extensions import db
from checkpoint.models import Checkpoint, User, utcnow

from tests.browser.conftest import PHONE, PageWatch, screenshot, seed
from tests.browser.test_shift import login

pytestmark = pytest.mark.browser


def open_board(browser, server, phone: str = "0900000021"):
    """The ward police's board on a desk-sized screen, logged in: (context, page, its watch)."""
    desk = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    board = desk.new_page()
    watch = PageWatch(board)
    board.goto(server.url + "/login")
    board.get_by_label("Số điện thoại").fill(phone)
    board.get_by_label("Mật khẩu").fill("password123")
    board.get_by_role("button", name="Đăng nhập").click()
    board.wait_for_url("**/wards/BC/board")
    return desk, board, watch


def test_an_urgent_alert_appears_on_the_board_and_its_acknowledgement_in_the_log(server, browser):
    server.app.config["BOARD_POLL_SECONDS"] = 1

    def world(make):
        ward = make.ward("BC")
        post = make.checkpoint(ward, name="Chốt hẻm 12")
        make.volunteer(post, phone="0901234567", name="Trần Thị Mai")
        make.user("police", ward=ward, phone="0900000021", name="Trần Quốc Bảo")
        return post.id

    post_id = seed(server, world)
    desk, board, board_watch = open_board(browser, server)
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

    post_id, volunteer_id = seed(server, world)
    desk, board, _watch = open_board(browser, server)

    desk.set_offline(True)
    board.get_by_text("Đang kết nối lại…").wait_for(timeout=15_000)
    screenshot(board, "board-reconnecting")
    seed(server, lambda make: make.observation(db.session.get(Checkpoint, post_id), db.session.get(User, volunteer_id),
                                               text="Ghi nhận trong lúc mất mạng"))
    desk.set_offline(False)
    board.get_by_text("Ghi nhận trong lúc mất mạng").wait_for(timeout=15_000)
    assert board.get_by_text("Đang cập nhật").is_visible()
    desk.close()


def test_new_observations_join_the_open_list_in_order_without_disturbing_a_note_being_typed(server, browser,
                                                                                          monkeypatch):
    """A busy ward's poll sends only the new cards: they take their place by time, the list keeps
    its limit, and the card an officer is writing a comment on is neither replaced nor moved."""
    import checkpoint.rules.board as board_rules

    server.app.config["BOARD_POLL_SECONDS"] = 1
    monkeypatch.setattr(board_rules, "OPEN_LIMIT", 3)  # a short list, so that one falls off its end
    now = utcnow()

    def world(make):
        ward = make.ward("BC")
        post = make.checkpoint(ward, name="Chốt hẻm 12")
        mai = make.volunteer(post, phone="0901234567", name="Trần Thị Mai")
        make.user("police", ward=ward, phone="0900000021")
        ids = [make.observation(post, mai, now=now - timedelta(minutes=minutes), text=text).id
               for minutes, text in ((10, "Quan sát A"), (20, "Quan sát B"), (30, "Quan sát C"))]
        return post.id, mai.id, ids

    post_id, mai_id, (a, b, c) = seed(server, world)
    desk, board, watch = open_board(browser, server)
    cards = board.locator("#board-open > .obs-card")
    assert cards.evaluate_all("cards => cards.map(card => card.id)") == [f"obs-{a}", f"obs-{b}", f"obs-{c}"]

    card_a = board.locator(f"#obs-{a}")
    card_a.locator("summary", has_text="Nhận xét").click()
    note = card_a.locator(f"#comment-text-{a}")
    note.fill("Đang cử người tới")
    card_a.evaluate("card => card.dataset.marker = 'the same card'")  # gone if the card is replaced

    def observe(minutes_ago: int, text: str) -> int:
        return seed(server, lambda make: make.observation(
            db.session.get(Checkpoint, post_id), db.session.get(User, mai_id),
            now=utcnow() - timedelta(minutes=minutes_ago), text=text).id)

    tile = board.locator(f"#tile-{post_id}")
    tile.evaluate("tile => tile.dataset.marker = 'the same tile'")
    last_entry = board.locator(f"#tile-last-{post_id}")
    before = last_entry.inner_text()
    newest = observe(0, "Quan sát mới nhất")
    board.locator(f"#obs-{newest}").wait_for(timeout=15_000)
    # Of the tiles, only the checkpoint's "last entry" line is sent and swapped; the tile stays.
    expect(last_entry).not_to_have_text(before, timeout=15_000)
    assert last_entry.inner_text().startswith("Ghi nhận gần nhất: ")
    assert tile.get_attribute("data-marker") == "the same tile"
    late = observe(15, "Quan sát gửi muộn")  # synced late: it happened between A and B
    board.locator(f"#obs-{late}").wait_for(timeout=15_000)

    # Newest first, the late one in its place, the oldest dropped to keep three.
    assert cards.evaluate_all("cards => cards.map(card => card.id)") == [f"obs-{newest}", f"obs-{a}", f"obs-{late}"]
    assert card_a.get_attribute("data-marker") == "the same card"
    assert note.input_value() == "Đang cử người tới" and note.evaluate("field => field === document.activeElement")
    screenshot(board, "board-open-new-cards")

    board.reload()
    assert cards.evaluate_all("cards => cards.map(card => card.id)") == [f"obs-{newest}", f"obs-{a}", f"obs-{late}"]
    assert watch.problems == [] and watch.csp_violations() == []
    desk.close()
