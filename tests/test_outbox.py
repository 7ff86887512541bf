"""The server's side of the phone's outbox: whose session it is, whose items, and what pages give the script."""
from __future__ import annotations

import html
import io
import json
import re
import uuid as uuidlib
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from checkpoint.extensions import db
from checkpoint.models import Observation, Photo
from checkpoint.pwa.routes import user_key
from tests.factories import jpeg_bytes

SESSION = "/api/v1/session"
SYNC = "/api/v1/sync"
PHOTOS = "/api/v1/photos"
WORDS_URL = re.compile(r'<script src="(/outbox-words\.js\?[^"]+)"')
WORDS = re.compile(r'^"use strict";\nself\.OutboxConfig = (.*);\n$', re.S)
USER_KEY = re.compile(r'<meta name="user-key" content="([0-9a-f]+)">')


@pytest.fixture
def tuan(make, post):
    return make.volunteer(post, phone="0901234568", name="Lê Minh Tuấn")


def observation(text: str = "Hai người lạ đứng lâu trước nhà số 12.") -> dict:
    return {"uuid": str(uuidlib.uuid4()), "kind": "observation", "checkpoint": "C01", "category": "suspicious",
            "severity": "attention", "text": text, "occurred_at": datetime.now(timezone.utc).isoformat()}


def observations() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Observation))


def outbox_config(client, page: str) -> dict:
    """What the page's outbox script is given: the words script the page loads, read as JSON."""
    script = client.get(html.unescape(WORDS_URL.search(page).group(1))).get_data(as_text=True)
    return json.loads(WORDS.match(script).group(1))


def test_the_session_says_whose_it_is_with_the_key_the_pages_carry(client, mai):
    client.login(mai.phone)
    page_key = USER_KEY.search(client.get("/me").get_data(as_text=True)).group(1)
    answer = client.get(SESSION)
    assert answer.status_code == 200 and answer.json["user_key"] == page_key
    assert answer.headers["Cache-Control"].endswith("no-store")


def test_the_sessions_token_is_good_for_sending(client, mai):
    client.login(mai.phone)
    token = client.get(SESSION).json["csrf_token"]
    response = client.post(SYNC, json={"items": [observation()]}, headers={"X-CSRFToken": token})
    assert response.json["results"][0]["status"] == "accepted"


def test_without_a_session_the_phone_is_told_to_log_in_again_not_redirected(client, mai):
    response = client.get(SESSION)
    assert response.status_code == 401 and response.json["error"] == "login_required"


def test_items_queued_by_someone_else_are_refused_whole_and_nothing_is_stored(app, client, mai, tuan):
    client.login(tuan.phone)
    response = client.post(SYNC, json={"items": [observation()]},
                           headers={"X-CSRFToken": client.csrf_token(), "X-Outbox-Person": user_key(mai)})
    assert (response.status_code, response.json["error"]) == (409, "other_person")
    assert observations() == 0


def test_items_queued_by_the_person_logged_in_are_applied(client, mai):
    client.login(mai.phone)
    response = client.post(SYNC, json={"items": [observation()]},
                           headers={"X-CSRFToken": client.csrf_token(), "X-Outbox-Person": user_key(mai)})
    assert response.json["results"][0]["status"] == "accepted" and observations() == 1


def test_a_photo_queued_by_someone_else_is_refused(app, client, mai, tuan, tmp_path):
    app.config["PHOTO_DIR"] = str(tmp_path)
    client.login(tuan.phone)
    response = client.post(PHOTOS, data={"uuid": str(uuidlib.uuid4()), "photo": (io.BytesIO(jpeg_bytes()), "a.jpg")},
                           headers={"X-CSRFToken": client.csrf_token(), "X-Outbox-Person": user_key(mai)})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0


def test_the_same_batch_sent_twice_stores_each_item_once(client, mai):
    client.login(mai.phone)
    batch = {"items": [observation("một"), observation("hai"), observation("ba")]}
    headers = {"X-CSRFToken": client.csrf_token(), "X-Outbox-Person": user_key(mai)}
    client.post(SYNC, json=batch, headers=headers)
    again = client.post(SYNC, json=batch, headers=headers)
    assert [r["status"] for r in again.json["results"]] == ["duplicate"] * 3 and observations() == 3


def test_duty_pages_give_the_script_its_words_in_vietnamese(client, mai):
    client.login(mai.phone)
    config = outbox_config(client, client.get("/me").get_data(as_text=True))
    assert config["text"]["waiting"] == "chờ gửi"
    assert config["kinds"]["check_in"] == "Vào ca"
    assert config["urls"] == {"sync": SYNC, "photos": PHOTOS, "session": SESSION, "login": "/login", "home": "/me"}
    assert config["utcOffsetMinutes"] == 420


def test_the_scripts_words_follow_the_persons_language(client, make, post):
    make.volunteer(post, phone="0901234569", locale="en")
    client.login("0901234569")
    assert outbox_config(client, client.get("/me").get_data(as_text=True))["text"]["waiting"] == "waiting to send"


def test_the_words_are_one_file_per_language_kept_a_year_and_by_the_worker(client, mai):
    client.login(mai.phone)
    page = client.get("/me").get_data(as_text=True)
    url = html.unescape(WORDS_URL.search(page).group(1))
    assert "outbox-config" not in page  # not in every page: once, in a file the phone keeps
    answer = client.get(url)
    assert answer.status_code == 200 and answer.mimetype == "text/javascript"
    assert "immutable" in answer.headers["Cache-Control"] and "Cookie" not in answer.headers.get("Vary", "")
    assert "Set-Cookie" not in answer.headers and "Content-Security-Policy" not in answer.headers
    assert client.get(url, headers={"If-None-Match": answer.headers["ETag"]}).status_code == 304
    # An old or missing fingerprint: the current words, but asked again next time.
    assert client.get("/outbox-words.js?lang=vi&v=0000000000").headers["Cache-Control"] == "no-cache"
    assert client.get("/outbox-words.js?lang=xx").status_code == 404
    worker = client.get("/sw.js").get_data(as_text=True)
    precache = json.loads(re.search(r"const PRECACHE\s*=\s*(\[.*?\]);", worker).group(1))
    words = [entry for entry in precache if entry.startswith("/outbox-words.js")]
    assert url in precache and len(words) == 2  # both languages, as the offline page


def test_the_words_file_changes_its_address_when_a_word_changes(client, mai, monkeypatch):
    from checkpoint.volunteer import outbox
    client.login(mai.phone)
    before = WORDS_URL.search(client.get("/me").get_data(as_text=True)).group(1)
    monkeypatch.setattr(outbox, "CATEGORY_LABELS", {**outbox.CATEGORY_LABELS, "other": "Việc khác"})
    page = client.get("/me").get_data(as_text=True)
    assert WORDS_URL.search(page).group(1) != before
    assert outbox_config(client, page)["categories"]["other"] == "Việc khác"


def test_police_pages_carry_no_outbox(client, make, ward):
    make.user("police", ward=ward, phone="0900000021")
    client.login("0900000021")
    page = client.get("/wards/BC/board").get_data(as_text=True)
    assert "outbox-words.js" not in page and "outbox.js" not in page


@pytest.mark.parametrize("url, kind", [
    ("/me", "check_in"),
    ("/checkpoints/{id}/observe", "observation"),
    ("/checkpoints/{id}/check-out", "handover"),
    ("/checkpoints/{id}/check-out", "check_out"),
    ("/urgent", "observation"),
])
def test_each_duty_form_is_marked_for_the_outbox_with_its_checkpoint_code(client, mai, post, url, kind):
    client.login(mai.phone)
    page = client.get(url.format(id=post.id)).get_data(as_text=True)
    form = re.search(rf'<form method="post"[^>]*data-outbox="{kind}"[^>]*>', page)
    assert form and ('data-checkpoint="C01"' in form.group(0) or 'data-code="C01"' in page)


def test_the_accept_form_names_the_handover_by_its_uuid(app, client, make, mai, post, tuan, tmp_path):
    app.config["PHOTO_DIR"] = str(tmp_path)
    handover = make.duty_records(post, tuan)["handover"]
    client.login(mai.phone)
    page = client.get(f"/handovers/{handover.id}").get_data(as_text=True)
    assert f'data-handover="{handover.uuid}"' in page


def test_the_forms_still_post_to_the_server_without_javascript(client, mai, post):
    client.login(mai.phone)
    page = client.get(f"/checkpoints/{post.id}/observe").get_data(as_text=True)
    form = re.search(r'<form method="post" enctype="multipart/form-data"[^>]*data-outbox="observation"', page)
    response = client.post_form(f"/checkpoints/{post.id}/observe",
                                {"category": "theft", "severity": "info", "text": "Mất xe đạp",
                                 "uuid": str(uuidlib.uuid4())})
    assert form and response.status_code == 303 and observations() == 1


def test_the_worker_brings_the_outbox_with_it_and_precaches_it(client):
    worker = client.get("/sw.js").get_data(as_text=True)
    precache = json.loads(re.search(r"const PRECACHE\s*=\s*(\[.*?\]);", worker).group(1))
    outbox = re.search(r'importScripts\("(/static/js/outbox\.js\?v=[0-9a-f]+)"\)', worker)
    assert outbox and outbox.group(1) in precache
    assert {"/static/js/outbox.js", "/static/css/outbox.css"} <= {url.split("?")[0] for url in precache}
