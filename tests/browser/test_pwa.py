"""The installable app in a real browser: the worker, offline pages, saved pages per person, updates."""
import threading
import time

import pytest
from werkzeug.serving import make_server

from checkpoint import create_app
from tests.browser.conftest import PageWatch, screenshot, seed
from tests.conftest import test_config

pytestmark = pytest.mark.browser

IPHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True,
          "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"}


def login(page, server, phone_number, lands="**/me"):
    """As tests/browser/test_shift.py, with "keep me logged in" unticked: these tests log out, and
    logout does not yet end a remember-me cookie (the next request logs the person back in)."""
    page.goto(server.url + "/login")
    page.get_by_label("Số điện thoại").fill(phone_number)
    page.get_by_label("Mật khẩu").fill("password123")
    page.get_by_label("Giữ đăng nhập trên điện thoại này 30 ngày").uncheck()
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lands)


def eventually(check, seconds: float = 10):
    """Polls from Python: page.wait_for_function would need eval, which our CSP forbids."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return True


def worker_ready(page) -> None:
    """Waits until the worker is active (its shell precached), then reloads so that it controls the page."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")


def cache_names(page) -> list[str]:
    return page.evaluate("caches.keys()")


def shell_caches(page) -> list[str]:
    return [name for name in cache_names(page) if name.startswith("shell-")]


def page_caches(page) -> list[str]:
    return [name for name in cache_names(page) if name.startswith("pages-")]


def shows_offline_page(page) -> bool:
    return page.locator("body.offline-page").count() == 1


def volunteer_world(make):
    ward = make.ward("BC")
    post = make.checkpoint(ward, name="Chốt hẻm 12")
    make.volunteer(post, phone="0901234567", name="Trần Thị Mai")
    make.volunteer(post, phone="0901234568", name="Lê Minh Tuấn")
    make.user("police", ward=ward, phone="0900000021", name="Trần Quốc Bảo")
    return post.id


def user_key(page) -> str | None:
    meta = page.locator('meta[name="user-key"]')
    return meta.get_attribute("content") if meta.count() else None


def log_out(page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/login")


def test_the_worker_registers_and_controls_the_page_after_a_reload(server, phone):
    page, watch = phone
    page.goto(server.url + "/login")
    worker_ready(page)
    registration = page.evaluate("""navigator.serviceWorker.getRegistration().then(r =>
        ({scope: r.scope, script: r.active.scriptURL}))""")
    assert registration == {"scope": server.url + "/", "script": server.url + "/sw.js"}
    with server.app.app_context():
        from checkpoint.pwa.routes import current_shell
        assert shell_caches(page) == [f"shell-{current_shell().version}"]
    assert watch.problems == [] and watch.csp_violations() == []


def test_the_shell_comes_from_the_cache_without_a_connection(server, phone):
    page, watch = phone
    page.goto(server.url + "/login")
    worker_ready(page)
    page.context.set_offline(True)
    # The address the pages use, fingerprint included.
    status = page.evaluate("fetch(document.querySelector('link[href*=\"css/app.css\"]').href).then(r => r.status)")
    assert status == 200


def test_an_unknown_page_without_a_connection_shows_the_offline_page(server, phone):
    page, watch = phone
    page.goto(server.url + "/login")
    worker_ready(page)
    page.context.set_offline(True)
    page.goto(server.url + "/somewhere-never-visited")
    assert shows_offline_page(page)
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor") == "rgb(11, 79, 138)"
    screenshot(page, "offline-page")
    assert watch.csp_violations() == []


def test_the_offline_page_speaks_the_language_of_the_last_page_seen(server, phone):
    page, _watch = phone
    page.goto(server.url + "/login")
    worker_ready(page)
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/login")
    page.context.set_offline(True)
    page.goto(server.url + "/somewhere-never-visited")
    assert shows_offline_page(page) and page.locator("html").get_attribute("lang") == "en"


def test_the_board_is_never_kept_but_offline_it_still_shows_the_offline_page(server, phone):
    page, _watch = phone
    seed(server, volunteer_world)
    login(page, server, "0900000021", lands="**/wards/BC/board")
    worker_ready(page)
    assert page_caches(page) == []
    page.context.set_offline(True)
    page.goto(server.url + "/wards/BC/board")
    assert shows_offline_page(page)


def test_the_volunteers_shift_and_log_seen_online_can_be_read_offline_marked_as_saved(server, phone):
    page, watch = phone
    post_id = seed(server, volunteer_world)
    login(page, server, "0901234567")
    worker_ready(page)  # the reload is the visit the worker sees
    page.goto(server.url + f"/checkpoints/{post_id}/log")
    assert page.locator("#stored-copy").is_hidden()
    page.context.set_offline(True)

    page.goto(server.url + "/me")
    assert page.locator("h1").inner_text() == "Ca trực của tôi"
    assert page.locator("#stored-copy").is_visible()
    screenshot(page, "offline-saved-shift")
    page.goto(server.url + f"/checkpoints/{post_id}/log")
    assert page.locator("#stored-copy").is_visible()
    page.goto(server.url + "/")  # where the installed app starts
    assert page.url == server.url + "/me" and page.locator("#stored-copy").is_visible()
    assert watch.csp_violations() == []


def test_after_logout_the_next_person_is_never_shown_the_first_persons_saved_page(server, phone):
    page, watch = phone
    seed(server, volunteer_world)
    login(page, server, "0901234567")
    worker_ready(page)
    assert len(page_caches(page)) == 1
    log_out(page)
    assert page_caches(page) == []
    assert len(shell_caches(page)) == 1  # the shell is nobody's: the offline page must outlive a logout

    login(page, server, "0900000021", lands="**/wards/BC/board")
    page.context.set_offline(True)
    page.goto(server.url + "/me")
    assert shows_offline_page(page)
    assert user_key(page) is None
    assert watch.csp_violations() == []


def test_the_next_volunteer_on_the_phone_sees_only_their_own_saved_shift(server, phone):
    page, _watch = phone
    post_id = seed(server, volunteer_world)
    login(page, server, "0901234567")
    worker_ready(page)
    mai = user_key(page)
    page.goto(server.url + f"/checkpoints/{post_id}/log")
    log_out(page)
    login(page, server, "0901234568")
    tuan = user_key(page)
    page.context.set_offline(True)

    page.goto(server.url + "/me")
    assert page.locator("#stored-copy").is_visible()
    assert user_key(page) == tuan != mai
    page.goto(server.url + f"/checkpoints/{post_id}/log")  # Mai's copy of the log, never Tuấn's to read
    assert shows_offline_page(page)


def test_a_different_person_without_a_logout_still_never_gets_the_first_persons_pages(server, phone):
    page, _watch = phone
    seed(server, volunteer_world)
    login(page, server, "0901234567")
    worker_ready(page)
    assert eventually(lambda: len(page_caches(page)) == 1)
    mai = page_caches(page)
    page.context.clear_cookies()  # the session ended without the logout button (expired, cleared)
    login(page, server, "0901234568")
    # The worker learns who the page is for after answering it (event.waitUntil): poll, don't race.
    assert eventually(lambda: len(page_caches(page)) == 1 and page_caches(page) != mai)


def test_the_logout_message_makes_the_worker_forget_the_saved_pages(server, phone):
    page, _watch = phone
    seed(server, volunteer_world)
    login(page, server, "0901234567")
    worker_ready(page)
    assert len(page_caches(page)) == 1
    page.evaluate("""new Promise(resolve => {
        navigator.serviceWorker.controller.postMessage({type: "logout"});
        setTimeout(resolve, 300);
    })""")
    assert page_caches(page) == []
    assert len(shell_caches(page)) == 1  # the shell is nobody's and stays


class Deployment:
    """A server whose app can be replaced by a newer build without changing its address."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture
def deployment(live_server):
    database = live_server.app.config["SQLALCHEMY_DATABASE_URI"]
    deployed = Deployment(create_app(test_config(database, PWA_VERSION_SALT="release-1")))
    server = make_server("127.0.0.1", 0, deployed, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    deployed.url = f"http://127.0.0.1:{server.server_port}"
    deployed.database = database
    yield deployed
    server.shutdown()


def test_a_new_deploys_worker_takes_over_and_the_old_shell_goes(deployment, phone):
    page, watch = phone
    page.goto(deployment.url + "/login")
    worker_ready(page)
    old = deployment.app.extensions["pwa_shell"].version
    assert shell_caches(page) == [f"shell-{old}"]
    page.evaluate("window.oldWorker = navigator.serviceWorker.controller")

    deployment.app = create_app(test_config(deployment.database, PWA_VERSION_SALT="release-2"))
    new = deployment.app.extensions["pwa_shell"].version
    assert new != old
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update()).then(() => true)")
    # The new worker installs its shell, takes over at once (no waiting for tabs to close) and,
    # on activating, deletes the old shell.
    eventually(lambda: shell_caches(page) == [f"shell-{new}"])
    assert page.evaluate("""navigator.serviceWorker.getRegistration().then(r =>
        r.waiting === null && r.active === navigator.serviceWorker.controller
        && navigator.serviceWorker.controller !== window.oldWorker)""")
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    assert watch.problems == []


def test_iphones_are_told_how_to_install_until_they_dismiss_it(server, browser):
    context = browser.new_context(locale="vi-VN", **IPHONE)
    context.add_init_script("Object.defineProperty(navigator, 'standalone', {value: false})")
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(server.url + "/login")
    hint = page.locator("#install-hint")
    assert hint.is_visible()
    screenshot(page, "install-hint-iphone")
    assert hint.locator("button").bounding_box()["height"] >= 44
    hint.locator("button").click()
    assert hint.is_hidden()
    page.reload()
    assert hint.is_hidden()
    assert watch.problems == [] and watch.csp_violations() == []
    context.close()


def test_installed_iphones_and_android_phones_get_no_install_hint(server, browser, phone):
    page, _watch = phone
    page.goto(server.url + "/login")
    assert page.locator("#install-hint").is_hidden()
    context = browser.new_context(locale="vi-VN", **IPHONE)
    context.add_init_script("Object.defineProperty(navigator, 'standalone', {value: true})")
    installed = context.new_page()
    installed.goto(server.url + "/login")
    assert installed.locator("#install-hint").is_hidden()
    context.close()


def test_the_page_with_its_manifest_is_installable(server, phone):
    page, _watch = phone
    page.goto(server.url + "/login")
    manifest = page.evaluate("""fetch(document.querySelector('link[rel=manifest]').href)
        .then(r => r.json())""")
    assert manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert page.evaluate(f"fetch({icon['src']!r}).then(r => r.ok)")
