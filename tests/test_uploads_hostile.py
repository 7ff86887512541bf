"""Upload attacks end to end, through the photo API and the observation form.

The decoding rules are tested in tests/test_rules_photos.py; here the question is what reaches
the database, the photo folder and other people's browsers: polyglots, SVG with script, bombs
(pixels and compressed metadata), zero bytes, lying names and types.
"""
from __future__ import annotations

import io
import struct
import time
import uuid
import zlib

import pytest
from PIL import Image

from checkpoint.models import Observation, Photo
from tests.dbstate import changed, fingerprint

PHOTOS = "/api/v1/photos"
ZIP_PAYLOAD = (b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + b"\x00" * 16 + b"\x0b\x00\x00\x00evil.html"
               + b"<script>alert(document.cookie)</script>" + b"PK\x05\x06" + b"\x00" * 18)
SCRIPT = b"<script>alert(document.cookie)</script>"


def image_bytes(fmt: str = "JPEG", size=(64, 48), color=(200, 30, 30), **params) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **params)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_chunk(kind: bytes, data: bytes) -> bytes:
    """A real 8×8 PNG with one more chunk before its end."""
    raw = image_bytes("PNG", size=(8, 8))
    end = raw.rindex(b"IEND") - 4
    return raw[:end] + png_chunk(kind, data) + raw[end:]


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="48" onload="alert(1)">'
       + SCRIPT + b'<rect width="64" height="48" fill="red"/></svg>')
POLYGLOTS = {
    "jpeg with a zip (html inside) appended": image_bytes() + ZIP_PAYLOAD,
    "jpeg with script in its comment": image_bytes(comment=SCRIPT),
    "gif followed by javascript": image_bytes("GIF", size=(16, 16)) + b"\n*/" + SCRIPT,
    "png with script in a text chunk": png_with_chunk(b"tEXt", b"Comment\x00" + SCRIPT),
    "png with html after its end": image_bytes("PNG", size=(8, 8)) + b"<html><body>" + SCRIPT + b"</body></html>",
}
REFUSED = {
    "svg with script": SVG,
    "svg with script named .jpg": SVG,
    "html named .jpg": b"<!doctype html><html><body>" + SCRIPT + b"</body></html>",
    "zip": ZIP_PAYLOAD,
    "pdf": b"%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF\n",
    "zero bytes": b"",
    "pixel bomb (50 megapixels in kilobytes)": None,  # made lazily: building it costs a moment
    "jpeg header claiming 65000 × 65000": None,
}


def pixel_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (8000, 6250)).save(out, "PNG")
    return out.getvalue()


def huge_header_jpeg() -> bytes:
    raw = bytearray(image_bytes(size=(8, 8)))
    sof = raw.index(b"\xff\xc0")
    raw[sof + 5:sof + 9] = struct.pack(">HH", 65000, 65000)
    return bytes(raw)


def refused_content(name: str) -> bytes:
    return {"pixel bomb (50 megapixels in kilobytes)": pixel_bomb,
            "jpeg header claiming 65000 × 65000": huge_header_jpeg}.get(name, lambda: REFUSED[name])()


@pytest.fixture
def photo_dir(app, tmp_path):
    app.config["PHOTO_DIR"] = str(tmp_path)
    return tmp_path


@pytest.fixture
def phone(client, mai, photo_dir):
    client.login(mai.phone)
    return client


def upload(client, content: bytes, filename: str = "photo.jpg", content_type: str = "image/jpeg",
           photo_uuid: str | None = None):
    photo_uuid = photo_uuid or str(uuid.uuid4())
    return client.post(PHOTOS, data={"uuid": photo_uuid, "photo": (io.BytesIO(content), filename, content_type)},
                       headers={"X-CSRFToken": client.csrf_token()}, content_type="multipart/form-data")


# ------------------------------------------------------------------ refused outright


@pytest.mark.parametrize("name", REFUSED)
def test_a_hostile_file_is_refused_by_the_api_and_leaves_nothing(phone, photo_dir, name):
    before = fingerprint()
    response = upload(phone, refused_content(name), filename="photo.svg" if name == "svg with script" else "photo.jpg")
    assert response.status_code == 422 and response.json["status"] == "rejected"
    assert changed(before, fingerprint()) == {} and list(photo_dir.iterdir()) == []


@pytest.mark.parametrize("name", REFUSED)
def test_a_hostile_file_in_the_observation_form_stores_neither_photo_nor_observation(phone, post, photo_dir, name):
    before = fingerprint()
    response = phone.post_form(f"/checkpoints/{post.id}/observe",
                               {"uuid": str(uuid.uuid4()), "category": "theft", "severity": "info", "text": "Mất xe",
                                "photo": (io.BytesIO(refused_content(name)), "photo.jpg")},
                               content_type="multipart/form-data")
    assert response.status_code < 500
    assert changed(before, fingerprint()) == {} and list(photo_dir.iterdir()) == []


def test_a_pixel_bomb_is_refused_before_it_is_decoded(phone):
    bomb = pixel_bomb()
    started = time.perf_counter()
    response = upload(phone, bomb, filename="bomb.png", content_type="image/png")
    assert response.json["code"] == "photo_too_many_pixels" and time.perf_counter() - started < 2


def test_a_png_whose_metadata_inflates_to_a_hundred_megabytes_is_harmless(phone, photo_dir):
    # zTXt: a compressed text chunk; 100 MB of zeros compress to about 100 kB.
    bomb = png_with_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"\0" * 100_000_000, 9))
    started = time.perf_counter()
    response = upload(phone, bomb, filename="meta.png", content_type="image/png")
    assert response.status_code in (201, 422) and time.perf_counter() - started < 5
    if response.status_code == 201:  # Pillow skipped the chunk: the stored photo carries none of it
        stored = next(photo_dir.iterdir()).read_bytes()
        assert stored[:3] == b"\xff\xd8\xff" and len(stored) < 10_000


# ------------------------------------------------------------------ polyglots: redrawn, payload gone


@pytest.mark.parametrize("name", POLYGLOTS)
def test_a_polyglot_is_stored_only_as_freshly_drawn_pixels(phone, photo_dir, name):
    response = upload(phone, POLYGLOTS[name])
    assert response.status_code in (201, 422)
    if response.status_code == 201:
        stored = next(photo_dir.iterdir()).read_bytes()
        assert stored[:3] == b"\xff\xd8\xff"
        assert b"<script" not in stored and b"PK\x03\x04" not in stored and b"<html" not in stored


@pytest.mark.parametrize("name", POLYGLOTS)
def test_a_polyglot_is_served_back_as_a_jpeg_that_browsers_may_not_sniff(phone, photo_dir, name):
    photo_uuid = str(uuid.uuid4())
    if upload(phone, POLYGLOTS[name], photo_uuid=photo_uuid).status_code != 201:
        pytest.skip("refused outright, which is as good")
    response = phone.get(f"/photos/{photo_uuid}.jpg")
    assert response.mimetype == "image/jpeg" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert SCRIPT not in response.get_data()


# ------------------------------------------------------------------ names and types lie


def test_the_declared_type_and_name_do_not_matter_only_the_bytes(phone, photo_dir):
    photo_uuid = str(uuid.uuid4())
    response = upload(phone, image_bytes(), filename="../../static/js/app.js", content_type="image/svg+xml",
                      photo_uuid=photo_uuid)
    assert response.status_code == 201
    assert [p.name for p in photo_dir.iterdir()] == [f"{photo_uuid}.jpg"]


@pytest.mark.parametrize("bad_uuid", ["../../etc/passwd", "..%2F..%2Fapp", "/tmp/x", "\0", "𝟙" * 36,
                                      "00000000-0000-0000-0000-000000000001/../../x"])
def test_a_uuid_that_is_really_a_path_is_refused(phone, photo_dir, bad_uuid):
    response = upload(phone, image_bytes(), photo_uuid=bad_uuid)
    assert response.status_code == 422 and response.json["code"] == "bad_uuid"
    assert list(photo_dir.iterdir()) == []


def test_two_files_in_one_upload_store_at_most_one_photo(phone, photo_dir):
    response = phone.post(PHOTOS, data={"uuid": str(uuid.uuid4()),
                                        "photo": [(io.BytesIO(image_bytes()), "a.jpg"), (io.BytesIO(SVG), "b.svg")]},
                          headers={"X-CSRFToken": phone.csrf_token()}, content_type="multipart/form-data")
    assert response.status_code in (201, 422)
    assert Photo.query.count() <= 1 and len(list(photo_dir.iterdir())) <= 1


def test_a_refused_upload_in_the_form_keeps_no_observation_either(phone, post, photo_dir):
    phone.post_form(f"/checkpoints/{post.id}/observe",
                    {"uuid": str(uuid.uuid4()), "category": "theft", "severity": "info", "text": "Mất xe",
                     "photo": (io.BytesIO(SVG), "photo.jpg", "image/jpeg")}, content_type="multipart/form-data")
    assert Observation.query.count() == 0
