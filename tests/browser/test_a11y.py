"""Accessibility in a real browser: axe-core on every main screen, at phone and desk size.

axe-core is vendored (tests/browser/vendor, MPL-2.0) so the suite needs no network. It is
evaluated through the DevTools protocol, which the page's CSP does not govern."""
from pathlib import Path

import pytest

from checkpoint.demo import load_demo
from checkpoint.rules.accounts import find_by_phone, find_ward
from tests.browser.conftest import PHONE, seed

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text(encoding="utf-8")
DESK = {"viewport": {"width": 1280, "height": 900}}
SIZES = {"phone": PHONE, "desk": DESK}
# Every main screen of each role, as the demo data set fills them (PRODUCT §4).
SCREENS = {
    "0901000001": ["/login", "/me", "/me/shifts", "/urgent", "/account/password"],
    "0900000011": ["/wards/BC", "/wards/BC/roster", "/wards/BC/roster/{bc}", "/wards/BC/roster/print",
                   "/wards/BC/checkpoints", "/wards/BC/checkpoints/new", "/wards/BC/checkpoints/{bc}",
                   "/wards/BC/people", "/wards/BC/people/new", "/wards/BC/people/import", "/wards/BC/attendance"],
    "0900000021": ["/wards/BC/board", "/wards/BC/history", "/wards/BC/report", "/audit"],
    "0900000001": ["/admin/wards", "/admin/wards/new", "/admin/people", "/admin/people/new", "/audit"],
}
# Screens under the volunteer's own checkpoint; {post} is its id.
POSTED = {"0901000001": ["/checkpoints/{post}/observe", "/checkpoints/{post}/log"]}


def _violations(page) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    return [f"{page.url}: {v}" for v in found]


def _log_in(page, server, phone_number):
    page.goto(server.url + "/login")
    page.get_by_label("Số điện thoại").fill(phone_number)
    page.get_by_label("Mật khẩu").fill("demo1234")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("person", SCREENS)
def test_no_serious_accessibility_violations(server, browser, person, size):
    def world(make):
        load_demo()
        own = find_by_phone(person).checkpoints
        return (own[0].id if own else None), find_ward("BC").checkpoints[0].id

    post, bc = seed(server, world)
    context = browser.new_context(locale="vi-VN", **SIZES[size])
    page = context.new_page()
    problems = []
    try:
        page.goto(server.url + "/login")
        problems += _violations(page)
        _log_in(page, server, person)
        for path in [p.format(bc=bc) for p in SCREENS[person] if p != "/login"] + [
                p.format(post=post) for p in POSTED.get(person, [])]:
            response = page.goto(server.url + path)
            assert response is not None and response.ok, f"{path} answered {response and response.status}"
            problems += _violations(page)
    finally:
        context.close()
    assert problems == []
