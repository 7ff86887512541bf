"""The admin's screens in a real browser: they fit a 360 px phone and a desk, without CSP errors."""
from datetime import timedelta

import pytest

from checkpoint.models import utcnow
from tests.browser.conftest import PHONE, PageWatch, screenshot, seed

pytestmark = pytest.mark.browser

SIZES = {"phone": PHONE, "desk": {"viewport": {"width": 1280, "height": 900}}}


def _world(make):
    ward, other = make.ward("BC", name="Phường Bàn Cờ"), make.ward("XH", name="Phường Xuân Hòa")
    ward.duty_phone = "02838394567"
    post = make.checkpoint(ward, "C01", name="Chốt hẻm 12")
    make.checkpoint(other, "K01", name="Chốt chợ Xuân Hòa")
    mai = make.volunteer(post, phone="0901234567", name="Trần Thị Mai")
    make.user("coordinator", ward=ward, phone="0911111111", name="Nguyễn Văn Điều")
    make.user("police", ward=ward, phone="0922222222", name="Phạm Công An")
    make.user("police", ward=other, phone="0933333333", name="Lê Thị Hòa Bình")
    make.user("admin", phone="0909000001", name="Quản trị viên")
    start = utcnow() + timedelta(days=1)
    for day in range(3):
        make.shift(post, start + timedelta(days=day), volunteers=[mai])
    return mai.id


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("size", SIZES)
def test_the_admin_screens_fit_and_run_clean(server, browser, size):
    mai = seed(server, _world)
    context = browser.new_context(locale="vi-VN", **SIZES[size])
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(server.url + "/login")
    page.get_by_label("Số điện thoại").fill("0909000001")
    page.get_by_label("Mật khẩu").fill("password123")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state("networkidle")
    overflowing = {}
    for name, path in [("wards", "/admin/wards"), ("ward-new", "/admin/wards/new"),
                       ("ward-edit", "/admin/wards/BC/edit"), ("people", "/admin/people"),
                       ("person-new", "/admin/people/new?ward=BC"), ("person-move", f"/admin/people/{mai}/move")]:
        page.goto(server.url + path)
        screenshot(page, f"admin-{name}-{size}")
        overflowing[name] = _overflow(page)
    page.get_by_label("Chuyển sang phường").select_option("XH")
    page.get_by_role("button", name="Chuyển sang phường đã chọn").click()
    page.wait_for_load_state("networkidle")
    screenshot(page, f"admin-person-moved-{size}")
    assert "Đã chuyển Trần Thị Mai" in page.locator(".flash-success").inner_text()
    assert overflowing == {name: 0 for name in overflowing}
    assert watch.problems == [] and watch.csp_violations() == []
    context.close()
