"""Open-loop load test: a thousand phones syncing and 168 police boards polling, against real gunicorn.

Run from the project root, in the project's virtualenv (or `make loadtest LOADTEST_ARGS="…"`):

    python -m bench.loadtest                                   # SQLite, full rate, 60 s
    python -m bench.loadtest --database postgresql --duration 120
    python -m bench.loadtest --rate-multiplier 0.1 --duration 20   # a smoke run
    python -m bench.loadtest --crash                           # SIGKILL gunicorn mid-run, restart, check exactly-once

What it does:

1. Makes its own database (a SQLite file under bench/data/, or a private schema on the
   PostgreSQL server of BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test),
   migrates it, and fills a city: 168 wards × 3 checkpoints, 2 volunteers per checkpoint (1,008
   volunteers) and one police officer per ward.
2. Starts gunicorn with gunicorn.conf.py on a free port against that database, and logs every
   volunteer and officer in through /login (each with their own cookies and CSRF token).
3. Holds fixed arrival rates (open loop: requests are sent on a Poisson schedule whatever the
   server's answers, and latency counts from the scheduled time, so a slow server cannot hide
   its queue): 85 sync batches/s from idle phones (one batch in flight per phone, like the
   outbox: 1–3 observations, an occasional check-in or check-out, client-made uuids), 100 board
   change polls/s spread over the 168 boards (following the `since` each answer carries), and
   each board's tiles refresh (168 per minute). `--rate-multiplier` scales all three.
4. Items of a batch that got no answer (connection lost, 5xx, timeout) stay in that phone's
   outbox and are sent again with their uuids; after the run the outboxes are drained.
5. Reports per endpoint: offered and completed rate, p50/p95/p99/max latency, server errors;
   the CPU of the gunicorn processes (psutil), of the whole machine and of this generator; and
   then COUNTS, in the database, that every item answered `accepted` (or `duplicate`) is stored
   exactly once and no `rejected` one is.
6. `--crash`: halfway through, SIGKILL the gunicorn master and all its workers, start it again
   on the same port, and carry on: the unanswered items are resent and must be stored exactly once.
7. `--db-down SECONDS` (PostgreSQL): halfway through, stop the PostgreSQL server itself
   (`pg_ctlcluster … stop -m fast`: every connection is cut), keep the load on, start it again
   after SECONDS. Meanwhile it asks `/healthz` and a volunteer's page every half second and
   checks the answers are 503 with the clear message and no stack trace; afterwards, how long
   until `/healthz` said 200 again without anything being restarted. Stopping the server stops
   every database on it: run it on a machine where nothing else needs PostgreSQL at that moment.

The exit code is 1 when the database check fails (a lost or doubled item), else 0: the numbers
are a report. The database is removed at the end unless `--keep`.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import psutil
from flask_migrate import upgrade
from sqlalchemy import create_engine, select
from werkzeug.security import generate_password_hash

from bench.board import Database
from checkpoint import create_app
from checkpoint.config import TestConfig, database_url
from checkpoint.extensions import db
from checkpoint.models import Attendance, Checkpoint, Handover, Observation, User, Ward

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "loadtest-password"
WARDS = 168
CHECKPOINTS_PER_WARD = 3
VOLUNTEERS_PER_CHECKPOINT = 2
SYNC_RATE = 85.0  # batches per second at --rate-multiplier 1
POLL_RATE = 100.0  # board change polls per second
TILES_RATE = WARDS / 60.0  # each board refreshes its tiles once a minute
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
POLL_SEQ = re.compile(r"board/changes\?since=(\d+)")
CATEGORIES = ["suspicious"] * 25 + ["nuisance"] * 15 + ["traffic"] * 12 + ["assistance"] * 12 + ["theft"] * 10 \
    + ["disturbance"] * 8 + ["property"] * 6 + ["other"] * 5 + ["drugs"] * 3 + ["fire"] * 4
SEVERITIES = ["info"] * 70 + ["attention"] * 25 + ["urgent"] * 5
TEXTS = ["Hai thanh niên lạ mặt đứng lâu ở đầu hẻm.", "Xe máy không biển số dựng trước cổng chợ.",
         "Bà cụ đi lạc, đã đưa về nhà.", "Tụ tập ồn ào sau 23 giờ ở quán nước.", "Va chạm nhẹ giữa hai xe máy.",
         "Nhặt được ví, đã giao lại cho công an phường.", "Đèn đường hỏng ở hẻm 12."]


# ---------------------------------------------------------------------------------------------
# The database and the city


@dataclass
class City:
    volunteers: list[tuple[str, str]]  # (phone, checkpoint code)
    boards: list[tuple[str, str]]  # (police phone, ward code)


def populate(url: str, checkpoints_per_ward: int, volunteers_per_checkpoint: int) -> City:
    """Migrate, then add wards, checkpoints, volunteers and police through the models."""
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, TESTING=False)
    app = create_app(config)
    # A cheap hash: the test measures the duty traffic, not 1,176 scrypt logins.
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    volunteers, boards = [], []
    phone_numbers = (f"09{n:08d}" for n in range(10_000_000, 99_999_999))
    with app.app_context():
        upgrade()
        for w in range(1, WARDS + 1):
            ward = Ward(code=f"W{w:03d}", name=f"Phường {w:03d}")
            db.session.add(ward)
            db.session.flush()
            police = User(phone=next(phone_numbers), full_name=f"Công an phường {w:03d}", role="police",
                          ward_id=ward.id, password_hash=password_hash, locale="vi", active=True, session_version=1)
            db.session.add(police)
            boards.append((police.phone, ward.code))
            for c in range(1, checkpoints_per_ward + 1):
                checkpoint = Checkpoint(ward_id=ward.id, code=f"C{c:02d}", name=f"Chốt {c:02d} · phường {w:03d}",
                                        equipment=["Bộ đàm", "Đèn pin", "Sổ trực"], min_staff=1, active=True)
                db.session.add(checkpoint)
                for v in range(volunteers_per_checkpoint):
                    person = User(phone=next(phone_numbers), full_name=f"Tổ viên {w:03d}-{c:02d}-{v}",
                                  role="volunteer", ward_id=ward.id, password_hash=password_hash, locale="vi",
                                  active=True, session_version=1)
                    person.checkpoints = [checkpoint]
                    db.session.add(person)
                    volunteers.append((person.phone, checkpoint.code))
        db.session.commit()
        db.engine.dispose()
    return City(volunteers=volunteers, boards=boards)


# ---------------------------------------------------------------------------------------------
# gunicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn -c gunicorn.conf.py app:app on a port of its own, in a process group of its own."""

    def __init__(self, url: str, workdir: Path, workers: int | None, threads: int | None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32),
                    "APP_ENV": "development", "INSTANCE_PATH": str(workdir), "PHOTO_DIR": str(workdir / "photos"),
                    "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_LOGLEVEL": "warning",
                    "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute", "LOGIN_LIMIT_PER_PHONE": "1000 per minute"}
        if workers:
            self.env["GUNICORN_WORKERS"] = str(workers)
        if threads:
            self.env["GUNICORN_THREADS"] = str(threads)
        self.log = open(workdir / "gunicorn.log", "ab")
        self.process: subprocess.Popen | None = None
        self.cpu = CpuMeter()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "app:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        self.cpu.watch(self.process.pid)
                        return
            except (urllib.error.URLError, OSError):
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log.name}")
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz within 60 s; see {self.log.name}")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once, as a power cut or the OOM killer would."""
        self.cpu.sample()
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.cpu.sample()
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class CpuMeter:
    """CPU seconds used by a gunicorn master and its workers, workers that came and went included."""

    def __init__(self):
        self.master: psutil.Process | None = None
        self.seen: dict[int, float] = {}  # pid -> CPU seconds at its last sample

    def watch(self, pid: int) -> None:
        self.master = psutil.Process(pid)
        self.sample()

    def sample(self) -> None:
        if self.master is None:
            return
        try:
            processes = [self.master] + self.master.children(recursive=True)
        except psutil.NoSuchProcess:
            return
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            self.seen[process.pid] = times.user + times.system

    def total(self) -> float:
        return sum(self.seen.values())


# ---------------------------------------------------------------------------------------------
# Clients


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    offered: Counter = field(default_factory=Counter)
    no_idle_phone: int = 0

    def record(self, endpoint: str, scheduled: float, status) -> None:
        self.latencies[endpoint].append((time.perf_counter() - scheduled) * 1000)
        self.statuses[endpoint][status] += 1


@dataclass
class Phone:
    phone: str
    checkpoint: str
    client: aiohttp.ClientSession | None = None
    token: str = ""
    checked_in: bool = False
    busy: bool = False
    outbox: list[dict] = field(default_factory=list)


@dataclass
class Board:
    phone: str
    ward: str
    client: aiohttp.ClientSession | None = None
    seq: int = 0
    busy: bool = False


@dataclass
class Ledger:
    """Every item sent and the last answer it got; what the database must hold afterwards."""
    kinds: dict[str, str] = field(default_factory=dict)  # uuid -> kind
    answers: dict[str, str] = field(default_factory=dict)  # uuid -> accepted | duplicate | rejected
    rejected_codes: Counter = field(default_factory=Counter)
    resent: int = 0


# What a request can end with instead of an answer: a lost connection or the client's timeout.
NO_ANSWER = (aiohttp.ClientError, asyncio.TimeoutError)


async def log_in(client: aiohttp.ClientSession, phone: str) -> str:
    """Log in through the form; return the CSRF token of the new session."""
    async with client.get("/login") as response:
        token = META_CSRF.search(await response.text()).group(1)
    async with client.post("/login", data={"phone": phone, "password": PASSWORD, "csrf_token": token},
                           allow_redirects=False) as response:
        if response.status != 302:
            raise RuntimeError(f"login of {phone} answered {response.status}")
        location = response.headers["location"]
    async with client.get(location) as landing:
        return META_CSRF.search(await landing.text()).group(1)


def moment(seconds_ago: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).isoformat()


def new_items(rng: random.Random, phone: Phone) -> list[dict]:
    """What a phone's outbox holds when it next gets a signal: mostly observations."""
    items = []
    if not phone.checked_in and rng.random() < 0.3:
        items.append({"kind": "check_in", "checkpoint": phone.checkpoint, "occurred_at": moment(rng.uniform(5, 60)),
                      "lat": 10.77 + rng.uniform(-0.05, 0.05), "lng": 106.70 + rng.uniform(-0.05, 0.05)})
    for _ in range(rng.choice((1, 1, 1, 1, 2, 2, 3))):
        items.append({"kind": "observation", "checkpoint": phone.checkpoint, "category": rng.choice(CATEGORIES),
                      "severity": rng.choice(SEVERITIES), "text": rng.choice(TEXTS),
                      "occurred_at": moment(rng.uniform(1, 300))})
    if phone.checked_in and rng.random() < 0.05:
        items.append({"kind": "check_out", "checkpoint": phone.checkpoint, "occurred_at": moment(rng.uniform(0, 5))})
    for item in items:
        item["uuid"] = str(uuid.uuid4())
    return items


class LoadTest:
    def __init__(self, args, server: Server, city: City):
        self.args, self.server, self.stats, self.ledger = args, server, Stats(), Ledger()
        self.rng = random.Random(args.seed)
        self.phones = [Phone(phone, code) for phone, code in city.volunteers]
        self.boards = [Board(phone, ward) for phone, ward in city.boards]
        self.connector: aiohttp.TCPConnector | None = None
        self.tasks: set[asyncio.Task] = set()
        self.crash_report: dict = {}
        self.outage: dict = {}
        # Requests wait for a connection here, not in the client's pool: a long queue there cost the
        # generator time in proportion to its length (httpx, before aiohttp), so an overloaded
        # server made it eat the cores the server needed, and the overload fed itself.
        self.gate = asyncio.Semaphore(args.connections)

    def client(self) -> aiohttp.ClientSession:
        # Own cookies per person (unsafe: the server is an IP address), one shared pool of connections.
        return aiohttp.ClientSession(base_url=self.server.base, connector=self.connector, connector_owner=False,
                                     cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     timeout=aiohttp.ClientTimeout(total=self.args.timeout))

    async def log_everyone_in(self) -> None:
        gate = asyncio.Semaphore(16)

        async def one(person) -> None:
            async with gate:
                person.client = self.client()
                token = await log_in(person.client, person.phone)
                if isinstance(person, Phone):
                    person.token = token

        await asyncio.gather(*(one(p) for p in [*self.phones, *self.boards]))
        # Each board starts from the ward's current sequence number, as the board page would.
        await asyncio.gather(*(self.poll(board, time.perf_counter(), record=False) for board in self.boards))

    # -- the three kinds of traffic

    async def sync(self, scheduled: float) -> None:
        phone = next((p for p in self.rng.sample(self.phones, 20) if not p.busy), None)
        if phone is None:
            self.stats.no_idle_phone += 1
            return
        phone.busy = True
        try:
            fresh = new_items(self.rng, phone)
            for item in fresh:
                self.ledger.kinds[item["uuid"]] = item["kind"]
            self.ledger.resent += len(phone.outbox)
            await self.send(phone, phone.outbox + fresh, scheduled)
        finally:
            phone.busy = False

    async def send(self, phone: Phone, items: list[dict], scheduled: float, endpoint: str = "sync") -> bool:
        try:
            async with self.gate, phone.client.post("/api/v1/sync", json={"items": items},
                                                    headers={"X-CSRFToken": phone.token}) as response:
                status = response.status
                answer = await response.json() if status == 200 else None
        except NO_ANSWER as error:
            self.stats.record(endpoint, scheduled, type(error).__name__)
            phone.outbox = items  # kept on the phone, sent again later
            return False
        self.stats.record(endpoint, scheduled, status)
        if status != 200:
            phone.outbox = items
            return False
        phone.outbox = []
        for item, result in zip(items, answer["results"]):
            self.ledger.answers[item["uuid"]] = result["status"]
            if result["status"] == "rejected":
                self.ledger.rejected_codes[result.get("code")] += 1
            elif item["kind"] == "check_in":
                phone.checked_in = True
            elif item["kind"] == "check_out":
                phone.checked_in = False
        return True

    async def poll(self, board: Board, scheduled: float, record: bool = True) -> None:
        if board.busy:  # a board asks again only after its last answer (htmx does the same)
            if record:
                self.stats.record("board poll", scheduled, "skipped: previous poll still open")
            return
        board.busy = True
        try:
            async with self.gate, board.client.get(f"/wards/{board.ward}/board/changes",
                                                   params={"since": board.seq}) as response:
                status = response.status
                body = await response.text() if status == 200 else ""
        except NO_ANSWER as error:
            if record:
                self.stats.record("board poll", scheduled, type(error).__name__)
            return
        finally:
            board.busy = False
        if record:
            self.stats.record("board poll" if status != 200 else "board poll (changes)", scheduled, status)
        if status == 200:
            found = POLL_SEQ.search(body)
            board.seq = int(found.group(1)) if found else board.seq

    async def tiles(self, scheduled: float) -> None:
        board = self.rng.choice(self.boards)
        try:
            async with self.gate, board.client.get(f"/wards/{board.ward}/board/tiles") as response:
                await response.read()
                status = response.status
        except NO_ANSWER as error:
            self.stats.record("board tiles", scheduled, type(error).__name__)
            return
        self.stats.record("board tiles", scheduled, status)

    # -- open loop

    async def arrivals(self, name: str, rate: float, fire, until: float) -> None:
        """Poisson arrivals at `rate` per second until `until`, each fired without waiting."""
        if rate <= 0:
            return
        rng = random.Random(f"{self.args.seed}-{name}")
        at = time.perf_counter()
        while True:
            at += rng.expovariate(rate)
            if at >= until:
                return
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            self.stats.offered[name] += 1
            task = asyncio.create_task(fire(at))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def crash(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        killed = time.perf_counter()
        await asyncio.to_thread(self.server.kill)
        await asyncio.to_thread(self.server.start)
        self.crash_report = {"at_s": round(killed - self.started, 1),
                             "down_s": round(time.perf_counter() - killed, 2)}

    async def database_down(self, at: float) -> None:
        """Stop PostgreSQL under load, look at what the app answers, start it, time the recovery."""
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        seen = self.outage = {"healthz": Counter(), "page": Counter(), "page_clear": 0, "stack_traces": 0}
        probe = self.client()  # no session: /healthz is public
        person = self.phones[0].client
        stopped = time.perf_counter()
        await asyncio.to_thread(subprocess.run, postgresql_control("stop"), check=True)
        self.outage["stopped_at_s"] = round(stopped - self.started, 1)
        down_until = time.perf_counter() + self.args.db_down
        while time.perf_counter() < down_until:
            try:
                async with probe.get("/healthz") as health:
                    health_text = await health.text()
                    seen["healthz"][f"{health.status} {(await health.json()).get('status')}"] += 1
                async with person.get("/me", headers={"Accept": "text/html"}) as page:
                    page_text = await page.text()
                    seen["page"][page.status] += 1
                if page.status == 503 and "Không kết nối được cơ sở dữ liệu" in page_text:
                    seen["page_clear"] += 1
                if "Traceback" in page_text or "Traceback" in health_text:
                    seen["stack_traces"] += 1
            except NO_ANSWER as error:
                seen["page"][type(error).__name__] += 1
            await asyncio.sleep(0.5)
        await asyncio.to_thread(subprocess.run, postgresql_control("start"), check=True)
        started = time.perf_counter()
        self.outage["down_s"] = round(started - stopped, 1)
        while True:
            try:
                async with probe.get("/healthz") as health:
                    if health.status == 200:
                        break
            except NO_ANSWER:
                pass
            await asyncio.sleep(0.1)
        self.outage["healthy_after_start_s"] = round(time.perf_counter() - started, 2)
        await probe.close()

    async def cpu_sampler(self, until: float) -> None:
        while time.perf_counter() < until:
            self.server.cpu.sample()
            await asyncio.sleep(1)

    async def run(self) -> dict:
        # Idle connections are let go before gunicorn's keepalive (5 s) would close them under a request.
        self.connector = aiohttp.TCPConnector(limit=self.args.connections, keepalive_timeout=4)
        began = time.perf_counter()
        await self.log_everyone_in()
        print(f"logged in {len(self.phones)} volunteers and {len(self.boards)} boards "
              f"in {time.perf_counter() - began:.1f} s", flush=True)

        m = self.args.rate_multiplier
        self.started = time.perf_counter()
        until = self.started + self.args.duration
        self.server.cpu.sample()
        cpu_server, cpu_machine, cpu_self = self.server.cpu.total(), psutil.cpu_times(), psutil.Process().cpu_times()
        jobs = [self.arrivals("sync", SYNC_RATE * m, self.sync, until),
                self.arrivals("board poll", POLL_RATE * m,
                              lambda at: self.poll(self.rng.choice(self.boards), at), until),
                self.arrivals("board tiles", TILES_RATE * m, self.tiles, until),
                self.cpu_sampler(until)]
        if self.args.crash:
            jobs.append(self.crash(self.started + self.args.duration / 2))
        if self.args.db_down:
            jobs.append(self.database_down(self.started + self.args.duration / 2))
        await asyncio.gather(*jobs)
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=self.args.timeout + 5)
        elapsed = time.perf_counter() - self.started
        self.server.cpu.sample()
        machine_after, self_after = psutil.cpu_times(), psutil.Process().cpu_times()
        cpu = {
            "gunicorn_cores": (self.server.cpu.total() - cpu_server) / elapsed,
            "machine_busy_pct": 100 * (1 - (machine_after.idle - cpu_machine.idle)
                                       / max(1e-9, sum(machine_after) - sum(cpu_machine))),
            "generator_cores": (self_after.user + self_after.system - cpu_self.user - cpu_self.system) / elapsed,
        }
        drained = await self.drain()
        for person in [*self.phones, *self.boards]:
            await person.client.close()
        await self.connector.close()
        return {"elapsed": elapsed, "cpu": cpu, "drained": drained}

    async def drain(self) -> dict:
        """Send what is still in the outboxes until every item has an answer (as phones do)."""
        waiting = [p for p in self.phones if p.outbox]
        before = sum(len(p.outbox) for p in waiting)
        for attempt in range(10):
            waiting = [p for p in waiting if p.outbox]
            if not waiting:
                break
            self.ledger.resent += sum(len(p.outbox) for p in waiting)
            await asyncio.gather(*(self.send(p, p.outbox, time.perf_counter(), endpoint="sync (drain)")
                                   for p in waiting))
            await asyncio.sleep(min(2 ** attempt, 5))
        return {"items_waiting_after_run": before, "unanswered_in_the_end": sum(len(p.outbox) for p in self.phones)}


# ---------------------------------------------------------------------------------------------
# Checking the database and reporting

COLUMNS = {"check_in": Attendance.uuid, "check_out": Attendance.check_out_uuid, "observation": Observation.uuid,
           "handover": Handover.uuid}


def postgresql_control(action: str) -> list[str]:
    """The command that stops or starts this machine's PostgreSQL cluster (Debian's tools)."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
    return command + (["-m", "fast"] if action == "stop" else [])


def check_database(url: str, ledger: Ledger) -> dict:
    engine = create_engine(database_url(url))
    stored: dict[str, Counter] = {}
    with engine.connect() as conn:
        for kind, column in COLUMNS.items():
            values = conn.execute(select(column).where(column.is_not(None))).scalars()
            stored[kind] = Counter(str(value) for value in values)
    engine.dispose()
    report = {"accepted": 0, "duplicate": 0, "rejected": 0, "never_answered": 0,
              "answered_but_missing": 0, "stored_twice": 0, "rejected_but_stored": 0}
    for item_uuid, kind in ledger.kinds.items():
        answer = ledger.answers.get(item_uuid)
        copies = stored[kind][item_uuid]
        if answer is None:
            report["never_answered"] += 1
            continue
        report[answer] += 1
        if answer in ("accepted", "duplicate") and copies == 0:
            report["answered_but_missing"] += 1
        if copies > 1:
            report["stored_twice"] += 1
        if answer == "rejected" and copies:
            report["rejected_but_stored"] += 1
    report["rows_of_this_run"] = sum(sum(counter.values()) for counter in stored.values())
    return report


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def print_report(args, test: LoadTest, outcome: dict, check: dict) -> None:
    elapsed, stats = outcome["elapsed"], test.stats
    print(f"\n{args.database}, {args.duration:.0f} s at {args.rate_multiplier}× "
          f"(sync {SYNC_RATE * args.rate_multiplier:.1f}/s, polls {POLL_RATE * args.rate_multiplier:.1f}/s, "
          f"tiles {TILES_RATE * args.rate_multiplier:.1f}/s); {len(test.phones)} volunteers, {len(test.boards)} boards; "
          f"measured over {elapsed:.1f} s")
    print(f"{'endpoint':<24}{'done/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  answers")
    for endpoint in sorted(stats.latencies):
        values = stats.latencies[endpoint]
        answers = ", ".join(f"{status}: {n}" for status, n in sorted(stats.statuses[endpoint].items(), key=str))
        print(f"{endpoint:<24}{len(values) / elapsed:>8.1f}{percentile(values, 50):>9.1f}"
              f"{percentile(values, 95):>9.1f}{percentile(values, 99):>9.1f}{max(values):>9.1f}  {answers}")
    offered = ", ".join(f"{name} {n / args.duration:.1f}/s" for name, n in stats.offered.items())
    print(f"offered: {offered}; sync arrivals with no idle phone: {stats.no_idle_phone}")
    server_errors = sum(n for counter in stats.statuses.values() for status, n in counter.items()
                        if isinstance(status, int) and status >= 500)
    failures = sum(n for counter in stats.statuses.values() for status, n in counter.items() if isinstance(status, str)
                   and not status.startswith("skipped"))
    unavailable = sum(counter[503] for counter in stats.statuses.values())
    print(f"server errors (5xx): {server_errors}, of which 503 (database unavailable) {unavailable}; "
          f"requests without an answer (connection/timeout): {failures}")
    cpu = outcome["cpu"]
    print(f"CPU: gunicorn {cpu['gunicorn_cores']:.2f} cores; whole machine {cpu['machine_busy_pct']:.0f} % busy "
          f"of {psutil.cpu_count()} cores (database and this generator included); "
          f"this generator {cpu['generator_cores']:.2f} cores")
    if test.outage:
        outage = test.outage
        print(f"database down: PostgreSQL stopped at {outage['stopped_at_s']} s for {outage['down_s']} s; "
              f"/healthz answered {dict(outage['healthz'])}; a volunteer's page {dict(outage['page'])}, "
              f"{outage['page_clear']} of them the 503 page with the clear message; stack traces shown: "
              f"{outage['stack_traces']}; /healthz 200 again {outage['healthy_after_start_s']} s after "
              f"PostgreSQL was back, nothing restarted")
    if test.crash_report:
        print(f"crash: SIGKILL at {test.crash_report['at_s']} s, answering again after "
              f"{test.crash_report['down_s']} s")
    print(f"outboxes: {outcome['drained']['items_waiting_after_run']} items waiting after the run, "
          f"{outcome['drained']['unanswered_in_the_end']} still unanswered after draining; "
          f"{test.ledger.resent} item sends were resends")
    print(f"items: {len(test.ledger.kinds)} made; answered accepted {check['accepted']}, duplicate "
          f"{check['duplicate']}, rejected {check['rejected']} {dict(test.ledger.rejected_codes)}, "
          f"never answered {check['never_answered']}")
    print(f"database: {check['rows_of_this_run']} rows hold item uuids; answered but missing "
          f"{check['answered_but_missing']}, stored twice {check['stored_twice']}, rejected but stored "
          f"{check['rejected_but_stored']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--rate-multiplier", type=float, default=1.0,
                        help=f"scale the arrival rates ({SYNC_RATE:g} syncs/s, {POLL_RATE:g} polls/s at 1)")
    parser.add_argument("--crash", action="store_true",
                        help="SIGKILL gunicorn halfway, restart it, and check exactly-once afterwards")
    parser.add_argument("--db-down", type=float, default=0, metavar="SECONDS",
                        help="stop PostgreSQL for SECONDS halfway (stops the whole server: see the docstring)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker (default: gunicorn.conf.py's)")
    parser.add_argument("--checkpoints-per-ward", type=int, default=CHECKPOINTS_PER_WARD)
    parser.add_argument("--volunteers-per-checkpoint", type=int, default=VOLUNTEERS_PER_CHECKPOINT)
    # More connections than the server takes at once (six workers) only move the queue into gunicorn.
    # Latency counts from the scheduled arrival either way.
    parser.add_argument("--connections", type=int, default=48, help="client connections at most (default 48)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a request counts as lost")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--keep", action="store_true", help="keep the database and gunicorn's log")
    args = parser.parse_args(argv)
    if args.db_down and args.database != "postgresql":
        parser.error("--db-down stops PostgreSQL: use it with --database postgresql")

    print(f"bench.loadtest: {args.database}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}",
          flush=True)
    database = Database(args.database, args.keep, name="loadtest")
    workdir = Path(tempfile.mkdtemp(prefix="loadtest-"))
    server = None
    try:
        began = time.perf_counter()
        city = populate(database.url, args.checkpoints_per_ward, args.volunteers_per_checkpoint)
        print(f"city made in {time.perf_counter() - began:.1f} s", flush=True)
        server = Server(database.url, workdir, args.workers, args.threads)
        server.start()
        test = LoadTest(args, server, city)
        outcome = asyncio.run(test.run())
        check = check_database(database.url, test.ledger)
        print_report(args, test, outcome, check)
        lost = check["answered_but_missing"] + check["stored_twice"] + check["rejected_but_stored"]
        print("exactly-once: " + ("PASS" if lost == 0 else "FAIL"))
        return 0 if lost == 0 else 1
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept gunicorn's log in {workdir / 'gunicorn.log'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        database.close()


if __name__ == "__main__":
    sys.exit(main())
