"""A real server in a thread and Debian's Chromium driven by Playwright, at phone size."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from checkpoint import create_app
from checkpoint.extensions import db
from tests.conftest import IN_CI, empty_all_tables, test_config

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENS = Path(__file__).parent / "screens"
# A Pixel 5, narrowed to the 360 px the screens are designed for.
PHONE = {"viewport": {"width": 360, "height": 780}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 11; Pixel 5) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/120.0.0.0 Mobile Safari/537.36"}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (make test does when it can)"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app, url):
        self.app, self.url = app, url


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    app = create_app(test_config(url))
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()


@pytest.fixture
def server(live_server):
    """The live server with an empty database after each test."""
    yield live_server
    with live_server.app.app_context():
        empty_all_tables()


class PageWatch:
    """Collects console errors, uncaught exceptions and CSP violations of a page."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"exception: {e}"))
        page.add_init_script(path=str(Path(__file__).parent / "csp_watch.js"))
        self.page = page

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations || []")


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="vi-VN", **PHONE)
    page = context.new_page()
    watch = PageWatch(page)
    yield page, watch
    context.close()


def screenshot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def seed(server, build):
    """Run `build(make)` in the live server's app and return what it returns."""
    from tests.factories import Factory

    with server.app.app_context():
        result = build(Factory())
        db.session.commit()
        return result
