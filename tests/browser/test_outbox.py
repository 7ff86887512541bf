"""The phone's outbox in a real browser: offline entries, resends, refusals, expired sessions, shared phones."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from checkpoint import create_app
from checkpoint.extensions import db
from checkpoint.models import Attendance, Observation, User
from tests.browser.conftest import PHONE, PageWatch, screenshot, seed
from tests.browser.test_pwa import (deployment, eventually, login, shell_caches, user_key,  # noqa: F401
                                    worker_ready)
from tests.conftest import test_config
from tests.factories import jpeg_bytes

pytestmark = pytest.mark.browser

MAI, TUAN = "0901234567", "0901234568"
KEPT = """async (path) => {
    for (const name of await caches.keys()) {
        if (name.startsWith("pages-") && await (await caches.open(name)).match(path)) return true;
    }
    return false;
}"""


def world(make):
    ward = make.ward("BC")
    post = make.checkpoint(ward, "C01", name="Chốt hẻm 12")
    make.volunteer(post, phone=MAI, name="Trần Thị Mai")
    make.volunteer(post, phone=TUAN, name="Lê Minh Tuấn")
    return post.id


def count(server, model, **where) -> int:
    with server.app.app_context():
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalar(query)


def user_id(server, phone: str) -> int:
    with server.app.app_context():
        return db.session.scalar(select(User.id).where(User.phone == phone))


def ready_offline(page, server, post_id) -> None:
    """Logged in, the worker in control, and the log form kept for offline use (fetched ahead by the
    worker when "My shift" was shown, without the volunteer ever opening it)."""
    worker_ready(page)
    eventually(lambda: page.evaluate(KEPT, f"/checkpoints/{post_id}/observe"))


def script_errors(watch) -> list[str]:
    """What went wrong in our scripts; the browser's own notes on requests refused offline do not count."""
    return [problem for problem in watch.problems if "Failed to load resource" not in problem]


def badge(page):
    return page.locator("#outbox-badge")


def arrives(server, phone_number: str, n: int = 1) -> None:
    """Waits until the server has the person's observations: the badge starts hidden on every page
    load, so its being hidden says nothing until the outbox has been read."""
    eventually(lambda: count(server, Observation, author_id=user_id(server, phone_number)) == n, 20)


def observe(page, category: str, text: str, photo=None) -> None:
    """Fill in and send the log form; wait until the phone has it (sent or waiting)."""
    page.locator(f"label.category-{category}").click()
    page.get_by_label("Bạn đã thấy gì?").fill(text)
    if photo:
        page.get_by_label("Ảnh (không bắt buộc)").set_input_files(str(photo))
        page.wait_for_selector('input[type=file][data-shrink="done"]', state="attached")
    page.get_by_role("button", name="Gửi", exact=True).click()


def queued(page) -> None:
    page.locator("[data-outbox-note]", has_text="Đã lưu trên điện thoại").wait_for()


def test_offline_a_check_in_and_three_observations_wait_then_arrive_exactly_once(server, phone, tmp_path):
    page, watch = phone
    server.app.config["PHOTO_DIR"] = str(tmp_path / "photos")
    post_id = seed(server, world)
    camera = tmp_path / "camera.jpg"
    camera.write_bytes(jpeg_bytes(2400, 1800))
    login(page, server, MAI)
    ready_offline(page, server, post_id)
    page.context.set_offline(True)

    page.get_by_role("button", name="Vào ca").click()
    page.get_by_text("Đã vào ca. Chờ gửi.").wait_for()
    screenshot(page, "outbox-checked-in-waiting")
    page.get_by_role("link", name="Ghi nhận").first.click()  # the kept form, offline
    page.wait_for_url(f"**/checkpoints/{post_id}/observe")
    observe(page, "theft", "Mất trộm xe đạp trước nhà số 5")
    queued(page)
    observe(page, "suspicious", "Xe máy không biển số chạy qua lại", photo=camera)
    queued(page)
    observe(page, "nuisance", "Hát karaoke quá 22 giờ")
    queued(page)
    page.reload()  # still offline: the page and the outbox both come from the phone

    page.get_by_text("Các mục đang chờ").click()
    waiting = page.locator("[data-outbox-list] .outbox-item")
    assert waiting.count() == 4 and badge(page).inner_text().split()[0] == "4"
    assert [line.split(" ·")[0] for line in waiting.locator("[data-what]").all_inner_texts()] == [
        "Vào ca", "Ghi nhận", "Ghi nhận", "Ghi nhận"]
    assert "có ảnh" in waiting.nth(2).inner_text()
    screenshot(page, "outbox-waiting")
    assert count(server, Observation) == 0

    page.context.set_offline(False)  # the connection returns: sent without a tap
    badge(page).wait_for(state="hidden", timeout=20000)
    assert count(server, Observation, author_id=user_id(server, MAI)) == 3
    assert count(server, Attendance) == 1
    with server.app.app_context():
        with_photo = db.session.scalars(select(Observation).where(Observation.photo_uuid.is_not(None))).one()
        assert with_photo.photo is not None and with_photo.text.startswith("Xe máy")
    assert watch.csp_violations() == [] and script_errors(watch) == []


def test_an_urgent_alert_without_a_connection_waits_and_offers_the_emergency_numbers(server, phone):
    page, watch = phone
    post_id = seed(server, world)
    login(page, server, MAI)
    ready_offline(page, server, post_id)
    page.context.set_offline(True)
    page.goto(server.url + "/urgent")  # kept for offline use too
    page.get_by_role("button", name="Gửi báo khẩn").click()  # the countdown runs, then the outbox takes it
    after = page.locator("[data-outbox-after]")
    after.get_by_text("Không có mạng: báo khẩn đang chờ").wait_for(timeout=15000)
    assert after.get_by_role("link", name="113 · Công an").get_attribute("href") == "tel:113"
    page.context.set_offline(False)
    eventually(lambda: count(server, Observation, severity="urgent", text="Báo khẩn") == 1, 20)
    badge(page).wait_for(state="hidden")
    assert watch.csp_violations() == [] and script_errors(watch) == []


def test_a_batch_stored_by_the_server_but_never_answered_is_sent_again_without_duplicates(server, browser):
    # No worker here: the outbox does not need one, and request interception works only without it.
    context = browser.new_context(locale="vi-VN", service_workers="block", **PHONE)
    page = context.new_page()
    watch = PageWatch(page)
    post_id = seed(server, world)
    login(page, server, MAI)
    page.goto(server.url + f"/checkpoints/{post_id}/observe")
    dropped = []

    def stored_then_dropped(route):
        route.fetch()  # the server stores the batch and answers...
        dropped.append(route.request.url)
        route.abort("connectionreset")  # ...but the answer never reaches the phone

    page.route("**/api/v1/sync", stored_then_dropped)
    observe(page, "theft", "Mất trộm xe đạp trước nhà số 5")
    queued(page)
    assert dropped and count(server, Observation) == 1
    assert page.locator("[data-outbox-list] .outbox-item").count() == 1

    page.unroute("**/api/v1/sync")
    page.get_by_role("button", name="Gửi lại").click()
    badge(page).wait_for(state="hidden")
    assert count(server, Observation) == 1
    assert script_errors(watch) == []
    context.close()


def test_an_entry_the_server_refuses_is_shown_with_its_reason_and_can_be_discarded(server, phone):
    page, watch = phone
    post_id = seed(server, world)
    login(page, server, MAI)
    page.goto(server.url + f"/checkpoints/{post_id}/observe")
    page.context.set_offline(True)
    observe(page, "theft", "Mất trộm xe đạp trước nhà số 5")
    queued(page)
    with server.app.app_context():  # meanwhile, the team leader takes Mai off the checkpoint
        mai = db.session.scalar(select(User).where(User.phone == MAI))
        mai.checkpoints.clear()
        db.session.commit()

    page.context.set_offline(False)
    refused = page.locator("[data-outbox-rejected] .outbox-item")
    refused.wait_for()
    assert "Bạn không phải tổ viên của chốt này." in refused.locator("[data-reason]").inner_text()
    assert "Mất trộm xe đạp" in refused.inner_text()
    assert badge(page).is_visible()
    screenshot(page, "outbox-refused")
    page.once("dialog", lambda dialog: dialog.accept())
    refused.get_by_role("button", name="Bỏ").click()
    badge(page).wait_for(state="hidden")
    assert count(server, Observation) == 0
    assert watch.csp_violations() == [] and script_errors(watch) == []


def test_a_refused_entry_can_be_corrected_in_its_form_and_sent_again(server, phone):
    page, watch = phone
    post_id = seed(server, world)
    login(page, server, MAI)
    page.goto(server.url + f"/checkpoints/{post_id}/observe")
    day, time = page.get_by_label("Ngày"), page.get_by_label("Giờ (24 giờ)")
    today, now = day.input_value(), time.input_value()
    page.context.set_offline(True)
    page.locator("label.category-property").click()
    page.get_by_label("Bạn đã thấy gì?").fill("Nhặt được ví da màu nâu")
    day.select_option(index=7)  # a week ago, before midnight: too old for the server
    time.fill("00:00")
    page.get_by_role("button", name="Gửi", exact=True).click()
    queued(page)
    page.context.set_offline(False)
    refused = page.locator("[data-outbox-rejected] .outbox-item")
    refused.wait_for()

    refused.get_by_role("link", name="Sửa").click()
    # The form is filled from the phone's store after the link is followed: wait for it.
    expect(page.get_by_label("Bạn đã thấy gì?")).to_have_value("Nhặt được ví da màu nâu")
    expect(page.locator("input[name=category][value=property]")).to_be_checked()
    expect(page.locator("form [data-outbox-error]")).to_contain_text("7 ngày")
    day.select_option(today)
    time.fill(now)
    page.get_by_role("button", name="Gửi", exact=True).click()
    page.wait_for_url(f"**/checkpoints/{post_id}/log")  # sent: on to the log, as the plain form goes
    assert "Nhặt được ví da màu nâu" in page.locator(".entry-observation").first.inner_text()
    assert badge(page).is_hidden() and count(server, Observation) == 1
    assert watch.csp_violations() == [] and script_errors(watch) == []


def test_after_the_session_expired_offline_the_entries_arrive_under_the_same_person_once_logged_in(server, phone):
    page, watch = phone
    post_id = seed(server, world)
    login(page, server, MAI)
    ready_offline(page, server, post_id)
    page.context.set_offline(True)
    page.goto(server.url + f"/checkpoints/{post_id}/observe")
    observe(page, "theft", "Mất trộm xe đạp trước nhà số 5")
    queued(page)
    page.context.clear_cookies()  # the session ends while the phone has no connection

    page.context.set_offline(False)
    again = page.get_by_role("link", name="Đăng nhập lại để gửi")
    again.wait_for()
    assert "Phiên đăng nhập đã hết" in page.locator("[data-outbox-status]").inner_text()
    assert count(server, Observation) == 0
    again.click()
    page.get_by_label("Số điện thoại").fill(MAI)
    page.get_by_label("Mật khẩu").fill("password123")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"**/checkpoints/{post_id}/observe")
    arrives(server, MAI)
    badge(page).wait_for(state="hidden")
    assert watch.csp_violations() == [] and script_errors(watch) == []


def test_the_next_person_on_the_phone_sees_nothing_of_the_first_ones_queue_or_pages(server, phone):
    page, _watch = phone
    post_id = seed(server, world)
    login(page, server, MAI)
    ready_offline(page, server, post_id)
    mai_key = user_key(page)
    page.goto(server.url + f"/checkpoints/{post_id}/log")  # kept for Mai
    page.route("**/api/v1/**", lambda route: route.abort())  # the server cannot be reached
    page.goto(server.url + f"/checkpoints/{post_id}/observe")
    observe(page, "theft", "Mất trộm xe đạp trước nhà số 5")
    queued(page)
    assert badge(page).is_visible()

    warnings = []
    page.once("dialog", lambda dialog: (warnings.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Đăng xuất").click()
    assert "Còn 1 mục chưa gửi" in warnings[0] and page.url.endswith("/observe")  # stayed
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/login")
    page.unroute("**/api/v1/**")

    login(page, server, TUAN)
    assert badge(page).is_hidden() and page.locator("#outbox").is_hidden()
    page.goto(server.url + f"/checkpoints/{post_id}/log")
    assert page.locator("[data-outbox-log]").is_hidden()
    page.context.set_offline(True)
    for path in (f"/checkpoints/{post_id}/observe", f"/checkpoints/{post_id}/log", "/me"):
        page.goto(server.url + path)  # Tuấn's own kept copy, or the offline page: never Mai's
        assert user_key(page) != mai_key and badge(page).is_hidden()
    page.context.set_offline(False)
    assert count(server, Observation) == 0  # nothing went as Tuấn

    page.goto(server.url + "/me")
    page.get_by_role("button", name="Đăng xuất").click()  # nothing waits for Tuấn: no question
    page.wait_for_url("**/login")
    login(page, server, MAI)
    arrives(server, MAI)
    badge(page).wait_for(state="hidden")


def test_entries_waiting_on_the_phone_survive_a_new_deploys_worker(server, deployment, phone):  # noqa: F811
    page, watch = phone
    post_id = seed(server, world)
    login(page, deployment, MAI)
    ready_offline(page, deployment, post_id)
    page.context.set_offline(True)
    page.goto(deployment.url + f"/checkpoints/{post_id}/observe")
    observe(page, "theft", "Mất trộm xe đạp trước nhà số 5")
    queued(page)
    page.context.clear_cookies()  # not sent before the update: the session is gone
    page.context.set_offline(False)
    page.get_by_role("link", name="Đăng nhập lại để gửi").wait_for()

    deployment.app = create_app(test_config(deployment.database, PWA_VERSION_SALT="release-2"))
    new = deployment.app.extensions["pwa_shell"].version
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update()).then(() => true)")
    eventually(lambda: shell_caches(page) == [f"shell-{new}"])
    login(page, deployment, MAI)
    arrives(server, MAI)
    badge(page).wait_for(state="hidden")
    assert script_errors(watch) == []
