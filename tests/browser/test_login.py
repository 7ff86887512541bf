"""A volunteer logs in on a phone, in Vietnamese, and switches to English."""
import pytest

from tests.browser.conftest import screenshot, seed

pytestmark = pytest.mark.browser


def test_a_volunteer_logs_in_in_vietnamese_and_switches_to_english(server, phone):
    page, watch = phone
    seed(server, lambda make: make.volunteer(make.checkpoint(make.ward("BC"), name="Chốt hẻm 12"),
                                              phone="0901234567", name="Trần Thị Mai"))
    page.goto(server.url + "/")
    assert page.locator("h1").inner_text() == "Đăng nhập"
    screenshot(page, "login-vi")

    page.get_by_label("Số điện thoại").fill("0901 234 567")
    page.get_by_label("Mật khẩu").fill("password123")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/me")
    assert page.locator("h1").inner_text() == "Ca trực của tôi"
    assert "Chốt hẻm 12" in page.content()
    screenshot(page, "my-shift-vi")

    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/me")
    assert page.locator("h1").inner_text() == "My shift"
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "my-shift-en")

    assert watch.problems == []
    assert watch.csp_violations() == []


def test_a_wrong_password_shows_the_message_next_to_the_field(server, phone):
    page, watch = phone
    seed(server, lambda make: make.user(ward=make.ward("BC"), phone="0901234567"))
    page.goto(server.url + "/login")
    page.get_by_label("Số điện thoại").fill("0901234567")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    error = page.locator("#password-errors")
    assert error.inner_text() == "Số điện thoại hoặc mật khẩu không đúng."
    screenshot(page, "login-error-vi")
    assert watch.csp_violations() == []


def test_touch_targets_are_at_least_44_px(server, phone):
    page, _watch = phone
    page.goto(server.url + "/login")
    small = page.evaluate("""() => [...document.querySelectorAll('a, button, input, select, textarea')]
        .filter(e => e.offsetParent !== null && e.type !== 'hidden')
        .map(e => e.closest('label') || e)  // a checkbox is tapped through its whole label
        .map(e => [e.outerHTML.slice(0, 60), e.getBoundingClientRect().height])
        .filter(([, h]) => h < 44)""")
    assert small == []


def test_the_page_fits_a_360_px_screen(server, phone):
    page, _watch = phone
    page.goto(server.url + "/login")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
