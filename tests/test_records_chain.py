"""The activity log's hash chain and `flask verify-log`: hand edits are found, concurrent writers never fork it."""
import threading

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from checkpoint import create_app
from checkpoint.extensions import db
from checkpoint.models import Activity
from checkpoint.rules.activity import record
from checkpoint.rules.chain import GENESIS, digest, verify_chain
from checkpoint.sqlite import WRITE_LOCK
from tests.conftest import PostgresSchema, test_config


@pytest.fixture
def log(make):
    """A ward's set-up (ward, checkpoint, people: each recorded) plus five more rows."""
    ward = make.ward("P4")
    make.checkpoint(ward, "C01")
    make.user("police", ward=ward)
    for number in range(5):
        record("test.event", ward_id=ward.id, detail={"n": number, "chữ": "Phường 4"})
    db.session.commit()
    return list(db.session.scalars(select(Activity).order_by(Activity.id)))


def tamper(sql: str, **params) -> None:
    db.session.execute(text(sql), params)
    db.session.commit()


def test_each_row_links_to_the_one_before(log):
    assert [row.prev_hash for row in log] == [GENESIS] + [row.hash for row in log[:-1]]


def test_each_hash_covers_the_row_and_its_link(log):
    assert all(row.hash == digest(row.prev_hash, row) for row in log)


def test_verify_log_says_ok_with_the_count(runner, log):
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 0 and result.output.startswith(f"ok: {len(log)} records")


def test_verify_log_on_an_empty_log(runner, app):
    result = runner.invoke(args=["verify-log"])
    assert (result.exit_code, result.output.strip()) == (0, "ok: 0 records")


def test_an_edited_detail_is_reported_at_its_row(runner, log):
    tamper("UPDATE activity SET detail = '{\"n\": 99}' WHERE id = :id", id=log[4].id)
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 1
    assert f"broken at activity #{log[4].id}" in result.output and "content does not match" in result.output


def test_an_edited_action_is_reported(log):
    tamper("UPDATE activity SET action = 'user.login' WHERE id = :id", id=log[2].id)
    assert verify_chain().broken_at == log[2].id


def test_a_deleted_row_is_reported_at_the_next_one(log):
    tamper("DELETE FROM activity WHERE id = :id", id=log[3].id)
    verdict = verify_chain()
    assert (verdict.broken_at, "link to the previous row" in verdict.reason) == (log[4].id, True)


def test_deleting_the_oldest_rows_by_hand_is_reported(log):
    tamper("DELETE FROM activity WHERE id <= :id", id=log[1].id)
    verdict = verify_chain()
    assert verdict.broken_at == log[2].id and "oldest row" in verdict.reason


def test_a_rehashed_row_breaks_the_link_of_the_next(log):
    """Editing a row and fixing its own hash is not enough: the next row still links to the old one."""
    row = log[2]
    row.detail = {"n": 1000}
    forged = digest(row.prev_hash, row)
    db.session.rollback()
    tamper("UPDATE activity SET detail = '{\"n\": 1000}', hash = :forged WHERE id = :id", forged=forged, id=row.id)
    assert verify_chain().broken_at == log[3].id


def test_detail_is_stored_as_it_was_hashed(app, make):
    ward = make.ward("P4")
    entry = record("test.event", ward_id=ward.id, detail={"tuple": (1, 2), 7: "seven"})
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Activity, entry.id).detail == {"tuple": [1, 2], "7": "seven"} and verify_chain().ok


def test_concurrent_writers_never_fork_the_chain(app, make):
    """Several sessions recording at once, as several app processes do: one chain, ids in commit order."""
    ward_id = make.ward("P4").id
    db.session.rollback()
    threads, rounds, failures = 6, 15, []
    start = threading.Barrier(threads)

    def writer(number: int) -> None:
        with app.app_context():
            try:
                start.wait()
                for step in range(rounds):
                    db.session.connection(execution_options={WRITE_LOCK: True})  # as a POST request does
                    record("test.event", ward_id=ward_id, detail={"writer": number, "step": step})
                    db.session.commit()
            except Exception as error:  # reported below: a thread's exception would vanish otherwise
                failures.append(repr(error))
            finally:
                db.session.remove()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    db.session.rollback()  # the test's own snapshot predates the writers
    verdict = verify_chain()
    assert (failures, verdict.ok, verdict.count) == ([], True, 1 + threads * rounds)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        with PostgresSchema() as url:
            yield url


def test_the_migration_seals_the_rows_already_there(empty_database):
    app = create_app(test_config(empty_database))
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO ward (code, name) VALUES ('P4', 'Phường 4')"))
            for number in range(3):
                conn.execute(text("INSERT INTO activity (at, action, ward_id, detail) "
                                  "VALUES (:at, 'ward.created', 1, :detail)"),
                             {"at": f"2026-0{number + 1}-01 08:00:00.123456", "detail": f'{{"n": {number}}}'})
        upgrade()
        verdict = verify_chain()
        db.session.remove()
        downgrade(revision="0004")  # and back, so the downgrade is exercised with rows in place
        db.engine.dispose()
    assert (verdict.ok, verdict.count) == (True, 3)
