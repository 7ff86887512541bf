"""Page weight: the compressed bytes each main screen costs a phone, first visit and repeat visit.

Run from the project root, in the project's virtualenv (needs Debian's chromium):

    python -m bench.page_weight

It serves the app from a throwaway SQLite database filled with the demo data, in this process
(Werkzeug, threaded), and drives Debian's Chromium with Playwright at phone size. For each screen
it counts the bytes the server sent (status line, headers and bodies as sent, i.e. compressed when
the app compressed them), counted by a WSGI wrapper around the app — so requests the service worker
makes on the page's behalf are counted too, and what the worker answers from its cache is not —
separately for:

- first visit: a fresh browser profile (no HTTP cache, no service worker; logged in by carrying
  the session cookie over from another profile) opens the screen, and its service worker installs
  and precaches the shell;
- repeat visit: the same profile opening the screen again after the service worker installed,
  so static files come from its cache and only the page itself crosses the network.

Goals (issue #7): the volunteer's home under 60 KB on first visit and under 10 KB on repeat
visits. It is a report: it exits 0 whatever the numbers.
"""
from __future__ import annotations

import argparse
import tempfile
import threading
from pathlib import Path

from flask_migrate import upgrade
from werkzeug.serving import make_server

from checkpoint import create_app
from checkpoint.demo import load_demo
from checkpoint.extensions import db
from checkpoint.rules.accounts import find_by_phone
from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS, PHONE
from tests.conftest import test_config

SCREENS = [
    ("volunteer home", "0901000001", "/me"),
    ("observation form", "0901000001", "/checkpoints/{post}/observe"),
    ("checkpoint log", "0901000001", "/checkpoints/{post}/log"),
    ("login page", None, "/login"),
    ("police board", "0900000021", "/wards/BC/board"),
]
GOALS = {"volunteer home": (60_000, 10_000)}


class Meter:
    """A WSGI wrapper that adds up what the server sends."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.bytes, self.files, self.paths = 0, 0, []

    def __call__(self, environ, start_response):
        def counting_start(status, headers, exc_info=None):
            size = len(status) + 11 + sum(len(k) + len(v) + 4 for k, v in headers)
            with self.lock:
                self.bytes += size
                self.files += 1
            return start_response(status, headers, exc_info)

        sent = 0
        for chunk in self.app(environ, counting_start):
            sent += len(chunk)
            yield chunk
        with self.lock:
            self.bytes += sent
            self.paths.append((environ.get("PATH_INFO", ""), sent))


def _serve(database: str):
    app = create_app(test_config(database))
    app.config["TESTING"] = False  # measure what production sends
    with app.app_context():
        upgrade()
        load_demo()
        db.session.commit()
    meter = Meter(app.wsgi_app)
    app.wsgi_app = meter
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, server, meter, f"http://127.0.0.1:{server.server_port}"


def _settle(meter, quiet: float = 1.5, limit: float = 20.0) -> None:
    """Wait until the server has seen no request for `quiet` seconds: the service worker fetches
    ahead (precache, pages kept for offline use) outside the page's own network activity."""
    import time

    deadline = time.monotonic() + limit
    last, since = (meter.files, meter.bytes), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = (meter.files, meter.bytes)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def _log_in(page, url, phone):
    page.goto(url + "/login")
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_label("Mật khẩu").fill("demo1234")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state("networkidle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every request with its body size")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        app, server, meter, url = _serve(f"sqlite:///{Path(tmp) / 'weight.db'}")
        with app.app_context():
            post = find_by_phone("0901000001").checkpoints[0].id
        rows = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            for name, phone, path in SCREENS:
                path = path.format(post=post)
                state = None
                if phone:  # log in elsewhere and carry only the cookies over to a fresh profile
                    login_context = browser.new_context(locale="vi-VN", **PHONE)
                    _log_in(login_context.new_page(), url, phone)
                    state = login_context.storage_state()
                    login_context.close()
                context = browser.new_context(locale="vi-VN", storage_state=state, **PHONE)
                page = context.new_page()
                meter.reset()
                page.goto(url + path, wait_until="networkidle")
                page.evaluate("navigator.serviceWorker.ready.then(() => true)")
                _settle(meter)
                first = (meter.bytes, meter.files)
                if args.verbose:
                    print(name, "first:", meter.paths)
                meter.reset()
                page.goto(url + path, wait_until="networkidle")
                _settle(meter)
                repeat = (meter.bytes, meter.files)
                if args.verbose:
                    print(name, "repeat:", meter.paths)
                rows.append((name, path, first, repeat))
                context.close()
            browser.close()
        server.shutdown()

    print(f"{'screen':<18} {'first visit':>16} {'repeat visit':>16}  goal")
    for name, path, first, repeat in rows:
        goal = GOALS.get(name)
        verdict = ""
        if goal:
            ok = first[0] < goal[0] and repeat[0] < goal[1]
            verdict = f"{'PASS' if ok else 'FAIL'} (< {goal[0] // 1000} KB / < {goal[1] // 1000} KB)"
        print(f"{name:<18} {first[0] / 1000:>8.1f} KB {first[1]:>3} req {repeat[0] / 1000:>8.1f} KB {repeat[1]:>3} req  "
              f"{verdict}")


if __name__ == "__main__":
    main()
