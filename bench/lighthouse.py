"""Lighthouse 12 (mobile settings) on the login page, the volunteer's home and the police board.

Run from the project root, in the project's virtualenv (needs Node.js 20 and Debian's chromium):

    (cd bench/lighthouse && npm ci)      # once: Lighthouse 12.2.3, pinned by package-lock.json
    python -m bench.lighthouse

It serves the app from a throwaway SQLite database with the demo data (as bench/page_weight.py
does), logs in with Playwright to get each person's session cookie, and runs Lighthouse with
`CHROME_PATH=/usr/bin/chromium` and that cookie as an extra header. It prints the scores for
performance, accessibility and best practices and the audits that cost points; the full JSON
reports go to bench/data/lighthouse-*.json. Goals (issue #7): 100 for accessibility and best
practices, at least 95 for performance. It is a report: it exits 0 whatever the scores.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

from bench.page_weight import _log_in, _serve
from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS, PHONE

HERE = Path(__file__).resolve().parent
LIGHTHOUSE = HERE / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
DATA = HERE / "data"
PAGES = [("login", None, "/login"), ("volunteer-home", "0901000001", "/me"),
         ("police-board", "0900000021", "/wards/BC/board")]
CATEGORIES = ("performance", "accessibility", "best-practices")


def _cookie_header(browser, url: str, phone: str) -> str:
    context = browser.new_context(locale="vi-VN", **PHONE)
    _log_in(context.new_page(), url, phone)
    cookies = context.cookies()
    context.close()
    return "; ".join(f"{c['name']}={c['value']}" for c in cookies)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: (cd bench/lighthouse && npm ci)")
    from playwright.sync_api import sync_playwright

    DATA.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        _app, server, _meter, url = _serve(f"sqlite:///{Path(tmp) / 'lighthouse.db'}")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            cookies = {phone: _cookie_header(browser, url, phone) for _n, phone, _p in PAGES if phone}
            browser.close()
        print(f"{'page':<16} " + " ".join(f"{c:>15}" for c in CATEGORIES))
        for name, phone, path in PAGES:
            report = DATA / f"lighthouse-{name}.json"
            command = [str(LIGHTHOUSE), url + path, "--output=json", f"--output-path={report}", "--quiet",
                       "--only-categories=" + ",".join(CATEGORIES),
                       "--chrome-flags=--headless=new " + " ".join(LAUNCH_ARGS)]
            if phone:
                command.append("--extra-headers=" + json.dumps({"Cookie": cookies[phone]}))
            subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM})
            result = json.loads(report.read_text())
            scores = {c: round(result["categories"][c]["score"] * 100) for c in CATEGORIES}
            print(f"{name:<16} " + " ".join(f"{scores[c]:>15}" for c in CATEGORIES))
            for category in CATEGORIES:
                for ref in result["categories"][category]["auditRefs"]:
                    audit = result["audits"][ref["id"]]
                    if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                        print(f"    {category}: {ref['id']} ({audit['score']}) {audit.get('displayValue', '')}")
        server.shutdown()


if __name__ == "__main__":
    main()
