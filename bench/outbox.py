"""Benchmark of the sync API: a phone's batch of 100 queued observations against plain SQLAlchemy inserts.

Run from the project root, in the project's virtualenv:

    python -m bench.outbox --db sqlite
    python -m bench.outbox --db postgresql        # postgresql://postgres@127.0.0.1:5432/test, private schema
    python -m bench.outbox --db both --rounds 30

Each round, interleaved so that any background load falls on both alike:

- the API: `POST /api/v1/sync` with 100 new observations (fresh uuids), through the Flask test client
  in process, logged in as a volunteer, with the CSRF and outbox-person headers the phone sends. All
  100 must come back `accepted`. This is the whole server path: session, CSRF, JSON, the rules'
  checks, the savepoints, one Activity row per item, the commit.
- the yardstick: the same 100 observation rows and their 100 Activity rows inserted with plain
  SQLAlchemy (`add_all`, one flush, one commit) in an app context, no request, no checks. Timed
  from building the objects to the commit.
- observations only, the same way, for reference.

It also reports the bytes the phone sends: the JSON body per item, and the request's headers
(cookie, CSRF token, outbox person) spread over the batch. It is a report: the exit code is 0
whatever the result. SQLite uses a file under bench/data/, PostgreSQL a private schema on the test
server (`BENCH_DATABASE_URL` for another one); both are removed at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

from flask_migrate import upgrade
from sqlalchemy.exc import OperationalError
from werkzeug.security import generate_password_hash

from bench.board import Database, bench_app, login
from checkpoint.extensions import db
from checkpoint.models import Activity, Checkpoint, Observation, User, Ward
from checkpoint.pwa.routes import user_key

BATCH = 100
PHONE = "0901234567"

TEXTS = ["Hai người lạ đứng lâu trước nhà số 12, đi xe máy không biển số.",
         "Đèn đường hẻm 12 bị hỏng, khu vực tối.",
         "Mất trộm xe đạp trước tiệm tạp hóa, chủ xe đã báo công an phường.",
         "Nhóm thanh niên tụ tập uống rượu gây ồn sau 22 giờ."]
CATEGORIES = ["suspicious", "nuisance", "theft", "disturbance"]
SEVERITIES = ["info", "attention", "info", "attention"]


def seed(app) -> tuple[int, int]:
    """One ward, one checkpoint, one volunteer of it: (checkpoint id, volunteer id)."""
    import bench.board as board

    with app.app_context():
        ward = Ward(code="BC", name="Phường Bến Cát")
        db.session.add(ward)
        db.session.flush()
        post = Checkpoint(ward_id=ward.id, code="C01", name="Chốt hẻm 12", lat=10.7769, lng=106.7009)
        db.session.add(post)
        db.session.flush()
        volunteer = User(phone=PHONE, full_name="Trần Thị Mai", role="volunteer", ward_id=ward.id,
                         password_hash=generate_password_hash(board.PASSWORD, method="pbkdf2:sha256:1000"))
        volunteer.checkpoints.append(post)
        db.session.add(volunteer)
        db.session.commit()
        return post.id, volunteer.id


def items(now: datetime) -> list[dict]:
    """What the phone's outbox sends for 100 observations, as static/js/outbox.js builds them."""
    out = []
    for i in range(BATCH):
        out.append({"uuid": str(uuid.uuid4()), "kind": "observation", "checkpoint": "C01",
                    "occurred_at": (now - timedelta(minutes=BATCH - i)).isoformat(timespec="seconds"),
                    "category": CATEGORIES[i % 4], "severity": SEVERITIES[i % 4], "text": TEXTS[i % 4],
                    "lat": round(10.7769 + i * 1e-5, 6), "lng": round(106.7009 + i * 1e-5, 6)})
    return out


def plain_insert(app, checkpoint_id: int, author_id: int, ward_id: int, batch: list[dict], with_activity: bool) -> float:
    """The same rows with plain SQLAlchemy: no request, no checks, one flush, one commit."""
    with app.app_context():
        started = time.perf_counter()
        now = datetime.now(timezone.utc)
        rows = [Observation(uuid=uuid.UUID(item["uuid"]), checkpoint_id=checkpoint_id, author_id=author_id,
                            occurred_at=datetime.fromisoformat(item["occurred_at"]), received_at=now,
                            category=item["category"], severity=item["severity"], text=item["text"],
                            lat=item["lat"], lng=item["lng"], status="open") for item in batch]
        db.session.add_all(rows)
        if with_activity:
            db.session.flush()  # the activity rows name the observations' ids, as the rules' rows do
            db.session.add_all([Activity(at=now, actor_id=author_id, action="observation.created", ward_id=ward_id,
                                         checkpoint_id=checkpoint_id, subject_type="observation", subject_id=row.id,
                                         detail={"severity": row.severity, "category": row.category, "corrects": None},
                                         **activity_hashes())
                                for row in rows])
        db.session.commit()
        return time.perf_counter() - started


def activity_hashes() -> dict:
    """Placeholder chain columns where the model has them (the yardstick does no sealing)."""
    columns = Activity.__table__.columns
    return {name: "0" * 64 for name in ("prev_hash", "hash") if name in columns}


def run(kind: str, rounds: int, warmup: int) -> dict:
    database = Database(kind, keep=False)
    try:
        app = bench_app(database.url)
        with app.app_context():
            upgrade()
            db.engine.dispose()
        checkpoint_id, author_id = seed(app)
        with app.app_context():
            ward_id = db.session.get(Checkpoint, checkpoint_id).ward_id
            person = user_key(db.session.get(User, author_id))
        client = app.test_client()
        login(client, PHONE)
        token = client.get("/api/v1/session").get_json()["csrf_token"]
        headers = {"X-CSRFToken": token, "X-Outbox-Person": person}

        api, same_rows, observations_only, body_sizes, answer_sizes = [], [], [], [], []
        for r in range(warmup + rounds):
            batch = items(datetime.now(timezone.utc))
            body = json.dumps({"items": batch}, ensure_ascii=False, separators=(",", ":")).encode()
            started = time.perf_counter()
            response = client.post("/api/v1/sync", data=body, content_type="application/json", headers=headers)
            elapsed = time.perf_counter() - started
            results = response.get_json()["results"]
            if response.status_code != 200 or any(result["status"] != "accepted" for result in results):
                raise RuntimeError(f"the batch was not accepted whole: {response.status_code} {results[:2]}")
            yard = plain_insert(app, checkpoint_id, author_id, ward_id, items(datetime.now(timezone.utc)), True)
            bare = plain_insert(app, checkpoint_id, author_id, ward_id, items(datetime.now(timezone.utc)), False)
            if r >= warmup:
                api.append(elapsed)
                same_rows.append(yard)
                observations_only.append(bare)
                body_sizes.append(len(body))
                answer_sizes.append(len(response.get_data()))
        cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
        header_bytes = sum(len(f"{k}: {v}\r\n") for k, v in {
            "POST /api/v1/sync HTTP/1.1": "", "Host": "so-truc.example.vn", "Content-Type": "application/json",
            "Content-Length": str(body_sizes[0]), "Cookie": cookie, **headers}.items())
        return {"kind": kind, "api": statistics.median(api), "same_rows": statistics.median(same_rows),
                "observations_only": statistics.median(observations_only), "api_p95": sorted(api)[int(0.95 * len(api)) - 1],
                "body": statistics.median(body_sizes), "answer": statistics.median(answer_sizes),
                "headers": header_bytes, "rounds": rounds}
    finally:
        database.close()


def report(result: dict) -> None:
    per = lambda seconds: seconds / BATCH * 1000  # noqa: E731  ms per item
    ratio = result["api"] / result["same_rows"]
    print(f"\n== {result['kind']} ({result['rounds']} rounds of {BATCH}) ==")
    print(f"POST /api/v1/sync, {BATCH} observations   median {result['api'] * 1000:8.1f} ms  "
          f"({per(result['api']):.3f} ms/item), p95 {result['api_p95'] * 1000:.1f} ms")
    print(f"plain SQLAlchemy, same rows (obs+activity) median {result['same_rows'] * 1000:8.1f} ms  "
          f"({per(result['same_rows']):.3f} ms/item)")
    print(f"plain SQLAlchemy, observations only       median {result['observations_only'] * 1000:8.1f} ms  "
          f"({per(result['observations_only']):.3f} ms/item)")
    print(f"API / same rows: {ratio:.2f}×  goal ≤ 2×: {'PASS' if ratio <= 2 else 'FAIL'}")
    print(f"phone → server: JSON body {result['body'] / BATCH:.0f} B/item, headers {result['headers']} B per request "
          f"({result['headers'] / BATCH:.1f} B/item); answer {result['answer'] / BATCH:.0f} B/item")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.outbox", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"bench.outbox: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}", flush=True)
    for kind in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        try:
            report(run(kind, args.rounds, args.warmup))
        except OperationalError as error:
            print(f"\n== {kind}: not measured, the database cannot be reached ({error.orig}) ==")
    return 0


if __name__ == "__main__":
    sys.exit(main())
