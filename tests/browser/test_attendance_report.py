"""The attendance report on a desk and on a phone, and how it prints: last month for a small ward."""
import uuid
from datetime import date, timedelta

import pytest

from checkpoint.extensions import db
from checkpoint.localtime import to_local
from checkpoint.models import Attendance, utcnow
from tests.browser.conftest import PHONE, PageWatch, screenshot, seed
from tests.factories import local

pytestmark = pytest.mark.browser


def _last_month() -> tuple[date, date]:
    end = to_local(utcnow()).date().replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _world(make):
    first, last = _last_month()
    ward = make.ward("BC", name="Phường Bàn Cờ")
    alley = make.checkpoint(ward, "C01", name="Chốt hẻm 12")
    market = make.checkpoint(ward, "C02", name="Chốt chợ Bàn Cờ")
    make.user("police", ward=ward, phone="0900000021", name="Trần Quốc Bảo")
    mai = make.volunteer(alley, name="Trần Thị Mai")
    tuan = make.volunteer(alley, name="Lê Minh Tuấn")
    hoa = make.volunteer(market, name="Nguyễn Thị Hoa")
    make.volunteer(market, name="Phạm Văn Dũng")  # planned nothing, did nothing

    def attend(person, checkpoint, check_in, check_out, shift=None):
        db.session.add(Attendance(uuid=uuid.uuid4(), user_id=person.id, checkpoint_id=checkpoint.id,
                                  shift_id=shift.id if shift else None, check_in_at=check_in,
                                  check_in_received_at=check_in, check_out_at=check_out,
                                  check_out_received_at=check_out,
                                  check_out_uuid=uuid.uuid4() if check_out else None))

    day = first
    while day <= last:
        y, m, d = day.year, day.month, day.day
        evening = make.shift(alley, local(y, m, d, 18), volunteers=[mai, tuan])
        night = make.shift(market, local(y, m, d, 22), volunteers=[hoa])
        arrive = 35 if d % 7 == 0 else -5  # Tuấn is late once a week
        attend(tuan, alley, local(y, m, d, 18) + timedelta(minutes=arrive), local(y, m, d, 22), evening)
        if d % 9:  # Mai misses a few
            leave = local(y, m, d, 21) if d % 5 == 0 else local(y, m, d, 22, 3)
            attend(mai, alley, local(y, m, d, 17, 55), None if d == 12 else leave, evening)
        if d <= 14:  # Hoa keeps her nights only in the first half, and still goes over the cap
            attend(hoa, market, local(y, m, d, 21, 58), local(y, m, d, 23, 59) + timedelta(minutes=121), night)
        day += timedelta(days=1)
    attend(mai, market, local(first.year, first.month, 3, 8), local(first.year, first.month, 3, 11))
    db.session.commit()


def _open_report(page, server):
    page.goto(server.url + "/login")
    page.get_by_label("Số điện thoại").fill("0900000021")
    page.get_by_label("Mật khẩu").fill("password123")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/wards/BC/board")
    page.get_by_role("link", name="Chấm công").click()
    page.get_by_role("link", name="Tháng trước").click()
    page.get_by_role("heading", name="Theo tổ viên").wait_for()


def test_the_attendance_report_on_a_desk_on_a_phone_and_on_paper(server, browser):
    seed(server, _world)
    desk = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    watch = PageWatch(page)
    _open_report(page, server)
    assert page.get_by_role("button", name="In").is_visible()
    assert page.locator("tr.over-cap").count() == 1
    screenshot(page, "attendance-desk")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    assert not page.locator(".mainnav").is_visible() and not page.locator(".report-tools").is_visible()
    screenshot(page, "attendance-print")
    assert watch.problems == [] and watch.csp_violations() == []
    desk.close()

    phone_context = browser.new_context(locale="vi-VN", **PHONE)
    phone = phone_context.new_page()
    phone_watch = PageWatch(phone)
    _open_report(phone, server)
    screenshot(phone, "attendance-phone")
    assert phone_watch.problems == [] and phone_watch.csp_violations() == []
    phone_context.close()
