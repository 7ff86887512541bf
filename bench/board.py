"""Benchmark of the police board against a city-sized history, with a bare route as the yardstick.

Run from the project root, in the project's virtualenv:

    python -m bench.board --db sqlite
    python -m bench.board --db postgresql            # postgresql://postgres@127.0.0.1:5432/test
    python -m bench.board --db sqlite --rows-large 100000 --requests 100   # a quick run

It builds the schema with the migrations, fills a city of 168 wards × 30 checkpoints with
`--rows-small` observations (one Activity row each), measures, adds observations up to
`--rows-large`, and measures again, in one process and against the same ward. History is time:
the city logs 1,000,000 observations a year, so N observations are N/2740 days of history, and the
measured ward gets the same span of duty history (shifts, attendances, handovers); pass
`--no-duty-history` to fill observations only.

Each size measures, with the Flask test client (in process, so the app and the database, not the
network): a bare route registered here (`/bench/bare`, the floor of any logged-in request), the
board page, the "nothing changed" poll (204) and the "one thing changed" poll (200, after one new
observation committed outside the timed section). It prints median and p95, the two goals with
PASS/FAIL, the SQL statements that cost the board most, and their plans (EXPLAIN QUERY PLAN on
SQLite, EXPLAIN ANALYZE on PostgreSQL). It is a report: the exit code is 0 whatever the result.

SQLite uses a file under bench/data/ (removed at the end unless `--keep`); PostgreSQL uses a
private schema on the test server (dropped at the end unless `--keep`).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import statistics
import sys
import time
import traceback
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, event, func, insert, select, text, update
from werkzeug.security import generate_password_hash

from checkpoint import create_app
from checkpoint.config import TestConfig, database_url
from checkpoint.extensions import db
from checkpoint.models import (Activity, Attendance, Checkpoint, Comment, Handover, Observation, Photo, Shift, User,
                               Ward, checkpoint_member, shift_assignment)
from checkpoint.policy import public

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')

WARDS = 168
CHECKPOINTS_PER_WARD = 30
VOLUNTEERS_PER_CHECKPOINT = 6  # three shifts a day, two people each
MEASURED_WARD = 84  # a ward from the middle of the city, not the first or last rows of any table
PASSWORD = "bench-password-1"
OBSERVATIONS_PER_DAY = 1_000_000 / 365  # the city-wide rate: one million a year
SHIFT = timedelta(hours=8)
CHUNK = 10_000

CATEGORIES = {"suspicious": 25, "traffic": 15, "disturbance": 12, "theft": 10, "nuisance": 10, "assistance": 8,
              "property": 6, "other": 6, "drugs": 4, "fire": 4}
SEVERITIES = {"info": 70, "attention": 25, "urgent": 5}
TEXTS = [
    "Hai thanh niên lạ mặt đứng lâu ở đầu hẻm, quan sát nhà số 12.",
    "Xe máy không biển số chạy qua lại nhiều lần.",
    "Cãi nhau lớn tiếng trước quán nước, đã can ngăn.",
    "Mất trộm xe đạp trước cổng chợ.",
    "Đèn đường hỏng, hẻm tối.",
    "Người say nằm ở vỉa hè, đã gọi người nhà.",
    "Tụ tập đông người, nghi đánh bạc.",
    "Kẹt xe kéo dài ở ngã tư do xe tải đỗ sai.",
    "Cụ bà đi lạc, đã đưa về nhà.",
    "Khói bốc lên từ bãi rác, đã dập tắt.",
    "Có người lạ hỏi thăm nhà vắng chủ.",
    "Tiếng ồn karaoke sau 22 giờ.",
]
NOTES = ["Đã xác minh, không có vi phạm.", "Đã lập biên bản.", "Đã nhắc nhở, giải tán.", "Chuyển công an phường xử lý."]
EQUIPMENT = ["Bộ đàm", "Đèn pin", "Sổ trực"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def weighted(rng: random.Random, table: dict[str, int], n: int) -> list[str]:
    return rng.choices(list(table), weights=list(table.values()), k=n)


# ---------------------------------------------------------------------------------------------
# Bulk-loaded activity rows are not sealed into the hash chain (rules/chain.py): the bench reads the
# board and never runs verify-log; bench/activity_chain.py measures the chain's cost.
UNSEALED = {"prev_hash": "0" * 64, "hash": "0" * 64}

# The database: a SQLite file or a private PostgreSQL schema, migrated by Alembic.


class Database:
    """A SQLite file under bench/data/ or a private PostgreSQL schema, made for one run and removed
    after it (unless `keep`); `name` starts the file's and the schema's names."""

    def __init__(self, kind: str, keep: bool, name: str = "bench"):
        self.kind, self.keep = kind, keep
        tag = f"{name}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        if kind == "sqlite":
            DATA.mkdir(exist_ok=True)
            self.path = DATA / f"{tag}.db"
            self.url = f"sqlite:///{self.path}"
        else:
            self.schema = tag
            base = database_url(os.environ.get("BENCH_DATABASE_URL", PG_DEFAULT))
            self.admin = create_engine(base, pool_pre_ping=True)  # the load test's --db-down cuts it
            with self.admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            self.url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{self.schema}"

    def close(self) -> None:
        if self.kind == "sqlite":
            if self.keep:
                print(f"kept {self.path}")
            else:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            if self.keep:
                print(f"kept schema {self.schema} ({self.url})")
            else:
                with self.admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            self.admin.dispose()


def bench_app(url: str):
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    # Production-like: not TESTING, but exceptions still reach us so a broken page is reported.
    config.update(SQLALCHEMY_DATABASE_URI=url, TESTING=False, PROPAGATE_EXCEPTIONS=True,
                  SECRET_KEY="bench-secret-key", LOGIN_LIMIT_PER_PHONE="1000 per minute",
                  LOGIN_LIMIT_PER_ADDRESS="1000 per minute")
    app = create_app(config)

    @app.get("/bench/bare")
    @public
    def bare():
        return "ok"

    return app


# ---------------------------------------------------------------------------------------------
# Filling: bulk inserts (Core executemany on SQLite, COPY on PostgreSQL), explicit ids.


def bulk_insert(conn, table, rows: list[dict]) -> None:
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
                            for v in (row[c] for c in columns)])
    cursor.close()


@dataclass
class City:
    """What the filler knows about the rows it made: ids are assigned here, not by the database."""

    now: datetime
    total: int  # the observation count of the full history (--rows-large): fixes ids and times
    rng: random.Random
    checkpoints: dict[int, tuple[int, float, float]] = field(default_factory=dict)  # id -> ward, lat, lng
    next_id: dict[str, int] = field(default_factory=lambda: defaultdict(lambda: 1))
    duty_days: float = 0.0  # how far back the measured ward's duty history reaches
    analyze_sqlite: bool = False

    def ids(self, table: str, n: int) -> range:
        start = self.next_id[table]
        self.next_id[table] = start + n
        return range(start, start + n)

    @staticmethod
    def police(ward_id: int) -> int:
        return ward_id

    @staticmethod
    def coordinator(ward_id: int) -> int:
        return WARDS + ward_id

    @staticmethod
    def volunteer(checkpoint_id: int, r: int) -> int:
        return 2 * WARDS + (checkpoint_id - 1) * VOLUNTEERS_PER_CHECKPOINT + r + 1

    @staticmethod
    def ward_checkpoints(ward_id: int) -> range:
        first = (ward_id - 1) * CHECKPOINTS_PER_WARD + 1
        return range(first, first + CHECKPOINTS_PER_WARD)

    @staticmethod
    def phone(user_id: int) -> str:
        return f"09{user_id:08d}"


def fill_city(conn, city: City) -> None:
    """Wards, checkpoints, police, coordinators and six volunteers per checkpoint."""
    rng, now = city.rng, city.now
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    wards = [{"id": w, "code": f"W{w:03d}", "name": f"Phường {w:03d}", "duty_phone": f"0283{w:07d}"}
             for w in range(1, WARDS + 1)]
    checkpoints, users, members = [], [], []
    for w in range(1, WARDS + 1):
        centre = (10.70 + rng.random() * 0.15, 106.60 + rng.random() * 0.20)
        for n, c in enumerate(city.ward_checkpoints(w), start=1):
            lat, lng = centre[0] + rng.uniform(-0.01, 0.01), centre[1] + rng.uniform(-0.01, 0.01)
            city.checkpoints[c] = (w, lat, lng)
            checkpoints.append({"id": c, "ward_id": w, "code": f"C{n:02d}", "name": f"Chốt {n:02d} · Phường {w:03d}",
                                "address": f"Hẻm {n * 7} đường số {w}", "lat": lat, "lng": lng,
                                "standing_orders": "Tuần tra mỗi giờ; báo ngay khi có việc khẩn.",
                                "equipment": EQUIPMENT, "min_staff": 2, "active": True, "qr_generation": 1})

    def user(user_id: int, role: str, ward_id: int, name: str) -> dict:
        return {"id": user_id, "phone": city.phone(user_id), "full_name": name, "password_hash": password_hash,
                "role": role, "ward_id": ward_id, "locale": "vi", "active": True, "session_version": 1,
                "created_at": now - timedelta(days=400)}

    for w in range(1, WARDS + 1):
        users.append(user(city.police(w), "police", w, f"Công an phường {w:03d}"))
        users.append(user(city.coordinator(w), "coordinator", w, f"Điều phối phường {w:03d}"))
        for c in city.ward_checkpoints(w):
            for r in range(VOLUNTEERS_PER_CHECKPOINT):
                v = city.volunteer(c, r)
                users.append(user(v, "volunteer", w, f"Tình nguyện viên {v:05d}"))
                members.append({"user_id": v, "checkpoint_id": c})
    bulk_insert(conn, Ward.__table__, wards)
    bulk_insert(conn, Checkpoint.__table__, checkpoints)
    for start in range(0, len(users), CHUNK):
        bulk_insert(conn, User.__table__, users[start:start + CHUNK])
    for start in range(0, len(members), CHUNK):
        bulk_insert(conn, checkpoint_member, members[start:start + CHUNK])
    city.next_id.update(ward=WARDS + 1, checkpoint=len(checkpoints) + 1, user=len(users) + 1)


def fill_observations(engine, city: City, lo: int, hi: int, label: str) -> None:
    """History observations lo..hi-1 of `city.total`, in time order; index i has id i + 1.

    All are resolved (a few were only acknowledged and corrected); one Activity row each, a photo
    for 5 %, a police comment for 2 %, a correction for 0.5 %.
    """
    rng, now = city.rng, city.now
    newest = now - timedelta(hours=1)  # the history ends where the current state begins
    checkpoint_ids = list(city.checkpoints)
    started, done = time.perf_counter(), 0
    for chunk_lo in range(lo, hi, CHUNK):
        chunk_hi = min(hi, chunk_lo + CHUNK)
        n = chunk_hi - chunk_lo
        categories, severities = weighted(rng, CATEGORIES, n), weighted(rng, SEVERITIES, n)
        observations, activities, photos, comments = [], [], [], []
        previous = None
        for k, i in enumerate(range(chunk_lo, chunk_hi)):
            oid = i + 1
            occurred = newest - timedelta(days=(city.total - i - rng.random()) / OBSERVATIONS_PER_DAY)
            received = occurred + timedelta(seconds=rng.randint(1, 120))
            corrects = previous is not None and previous["corrects_id"] is None and rng.random() < 0.005
            if corrects:
                checkpoint_id, author = previous["checkpoint_id"], previous["author_id"]
            else:
                checkpoint_id = rng.choice(checkpoint_ids)
                author = city.volunteer(checkpoint_id, rng.randrange(VOLUNTEERS_PER_CHECKPOINT))
            ward_id, lat, lng = city.checkpoints[checkpoint_id]
            police = city.police(ward_id)
            acknowledged = min(received + timedelta(minutes=rng.uniform(1, 30)), now - timedelta(minutes=2))
            resolved = min(acknowledged + timedelta(minutes=rng.uniform(5, 240)), now - timedelta(minutes=1))
            photo = uuid.uuid4() if rng.random() < 0.05 else None
            row = {
                "id": oid, "uuid": uuid.uuid4(), "checkpoint_id": checkpoint_id, "author_id": author,
                "occurred_at": occurred, "received_at": received, "category": categories[k],
                "severity": severities[k], "text": rng.choice(TEXTS), "photo_uuid": photo,
                "lat": lat + rng.uniform(-0.001, 0.001) if rng.random() < 0.85 else None,
                "lng": None, "corrects_id": previous["id"] if corrects else None, "status": "resolved",
                "acknowledged_by_id": police, "acknowledged_at": acknowledged, "resolved_by_id": police,
                "resolved_at": resolved, "resolution_note": rng.choice(NOTES),
            }
            if row["lat"] is not None:
                row["lng"] = lng + rng.uniform(-0.001, 0.001)
            observations.append(row)
            activities.append({"id": oid, "at": received, "actor_id": author, "action": "observation.created",
                               "ward_id": ward_id, "checkpoint_id": checkpoint_id, "subject_type": "observation",
                               "subject_id": oid, "detail": {}, **UNSEALED})
            if photo is not None:
                photos.append({"uuid": photo, "uploader_id": author, "width": 1280, "height": 960,
                               "size_bytes": rng.randint(80_000, 300_000), "received_at": received})
            if rng.random() < 0.02:
                comments.append({"observation_id": oid, "author_id": police, "text": "Đã cử tổ tuần tra đến.",
                                 "created_at": acknowledged})
            previous = row
        with engine.begin() as conn:
            bulk_insert(conn, Observation.__table__, observations)
            bulk_insert(conn, Activity.__table__, activities)
            bulk_insert(conn, Photo.__table__, photos)
            bulk_insert(conn, Comment.__table__, comments)
        done += n
        if done % 100_000 < CHUNK or chunk_hi == hi:
            rate = done / (time.perf_counter() - started)
            print(f"  {label}: {done:,}/{hi - lo:,} observations ({rate:,.0f}/s)", flush=True)


def fill_duty(conn, city: City, ks: range, running_scenarios: bool) -> None:
    """The measured ward's shifts `ks` (0 is running now, 8 h each), their people, attendances, handovers.

    Past shifts were worked by both assigned volunteers and handed over to the next shift, which
    accepted. With `running_scenarios` the running shift has a realistic mix: most checkpoints
    staffed, some below minimum, some nobody, one left early, one unscheduled presence; and three
    handovers of the shift that just ended still wait for acceptance.
    """
    rng, now = city.rng, city.now
    anchor = now.replace(second=0, microsecond=0) - timedelta(hours=3)
    checkpoints = list(city.ward_checkpoints(MEASURED_WARD))
    shifts, assignments, attendances, handovers = [], [], [], []
    attendance_of: dict[tuple[int, int], int] = {}  # (checkpoint, k) -> the first volunteer's attendance id
    waiting = set(rng.sample(checkpoints, 3)) if running_scenarios else set()
    scenarios = {}
    if running_scenarios:
        shuffled = rng.sample(checkpoints, len(checkpoints))
        scenarios = dict.fromkeys(shuffled[:3], "one")
        scenarios.update(dict.fromkeys(shuffled[3:5], "none"))
        scenarios[shuffled[5]] = "left"
        scenarios[shuffled[6]] = "unscheduled"
    shift_ids = {}
    for k in ks:
        for c in checkpoints:
            shift_ids[c, k] = city.ids("shift", 1)[0]
    for k in sorted(ks):
        starts, ends = anchor + SHIFT * k, anchor + SHIFT * (k + 1)
        for c in checkpoints:
            _ward, lat, lng = city.checkpoints[c]
            pair = [city.volunteer(c, 2 * (k % 3)), city.volunteer(c, 2 * (k % 3) + 1)]
            sid = shift_ids[c, k]
            shifts.append({"id": sid, "checkpoint_id": c, "starts_at": starts, "ends_at": ends,
                           "created_by_id": city.coordinator(MEASURED_WARD), "created_at": starts - timedelta(days=7)})
            assignments += [{"shift_id": sid, "user_id": v} for v in pair]
            if starts > now:
                continue
            scenario = scenarios.get(c) if k == 0 else None
            for n, v in enumerate(pair):
                if scenario == "none" or (scenario == "one" and n == 1):
                    continue
                delay = rng.uniform(-5, 12)
                check_in = starts + timedelta(minutes=delay)
                out = None
                if ends <= now:
                    out = ends + timedelta(minutes=rng.uniform(-5, 10))
                elif scenario == "left" and n == 1:
                    out = now - timedelta(minutes=40)
                aid = city.ids("attendance", 1)[0]
                if n == 0:
                    attendance_of[c, k] = aid
                far = rng.random() < 0.03
                attendances.append({
                    "id": aid, "uuid": uuid.uuid4(), "user_id": v, "checkpoint_id": c, "shift_id": sid,
                    "check_in_at": check_in, "check_in_received_at": check_in + timedelta(seconds=2),
                    "check_in_lat": lat, "check_in_lng": lng, "distance_m": 400 if far else rng.randint(3, 80),
                    "by_qr": rng.random() < 0.4, "late_minutes": int(delay) if delay >= 1 else 0,
                    "check_out_uuid": uuid.uuid4() if out else None, "check_out_at": out,
                    "check_out_received_at": out + timedelta(seconds=2) if out else None,
                    "check_out_lat": lat if out else None, "check_out_lng": lng if out else None,
                })
            if scenario == "unscheduled":
                v = city.volunteer(c, 2 * ((k + 1) % 3))
                check_in = now - timedelta(minutes=50)
                attendances.append({
                    "id": city.ids("attendance", 1)[0], "uuid": uuid.uuid4(), "user_id": v, "checkpoint_id": c,
                    "shift_id": None, "check_in_at": check_in, "check_in_received_at": check_in, "check_in_lat": lat,
                    "check_in_lng": lng, "distance_m": 12, "by_qr": True, "late_minutes": None,
                    "check_out_uuid": None, "check_out_at": None, "check_out_received_at": None,
                    "check_out_lat": None, "check_out_lng": None})
            if ends <= now and (c, k) in attendance_of:
                occurred = ends - timedelta(minutes=5)
                accepted = k != -1 or c not in waiting
                acceptor = city.volunteer(c, 2 * ((k + 1) % 3))
                accepted_at = ends + timedelta(minutes=rng.uniform(1, 15)) if accepted else None
                handovers.append({
                    "id": city.ids("handover", 1)[0], "uuid": uuid.uuid4(), "checkpoint_id": c,
                    "author_id": pair[0], "from_attendance_id": attendance_of[c, k],
                    "summary": "Ca trực yên tĩnh, đã bàn giao đủ.",
                    "equipment": [{"item": item, "ok": True, "remark": ""} for item in EQUIPMENT],
                    "occurred_at": occurred, "received_at": occurred + timedelta(seconds=3),
                    "accept_uuid": uuid.uuid4() if accepted else None, "accepted_by_id": acceptor if accepted else None,
                    "accepted_at": accepted_at, "accept_received_at": accepted_at,
                    "accept_remark": "Đã nhận đủ." if accepted else None})
    for table, rows in ((Shift.__table__, shifts), (shift_assignment, assignments),
                        (Attendance.__table__, attendances), (Handover.__table__, handovers)):
        for start in range(0, len(rows), CHUNK):
            bulk_insert(conn, table, rows[start:start + CHUNK])


def fill_current_observations(conn, city: City) -> None:
    """What is open in the measured ward now: 2 urgent, 6 open, 3 acknowledged, a correction, comments."""
    rng, now = city.rng, city.now
    checkpoints = list(city.ward_checkpoints(MEASURED_WARD))
    police = city.police(MEASURED_WARD)
    plan = [("urgent", "open")] * 2 + [("attention", "open")] * 3 + [("info", "open")] * 3 + \
           [("attention", "acknowledged")] * 3
    observations, activities, comments = [], [], []
    for n, (severity, status) in enumerate(plan):
        c = rng.choice(checkpoints)
        author = city.volunteer(c, rng.randrange(VOLUNTEERS_PER_CHECKPOINT))
        occurred = now - timedelta(minutes=20 + 25 * n)
        oid = city.total + city.ids("current_observation", 1)[0]
        acknowledged = occurred + timedelta(minutes=10) if status == "acknowledged" else None
        observations.append({
            "id": oid, "uuid": uuid.uuid4(), "checkpoint_id": c, "author_id": author, "occurred_at": occurred,
            "received_at": occurred + timedelta(seconds=5), "category": rng.choice(list(CATEGORIES)),
            "severity": severity, "text": TEXTS[n % len(TEXTS)], "photo_uuid": None, "lat": None, "lng": None,
            "corrects_id": None, "status": status, "acknowledged_by_id": police if acknowledged else None,
            "acknowledged_at": acknowledged, "resolved_by_id": None, "resolved_at": None, "resolution_note": None})
        if acknowledged:
            comments.append({"observation_id": oid, "author_id": police, "text": "Đang xác minh.",
                             "created_at": acknowledged})
    first = observations[2]
    correction = dict(first, id=city.total + city.ids("current_observation", 1)[0], uuid=uuid.uuid4(),
                      corrects_id=first["id"], text=first["text"] + " (sửa: hai người, không phải ba)",
                      received_at=first["received_at"] + timedelta(minutes=3))
    observations.append(correction)
    for row in observations:
        activities.append({"id": row["id"], "at": row["received_at"], "actor_id": row["author_id"],
                           "action": "observation.created", "ward_id": MEASURED_WARD,
                           "checkpoint_id": row["checkpoint_id"], "subject_type": "observation",
                           "subject_id": row["id"], "detail": {}, **UNSEALED})
    bulk_insert(conn, Observation.__table__, observations)
    bulk_insert(conn, Activity.__table__, activities)
    bulk_insert(conn, Comment.__table__, comments)


def duty_history_ks(days: float) -> range:
    """Shift numbers before this week (k < -10) that reach `days` back."""
    oldest = -10 - int(days * 3)
    return range(oldest, -10)


def tidy(engine, city: City) -> None:
    """Sequences past the explicit ids (PostgreSQL); statistics as the database would gather them."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("ward", "checkpoint", "user", "observation", "activity", "photo", "comment", "shift",
                          "attendance", "handover"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{table}\"), false)"))
        # Autovacuum would do this soon after a bulk load; the benchmark should not measure the interim.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in db.metadata.sorted_tables:
                conn.execute(text(f'VACUUM ANALYZE "{table.name}"'))
    elif city.analyze_sqlite:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def fill_engine(url: str):
    engine = create_engine(database_url(url) if url.startswith("postgres") else url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def fast(dbapi_connection, _record):
            # Only for the loader's own connections: the app's keep their durable defaults.
            dbapi_connection.execute("PRAGMA synchronous=OFF")
            dbapi_connection.execute("PRAGMA cache_size=-262144")
    return engine


# ---------------------------------------------------------------------------------------------
# Measuring.


def login(client, phone: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = META_CSRF.search(page)
    if not token:
        raise RuntimeError("no <meta name=csrf-token> on /login")
    response = client.post("/login", data={"phone": phone, "password": PASSWORD, "csrf_token": token.group(1)})
    if response.status_code != 302:
        raise RuntimeError(f"login failed: {response.status_code}")


def current_seq(app) -> int:
    with app.app_context():
        seq = db.session.scalar(select(func.max(Activity.id)).where(Activity.ward_id == MEASURED_WARD)) or 0
        db.session.remove()
        return seq


class Changer:
    """Before each 'one thing changed' poll: resolve the previous new observation, log a new one."""

    def __init__(self, app, city: City):
        self.app, self.city, self.previous, self.n = app, city, None, 0
        self.checkpoints = list(city.ward_checkpoints(MEASURED_WARD))

    def __call__(self) -> int:
        """Returns the seq the board had before the change."""
        now = utcnow()
        police = self.city.police(MEASURED_WARD)
        with self.app.app_context():
            since = db.session.scalar(select(func.max(Activity.id)).where(Activity.ward_id == MEASURED_WARD)) or 0
            if self.previous is not None:
                db.session.execute(update(Observation).where(Observation.id == self.previous).values(
                    status="resolved", acknowledged_by_id=police, acknowledged_at=now, resolved_by_id=police,
                    resolved_at=now))
            c = self.checkpoints[self.n % len(self.checkpoints)]
            author = self.city.volunteer(c, self.n % VOLUNTEERS_PER_CHECKPOINT)
            self.n += 1
            oid = db.session.execute(insert(Observation).values(
                uuid=uuid.uuid4(), checkpoint_id=c, author_id=author, occurred_at=now, received_at=now,
                category="suspicious", severity="attention", text=f"Ghi nhận mới số {self.n}", status="open",
            ).returning(Observation.id)).scalar_one()
            db.session.execute(insert(Activity).values(
                at=now, actor_id=author, action="observation.created", ward_id=MEASURED_WARD, checkpoint_id=c,
                subject_type="observation", subject_id=oid, detail={}, **UNSEALED))
            db.session.commit()
            db.session.remove()
            self.previous = oid
        return since

    def finish(self) -> None:
        if self.previous is None:
            return
        now = utcnow()
        police = self.city.police(MEASURED_WARD)
        with self.app.app_context():
            db.session.execute(update(Observation).where(Observation.id == self.previous).values(
                status="resolved", acknowledged_by_id=police, acknowledged_at=now, resolved_by_id=police,
                resolved_at=now))
            db.session.commit()
            db.session.remove()
        self.previous = None


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def p95(self) -> float:
        if not self.samples:
            return float("nan")
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def get(client, url: str, expect: int) -> float:
    """One request, timed from the call to the last byte of the body, in ms."""
    start = time.perf_counter()
    response = client.get(url)
    response.get_data()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != expect:
        raise RuntimeError(f"GET {url} answered {response.status_code}, expected {expect}")
    return elapsed


ENDPOINTS = ("bare", "board", "unchanged", "changed")
LABELS = {
    "bare": "bare route /bench/bare",
    "board": "board page",
    "unchanged": "poll, nothing changed (204)",
    "changed": "poll, one thing changed (200)",
}


def measure(app, client, city: City, n: int, warmup: int) -> dict[str, Timing]:
    """Warm-up, then `n` rounds of the four requests in turn.

    Interleaving puts any background load of the machine on all four alike, so the ratios hold
    even when the absolute times wander. The 'one thing changed' poll is preceded, untimed, by one
    new observation committed for the ward; the 'nothing changed' poll asks with the newest seq.
    """
    board = f"/wards/W{MEASURED_WARD:03d}/board"
    changer = Changer(app, city)
    results = {name: Timing() for name in ENDPOINTS}
    seq = current_seq(app)
    gc.collect()
    for i in range(warmup + n):
        for name in ENDPOINTS:
            if results[name].error:
                continue
            try:
                if name == "bare":
                    ms = get(client, "/bench/bare", 200)
                elif name == "board":
                    ms = get(client, board, 200)
                elif name == "unchanged":
                    ms = get(client, f"{board}/changes?since={seq}", 204)
                else:
                    since = changer()
                    ms = get(client, f"{board}/changes?since={since}", 200)
                    seq = current_seq(app)
            except Exception as error:  # a broken page is a result to report, not a crash of the report
                results[name].error = f"{error.__class__.__name__}: {error}"
                traceback.print_exc()
                continue
            if i >= warmup:
                results[name].samples.append(ms)
    changer.finish()
    return results


class StatementLog:
    """The SQL statements of the requests made while attached, with their durations."""

    def __init__(self, engine):
        self.engine, self.rows, self._start = engine, [], {}

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._start[id(cursor)] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - self._start.pop(id(cursor), time.perf_counter())
        if statement.strip().upper() != "BEGIN":  # SQLite's explicit BEGIN (checkpoint/sqlite.py)
            self.rows.append((statement, parameters, elapsed * 1000))


def profile(app, client, url: str, runs: int = 5) -> tuple[float, list[tuple[str, object, float]]]:
    """Statements per request and, per distinct statement in request order, its median cost.

    The cost is measured by running the statement again on its own and fetching every row: the
    driver's execute() alone is not enough, since SQLite's stops at the first row and streams the
    rest while the ORM reads them.
    """
    with app.app_context():
        engine = db.engine
    client.get(url)
    order: list[str] = []
    params: dict[str, object] = {}
    with StatementLog(engine) as log:
        for _ in range(runs):
            client.get(url)
    for statement, parameters, _ms in log.rows:
        if statement not in params:
            order.append(statement)
            params[statement] = parameters
    count = len(log.rows) / runs
    costs = []
    with app.app_context():
        conn = db.session.connection()
        for statement in order:
            times = []
            if statement.lstrip().upper().startswith("SELECT"):
                for _ in range(7):
                    start = time.perf_counter()
                    conn.exec_driver_sql(statement, params[statement]).fetchall()
                    times.append((time.perf_counter() - start) * 1000)
            costs.append((statement, params[statement], statistics.median(times) if times else 0.0))
        db.session.rollback()
        db.session.remove()
    return count, costs


def one_line(statement: str, width: int = 150) -> str:
    line = " ".join(statement.split())
    return line if len(line) <= width else line[:width - 1] + "…"


def explain(app, statement: str, parameters) -> str:
    with app.app_context():
        conn = db.session.connection()
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            depth = {0: 0}
            lines = []
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, 0) + 1
                lines.append(f"    {'  ' * (depth[node] - 1)}{detail}")
            plan = "\n".join(lines)
        else:
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters).all()
            plan = "\n".join(f"    {row[0]}" for row in rows)
        db.session.rollback()
        db.session.remove()
    return plan


# ---------------------------------------------------------------------------------------------
# Reporting.


def size_label(rows: int) -> str:
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows >= 1000 and rows % 1000 == 0:
        return f"{rows // 1000}k"
    return f"{rows:,}"


def report(kind: str, sizes: list[int], results: dict[int, dict[str, Timing]], counts: dict[int, dict[str, float]],
           args) -> list[str]:
    small, large = sizes
    lines = [f"{kind} · ward W{MEASURED_WARD:03d} · {args.requests} requests after {args.warmup} warm-up · "
             "median / p95 in ms · SQL statements per request", ""]
    header = f"| {'request':<32} |" + "".join(f" {size_label(s) + ' observations':>28} |" for s in sizes)
    lines += [header, "|" + "-" * 34 + "|" + ("-" * 30 + "|") * len(sizes)]
    for name in ENDPOINTS:
        cells = []
        for size in sizes:
            t = results[size][name]
            cell = (f"ERROR" if t.error else f"{t.median:7.2f} / {t.p95:7.2f}  ({counts[size].get(name, 0):.0f} q)")
            cells.append(f" {cell:>28} |")
        lines.append(f"| {LABELS[name]:<32} |" + "".join(cells))
    lines.append("")
    for size in sizes:
        for name in ENDPOINTS:
            if results[size][name].error:
                lines.append(f"error at {size_label(size)}, {LABELS[name]}: {results[size][name].error}")

    def ratio(a: Timing, b: Timing) -> float:
        return a.median / b.median if a.samples and b.samples else float("nan")

    goal1 = [ratio(results[s]["unchanged"], results[s]["bare"]) for s in sizes]
    goal2 = ratio(results[large]["board"], results[small]["board"])
    ok1 = all(r <= 2.0 for r in goal1)
    ok2 = goal2 <= 1.5
    lines.append("goal 1, unchanged poll / bare route <= 2.0: "
                 + ", ".join(f"{r:.2f}x at {size_label(s)}" for r, s in zip(goal1, sizes))
                 + f"  {'PASS' if ok1 else 'FAIL'}")
    lines.append(f"goal 2, board at {size_label(large)} / board at {size_label(small)} <= 1.5: "
                 f"{goal2:.2f}x  {'PASS' if ok2 else 'FAIL'}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.board", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rows-small", type=int, default=10_000)
    parser.add_argument("--rows-large", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--no-duty-history", action="store_true",
                        help="give the measured ward this week's shifts only, no older duty history")
    parser.add_argument("--sqlite-analyze", action="store_true",
                        help="run ANALYZE on SQLite after each fill (the app never does)")
    parser.add_argument("--explain", type=int, default=4, metavar="N",
                        help="show the plans of the board's N slowest statements at the large size")
    parser.add_argument("--keep", action="store_true", help="keep the database for a look afterwards")
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args(argv)
    if not 0 < args.rows_small <= args.rows_large:
        parser.error("need 0 < --rows-small <= --rows-large")

    print(f"bench.board: {args.db}, {args.rows_small:,} then {args.rows_large:,} observations, "
          f"{WARDS} wards × {CHECKPOINTS_PER_WARD} checkpoints; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    database = Database(args.db, args.keep)
    try:
        return run(database, args)
    finally:
        database.close()


def run(database: Database, args) -> int:
    began = time.perf_counter()
    app = bench_app(database.url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    engine = fill_engine(database.url)
    city = City(now=utcnow(), total=args.rows_large, rng=random.Random(args.seed),
                analyze_sqlite=args.sqlite_analyze)
    sizes = [args.rows_small, args.rows_large]
    results: dict[int, dict[str, Timing]] = {}
    counts: dict[int, dict[str, float]] = {}
    profiles: dict[int, list] = {}
    client = None
    filled = 0
    for size in sizes:
        started = time.perf_counter()
        days = size / OBSERVATIONS_PER_DAY
        if filled == 0:
            with engine.begin() as conn:
                fill_city(conn, city)
                fill_duty(conn, city, range(-10, 11), running_scenarios=True)  # this week
        # The newest `size` observations of the full history: the older ones come with the next size.
        fill_observations(engine, city, args.rows_large - size, args.rows_large - filled, f"to {size_label(size)}")
        if not args.no_duty_history and days > city.duty_days:
            ks = [k for k in duty_history_ks(days) if k not in duty_history_ks(city.duty_days)]
            with engine.begin() as conn:
                fill_duty(conn, city, range(min(ks), max(ks) + 1) if ks else range(0), running_scenarios=False)
            city.duty_days = days
        if filled == 0:
            with engine.begin() as conn:
                fill_current_observations(conn, city)
        filled = size
        tidy(engine, city)
        print(f"filled {size_label(size)} observations ({days:.1f} days of history) in "
              f"{time.perf_counter() - started:.0f} s; measuring", flush=True)
        if client is None:
            client = app.test_client()
            login(client, city.phone(city.police(MEASURED_WARD)))
        results[size] = measure(app, client, city, args.requests, args.warmup)
        board = f"/wards/W{MEASURED_WARD:03d}/board"
        counts[size] = {}
        for name, url in (("bare", "/bench/bare"), ("board", board),
                          ("unchanged", f"{board}/changes?since={current_seq(app)}")):
            try:
                count, statements = profile(app, client, url)
            except Exception:  # reported by the timing pass already
                continue
            counts[size][name] = count
            if name == "board":
                profiles[size] = statements
        changer = Changer(app, city)
        with app.app_context():
            engine_app = db.engine
        with StatementLog(engine_app) as log:
            for _ in range(5):
                since = changer()
                log.rows.clear()
                client.get(f"{board}/changes?since={since}")
                counts[size]["changed"] = len(log.rows)
        changer.finish()
        print(f"  load average {os.getloadavg()[0]:.2f}")
        for name in ENDPOINTS:
            t = results[size][name]
            print(f"  {LABELS[name]:<32} " + (f"ERROR {t.error}" if t.error else
                                             f"median {t.median:7.2f} ms   p95 {t.p95:7.2f} ms"), flush=True)
    engine.dispose()

    print()
    print("\n".join(report(database.kind, sizes, results, counts, args)))
    for size in sizes:
        if size not in profiles:
            continue
        statements = profiles[size]
        total = sum(ms for _s, _p, ms in statements)
        print(f"\nboard at {size_label(size)}: {len(statements)} distinct statements, {total:.2f} ms of SQL "
              f"(each run again on its own, all rows fetched; medians); the slowest:")
        for statement, _params, ms in sorted(statements, key=lambda row: -row[2])[:6]:
            print(f"  {ms:7.2f} ms  {one_line(statement)}")
    large = sizes[-1]
    if args.explain and large in profiles:
        print(f"\nplans at {size_label(large)} ({'EXPLAIN QUERY PLAN' if database.kind == 'sqlite' else 'EXPLAIN ANALYZE'}):")
        for statement, params, ms in sorted(profiles[large], key=lambda row: -row[2])[:args.explain]:
            print(f"\n  {ms:.2f} ms: {' '.join(statement.split())}")
            shown = repr(params)
            print(f"  parameters: {shown if len(shown) <= 300 else shown[:299] + '…'}")
            try:
                print(explain(app, statement, params))
            except Exception as error:
                print(f"    (no plan: {error})")
    with app.app_context():
        db.engine.dispose()
    print(f"\nwhole run: {(time.perf_counter() - began) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
