"""The audit log in a browser: a police officer's phone and an admin's desk, the "older entries" button."""
from checkpoint.rules.activity import record
from tests.browser.conftest import screenshot, seed

DESK = {"viewport": {"width": 1280, "height": 900}}


def world(make):
    ward = make.ward("BN", name="Phường Bến Nghé")
    post = make.checkpoint(ward, "C01", name="Chốt hẻm 12")
    mai = make.volunteer(post, phone="0901234567", name="Trần Thị Mai")
    police = make.user("police", ward=ward, phone="0912345678", name="Lê Công An")
    admin = make.user("admin", phone="0909999999", name="Quản Trị Viên")
    for number in range(60):
        record("ward.renamed", ward_id=ward.id, detail={"from": "Phường 1", "to": f"Phường Bến Nghé {number}"})
    observation = make.observation(post, mai, text="Hai thanh niên lạ mặt đứng lâu ở đầu hẻm")
    record("history.exported", actor=police, ward_id=ward.id,
           detail={"filters": {"category": "theft", "words": "xe máy"}, "rows": 12})
    return {"police": police.phone, "admin": admin.phone, "observation": observation.id}


def login(page, server, phone_number, lands_on):
    page.goto(server.url + "/login")
    page.get_by_label("Số điện thoại").fill(phone_number)
    page.get_by_label("Mật khẩu").fill("password123")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lands_on)


def test_police_read_their_ward_on_a_phone(server, phone):
    page, watch = phone
    people = seed(server, world)
    login(page, server, people["police"], "**/board")
    page.get_by_role("link", name="Nhật ký hệ thống").click()
    page.wait_for_url("**/audit")
    assert page.locator(".audit-entry").count() == 50
    screenshot(page, "audit-phone")
    page.get_by_role("link", name="Xem các mục cũ hơn").click()
    page.locator(".audit-entry").nth(50).wait_for()
    assert page.locator(".audit-entry").count() > 50 and page.url.endswith("/audit")
    assert watch.problems == [] and watch.csp_violations() == []


def test_an_admin_filters_on_a_desk(server, browser):
    context = browser.new_context(locale="vi-VN", **DESK)
    page = context.new_page()
    people = seed(server, world)
    login(page, server, people["admin"], "**/admin/**")
    page.goto(server.url + "/audit")
    page.get_by_label("Thao tác").select_option("observation.created")
    page.get_by_role("button", name="Tìm kiếm").click()
    page.wait_for_url("**action=observation.created**")
    assert page.locator(".audit-entry").count() == 1
    page.goto(server.url + "/audit")
    screenshot(page, "audit-desk")
    context.close()
