"""`flask purge --older-than DAYS`: retention of observations, photos, handovers and the activity log."""
import os
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from checkpoint.extensions import db
from checkpoint.models import Activity, Attendance, Comment, Handover, Observation, Photo, utcnow
from checkpoint.rules.attendance import check_in
from checkpoint.rules.chain import rechain, verify_chain
from checkpoint.rules.handovers import accept_handover, write_handover
from checkpoint.rules.observations import log_observation
from checkpoint.rules.police import add_comment, resolve

NOW = utcnow()
OLD = NOW - timedelta(days=100)
RECENT = NOW - timedelta(days=10)
TABLES = (Observation, Comment, Photo, Handover, Attendance, Activity)


@pytest.fixture
def photos(app, tmp_path):
    folder = tmp_path / "photos"
    app.config["PHOTO_DIR"] = str(folder)
    return folder


@pytest.fixture
def people(make, post, mai):
    """The ward's set-up happened long ago: its activity rows are dated before everything else."""
    officer = make.user("police", ward=post.ward)
    lan = make.volunteer(post)
    db.session.execute(update(Activity).values(at=OLD - timedelta(days=30)))
    rechain(0)
    db.session.commit()
    return {"mai": mai, "lan": lan, "officer": officer}


def observe(make, post, who, when, **fields):
    return make.observation(post, who, now=when, **fields)


def close(observation, officer, when):
    resolve(officer, observation, note="Đã xử lý xong.", now=when)
    db.session.commit()


@pytest.fixture
def history(make, post, people, photos):
    """What 100 days ago and 10 days ago left behind."""
    mai, officer = people["mai"], people["officer"]
    old_photo = make.photo(mai, now=OLD)
    old = observe(make, post, mai, OLD, photo_uuid=old_photo.uuid)
    correction, _ = log_observation(mai, post, uuid=uuid.uuid4(), occurred_at=OLD, now=OLD + timedelta(minutes=5),
                                    category=old.category, severity=old.severity, text="Sửa: ba thanh niên",
                                    corrects=old)
    add_comment(officer, old, text="Đã cử tổ tuần tra.", now=OLD + timedelta(minutes=30))
    db.session.commit()
    old_open = observe(make, post, mai, OLD + timedelta(hours=1), text="Chưa xử lý")
    handover, _ = write_handover(mai, post, uuid=uuid.uuid4(), occurred_at=OLD + timedelta(hours=2),
                                 now=OLD + timedelta(hours=2), summary="Ca đêm yên tĩnh.", equipment=[])
    accept_handover(people["lan"], handover, uuid=uuid.uuid4(), occurred_at=OLD + timedelta(hours=2, minutes=5),
                    now=OLD + timedelta(hours=2, minutes=5))
    db.session.commit()
    close(old, officer, OLD + timedelta(hours=3))
    commented_lately = observe(make, post, mai, OLD + timedelta(hours=4), text="Có bình luận mới")
    close(commented_lately, officer, OLD + timedelta(hours=5))
    add_comment(officer, commented_lately, text="Bổ sung hồ sơ.", now=RECENT)
    db.session.commit()
    recent_photo = make.photo(mai, now=RECENT)
    recent = observe(make, post, mai, RECENT, photo_uuid=recent_photo.uuid)
    close(recent, officer, RECENT + timedelta(hours=1))
    return {"old": old, "correction": correction, "old_open": old_open, "commented_lately": commented_lately,
            "recent": recent, "handover": handover, "old_photo": old_photo, "recent_photo": recent_photo}


def counts() -> dict[str, int]:
    db.session.rollback()
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) for model in TABLES}


def remaining(model) -> set[int]:
    db.session.rollback()
    return set(db.session.scalars(select(model.id)))


def purge(runner, *extra, days="90", **kwargs):
    return runner.invoke(args=["purge", "--older-than", days, *extra], **kwargs)


def test_a_dry_run_counts_and_changes_nothing(runner, history, photos):
    before, files = counts(), sorted(photos.iterdir())
    result = purge(runner, "--dry-run")
    assert result.exit_code == 0 and "dry run: nothing was changed" in result.output
    assert (counts(), sorted(photos.iterdir())) == (before, files)


def test_a_dry_run_shows_a_count_per_kind(runner, history):
    lines = purge(runner, "--dry-run").output.splitlines()
    assert "2  observations (with their corrections)" in lines[1] and "1  accepted handovers" in lines[4]


def test_a_purge_removes_the_closed_old_observation_and_its_correction(runner, history):
    assert purge(runner, "--yes").exit_code == 0
    kept = {history[name].id for name in ("old_open", "commented_lately", "recent")}
    assert remaining(Observation) == kept


def test_a_purge_removes_comments_photos_and_photo_files(runner, history, photos):
    purge(runner, "--yes")
    assert remaining(Comment) == {c.id for c in history["commented_lately"].comments}
    assert remaining(Photo) == {history["recent_photo"].id}
    assert sorted(p.name for p in photos.iterdir()) == [f"{history['recent_photo'].uuid}.jpg"]


def test_a_purge_removes_accepted_old_handovers_but_keeps_attendance(runner, history, post, people):
    check_in(people["mai"], post, uuid=uuid.uuid4(), occurred_at=OLD, now=OLD)
    db.session.commit()
    purge(runner, "--yes")
    assert (remaining(Handover), len(remaining(Attendance))) == (set(), 1)


def test_a_purge_removes_the_log_before_the_cut_off_and_records_itself(runner, history):
    purge(runner, "--yes")
    db.session.rollback()
    oldest = db.session.scalar(select(func.min(Activity.at)))
    purged = db.session.scalar(select(Activity).where(Activity.action == "retention.purged"))
    assert oldest >= NOW - timedelta(days=90) and purged.detail["counts"]["observations"] == 2


def test_the_log_still_verifies_after_a_purge(runner, history):
    purge(runner, "--yes")
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 0, result.output


def test_the_log_still_verifies_after_two_purges(runner, history):
    purge(runner, "--yes")
    purge(runner, "--yes", days="5")
    assert verify_chain().ok


def test_rows_deleted_by_hand_after_a_purge_are_still_found(runner, history):
    purge(runner, "--yes")
    db.session.rollback()
    oldest = db.session.scalar(select(func.min(Activity.id)))
    db.session.execute(Activity.__table__.delete().where(Activity.id == oldest))
    db.session.commit()
    assert verify_chain().broken_at == oldest + 1


@pytest.mark.parametrize("days, reason", [("7", "at least 30 days"), ("99999", "at most 36500 days"),
                                          ("soon", "is not a valid integer")])
def test_purge_refuses_a_retention_out_of_range(runner, history, days, reason):
    before = counts()
    result = purge(runner, "--yes", days=days)
    assert result.exit_code != 0 and reason in result.output and counts() == before


def test_purge_asks_first_and_no_keeps_everything(runner, history):
    before = counts()
    result = purge(runner, input="n\n")
    assert result.exit_code != 0 and "Delete these records for good?" in result.output and counts() == before


def test_stray_photo_files_older_than_a_day_go(runner, history, photos):
    stray, fresh, foreign = (photos / f"{uuid.uuid4()}.jpg", photos / f"{uuid.uuid4()}.jpg", photos / "notes.txt")
    for path in (stray, fresh, foreign):
        path.write_bytes(b"x")
    two_days_ago = (NOW - timedelta(days=2)).timestamp()
    os.utime(stray, (two_days_ago, two_days_ago))
    os.utime(foreign, (two_days_ago, two_days_ago))
    purge(runner, "--yes")
    assert (stray.exists(), fresh.exists(), foreign.exists()) == (False, True, True)


def test_an_old_photo_no_observation_ever_used_goes(runner, make, people, photos):
    file = photos / f"{make.photo(people['mai'], now=OLD).uuid}.jpg"
    purge(runner, "--yes")
    assert (remaining(Photo), file.exists()) == (set(), False)
