"""The sync API of PRODUCT §6 and docs/api.md: every kind, every refusal, idempotency, races, photos."""
from __future__ import annotations

import io
import threading
import uuid as uuidlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import func, select

from checkpoint.api import routes
from checkpoint.extensions import db
from checkpoint.models import Activity, Attendance, Checkpoint, Handover, Observation, Photo, User
from checkpoint.rules.attendance import qr_token
from checkpoint.rules.photos import MAX_UPLOAD_BYTES

SYNC = "/api/v1/sync"
PHOTOS = "/api/v1/photos"
PHONE = "0901234567"
PARTNER = "0901234568"
SHARED_TABLES = (Attendance, Observation, Handover, Photo, Activity)


# ---------------------------------------------------------------- helpers


def new_uuid() -> str:
    return str(uuidlib.uuid4())


def moment(**delta) -> str:
    """An ISO 8601 time with offset, relative to the real now: the route uses the server clock."""
    return (datetime.now(timezone.utc) + timedelta(**delta)).isoformat()


def sync(client, *items, token: str | None = None):
    token = client.csrf_token() if token is None else token
    return client.post(SYNC, json={"items": list(items)}, headers={"X-CSRFToken": token})


def results(client, *items) -> list[dict]:
    response = sync(client, *items)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.is_json
    return response.json["results"]


def one(client, item) -> dict:
    (result,) = results(client, item)
    return result


def check_in(code: str = "C01", **fields) -> dict:
    return {"uuid": new_uuid(), "kind": "check_in", "checkpoint": code, "occurred_at": moment(minutes=-5), **fields}


def check_out(code: str = "C01", **fields) -> dict:
    return {"uuid": new_uuid(), "kind": "check_out", "checkpoint": code, "occurred_at": moment(minutes=-1), **fields}


def observation(code: str = "C01", **fields) -> dict:
    return {"uuid": new_uuid(), "kind": "observation", "checkpoint": code, "occurred_at": moment(minutes=-3),
            "category": "suspicious", "severity": "attention",
            "text": "Hai người lạ đứng lâu trước nhà số 12.", **fields}


def handover(code: str = "C01", **fields) -> dict:
    return {"uuid": new_uuid(), "kind": "handover", "checkpoint": code, "occurred_at": moment(minutes=-2),
            "summary": "Ca êm. Đèn hẻm 12 vẫn hỏng.",
            "equipment": [{"item": "Bộ đàm", "ok": True}, {"item": "Đèn pin", "ok": False, "remark": "hết pin"}],
            **fields}


def accept(handover_uuid: str, **fields) -> dict:
    return {"uuid": new_uuid(), "kind": "handover_accept", "handover": handover_uuid,
            "occurred_at": moment(minutes=-1), **fields}


def fresh() -> None:
    """End the test's own transaction: on SQLite (WAL) it would keep reading an old snapshot."""
    db.session.rollback()


def count(model) -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(model))


def counts() -> dict:
    return {model.__name__: count(model) for model in SHARED_TABLES}


def row(model, column, value: str):
    fresh()
    return db.session.scalar(select(model).where(column == uuidlib.UUID(value)))


def stored_anywhere(value: str) -> bool:
    """Whether any table keeps this client uuid, under any of its uuid columns."""
    key = uuidlib.UUID(value)
    fresh()
    columns = (Attendance.uuid, Attendance.check_out_uuid, Observation.uuid, Handover.uuid, Handover.accept_uuid,
               Photo.uuid)
    return any(db.session.scalar(select(func.count()).where(column == key)) for column in columns)


def client_for(app, phone: str):
    client = app.test_client()
    assert client.login(phone).status_code == 302
    return client


def rejected(result: dict, code: str, field: str | None = "unset") -> None:
    assert result["status"] == "rejected", result
    assert result["code"] == code, result
    assert isinstance(result["reason"], str) and result["reason"].strip()
    if field != "unset":
        assert result["field"] == field, result


def accepted(result: dict, item: dict) -> None:
    assert result == {"uuid": item["uuid"], "status": "accepted", "reason": None}


def jpeg(size=(64, 48), color="navy", fmt="JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def upload(client, photo_uuid: str | None, data: bytes | None, filename: str = "photo.jpg",
           token: str | None = None):
    form = {}
    if photo_uuid is not None:
        form["uuid"] = photo_uuid
    if data is not None:
        form["photo"] = (io.BytesIO(data), filename)
    token = client.csrf_token() if token is None else token
    return client.post(PHOTOS, data=form, content_type="multipart/form-data", headers={"X-CSRFToken": token})


def is_vietnamese(text: str) -> bool:
    return any(ord(ch) > 127 for ch in text)


# ---------------------------------------------------------------- the world


@pytest.fixture
def world(make):
    """Ward P4 with C01 (volunteer and partner), C02 and C07; ward P5 with only C09."""
    p4 = make.ward("P4")
    c01, c02, c07 = make.checkpoint(p4, "C01"), make.checkpoint(p4, "C02"), make.checkpoint(p4, "C07")
    volunteer = make.volunteer(c01, phone=PHONE, name="Nguyễn Văn An")
    partner = make.volunteer(c01, phone=PARTNER, name="Trần Thị Bình")
    third = make.volunteer(c01, phone="0901234569", name="Lê Văn Cường")
    at_c02 = make.volunteer(c02, phone="0901234570", name="Phạm Thị Dung")
    coordinator = make.user("coordinator", ward=p4, phone="0901234571")
    police = make.user("police", ward=p4, phone="0901234572")
    admin = make.user("admin", phone="0901234573")
    english = make.volunteer(c01, phone="0901234574", locale="en")
    p5 = make.ward("P5")
    c09 = make.checkpoint(p5, "C09")
    other_ward = make.volunteer(c09, phone="0901234575")
    return SimpleNamespace(p4=p4, c01=c01, c02=c02, c07=c07, volunteer=volunteer, partner=partner, third=third,
                           at_c02=at_c02, coordinator=coordinator, police=police, admin=admin, english=english,
                           p5=p5, c09=c09, other_ward=other_ward)


@pytest.fixture
def volunteer_client(client, world):
    assert client.login(PHONE).status_code == 302
    return client


@pytest.fixture
def partner_client(app, world):
    return client_for(app, PARTNER)


@pytest.fixture
def photo_dir(app, tmp_path) -> Path:
    app.config["PHOTO_DIR"] = str(tmp_path)
    return tmp_path


def partners_handover(partner_client) -> str:
    item = handover()
    accepted(one(partner_client, item), item)
    return item["uuid"]


# ---------------------------------------------------------------- each kind is accepted


def test_a_check_in_is_accepted_and_keeps_the_device_and_the_server_time(volunteer_client, world):
    item = check_in(occurred_at=moment(minutes=-5), lat=10.7769, lng=106.7009)
    before = datetime.now(timezone.utc)
    accepted(one(volunteer_client, item), item)
    after = datetime.now(timezone.utc)
    stored = row(Attendance, Attendance.uuid, item["uuid"])
    assert stored.user_id == world.volunteer.id and stored.checkpoint_id == world.c01.id
    assert stored.check_in_at == datetime.fromisoformat(item["occurred_at"])  # the phone's clock
    assert before - timedelta(seconds=1) <= stored.check_in_received_at <= after + timedelta(seconds=1)
    assert stored.check_in_received_at - stored.check_in_at > timedelta(minutes=4)
    assert (stored.check_in_lat, stored.check_in_lng) == (10.7769, 106.7009)
    assert stored.check_out_at is None and not stored.by_qr


def test_the_device_time_keeps_its_instant_whatever_its_offset(volunteer_client, world):
    local = (datetime.now(timezone.utc) - timedelta(minutes=10)).astimezone(timezone(timedelta(hours=7)))
    item = check_in(occurred_at=local.isoformat())
    accepted(one(volunteer_client, item), item)
    assert row(Attendance, Attendance.uuid, item["uuid"]).check_in_at == local


def test_a_z_suffix_counts_as_utc(volunteer_client, world):
    when = (datetime.now(timezone.utc) - timedelta(minutes=10)).replace(microsecond=0)
    item = check_in(occurred_at=when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    accepted(one(volunteer_client, item), item)
    assert row(Attendance, Attendance.uuid, item["uuid"]).check_in_at == when


def test_a_check_in_with_the_posters_qr_token_is_marked_by_qr(volunteer_client, world):
    item = check_in(qr=qr_token(world.c01))
    accepted(one(volunteer_client, item), item)
    assert row(Attendance, Attendance.uuid, item["uuid"]).by_qr


def test_a_check_out_is_accepted_and_keeps_both_times(volunteer_client, world):
    arrive, leave = check_in(occurred_at=moment(minutes=-30)), check_out(occurred_at=moment(minutes=-2))
    assert results(volunteer_client, arrive, leave) == [
        {"uuid": arrive["uuid"], "status": "accepted", "reason": None},
        {"uuid": leave["uuid"], "status": "accepted", "reason": None},
    ]
    stored = row(Attendance, Attendance.check_out_uuid, leave["uuid"])
    assert stored.uuid == uuidlib.UUID(arrive["uuid"])
    assert stored.check_out_at == datetime.fromisoformat(leave["occurred_at"])
    assert stored.check_out_received_at >= stored.check_in_received_at
    assert stored.check_out_received_at - stored.check_out_at > timedelta(seconds=90)


def test_an_observation_is_accepted_and_stored(volunteer_client, world):
    item = observation(category="theft", severity="urgent", text="  Giật túi xách, chạy về hướng chợ.  ",
                       lat=10.7, lng=106.7)
    accepted(one(volunteer_client, item), item)
    stored = row(Observation, Observation.uuid, item["uuid"])
    assert (stored.category, stored.severity, stored.status) == ("theft", "urgent", "open")
    assert stored.text == "Giật túi xách, chạy về hướng chợ."
    assert stored.author_id == world.volunteer.id and stored.checkpoint_id == world.c01.id
    assert stored.occurred_at == datetime.fromisoformat(item["occurred_at"])
    assert stored.received_at - stored.occurred_at > timedelta(minutes=2)
    assert (stored.lat, stored.lng) == (10.7, 106.7) and stored.photo_uuid is None


def test_an_urgent_observation_may_come_without_text(volunteer_client, world):
    item = observation(severity="urgent")
    del item["text"]
    accepted(one(volunteer_client, item), item)
    assert row(Observation, Observation.uuid, item["uuid"]).text == ""


def test_a_handover_is_accepted_with_its_equipment(volunteer_client, world):
    item = handover()
    accepted(one(volunteer_client, item), item)
    stored = row(Handover, Handover.uuid, item["uuid"])
    assert stored.author_id == world.volunteer.id and stored.summary == "Ca êm. Đèn hẻm 12 vẫn hỏng."
    assert stored.equipment == [{"item": "Bộ đàm", "ok": True, "remark": ""},
                                {"item": "Đèn pin", "ok": False, "remark": "hết pin"}]
    assert stored.occurred_at == datetime.fromisoformat(item["occurred_at"])
    assert stored.received_at > stored.occurred_at and not stored.accepted


def test_a_handover_without_equipment_is_accepted(volunteer_client, world):
    item = handover()
    del item["equipment"]
    accepted(one(volunteer_client, item), item)
    assert row(Handover, Handover.uuid, item["uuid"]).equipment == []


def test_a_handover_of_another_member_is_accepted(volunteer_client, partner_client, world):
    written = partners_handover(partner_client)
    item = accept(written, remark="Đã nhận bộ đàm.")
    accepted(one(volunteer_client, item), item)
    stored = row(Handover, Handover.uuid, written)
    assert stored.accepted_by_id == world.volunteer.id and stored.author_id == world.partner.id
    assert stored.accept_uuid == uuidlib.UUID(item["uuid"]) and stored.accept_remark == "Đã nhận bộ đàm."
    assert stored.accepted_at == datetime.fromisoformat(item["occurred_at"])
    assert stored.accept_received_at >= stored.received_at


def test_a_coordinator_may_do_duty_at_any_checkpoint_of_the_ward(client, world):
    client.login(world.coordinator.phone)
    item = check_in("c02")  # codes are matched without regard to case
    accepted(one(client, item), item)
    assert row(Attendance, Attendance.uuid, item["uuid"]).checkpoint_id == world.c02.id


def test_a_time_a_little_ahead_of_the_server_is_tolerated(volunteer_client, world):
    item = observation(occurred_at=moment(seconds=60))
    accepted(one(volunteer_client, item), item)


# ---------------------------------------------------------------- idempotency


def full_batch(partner_client) -> list[dict]:
    """One item of every kind, as an outbox would hold them after a morning offline."""
    written = partners_handover(partner_client)
    return [check_in(occurred_at=moment(minutes=-50)), observation(), handover(), accept(written),
            check_out(occurred_at=moment(minutes=-1))]


def test_a_batch_of_every_kind_answers_one_result_per_item_in_order(volunteer_client, partner_client, world):
    items = full_batch(partner_client)
    answer = results(volunteer_client, *items)
    assert answer == [{"uuid": item["uuid"], "status": "accepted", "reason": None} for item in items]


def test_resending_a_batch_gives_duplicates_and_stores_nothing_more(volunteer_client, partner_client, world):
    items = full_batch(partner_client)
    assert [r["status"] for r in results(volunteer_client, *items)] == ["accepted"] * 5
    before = counts()
    again = results(volunteer_client, *items)
    assert again == [{"uuid": item["uuid"], "status": "duplicate", "reason": None} for item in items]
    assert counts() == before  # no second row and no second activity entry either


def test_the_same_uuid_twice_in_one_batch_is_stored_once(volunteer_client, world):
    item = observation()
    assert [r["status"] for r in results(volunteer_client, item, dict(item))] == ["accepted", "duplicate"]
    assert count(Observation) == 1


def test_a_resend_after_leaving_the_checkpoint_is_still_a_duplicate(volunteer_client, partner_client, world):
    items = full_batch(partner_client)
    assert [r["status"] for r in results(volunteer_client, *items)] == ["accepted"] * 5
    fresh()
    volunteer = db.session.get(User, world.volunteer.id)
    volunteer.checkpoints = []
    db.session.commit()
    before = counts()
    assert [r["status"] for r in results(volunteer_client, *items)] == ["duplicate"] * 5
    assert counts() == before
    # A new item, by contrast, is refused.
    rejected(one(volunteer_client, observation()), "not_your_checkpoint", "checkpoint")


def test_a_resend_days_later_is_still_a_duplicate(volunteer_client, partner_client, world, monkeypatch):
    """An outbox stuck for more than the 7-day window must still be able to drain."""
    items = full_batch(partner_client)
    assert [r["status"] for r in results(volunteer_client, *items)] == ["accepted"] * 5
    later = datetime.now(timezone.utc) + timedelta(days=9)
    monkeypatch.setattr(routes, "utcnow", lambda: later)
    assert [r["status"] for r in results(volunteer_client, *items)] == ["duplicate"] * 5


def test_a_uuid_used_by_someone_else_is_refused(volunteer_client, partner_client, world):
    theirs = check_in()
    accepted(one(partner_client, theirs), theirs)
    rejected(one(volunteer_client, dict(theirs)), "uuid_taken", "uuid")
    theirs = observation()
    accepted(one(partner_client, theirs), theirs)
    rejected(one(volunteer_client, dict(theirs)), "uuid_taken", "uuid")
    fresh()
    assert row(Observation, Observation.uuid, theirs["uuid"]).author_id == world.partner.id


# ---------------------------------------------------------------- good and bad together


def test_a_batch_mixing_good_and_bad_items_keeps_the_good_ones(volunteer_client, world):
    good_in, good_note = check_in(), observation()
    bad_note = observation(category="alien")
    bad_handover = handover(summary=None)
    too_old = observation(occurred_at=moment(days=-8))
    activities = count(Activity)
    answer = results(volunteer_client, good_in, bad_note, 42, good_note, bad_handover, too_old)
    assert len(answer) == 6
    accepted(answer[0], good_in)
    rejected(answer[1], "unknown_category", "category")
    assert answer[1]["uuid"] == bad_note["uuid"]
    rejected(answer[2], "bad_item")
    assert answer[2]["uuid"] is None
    accepted(answer[3], good_note)
    rejected(answer[4], "bad_field", "summary")
    rejected(answer[5], "too_old", "occurred_at")
    assert [r["uuid"] for r in answer] == [good_in["uuid"], bad_note["uuid"], None, good_note["uuid"],
                                           bad_handover["uuid"], too_old["uuid"]]
    assert stored_anywhere(good_in["uuid"]) and stored_anywhere(good_note["uuid"])
    for bad in (bad_note, bad_handover, too_old):
        assert not stored_anywhere(bad["uuid"])
    assert (count(Attendance), count(Observation), count(Handover)) == (1, 1, 0)
    # Only the accepted items left a trace in the activity log.
    assert count(Activity) == activities + 2


def test_a_refused_check_in_does_not_spoil_a_later_check_in_in_the_same_batch(volunteer_client, world):
    first, second = check_in(lat=95, lng=106), check_in()
    answer = results(volunteer_client, first, second)
    rejected(answer[0], "bad_position", "lat")
    accepted(answer[1], second)
    assert count(Attendance) == 1


# ---------------------------------------------------------------- every refusal


def without(item: dict, key: str) -> dict:
    item = dict(item)
    del item[key]
    return item


NAIVE_NOW = datetime.now().replace(microsecond=0).isoformat()

# (label, item builder, code, field)
REFUSALS = [
    ("uuid not a uuid", lambda: check_in(uuid="not-a-uuid"), "bad_uuid", "uuid"),
    ("uuid missing", lambda: without(check_in(), "uuid"), "bad_uuid", "uuid"),
    ("uuid a number", lambda: check_in(uuid=12345), "bad_uuid", "uuid"),
    ("kind unknown", lambda: check_in(kind="patrol"), "unknown_kind", "kind"),
    ("kind missing", lambda: without(check_in(), "kind"), "unknown_kind", "kind"),
    ("kind not text", lambda: check_in(kind=["check_in"]), "unknown_kind", "kind"),
    ("occurred_at missing", lambda: without(check_in(), "occurred_at"), "bad_time", "occurred_at"),
    ("occurred_at garbage", lambda: check_in(occurred_at="hôm qua"), "bad_time", "occurred_at"),
    ("occurred_at impossible date", lambda: observation(occurred_at="2025-13-40T10:00:00+07:00"), "bad_time",
     "occurred_at"),
    ("occurred_at a number", lambda: observation(occurred_at=1700000000), "bad_time", "occurred_at"),
    ("occurred_at without offset", lambda: check_in(occurred_at=NAIVE_NOW), "bad_time", "occurred_at"),
    ("occurred_at a date only", lambda: handover(occurred_at=datetime.now().date().isoformat()), "bad_time",
     "occurred_at"),
    ("occurred_at in the future", lambda: observation(occurred_at=moment(minutes=10)), "future_time", "occurred_at"),
    ("occurred_at far in the future", lambda: check_in(occurred_at="9999-12-31T23:59:59-14:00"), "future_time",
     "occurred_at"),
    ("occurred_at too old", lambda: observation(occurred_at=moment(days=-8)), "too_old", "occurred_at"),
    ("occurred_at year 1", lambda: handover(occurred_at="0001-01-01T00:00:00+01:00"), "too_old", "occurred_at"),
    ("category unknown", lambda: observation(category="alien"), "unknown_category", "category"),
    ("category missing", lambda: without(observation(), "category"), "unknown_category", "category"),
    ("category a label", lambda: observation(category="Trộm cắp"), "unknown_category", "category"),
    ("severity unknown", lambda: observation(severity="catastrophic"), "unknown_severity", "severity"),
    ("severity missing", lambda: without(observation(), "severity"), "unknown_severity", "severity"),
    ("text missing", lambda: without(observation(), "text"), "bad_field", "text"),
    ("text not a string", lambda: observation(text=["x"]), "bad_field", "text"),
    ("text blank", lambda: observation(text="   \n "), "required", "text"),
    ("text with control characters", lambda: observation(text="ok\x07bell"), "control_chars", "text"),
    ("text too long", lambda: observation(text="x" * 2001), "too_long", "text"),
    ("photo not a uuid", lambda: observation(photo="IMG_0001.jpg"), "bad_uuid", "photo"),
    ("checkpoint of the ward, not a member", lambda: observation("C02"), "not_your_checkpoint", "checkpoint"),
    ("checkpoint unknown", lambda: check_in("ZZ99"), "not_your_checkpoint", "checkpoint"),
    ("checkpoint missing", lambda: without(handover(), "checkpoint"), "not_your_checkpoint", "checkpoint"),
    ("checkpoint a number", lambda: check_in(1), "not_your_checkpoint", "checkpoint"),
    ("latitude without longitude", lambda: check_in(lat=10.7), "half_position", "lat"),
    ("latitude out of range", lambda: observation(lat=91, lng=106), "bad_position", "lat"),
    ("longitude out of range", lambda: observation(lat=10, lng=-181), "bad_position", "lng"),
    ("latitude not a number", lambda: check_in(lat="north", lng=106), "bad_position", "lat"),
    ("latitude NaN", lambda: check_in(lat="nan", lng=106), "bad_position", "lat"),
    ("qr forged", lambda: check_in(qr="forged-token"), "bad_qr", "qr"),
    ("qr not text", lambda: check_in(qr=123), "bad_field", "qr"),
    ("check-out while not checked in", lambda: check_out(), "not_checked_in", "checkpoint"),
    ("summary missing", lambda: without(handover(), "summary"), "bad_field", "summary"),
    ("summary blank", lambda: handover(summary=" "), "required", "summary"),
    ("equipment not a list", lambda: handover(equipment={"Bộ đàm": True}), "bad_equipment", "equipment"),
    ("equipment entry without ok", lambda: handover(equipment=[{"item": "Bộ đàm"}]), "bad_equipment", "equipment"),
    ("equipment ok not a boolean", lambda: handover(equipment=[{"item": "Bộ đàm", "ok": "yes"}]), "bad_equipment",
     "equipment"),
    ("equipment remark missing", lambda: handover(equipment=[{"item": "Đèn pin", "ok": False}]), "remark_required",
     "equipment"),
    ("equipment remark blank", lambda: handover(equipment=[{"item": "Đèn pin", "ok": False, "remark": "  "}]),
     "remark_required", "equipment"),
    ("equipment item name missing", lambda: handover(equipment=[{"ok": True}]), "required", "equipment"),
    ("equipment too long", lambda: handover(equipment=[{"item": f"Món {n}", "ok": True} for n in range(31)]),
     "bad_equipment", "equipment"),
    ("handover not a uuid", lambda: accept("not-a-uuid"), "bad_uuid", "handover"),
    ("handover missing", lambda: without(accept(new_uuid()), "handover"), "bad_uuid", "handover"),
    ("handover unknown", lambda: accept(new_uuid()), "unknown_handover", "handover"),
]


@pytest.mark.parametrize("build, code, field", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_an_invalid_item_is_refused_with_its_code_and_leaves_nothing(volunteer_client, build, code, field):
    item = build()
    before = counts()
    result = one(volunteer_client, item)
    rejected(result, code, field)
    assert set(result) == {"uuid", "status", "reason", "code", "field"}
    assert result["uuid"] == (item.get("uuid") if isinstance(item.get("uuid"), str) else None)
    assert counts() == before


@pytest.mark.parametrize("item", [42, "check_in", None, ["uuid", "kind"], True])
def test_an_item_that_is_not_an_object_is_refused(volunteer_client, item):
    result = one(volunteer_client, item)
    assert result == {"uuid": None, "status": "rejected", "reason": result["reason"], "code": "bad_item",
                      "field": None}
    assert result["reason"]


def test_a_boolean_position_is_refused(volunteer_client):
    rejected(one(volunteer_client, check_in(lat=True, lng=False)), "bad_position", "lat")


def test_a_huge_integer_position_is_refused_not_a_server_error(volunteer_client):
    good, huge = observation(), observation(lat=10 ** 400, lng=106)
    response = sync(volunteer_client, good, huge)
    assert response.status_code == 200
    accepted(response.json["results"][0], good)
    rejected(response.json["results"][1], "bad_position", "lat")


def test_a_checkpoint_code_with_a_nul_character_is_refused_not_a_server_error(app, request, volunteer_client):
    good = observation()
    response = sync(volunteer_client, good, observation("C01\x00"))
    assert response.status_code == 200
    accepted(response.json["results"][0], good)
    rejected(response.json["results"][1], "not_your_checkpoint", "checkpoint")


def test_a_volunteer_of_another_ward_cannot_name_this_wards_checkpoint(client, world):
    client.login(world.other_ward.phone)
    for code in ("C07", "C01"):  # neither exists in ward P5
        for item in (check_in(code), observation(code), handover(code)):
            rejected(one(client, item), "not_your_checkpoint", "checkpoint")
    assert count(Attendance) == count(Observation) == count(Handover) == 0


def test_a_volunteer_of_another_ward_cannot_accept_this_wards_handover(client, partner_client, world):
    written = partners_handover(partner_client)
    client.login(world.other_ward.phone)
    rejected(one(client, accept(written)), "unknown_handover", "handover")
    assert not row(Handover, Handover.uuid, written).accepted


def test_a_handover_of_a_checkpoint_one_is_not_a_member_of_is_unknown(app, volunteer_client, world):
    theirs = client_for(app, world.at_c02.phone)
    item = handover("C02")
    accepted(one(theirs, item), item)
    rejected(one(volunteer_client, accept(item["uuid"])), "unknown_handover", "handover")


def test_ones_own_handover_cannot_be_accepted(volunteer_client, world):
    mine = handover()
    accepted(one(volunteer_client, mine), mine)
    rejected(one(volunteer_client, accept(mine["uuid"])), "own_handover", "handover")
    assert not row(Handover, Handover.uuid, mine["uuid"]).accepted


def test_an_accepted_handover_cannot_be_accepted_again(app, volunteer_client, partner_client, world):
    written = partners_handover(partner_client)
    first = accept(written)
    accepted(one(client_for(app, world.third.phone), first), first)
    late = accept(written)
    result = one(volunteer_client, late)
    rejected(result, "already_accepted", "handover")
    assert world.third.full_name in result["reason"]
    stored = row(Handover, Handover.uuid, written)
    assert stored.accepted_by_id == world.third.id and stored.accept_uuid == uuidlib.UUID(first["uuid"])


def test_a_second_accept_by_the_same_person_under_a_new_uuid_is_refused(volunteer_client, partner_client):
    written = partners_handover(partner_client)
    first, second = accept(written), accept(written)
    answer = results(volunteer_client, first, second)
    accepted(answer[0], first)
    rejected(answer[1], "already_accepted", "handover")


def test_an_accept_remark_that_is_not_text_is_refused(volunteer_client, partner_client):
    written = partners_handover(partner_client)
    rejected(one(volunteer_client, accept(written, remark=["ok"])), "bad_field", "remark")
    assert not row(Handover, Handover.uuid, written).accepted


def test_an_accept_dated_before_the_handover_is_moved_up_to_it(volunteer_client, partner_client):
    item = handover(occurred_at=moment(minutes=-2))
    accepted(one(partner_client, item), item)
    taken = accept(item["uuid"], occurred_at=moment(minutes=-20))  # a phone clock behind the writer's
    accepted(one(volunteer_client, taken), taken)
    stored = row(Handover, Handover.uuid, item["uuid"])
    assert stored.accepted_at == stored.occurred_at


def test_a_second_check_in_at_the_same_checkpoint_is_refused(volunteer_client):
    first, second = check_in(), check_in()
    answer = results(volunteer_client, first, second)
    accepted(answer[0], first)
    rejected(answer[1], "already_checked_in", "checkpoint")
    assert count(Attendance) == 1


def test_a_check_in_while_checked_in_elsewhere_is_refused(client, world):
    client.login(world.coordinator.phone)
    first, second = check_in("C01"), check_in("C02")
    answer = results(client, first, second)
    accepted(answer[0], first)
    rejected(answer[1], "checked_in_elsewhere", "checkpoint")
    assert "Chốt C01" in answer[1]["reason"]


def test_a_check_out_at_another_checkpoint_is_refused(client, world):
    client.login(world.coordinator.phone)
    arrive = check_in("C01")
    answer = results(client, arrive, check_out("C02"))
    accepted(answer[0], arrive)
    rejected(answer[1], "not_checked_in", "checkpoint")


def test_a_check_out_before_the_check_in_is_refused(volunteer_client):
    arrive, leave = check_in(occurred_at=moment(minutes=-10)), check_out(occurred_at=moment(minutes=-20))
    answer = results(volunteer_client, arrive, leave)
    accepted(answer[0], arrive)
    rejected(answer[1], "before_check_in", "occurred_at")
    assert row(Attendance, Attendance.uuid, arrive["uuid"]).check_out_at is None


def test_a_qr_token_of_another_checkpoint_is_refused(volunteer_client, world):
    rejected(one(volunteer_client, check_in(qr=qr_token(world.c02))), "bad_qr", "qr")


def test_a_retired_checkpoint_takes_no_new_entries_but_lets_people_leave(volunteer_client, world):
    arrive = check_in(occurred_at=moment(minutes=-40))
    accepted(one(volunteer_client, arrive), arrive)
    fresh()
    db.session.get(Checkpoint, world.c01.id).active = False
    db.session.commit()
    for item in (check_in(), observation(), handover()):
        rejected(one(volunteer_client, item), "retired", "checkpoint")
    leave = check_out()
    accepted(one(volunteer_client, leave), leave)
    rejected(one(volunteer_client, check_in()), "retired", "checkpoint")


def test_an_observation_may_not_use_someone_elses_photo(volunteer_client, partner_client, photo_dir):
    theirs = new_uuid()
    assert upload(partner_client, theirs, jpeg()).status_code == 201
    item = observation(photo=theirs)
    rejected(one(volunteer_client, item), "photo_not_yours", "photo")
    assert not stored_anywhere(item["uuid"])


# ---------------------------------------------------------------- reasons in the user's language


def test_reasons_are_in_vietnamese_by_default(volunteer_client):
    reason = one(volunteer_client, check_in("C02"))["reason"]
    assert reason != "You are not a member of this checkpoint." and is_vietnamese(reason)


def test_reasons_are_in_english_for_an_english_user(client, world):
    client.login(world.english.phone)
    answer = results(client, check_in("C02"), observation(category="alien"), "x")
    assert [r["reason"] for r in answer] == ["You are not a member of this checkpoint.", "Choose what happened.",
                                             "Each item must be an object."]


def test_the_batch_limit_reason_is_in_the_users_language(app, client, world):
    english = client_for(app, world.english.phone)
    response = sync(english, *[observation() for _ in range(101)])
    assert response.status_code == 413 and response.json["reason"] == "At most 100 items per request."
    client.login(PHONE)
    response = sync(client, *[observation() for _ in range(101)])
    assert response.status_code == 413 and is_vietnamese(response.json["reason"])


# ---------------------------------------------------------------- the request as a whole


def test_a_full_batch_of_a_hundred_items_is_taken(volunteer_client):
    items = [observation(text=f"Ghi nhận {n}") for n in range(100)]
    answer = results(volunteer_client, *items)
    assert [r["status"] for r in answer] == ["accepted"] * 100
    assert [r["uuid"] for r in answer] == [item["uuid"] for item in items]
    assert count(Observation) == 100


def test_an_oversized_batch_is_refused_whole_with_413(volunteer_client):
    response = sync(volunteer_client, *[observation() for _ in range(101)])
    assert response.status_code == 413 and response.is_json
    assert response.json["error"] == "too_many_items" and response.json["reason"]
    assert count(Observation) == 0


def test_a_request_over_the_size_limit_is_refused_with_413_json(volunteer_client):
    big = {"items": [observation()], "padding": "x" * (12 * 1024 * 1024)}
    response = volunteer_client.post(SYNC, json=big, headers={"X-CSRFToken": volunteer_client.csrf_token()})
    assert response.status_code == 413 and response.is_json and response.json["reason"]
    assert count(Observation) == 0


@pytest.mark.parametrize("content_type, body", [
    ("application/x-www-form-urlencoded", "items=1"),
    ("text/plain", '{"items": []}'),
    (None, '{"items": []}'),
])
def test_a_body_that_is_not_declared_json_is_refused_with_415(volunteer_client, content_type, body):
    headers = {"X-CSRFToken": volunteer_client.csrf_token()}
    if content_type:
        headers["Content-Type"] = content_type
    response = volunteer_client.post(SYNC, data=body, headers=headers)
    assert response.status_code == 415 and response.is_json
    assert response.json["error"] == "not_json" and response.json["reason"]


def test_a_form_post_is_refused_with_415(volunteer_client):
    response = volunteer_client.post(SYNC, data={"items": "[]", "csrf_token": volunteer_client.csrf_token()})
    assert response.status_code == 415 and response.json["error"] == "not_json"


@pytest.mark.parametrize("body", [
    '{"items": [',
    "{'items': []}",
    "",
    b'{"items": ["\xff\xfe"]}',
])
def test_malformed_json_is_refused_with_400(volunteer_client, body):
    response = volunteer_client.post(SYNC, data=body, content_type="application/json",
                                     headers={"X-CSRFToken": volunteer_client.csrf_token()})
    assert response.status_code == 400 and response.is_json
    assert response.json["error"] == "bad_body" and response.json["reason"]


def test_deeply_nested_json_is_refused_with_400(volunteer_client):
    body = '{"items": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    response = volunteer_client.post(SYNC, data=body, content_type="application/json",
                                     headers={"X-CSRFToken": volunteer_client.csrf_token()})
    assert response.status_code == 400 and response.json["error"] == "bad_body"


@pytest.mark.parametrize("body", [
    "[]", '[{"uuid": "x"}]', '"items"', "42", "null", "{}", '{"items": {}}', '{"items": "[]"}',
    '{"items": null}', '{"item": []}',
])
def test_a_body_that_is_not_an_object_with_a_list_of_items_is_refused_with_400(volunteer_client, body):
    response = volunteer_client.post(SYNC, data=body, content_type="application/json",
                                     headers={"X-CSRFToken": volunteer_client.csrf_token()})
    assert response.status_code == 400 and response.is_json
    assert response.json["error"] == "bad_body" and response.json["reason"]


def test_results_carry_the_uuid_in_canonical_form(volunteer_client):
    """Accepted and duplicate results name the uuid as the server stores it (lowercase, hyphenated)."""
    spelled = str(uuidlib.uuid4()).upper()
    item = observation(uuid=spelled)
    assert one(volunteer_client, item)["uuid"] == spelled.lower()
    assert one(volunteer_client, item) == {"uuid": spelled.lower(), "status": "duplicate", "reason": None}


def test_an_empty_batch_answers_no_results(volunteer_client):
    assert results(volunteer_client) == []


def test_keys_beyond_items_are_ignored(volunteer_client):
    item = observation()
    response = volunteer_client.post(SYNC, json={"items": [item], "device": "phone-7"},
                                     headers={"X-CSRFToken": volunteer_client.csrf_token()})
    accepted(response.json["results"][0], item)


def test_a_missing_csrf_header_is_refused_with_400_json_and_stores_nothing(volunteer_client):
    volunteer_client.csrf_token()
    response = volunteer_client.post(SYNC, json={"items": [check_in(), observation()]})
    assert response.status_code == 400 and response.is_json and response.json["reason"]
    assert count(Attendance) == count(Observation) == 0


def test_a_forged_csrf_header_is_refused(volunteer_client):
    response = sync(volunteer_client, check_in(), token="forged")
    assert response.status_code == 400 and response.is_json
    assert count(Attendance) == 0


def test_the_csrf_token_in_the_body_does_not_count(volunteer_client):
    response = volunteer_client.post(SYNC, json={"items": [check_in()], "csrf_token": volunteer_client.csrf_token()})
    assert response.status_code == 400
    assert count(Attendance) == 0


def test_an_anonymous_request_is_answered_401_json_not_a_login_page(client, world):
    response = sync(client, check_in())  # a valid CSRF token of an anonymous session
    assert response.status_code == 401 and response.is_json
    assert response.json["error"] == "login_required" and response.json["reason"]
    assert count(Attendance) == 0


def test_a_logged_out_phone_gets_401(volunteer_client):
    volunteer_client.logout()
    response = sync(volunteer_client, check_in())
    assert response.status_code == 401 and response.json["error"] == "login_required"


def test_a_session_ended_elsewhere_gets_401_and_nothing_is_stored(volunteer_client, world):
    """A password reset or deactivation ends the session: the outbox learns it and keeps its items."""
    token = volunteer_client.csrf_token()
    fresh()
    db.session.get(User, world.volunteer.id).end_sessions()
    db.session.commit()
    response = sync(volunteer_client, check_in(), token=token)
    assert response.status_code == 401 and response.json["error"] == "login_required"
    assert count(Attendance) == 0


def test_a_token_of_a_session_that_is_gone_is_refused_as_a_csrf_failure(volunteer_client):
    """Once the session cookie is gone its CSRF token goes with it: 400 before the login check runs."""
    token = volunteer_client.csrf_token()
    volunteer_client.logout()
    response = sync(volunteer_client, check_in(), token=token)
    assert response.status_code == 400 and response.is_json and response.json["reason"]
    assert count(Attendance) == 0


@pytest.mark.parametrize("who", ["police", "admin"])
def test_police_and_admin_may_not_sync(client, world, who):
    client.login(getattr(world, who).phone)
    response = sync(client, check_in())
    assert response.status_code == 403 and response.is_json and response.json["reason"]
    assert count(Attendance) == 0


def test_get_is_not_allowed(volunteer_client):
    response = volunteer_client.get(SYNC)
    assert response.status_code == 405 and response.is_json


# ---------------------------------------------------------------- races


def race(clients: list, send) -> list:
    """Run `send(client, token)` from one thread per client, all released together."""
    n = len(clients)
    tokens = [c.csrf_token() for c in clients]
    barrier = threading.Barrier(n)
    answers: list = [None] * n
    errors: list = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            answers[index] = send(clients[index], tokens[index])
        except Exception as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return answers


@pytest.mark.parametrize("build, model, column", [
    (check_in, Attendance, Attendance.uuid),
    (observation, Observation, Observation.uuid),
    (handover, Handover, Handover.uuid),
], ids=["check_in", "observation", "handover"])
def test_the_same_uuid_from_ten_threads_is_stored_once(app, world, build, model, column):
    item = build()

    def send(client, token):
        response = sync(client, item, token=token)
        return response.status_code, response.get_json()

    clients = [client_for(app, PHONE) for _ in range(10)]
    activities = count(Activity)
    answers = race(clients, send)
    assert [status for status, _ in answers] == [200] * 10, answers
    statuses = sorted(body["results"][0]["status"] for _, body in answers)
    assert statuses == ["accepted"] + ["duplicate"] * 9
    assert all(body["results"][0]["uuid"] == item["uuid"] for _, body in answers)
    fresh()
    assert db.session.scalar(select(func.count()).select_from(model).where(column == uuidlib.UUID(item["uuid"]))) == 1
    assert count(model) == 1
    assert count(Activity) == activities + 1


def test_the_same_photo_from_ten_threads_is_stored_once(app, world, photo_dir):
    photo_uuid, data = new_uuid(), jpeg()

    def send(client, token):
        response = upload(client, photo_uuid, data, token=token)
        return response.status_code, response.get_json()

    answers = race([client_for(app, PHONE) for _ in range(10)], send)
    assert sorted(status for status, _ in answers) == [200] * 9 + [201], answers
    assert sorted(body["status"] for _, body in answers) == ["accepted"] + ["duplicate"] * 9
    assert count(Photo) == 1
    assert [p.name for p in photo_dir.iterdir()] == [f"{photo_uuid}.jpg"]


# ---------------------------------------------------------------- photos


def test_a_jpeg_is_stored_as_a_clean_jpeg_and_a_resend_is_a_duplicate(volunteer_client, world, photo_dir):
    photo_uuid = new_uuid()
    response = upload(volunteer_client, photo_uuid, jpeg(size=(3200, 2400)))
    assert response.status_code == 201
    assert response.json == {"uuid": photo_uuid, "status": "accepted", "reason": None}
    path = photo_dir / f"{photo_uuid}.jpg"
    assert path.is_file()
    with Image.open(path) as image:
        assert image.format == "JPEG" and image.size == (1600, 1200)
    stored = row(Photo, Photo.uuid, photo_uuid)
    assert stored.uploader_id == world.volunteer.id and (stored.width, stored.height) == (1600, 1200)
    assert stored.size_bytes == path.stat().st_size
    again = upload(volunteer_client, photo_uuid, jpeg(size=(3200, 2400)))
    assert again.status_code == 200
    assert again.json == {"uuid": photo_uuid, "status": "duplicate", "reason": None}
    assert count(Photo) == 1


def test_a_png_is_taken_and_kept_as_jpeg(volunteer_client, photo_dir):
    photo_uuid = new_uuid()
    assert upload(volunteer_client, photo_uuid, jpeg(fmt="PNG"), filename="a.png").status_code == 201
    with Image.open(photo_dir / f"{photo_uuid}.jpg") as image:
        assert image.format == "JPEG"


def test_a_text_file_is_refused_with_422(volunteer_client, photo_dir):
    photo_uuid = new_uuid()
    response = upload(volunteer_client, photo_uuid, b"just some words, not a photo\n" * 10, filename="photo.jpg")
    assert response.status_code == 422
    assert response.json["status"] == "rejected" and response.json["code"] == "not_an_image"
    assert response.json["uuid"] == photo_uuid and response.json["reason"]
    assert count(Photo) == 0 and list(photo_dir.iterdir()) == []


def test_an_empty_photo_is_refused_with_422(volunteer_client, photo_dir):
    response = upload(volunteer_client, new_uuid(), b"")
    assert response.status_code == 422 and response.json["code"] == "empty_photo"


def test_a_photo_over_ten_megabytes_is_refused_with_413(volunteer_client, photo_dir):
    response = upload(volunteer_client, new_uuid(), b"\xff" * (MAX_UPLOAD_BYTES + 1))
    assert response.status_code == 413 and response.is_json
    assert response.json["status"] == "rejected" and response.json["code"] == "photo_too_large"
    assert response.json["reason"]
    assert count(Photo) == 0


def test_a_request_over_eleven_megabytes_is_refused_with_413_json(volunteer_client, photo_dir):
    response = upload(volunteer_client, new_uuid(), b"\xff" * (12 * 1024 * 1024))
    assert response.status_code == 413 and response.is_json and response.json["reason"]
    assert count(Photo) == 0


def test_a_photo_without_a_valid_uuid_is_refused(volunteer_client, photo_dir):
    for bad in (None, "IMG_0001"):
        response = upload(volunteer_client, bad, jpeg())
        assert response.status_code == 422 and response.json["code"] == "bad_uuid"
    assert count(Photo) == 0


def test_an_upload_without_a_photo_is_refused(volunteer_client, photo_dir):
    response = upload(volunteer_client, new_uuid(), None)
    assert response.status_code == 422 and response.json["code"] == "no_photo"


def test_a_photo_uuid_of_someone_else_is_refused(volunteer_client, partner_client, world, photo_dir):
    photo_uuid = new_uuid()
    assert upload(partner_client, photo_uuid, jpeg()).status_code == 201
    response = upload(volunteer_client, photo_uuid, jpeg(color="red"))
    assert response.status_code == 422 and response.json["code"] == "uuid_taken"
    assert row(Photo, Photo.uuid, photo_uuid).uploader_id == world.partner.id
    with Image.open(photo_dir / f"{photo_uuid}.jpg") as image:  # the first upload is untouched
        assert image.convert("RGB").getpixel((5, 5))[2] > 100


def test_a_photo_upload_needs_the_csrf_header(volunteer_client, photo_dir):
    volunteer_client.csrf_token()
    response = volunteer_client.post(PHOTOS, data={"uuid": new_uuid(), "photo": (io.BytesIO(jpeg()), "a.jpg")},
                                     content_type="multipart/form-data")
    assert response.status_code == 400 and response.is_json
    assert count(Photo) == 0


def test_a_photo_upload_needs_a_login(client, world, photo_dir):
    response = upload(client, new_uuid(), jpeg())
    assert response.status_code == 401 and response.json["error"] == "login_required"


@pytest.mark.parametrize("who", ["police", "admin"])
def test_police_and_admin_may_not_upload_photos(client, world, photo_dir, who):
    client.login(getattr(world, who).phone)
    assert upload(client, new_uuid(), jpeg()).status_code == 403
    assert count(Photo) == 0


def test_an_observation_refers_to_a_photo_uploaded_first(volunteer_client, photo_dir):
    photo_uuid = new_uuid()
    assert upload(volunteer_client, photo_uuid, jpeg()).status_code == 201
    item = observation(photo=photo_uuid)
    accepted(one(volunteer_client, item), item)
    stored = row(Observation, Observation.uuid, item["uuid"])
    assert stored.photo is not None and stored.photo.uuid == uuidlib.UUID(photo_uuid)


def test_an_observation_may_arrive_before_its_photo(volunteer_client, photo_dir):
    photo_uuid = new_uuid()
    item = observation(photo=photo_uuid.upper())  # any spelling of the uuid will do
    accepted(one(volunteer_client, item), item)
    stored = row(Observation, Observation.uuid, item["uuid"])
    assert stored.photo_uuid == uuidlib.UUID(photo_uuid) and stored.photo is None
    assert upload(volunteer_client, photo_uuid, jpeg()).status_code == 201
    stored = row(Observation, Observation.uuid, item["uuid"])
    assert stored.photo is not None and stored.photo.uuid == uuidlib.UUID(photo_uuid)
    # Resending the observation afterwards changes nothing.
    assert one(volunteer_client, item)["status"] == "duplicate"
