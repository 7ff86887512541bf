"""Responses are compressed by the app (brotli or gzip), static files and the service worker included."""
from __future__ import annotations

import gzip

import brotli
import pytest

GZIP = {"Accept-Encoding": "gzip"}
BR = {"Accept-Encoding": "br"}
CHROME = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def unpacked(response) -> str:
    data = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":
        data = gzip.decompress(data)
    elif encoding == "br":
        data = brotli.decompress(data)
    return data.decode()


def test_a_page_asked_for_with_gzip_comes_back_gzipped(client):
    response = client.get("/login", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert '<meta name="csrf-token"' in unpacked(response)


def test_a_browser_that_takes_brotli_gets_brotli(client):
    response = client.get("/login", headers=CHROME)
    assert response.headers["Content-Encoding"] == "br" and "</html>" in unpacked(response)


def test_compression_makes_the_page_smaller(client):
    plain = len(client.get("/login").get_data())
    assert len(client.get("/login", headers=BR).get_data()) < plain / 2


def test_a_client_that_asks_for_nothing_gets_the_plain_page(client):
    response = client.get("/login")
    assert "Content-Encoding" not in response.headers and "</html>" in response.get_data(as_text=True)


def test_compressed_answers_tell_caches_they_vary_by_encoding(client):
    assert "Accept-Encoding" in client.get("/login", headers=GZIP).headers["Vary"]


def test_a_logged_in_page_is_compressed(client, mai):
    client.login(mai.phone)
    response = client.get("/me", headers=GZIP)
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert "Đăng xuất" in unpacked(response)  # the logout button: a logged-in page


def test_the_service_worker_is_compressed(client):
    response = client.get("/sw.js", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip" and "PRECACHE" in unpacked(response)


@pytest.mark.parametrize("path", ["/static/css/app.css", "/static/js/app.js", "/static/js/vendor/htmx-2.0.11.min.js",
                                  "/static/css/board.css", "/manifest.webmanifest"])
@pytest.mark.parametrize("headers, encoding", [(GZIP, "gzip"), (BR, "br")])
def test_static_files_are_compressed(client, path, headers, encoding):
    response = client.get(path, headers=headers)
    assert response.status_code == 200 and response.headers["Content-Encoding"] == encoding
    assert len(unpacked(response)) > len(response.get_data())


def test_a_compressed_static_file_still_answers_304_when_unchanged(client):
    etag = client.get("/static/css/app.css", headers=GZIP).headers["ETag"]
    assert client.get("/static/css/app.css", headers={**GZIP, "If-None-Match": etag}).status_code == 304


def test_sync_answers_are_compressed_json(client, mai):
    from tests.test_api_sync import new_uuid
    client.login(mai.phone)
    items = [{"uuid": new_uuid(), "kind": "nonsense"} for _ in range(20)]
    response = client.post("/api/v1/sync", json={"items": items},
                           headers={"X-CSRFToken": client.csrf_token(), **GZIP})
    assert response.headers["Content-Encoding"] == "gzip" and '"rejected"' in unpacked(response)


@pytest.mark.parametrize("path", ["/healthz", "/static/icons/icon.svg"])
def test_tiny_answers_are_not_compressed(client, path):
    # Under COMPRESS_MIN_SIZE (500 bytes) the encoding headers would outweigh the saving.
    assert "Content-Encoding" not in client.get(path, headers=GZIP).headers


def test_photos_are_not_compressed_again(client, make, post, mai, tmp_path, app):
    app.config["PHOTO_DIR"] = str(tmp_path)
    photo = make.photo(mai)
    client.login(mai.phone)
    response = client.get(f"/photos/{photo.uuid}.jpg", headers=GZIP)
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
