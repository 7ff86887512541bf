"""The sync API's batches (rules/sync.py, rules/batch.py): runs of items in one savepoint, the chain sealed once."""
from __future__ import annotations

import uuid as uuidlib
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select

from checkpoint.extensions import db
from checkpoint.models import Activity, Attendance, Observation
from checkpoint.rules.activity import record
from checkpoint.rules.batch import Batch
from checkpoint.rules.chain import verify_chain

SYNC = "/api/v1/sync"
PHONE = "0901234567"
OTHER = "0901234568"


def moment(**delta) -> str:
    return (datetime.now(timezone.utc) + timedelta(**delta)).isoformat()


def observation(**fields) -> dict:
    return {"uuid": str(uuidlib.uuid4()), "kind": "observation", "checkpoint": "C01",
            "occurred_at": moment(minutes=-3), "category": "suspicious", "severity": "attention",
            "text": "Hai người lạ đứng lâu trước nhà số 12.", **fields}


def check_in(**fields) -> dict:
    return {"uuid": str(uuidlib.uuid4()), "kind": "check_in", "checkpoint": "C01",
            "occurred_at": moment(minutes=-5), **fields}


def check_out(**fields) -> dict:
    return {"uuid": str(uuidlib.uuid4()), "kind": "check_out", "checkpoint": "C01",
            "occurred_at": moment(minutes=-1), **fields}


def send(client, *items, token: str | None = None) -> list[tuple[str, str | None]]:
    """(status, code) per item."""
    token = client.csrf_token() if token is None else token
    response = client.post(SYNC, json={"items": list(items)}, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [(result["status"], result.get("code")) for result in response.json["results"]]


def count(model, *where) -> int:
    db.session.rollback()  # a fresh snapshot (SQLite WAL keeps the test's old one otherwise)
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def actions() -> list[tuple[str, int | None]]:
    db.session.rollback()
    return list(db.session.execute(select(Activity.action, Activity.subject_id).order_by(Activity.id)))


@contextmanager
def statements():
    """The SQL statements the block sends, as they are sent."""
    sent: list[str] = []

    def listen(_conn, _cursor, statement, *_args):
        sent.append(" ".join(statement.split()))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", listen)


@pytest.fixture
def phone(client, make, mai):
    make.volunteer(mai.checkpoints[0], phone=OTHER, name="Lê Văn Cường")
    assert client.login(PHONE).status_code == 302
    return client


def test_a_batch_of_a_hundred_observations_costs_a_fixed_number_of_statements(phone):
    batch, token = [observation() for _ in range(100)], phone.csrf_token()
    with statements() as sent:
        assert send(phone, *batch, token=token) == [("accepted", None)] * 100
    # Besides the rows' own inserts (one statement on PostgreSQL; one per row on SQLite, whose
    # driver inserts with RETURNING row by row), the whole batch was about 1,300 statements before.
    others = [s for s in sent if not s.startswith("INSERT INTO observation")]
    assert len(others) < 15, others


def test_the_person_is_read_once_per_batch_not_again_after_the_commit(phone):
    token = phone.csrf_token()
    with statements() as sent:
        assert send(phone, observation(), token=token) == [("accepted", None)]
    # PostgreSQL quotes the table's name, SQLite does not.
    reads_of_the_person = [s for s in sent if s.startswith("SELECT") and ('FROM "user"' in s or "FROM user " in s)]
    # Once by the login manager; the response's security headers must not load it again.
    assert len(reads_of_the_person) == 1, reads_of_the_person


def test_a_volunteers_checkpoint_is_read_once_with_their_membership(phone):
    token = phone.csrf_token()
    with statements() as sent:
        assert send(phone, observation(), observation(), token=token) == [("accepted", None)] * 2
    reads_of_checkpoints = [s for s in sent if s.startswith("SELECT") and "FROM checkpoint" in s]
    assert len(reads_of_checkpoints) == 1 and "checkpoint_member" in reads_of_checkpoints[0], reads_of_checkpoints


def test_a_mixed_batch_answers_each_item_and_stores_exactly_the_accepted_ones(phone):
    earlier = observation()
    assert send(phone, earlier) == [("accepted", None)]
    first, bad, second, third = observation(), observation(category="alien"), observation(), observation()
    answer = send(phone, first, earlier, bad, second, dict(second), 42, third)
    assert answer == [("accepted", None), ("duplicate", None), ("rejected", "unknown_category"),
                      ("accepted", None), ("duplicate", None), ("rejected", "bad_item"), ("accepted", None)]


def test_a_mixed_batch_leaves_one_row_per_accepted_item(phone):
    earlier = observation()
    send(phone, earlier)
    first, bad, second = observation(), observation(category="alien"), observation()
    send(phone, first, earlier, bad, second, dict(second))
    stored = set(db.session.scalars(select(Observation.uuid)))
    assert stored == {uuidlib.UUID(item["uuid"]) for item in (earlier, first, second)}


def test_a_mixed_batch_logs_the_accepted_items_in_order_and_keeps_the_chain_whole(phone):
    first, bad, second, third = observation(), observation(severity="loud"), observation(), observation()
    send(phone, first, bad, second, third)
    ids = {item["uuid"]: db.session.scalar(select(Observation.id).where(Observation.uuid == uuidlib.UUID(item["uuid"])))
           for item in (first, second, third)}
    logged = [subject for action, subject in actions() if action == "observation.created"]
    assert logged == [ids[first["uuid"]], ids[second["uuid"]], ids[third["uuid"]]]
    assert verify_chain().ok


def test_a_refused_check_out_between_check_ins_takes_nothing_of_its_neighbours(phone):
    # The second check-in is refused (already checked in), the check-out then ends the first.
    arrive, again, leave = check_in(), check_in(), check_out()
    assert send(phone, arrive, again, leave) == [("accepted", None), ("rejected", "already_checked_in"),
                                                 ("accepted", None)]
    assert count(Attendance, Attendance.check_out_at.is_not(None)) == 1 and verify_chain().ok


def test_a_row_stored_after_the_batch_looked_its_uuids_up_makes_the_item_a_duplicate(phone, monkeypatch):
    """What a concurrent send does between the batch's look-up and its insert: the run's insert hits
    the unique constraint, and the items are applied again one by one."""
    earlier = observation()
    send(phone, earlier)

    def look_up_too_early(self, model, column, keys):
        self.known.setdefault((model, column), {}).update(dict.fromkeys(keys))  # all "not stored yet"

    monkeypatch.setattr(Batch, "look_up", look_up_too_early)
    first, second = observation(), observation()
    assert send(phone, first, earlier, second) == [("accepted", None), ("duplicate", None), ("accepted", None)]
    assert count(Observation) == 3 and verify_chain().ok


def test_a_uuid_of_someone_elses_observation_is_refused_and_the_rest_accepted(app, phone):
    theirs, other_client = observation(), app.test_client()
    assert other_client.login(OTHER).status_code == 302
    assert send(other_client, theirs) == [("accepted", None)]
    mine = observation()
    assert send(phone, dict(theirs), mine) == [("rejected", "uuid_taken"), ("accepted", None)]


def test_records_in_one_transaction_link_on_without_reading_the_head_again(app, mai):
    record("test.first", ward_id=mai.ward_id)
    with statements() as sent:
        record("test.second", ward_id=mai.ward_id)
    db.session.commit()
    assert not [s for s in sent if "FROM activity" in s] and verify_chain().ok


def test_a_record_after_a_rolled_back_savepoint_links_to_what_stayed(app, mai):
    record("test.kept", ward_id=mai.ward_id)
    savepoint = db.session.begin_nested()
    record("test.undone", ward_id=mai.ward_id)
    savepoint.rollback()
    record("test.after", ward_id=mai.ward_id)
    db.session.commit()
    assert verify_chain().ok
