"""What one request of the load test costs the server in CPU, measured in process.

Run from the project root, in the project's virtualenv:

    python -m bench.request_cost --database postgresql
    python -m bench.request_cost --database sqlite --requests 500 --profile 25

The load test (`bench/loadtest.py`) shows how many requests a box serves; this shows where the
time of each goes. It builds a small city with the load test's own `populate` (so the same
rows, users and passwords), makes the app the way gunicorn does (not TESTING, CSRF on, the
app's compression on), logs volunteers and police in through `/login`, then sends the load
test's two hot requests through the Flask test client, one at a time:

- `POST /api/v1/sync` with the load test's batches (1–3 observations, sometimes a check-in or a
  check-out), from a rotating set of volunteers;
- `GET /wards/<code>/board/changes?since=…`, the board's poll, following the `since` it is given;
- a *busy* poll: the same poll right after four new observations of its ward (the syncs are not
  measured), which is what nearly every poll is at the city's rate in the load test;
- the same poll with `since=0` on the wards the syncs filled (50 open observations and more), so
  every region is rendered: what a board costs each time its busy ward changes.

For each it reports the CPU seconds of this process per request (`time.process_time`, so the
database server's own CPU is not in it) and the wall time. `--profile N` prints cProfile's top N
functions by own time (`--sort cumulative`: with what they call) over the whole run, for the
sync and the poll separately. A report: the exit code is 0 whatever the numbers are.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import statistics
import time
import uuid

import brotli

import bench.loadtest as loadtest
from bench.board import Database
from bench.loadtest import PASSWORD, Phone, new_items, populate
from checkpoint import create_app
from checkpoint.config import TestConfig
from checkpoint.extensions import db

META_CSRF_START = 'name="csrf-token" content="'


def make_app(url: str):
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, TESTING=False, PROPAGATE_EXCEPTIONS=True,
                  SECRET_KEY="request-cost-secret", LOGIN_LIMIT_PER_PHONE="1000 per minute",
                  LOGIN_LIMIT_PER_ADDRESS="100000 per minute")
    return create_app(config)


def csrf_of(page: str) -> str:
    start = page.index(META_CSRF_START) + len(META_CSRF_START)
    return page[start:page.index('"', start)]


def logged_in(app, phone: str, password: str):
    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"phone": phone, "password": password, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"login of {phone} failed: {response.status_code}")
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    return client, csrf_of(page)


def measure(label: str, calls, profile_top: int, order: str) -> None:
    profiler = cProfile.Profile() if profile_top else None
    cpu, wall = [], []
    for call in calls:
        if profiler:
            profiler.enable()
        c0, w0 = time.process_time(), time.perf_counter()
        call()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        if profiler:
            profiler.disable()
    cpu.sort()
    wall.sort()
    print(f"{label:<14} n={len(cpu):<5} CPU/request mean {statistics.mean(cpu) * 1000:6.2f} ms, "
          f"p50 {cpu[len(cpu) // 2] * 1000:6.2f} ms; wall mean {statistics.mean(wall) * 1000:6.2f} ms, "
          f"p50 {wall[len(wall) // 2] * 1000:6.2f} ms")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(profile_top)
        print(out.getvalue())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=400, help="of each kind, after a warm-up of 50")
    parser.add_argument("--phones", type=int, default=40)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print cProfile's top N functions")
    parser.add_argument("--sort", choices=("tottime", "cumulative"), default="tottime",
                        help="order of the profile: own time (default) or with callees")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    loadtest.WARDS = 12  # a small city: the per-request path does not depend on the city's size
    database = Database(args.database, keep=False, name="request_cost")
    try:
        city = populate(database.url, 3, 2)
        app = make_app(database.url)
        rng = random.Random(args.seed)
        phones = []
        for phone_number, checkpoint in city.volunteers[:args.phones]:
            client, token = logged_in(app, phone_number, PASSWORD)
            phones.append((Phone(phone=phone_number, checkpoint=checkpoint, token=token), client))
        boards = [(logged_in(app, phone_number, PASSWORD)[0], ward, [0]) for phone_number, ward in city.boards]

        def decoded(response) -> bytes:
            """The body as sent before compression (the requests ask for brotli, as phones do)."""
            body = response.get_data()
            return brotli.decompress(body) if response.headers.get("Content-Encoding") == "br" else body

        def post_items(phone, client, items) -> list[dict]:
            """One sync batch, as a phone sends it; its results."""
            response = client.post("/api/v1/sync", data=json.dumps({"items": items}),
                                   content_type="application/json",
                                   headers={"X-CSRFToken": phone.token, "Accept-Encoding": "br, gzip"})
            if response.status_code != 200:
                raise RuntimeError(f"sync answered {response.status_code}: {response.get_data(as_text=True)}")
            return json.loads(decoded(response))["results"]

        def sync_calls(n):
            for i in range(n):
                phone, client = phones[i % len(phones)]
                items = new_items(rng, phone)

                def call(phone=phone, client=client, items=items):
                    for item, answer in zip(items, post_items(phone, client, items)):
                        if answer["status"] == "accepted" and item["kind"] in ("check_in", "check_out"):
                            phone.checked_in = item["kind"] == "check_in"
                yield call

        def poll(client, ward, since, expected=(200, 204)):
            """The board's poll from `since[0]`, which then follows the new sequence it is given."""
            response = client.get(f"/wards/{ward}/board/changes?since={since[0]}",
                                  headers={"HX-Request": "true", "Accept-Encoding": "br, gzip"})
            if response.status_code not in expected:
                raise RuntimeError(f"poll answered {response.status_code}")
            found = loadtest.POLL_SEQ.search(decoded(response).decode())
            if found:
                since[0] = int(found.group(1))

        def poll_calls(n):
            for i in range(n):
                client, ward, since = boards[i % len(boards)]
                yield lambda client=client, ward=ward, since=since: poll(client, ward, since)

        def busy_poll_calls(n):
            """A poll that finds four new observations of its ward and nothing else: the load test's
            poll at the city's rate (~0.8 observations a second per ward, a poll every 5 s). The
            syncs before each poll run outside the measured time."""
            per_ward = len(city.volunteers) // len(city.boards)
            wards: dict[int, list] = {}
            for index, phone_and_client in enumerate(phones):
                wards.setdefault(index // per_ward, []).append(phone_and_client)
            for i in range(n):
                w = i % len(wards)
                client, ward, since = boards[w]
                for k in range(4):
                    phone, phone_client = wards[w][k % len(wards[w])]
                    post_items(phone, phone_client, [{
                        "uuid": str(uuid.uuid4()), "kind": "observation", "checkpoint": phone.checkpoint,
                        "category": rng.choice(loadtest.CATEGORIES), "severity": rng.choice(loadtest.SEVERITIES),
                        "text": rng.choice(loadtest.TEXTS), "occurred_at": loadtest.moment(rng.uniform(1, 300))}])
                yield lambda client=client, ward=ward, since=since: poll(client, ward, since, expected=(200,))

        def changes_calls(n):
            """A poll that finds every region changed, on a ward whose open list is full (the
            sync phase filled the first wards): what a busy ward's board costs at each change."""
            busy = boards[:max(1, len(phones) // 6)]
            for i in range(n):
                client, ward, _since = busy[i % len(busy)]

                def call(client=client, ward=ward):
                    response = client.get(f"/wards/{ward}/board/changes?since=0",
                                          headers={"HX-Request": "true", "Accept-Encoding": "br, gzip"})
                    if response.status_code != 200:
                        raise RuntimeError(f"changes answered {response.status_code}")
                yield call

        for call in sync_calls(50):
            call()
        for call in poll_calls(50):
            call()
        measure("sync", sync_calls(args.requests), args.profile, args.sort)
        measure("board poll", poll_calls(args.requests), args.profile, args.sort)
        measure("busy poll", busy_poll_calls(args.requests // 2), args.profile, args.sort)
        measure("board changes", changes_calls(args.requests // 4), args.profile, args.sort)
        with app.app_context():
            db.engine.dispose()
    finally:
        database.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
