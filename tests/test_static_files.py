"""Static files: the same bytes for everyone, minified and compressed once (checkpoint/pwa/static.py)."""
from __future__ import annotations

import gzip
import re

import brotli
import pytest
import rjsmin

from checkpoint.config import ROOT
from checkpoint.pwa.routes import current_shell

OUTBOX_JS = (ROOT / "static/js/outbox.js").read_text(encoding="utf-8")
HTMX = (ROOT / "static/js/vendor/htmx-2.0.11.min.js").read_bytes()


def url(filename: str) -> str:
    return f"/static/{filename}?v={current_shell().fingerprints[filename]}"


def test_a_static_file_neither_varies_on_nor_sets_the_session_cookie(client, mai):
    client.login(mai.phone)
    for filename in ("js/outbox.js", "css/app.css", "icons/icon.svg", "icons/icon-192.png"):
        answer = client.get(url(filename), headers={"Accept-Encoding": "br"})
        assert answer.status_code == 200
        assert "Cookie" not in answer.headers.get("Vary", ""), filename
        assert "Set-Cookie" not in answer.headers, filename
    # A page still does: it is someone's.
    assert "Cookie" in client.get("/me").headers["Vary"]


def test_our_scripts_are_sent_minified_and_compressed_at_the_highest_level(client):
    answer = client.get(url("js/outbox.js"), headers={"Accept-Encoding": "gzip, deflate, br"})
    assert answer.headers["Content-Encoding"] == "br"
    minified = rjsmin.jsmin(OUTBOX_JS).encode()
    assert brotli.decompress(answer.get_data()) == minified
    assert len(answer.get_data()) == len(brotli.compress(minified, quality=11))
    assert len(minified) < 0.8 * len(OUTBOX_JS.encode())  # the comments and indentation are gone
    assert "Accept-Ranges" not in answer.headers
    assert answer.headers["ETag"].endswith(':min:br"')


def test_a_browser_without_brotli_gets_gzip_and_one_without_either_the_minified_file(client):
    gzipped = client.get(url("js/outbox.js"), headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gzipped.get_data()) == rjsmin.jsmin(OUTBOX_JS).encode()
    plain = client.get(url("js/outbox.js"), headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data() == rjsmin.jsmin(OUTBOX_JS).encode()
    assert int(plain.headers["Content-Length"]) == len(plain.get_data())
    assert plain.headers["ETag"] != gzipped.headers["ETag"]


def test_a_vendored_minified_file_is_sent_as_it_is(client):
    answer = client.get(url("js/vendor/htmx-2.0.11.min.js"), headers={"Accept-Encoding": "br"})
    assert brotli.decompress(answer.get_data()) == HTMX


def test_stylesheets_are_minified_too(client):
    answer = client.get(url("css/app.css"), headers={"Accept-Encoding": "br"})
    css = brotli.decompress(answer.get_data()).decode()
    assert "/*" not in css and ".category-fire .category-icon" in css


@pytest.mark.parametrize("encoding", ["br", "gzip", "identity"])
def test_asked_again_with_its_tag_a_static_file_is_a_304(client, encoding):
    first = client.get(url("js/outbox.js"), headers={"Accept-Encoding": encoding})
    again = client.get(url("js/outbox.js"), headers={"Accept-Encoding": encoding,
                                                      "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    other = "br" if encoding != "br" else "gzip"
    # The same file in another encoding is other bytes: its tag does not match.
    assert client.get(url("js/outbox.js"), headers={"Accept-Encoding": other,
                                                    "If-None-Match": first.headers["ETag"]}).status_code == 200


def test_minifying_can_be_turned_off_for_debugging(app, client):
    app.config["STATIC_MINIFY"] = False
    answer = client.get(url("js/outbox.js"), headers={"Accept-Encoding": "br"})
    assert brotli.decompress(answer.get_data()).decode() == OUTBOX_JS


def test_the_category_icons_are_drawn_from_the_stylesheet_not_fetched_one_by_one(client):
    css = (ROOT / "static/css/app.css").read_text()
    for category in ("suspicious", "theft", "disturbance", "traffic", "fire", "drugs", "property",
                     "assistance", "nuisance", "other"):
        rule = re.search(rf"\.category-{category} \.category-icon {{ background-image: url\(\"([^\"]+)\"\); }}", css)
        assert rule and rule.group(1).startswith("data:image/svg+xml,%3Csvg "), category


def test_the_service_worker_is_sent_minified(client):
    worker = client.get("/sw.js").get_data(as_text=True)
    template = (ROOT / "templates/pwa/sw.js").read_text(encoding="utf-8")
    assert "// " not in worker and len(worker) < 0.8 * len(template)
    assert 'self.addEventListener("fetch",' in worker
