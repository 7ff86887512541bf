"""Benchmark of the printed roster: the PDF of a full ward week (30 checkpoints).

Run from the project root, in the project's virtualenv:

    python -m bench.roster_pdf                 # 5 timed PDFs after one warm-up
    python -m bench.roster_pdf --runs 10 --keep

It builds a throwaway SQLite database (migrated, under a temporary folder, removed at the end
unless `--keep`) with one ward of 30 checkpoints, 6 volunteers each, and a week of three 8-hour
shifts a day with two people each (630 shifts, 1,260 names with phone numbers). Logged in as the
ward's coordinator through /login, it asks the Flask test client (in process) for the print view
and for the PDF of the whole ward week, and prints the time of each request (median, min, max) and
the PDF's size and page count; then the same for one checkpoint's week, the yardstick. It is a
report: the exit code is 0 whatever the result.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from checkpoint import create_app
from checkpoint.config import TestConfig
from checkpoint.extensions import db
from checkpoint.models import Checkpoint, Shift, User, Ward

CHECKPOINTS = 30
VOLUNTEERS_PER_CHECKPOINT = 6
SHIFT_STARTS = (6, 14, 22)  # three 8-hour shifts a day, the night one crossing midnight
PEOPLE_PER_SHIFT = 2
PASSWORD = "bench-password-1"
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
TZ = ZoneInfo("Asia/Ho_Chi_Minh")

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Thanh", "Ngọc", "Đức", "Thu", "Quốc", "Bảo"]
GIVEN = ["Mai", "Hùng", "Dũng", "Hương", "Tuấn", "Lan", "Phúc", "Thảo", "Khánh", "Nguyệt", "Sơn",
         "Hạnh", "Quyết", "Trường", "Yến", "Đạt", "Huệ", "Lộc", "Thắng", "Ngân"]
STREETS = ["Lê Văn Sỹ", "Trần Quốc Thảo", "Nguyễn Đình Chiểu", "Võ Thị Sáu", "Cách Mạng Tháng Tám"]


def vietnamese_name(n: int) -> str:
    return f"{FAMILY[n % len(FAMILY)]} {MIDDLE[(n // 7) % len(MIDDLE)]} {GIVEN[(n // 3) % len(GIVEN)]}"


def fill(monday: date) -> tuple[str, int]:
    """One ward, its coordinator, 30 checkpoints with their volunteers and a week of shifts.
    Returns the coordinator's phone number and the first checkpoint's id."""
    cheap = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    ward = Ward(code="P4", name="Phường Võ Thị Sáu", duty_phone="02838291234")
    db.session.add(ward)
    db.session.flush()
    coordinator = User(phone="0909000000", full_name="Đặng Thị Hồng Nhung", password_hash=cheap,
                       role="coordinator", ward_id=ward.id)
    db.session.add(coordinator)
    serial = 0
    for number in range(1, CHECKPOINTS + 1):
        checkpoint = Checkpoint(ward_id=ward.id, code=f"C{number:02d}", name=f"Chốt hẻm {number * 7}",
                                address=f"Hẻm {number * 7} {STREETS[number % len(STREETS)]}", min_staff=2,
                                equipment=[])
        db.session.add(checkpoint)
        team = []
        for _ in range(VOLUNTEERS_PER_CHECKPOINT):
            serial += 1
            team.append(User(phone=f"09{serial + 10_000_000:08d}", full_name=vietnamese_name(serial),
                             password_hash=cheap, role="volunteer", ward_id=ward.id, checkpoints=[checkpoint]))
        db.session.add_all(team)
        db.session.flush()
        for day in range(7):
            for index, hour in enumerate(SHIFT_STARTS):
                starts = datetime.combine(monday + timedelta(days=day), datetime.min.time(), tzinfo=TZ) \
                    + timedelta(hours=hour)
                pair = [team[(index * PEOPLE_PER_SHIFT + k + day) % len(team)] for k in range(PEOPLE_PER_SHIFT)]
                db.session.add(Shift(checkpoint_id=checkpoint.id, starts_at=starts, ends_at=starts + timedelta(hours=8),
                                     volunteers=pair))
    db.session.commit()
    return coordinator.phone, db.session.scalar(select(Checkpoint.id).where(Checkpoint.code == "C01"))


def login(client, phone: str) -> None:
    token = META_CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"phone": phone, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"login failed: {response.status_code}")


def timed(client, url: str, runs: int) -> tuple[list[float], list[float], bytes]:
    """Wall-clock and CPU seconds of each of `runs` requests, after a warm-up, and the last body.
    CPU time is this process's own: on a busy machine it tells the work apart from the waiting."""
    client.get(url)  # warm-up: templates compiled, fonts loaded
    walls, cpus, body = [], [], b""
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        body = response.get_data()
    return walls, cpus, body


def pages(pdf: bytes) -> str:
    try:
        from pypdf import PdfReader
    except ImportError:  # pypdf is a test dependency (requirements-dev.txt)
        return "?"
    return str(len(PdfReader(io.BytesIO(pdf)).pages))


def summary(walls: list[float], cpus: list[float]) -> str:
    return (f"median {statistics.median(walls) * 1000:6.0f} ms (min {min(walls) * 1000:6.0f}, "
            f"max {max(walls) * 1000:6.0f}), CPU median {statistics.median(cpus) * 1000:6.0f} ms")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.roster_pdf", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database and write the PDF next to it")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="roster-pdf-"))
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'bench.db'}", TESTING=False,
                  PROPAGATE_EXCEPTIONS=True, SECRET_KEY="bench-secret-key",
                  LOGIN_LIMIT_PER_PHONE="1000 per minute", LOGIN_LIMIT_PER_ADDRESS="1000 per minute")
    app = create_app(config)
    monday = date(2026, 11, 30)
    try:
        with app.app_context():
            upgrade()
            phone, first = fill(monday)
            db.session.remove()
        client = app.test_client()
        login(client, phone)
        week = f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}"
        html_walls, html_cpus, html = timed(client, f"/wards/P4/roster/print?week={week}", args.runs)
        pdf_walls, pdf_cpus, pdf = timed(client, f"/wards/P4/roster.pdf?week={week}", args.runs)
        one_walls, one_cpus, one = timed(client, f"/wards/P4/roster.pdf?week={week}&checkpoint={first}", args.runs)
        print(f"ward week: {CHECKPOINTS} checkpoints, {CHECKPOINTS * 7 * len(SHIFT_STARTS)} shifts, "
              f"{CHECKPOINTS * 7 * len(SHIFT_STARTS) * PEOPLE_PER_SHIFT} names; {args.runs} runs each; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"print view, whole ward:   {summary(html_walls, html_cpus)}   {len(html):,} bytes")
        print(f"PDF, whole ward:          {summary(pdf_walls, pdf_cpus)}   {len(pdf):,} bytes, {pages(pdf)} pages")
        print(f"PDF, one checkpoint:      {summary(one_walls, one_cpus)}   {len(one):,} bytes, {pages(one)} pages")
        if args.keep:
            (folder / "roster.pdf").write_bytes(pdf)
            print(f"kept: {folder}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
