"""The printed roster on a desk and on paper, and a volunteer's own shifts and calendar link on a phone."""
from datetime import timedelta

import pytest

from checkpoint.localtime import to_local
from checkpoint.models import utcnow
from checkpoint.rules.roster import week_label, week_monday
from tests.browser.conftest import PageWatch, screenshot, seed
from tests.factories import local

pytestmark = pytest.mark.browser


def _world(make):
    ward = make.ward("BC", name="Phường Bàn Cờ")
    ward.duty_phone = "02838291234"
    alley = make.checkpoint(ward, "C01", name="Chốt hẻm 12", address="Hẻm 12 Lê Văn Sỹ")
    market = make.checkpoint(ward, "C02", name="Chốt chợ Bàn Cờ")
    make.user("coordinator", ward=ward, phone="0900000031", name="Lê Hồng Nhung")
    mai = make.volunteer(alley, phone="0900000032", name="Trần Thị Mai")
    duc = make.volunteer(alley, name="Nguyễn Văn Đức")
    hoa = make.volunteer(market, name="Đặng Thị Hoa")
    monday = week_monday(to_local(utcnow()).date()) + timedelta(days=7)
    for n in range(7):
        day = monday + timedelta(days=n)
        make.shift(alley, local(day.year, day.month, day.day, 18), volunteers=[mai, duc])
        make.shift(alley, local(day.year, day.month, day.day, 22), volunteers=[duc])
        make.shift(market, local(day.year, day.month, day.day, 6), hours=8, volunteers=[hoa])
    return week_label(monday)


def _login(page, server, phone_number, landing):
    page.goto(server.url + "/login")
    page.get_by_label("Số điện thoại").fill(phone_number)
    page.get_by_label("Mật khẩu").fill("password123")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(landing)


def test_the_roster_prints_on_a4_landscape(server, browser):
    week = seed(server, _world)
    desk = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    watch = PageWatch(page)
    _login(page, server, "0900000031", "**/wards/BC")
    page.goto(f"{server.url}/wards/BC/roster/print?week={week}")
    assert page.get_by_role("button", name="In", exact=True).is_visible()
    screenshot(page, "roster-print-desk")
    page.set_viewport_size({"width": 360, "height": 780})  # a phone: the sheet scrolls sideways
    assert page.get_by_role("button", name="In", exact=True).is_visible()
    screenshot(page, "roster-print-phone")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
    assert not page.locator(".print-tools").is_visible()
    assert page.get_by_text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").is_visible()
    screenshot(page, "roster-print-paper")
    assert watch.problems == [] and watch.csp_violations() == []
    desk.close()


def test_my_shifts_and_the_calendar_link_on_a_phone(server, browser, phone):
    seed(server, _world)
    page, watch = phone
    _login(page, server, "0900000032", "**/me")
    page.get_by_role("link", name="Tất cả ca trực của tôi").click()
    page.get_by_role("heading", name="Ca trực sắp tới").wait_for()
    assert page.get_by_role("button", name="In", exact=True).is_visible()
    screenshot(page, "my-shifts-phone")
    page.get_by_role("button", name="Lấy đường dẫn lịch của tôi").click()
    page.get_by_role("heading", name="Đường dẫn lịch của bạn").wait_for()
    assert page.get_by_role("button", name="Chép đường dẫn").is_visible()
    assert page.get_by_label("Đường dẫn lịch riêng").input_value().endswith(".ics")
    screenshot(page, "calendar-link-phone")
    assert watch.problems == [] and watch.csp_violations() == []
