"""`flask backup` and `flask restore`: a consistent copy of a live database, loaded into an empty one."""
import os
import sqlite3
import subprocess
import threading
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from checkpoint import create_app
from checkpoint.config import database_url
from checkpoint.extensions import db
from checkpoint.models import Activity, Observation
from checkpoint.rules.activity import record
from checkpoint.rules.chain import verify_chain
from checkpoint.sqlite import WRITE_LOCK
from tests.conftest import PG_DEFAULT, test_config


@pytest.fixture
def photos(app, tmp_path):
    folder = tmp_path / "photos"
    app.config["PHOTO_DIR"] = str(folder)
    return folder


@pytest.fixture
def logbook(make, post, mai, photos):
    photo = make.photo(mai)
    return make.observation(post, mai, photo_uuid=photo.uuid)


def test_backup_refuses_to_overwrite_a_file(runner, tmp_path):
    target = tmp_path / "copy.db"
    target.write_bytes(b"earlier backup")
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code != 0 and "already exists" in result.output and target.read_bytes() == b"earlier backup"


def test_backup_copies_the_photos_next_to_the_database(runner, logbook, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "copy.db")])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "copy.db.photos").iterdir()] == [f"{logbook.photo_uuid}.jpg"]


def test_backup_without_photos_says_how_to_keep_them(runner, logbook, tmp_path):
    result = runner.invoke(args=["backup", "--no-photos", str(tmp_path / "copy.db")])
    assert "rsync -a" in result.output and not (tmp_path / "copy.db.photos").exists()


def test_a_sqlite_backup_taken_while_the_app_writes_is_consistent(app, runner, make, tmp_path):
    if app.config["BACKEND"] != "sqlite":
        pytest.skip("SQLite's backup API")
    ward_id = make.ward("P4").id
    db.session.rollback()
    written, stop = threading.Event(), threading.Event()

    def writer() -> None:
        with app.app_context():
            while not stop.is_set():
                db.session.connection(execution_options={WRITE_LOCK: True})
                record("test.event", ward_id=ward_id, detail={"text": "x" * 500})
                db.session.commit()
                written.set()
            db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    written.wait()
    result = runner.invoke(args=["backup", "--no-photos", str(tmp_path / "copy.db")])
    stop.set()
    thread.join()
    copy = sqlite3.connect(tmp_path / "copy.db")
    checked, rows = copy.execute("PRAGMA integrity_check").fetchone()[0], copy.execute(
        "SELECT count(*) FROM activity").fetchone()[0]
    copy.close()
    assert (result.exit_code, checked, rows > 1) == (0, "ok", True), result.output


def test_a_postgresql_backup_is_a_pg_dump_archive(app, runner, logbook, tmp_path):
    if app.config["BACKEND"] != "postgresql":
        pytest.skip("pg_dump")
    result = runner.invoke(args=["backup", "--no-photos", str(tmp_path / "copy.dump")])
    listing = subprocess.run(["pg_restore", "--list", str(tmp_path / "copy.dump")], capture_output=True, text=True)
    assert (result.exit_code, "TABLE DATA" in listing.stdout and "observation" in listing.stdout) == (0, True)


@pytest.fixture
def empty_target(app, tmp_path):
    """A second, empty database of the same kind, and an app on it with its own photo folder."""
    if app.config["BACKEND"] == "sqlite":
        yield create_app(test_config(f"sqlite:///{tmp_path / 'restored.db'}", PHOTO_DIR=str(tmp_path / "restored")))
        return
    source = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = f"restore_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url(os.environ.get("TEST_DATABASE_URL", PG_DEFAULT)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = create_app(test_config(source.set(database=name).render_as_string(hide_password=False),
                                    PHOTO_DIR=str(tmp_path / "restored")))
    yield target
    with target.app_context():
        db.engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_restores_into_an_empty_database(runner, logbook, empty_target, tmp_path):
    assert runner.invoke(args=["backup", str(tmp_path / "copy.db")]).exit_code == 0
    with empty_target.app_context():
        result = empty_target.test_cli_runner().invoke(args=["restore", str(tmp_path / "copy.db")])
        assert result.exit_code == 0, result.output
        restored = db.session.scalar(select(Observation.text))
        verdict = verify_chain()
        db.session.remove()
        db.engine.dispose()
    photos = os.listdir(empty_target.config["PHOTO_DIR"])
    assert (restored, verdict.ok, photos) == (logbook.text, True, [f"{logbook.photo_uuid}.jpg"])


def test_restore_refuses_a_database_that_holds_rows(runner, logbook, tmp_path):
    assert runner.invoke(args=["backup", "--no-photos", str(tmp_path / "copy.db")]).exit_code == 0
    activity = db.session.scalar(select(func.count(Activity.id)))
    result = runner.invoke(args=["restore", str(tmp_path / "copy.db")])
    db.session.rollback()
    assert result.exit_code != 0 and "not empty" in result.output
    assert db.session.scalar(select(func.count(Activity.id))) == activity


def test_restore_refuses_a_file_that_is_not_a_backup(app, empty_target, tmp_path):
    if app.config["BACKEND"] != "sqlite":
        pytest.skip("pg_restore says so itself")
    junk = tmp_path / "notes.db"
    junk.write_text("not a database at all, just some words " * 200)
    with empty_target.app_context():
        result = empty_target.test_cli_runner().invoke(args=["restore", str(junk)])
        db.engine.dispose()
    assert result.exit_code != 0 and "not an SQLite backup" in result.output


def test_restore_refuses_a_backup_from_a_newer_version(app, runner, logbook, empty_target, tmp_path):
    if app.config["BACKEND"] != "sqlite":
        pytest.skip("checked before pg_restore on SQLite files only")
    assert runner.invoke(args=["backup", "--no-photos", str(tmp_path / "copy.db")]).exit_code == 0
    copy = sqlite3.connect(tmp_path / "copy.db")
    copy.execute("UPDATE alembic_version SET version_num = '0999'")
    copy.commit()
    copy.close()
    with empty_target.app_context():
        result = empty_target.test_cli_runner().invoke(args=["restore", str(tmp_path / "copy.db")])
        db.engine.dispose()
    assert result.exit_code != 0 and "newer version of the application" in result.output
