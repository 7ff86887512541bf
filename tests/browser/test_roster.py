"""The coordinator's roster on a phone: a week from a pattern, two volunteers assigned with htmx,
the double-booking warning appearing in place, then the print view."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from checkpoint.models import utcnow
from checkpoint.rules.roster import week_label, week_monday
from tests.browser.conftest import screenshot, seed
from tests.factories import local

pytestmark = pytest.mark.browser


def next_monday():
    return week_monday((utcnow() + timedelta(hours=7)).date()) + timedelta(days=7)


def login_coordinator(page, server, phone_number):
    page.goto(server.url + "/login")
    page.get_by_label("Số điện thoại").fill(phone_number)
    page.get_by_label("Mật khẩu").fill("password123")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def test_a_week_from_a_pattern_with_a_double_booking(server, phone):
    page, watch = phone
    monday = next_monday()

    def world(make):
        ward = make.ward("BC", name="Phường Bàn Cờ")
        post = make.checkpoint(ward, "C01", name="Chốt hẻm 12", min_staff=2)
        corner = make.checkpoint(ward, "C02", name="Chốt ngã ba Cao Thắng", min_staff=1)
        make.user("coordinator", ward=ward, phone="0900000011", name="Nguyễn Thị Thanh Thủy")
        mai = make.volunteer(post, phone="0901234567", name="Trần Thị Mai")
        make.volunteer(post, phone="0901234568", name="Lê Minh Tuấn")
        # Mai already stands at the corner on Monday night, 21:00–01:00.
        make.shift(corner, local(monday.year, monday.month, monday.day, 21), hours=4, volunteers=[mai])
        return post.id

    post_id = seed(server, world)
    login_coordinator(page, server, "0900000011")
    page.goto(f"{server.url}/wards/BC")
    page.locator("#main").get_by_role("link", name="Lịch trực").click()
    page.get_by_role("link", name="Tuần sau").click()
    page.get_by_role("link", name="C01").click()
    page.wait_for_url(f"**/wards/BC/roster/{post_id}?week={week_label(monday)}")

    # A pattern 19:00–23:00, applied to the whole week.
    page.get_by_label("Bắt đầu").last.fill("19:00")
    page.get_by_label("Kết thúc", exact=True).last.fill("23:00")
    page.get_by_label("Tên gọi (không bắt buộc)").fill("Ca tối")
    page.get_by_role("button", name="Thêm mẫu ca").click()
    page.get_by_role("button", name="Áp dụng mẫu ca cho tuần này").click()
    expect(page.locator("article.shift")).to_have_count(7)

    # Monday's shift: Mai and Tuấn, each picked from the list, without leaving the grid.
    monday_card_id = page.locator("article.shift").first.get_attribute("id")
    card = page.locator(f"#{monday_card_id}")
    for name in ("Trần Thị Mai", "Lê Minh Tuấn"):
        card.get_by_role("combobox").select_option(label=name)
        card.get_by_role("button", name="Thêm", exact=True).click()
        expect(card.locator(".people")).to_contain_text(name)
    expect(card.locator(".warn-overlap")).to_contain_text("Trần Thị Mai bị xếp trùng giờ")
    expect(page.locator("#roster-summary")).to_contain_text("trùng giờ")
    screenshot(page, "roster-01-checkpoint-week")

    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "roster-02-checkpoint-week-desk")
    page.get_by_role("link", name="Lịch trực Phường Bàn Cờ").click()
    expect(page.locator(".roster-ward .warn-overlap")).to_have_count(2)
    screenshot(page, "roster-03-ward-week-desk")

    page.get_by_role("link", name="In", exact=True).click()
    page.wait_for_url("**/wards/BC/roster/print**")
    expect(page.locator("body")).to_contain_text("Trần Thị Mai")
    assert watch.problems == [] and watch.csp_violations() == []
