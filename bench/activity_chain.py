"""Benchmark of the activity log's hash chain: what serialising activity writers costs.

Run from the project root, in the project's virtualenv:

    python -m bench.activity_chain --db postgresql
    python -m bench.activity_chain --db sqlite --threads 1,4 --writes 200

Each writer thread runs transactions shaped like a police comment: insert a Comment, record one
activity row, commit. "chained" records through `rules.activity.record` (chain lock, read the newest
hash, sealed insert); "unchained" inserts the same activity row directly, with no lock and no read,
as the log was written before the chain (all unchained runs first, then the log is emptied and the
chained runs follow). It prints commits per second and the p50/p95 latency of a transaction for
each thread count, then checks that the chained rows verify. It is a report: the
exit code is 0 whatever the numbers.
"""
from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import uuid
from types import SimpleNamespace

from flask_migrate import upgrade
from sqlalchemy import insert

from bench.board import UNSEALED, Database, bench_app
from checkpoint.extensions import db
from checkpoint.models import Activity, Comment, utcnow
from checkpoint.rules.accounts import create_user
from checkpoint.rules.activity import record
from checkpoint.rules.chain import verify_chain
from checkpoint.rules.observations import log_observation
from checkpoint.rules.wards import add_checkpoint, add_ward
from checkpoint.sqlite import WRITE_LOCK


def setup() -> tuple[int, int, int]:
    """A ward, a checkpoint, a volunteer, an officer and one observation to comment on."""
    ward = add_ward(code="B1", name="Phường Bench")
    post = add_checkpoint(ward=ward, code="C01", name="Chốt bench")
    mai = create_user(phone="0901234567", full_name="Bench Volunteer", role="volunteer", ward=ward,
                      checkpoints=[post], password_hash="x")
    officer = create_user(phone="0907654321", full_name="Bench Police", role="police", ward=ward, password_hash="x")
    now = utcnow()
    observation, _ = log_observation(mai, post, uuid=uuid.uuid4(), occurred_at=now, now=now, category="other",
                                     severity="info", text="Bench")
    ids = ward.id, officer.id, observation.id
    db.session.commit()  # and no read after it: an open snapshot would keep SQLite's writers waiting
    return ids


def writer(app, chained: bool, writes: int, ids: tuple[int, int, int], latencies: list, failures: list,
           start: threading.Barrier) -> None:
    ward_id, officer_id, observation_id = ids
    officer = SimpleNamespace(id=officer_id)
    with app.app_context():
        try:
            start.wait()
            for _ in range(writes):
                began = time.perf_counter()
                db.session.connection(execution_options={WRITE_LOCK: True})  # as a POST request on SQLite
                now = utcnow()
                comment = Comment(observation_id=observation_id, author_id=officer_id, text="Đã xem.", created_at=now)
                db.session.add(comment)
                db.session.flush()
                detail = {"observation": observation_id}
                if chained:
                    record("comment.created", actor=officer, ward_id=ward_id, subject=comment, now=now, detail=detail)
                else:
                    db.session.execute(insert(Activity).values(
                        at=now, actor_id=officer_id, action="comment.created", ward_id=ward_id, subject_type="comment",
                        subject_id=comment.id, detail=detail, **UNSEALED))
                db.session.commit()
                latencies.append(time.perf_counter() - began)
        except Exception as error:  # reported by the caller
            failures.append(repr(error))
        finally:
            db.session.remove()


def measure(app, chained: bool, threads: int, writes: int, ids) -> str:
    latencies, failures = [], []
    start = threading.Barrier(threads)
    workers = [threading.Thread(target=writer, args=(app, chained, writes, ids, latencies, failures, start))
               for _ in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else 0
    line = (f"  {'chained' if chained else 'unchained':<9}  {threads:>2} threads  {len(latencies) / elapsed:>7.0f} commits/s"
            f"  p50 {statistics.median(latencies) * 1000:>6.1f} ms  p95 {p95 * 1000:>6.1f} ms")
    return line + (f"  {len(failures)} failed: {failures[0]}" if failures else "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.activity_chain", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--threads", default="1,4,8", help="comma-separated thread counts")
    parser.add_argument("--writes", type=int, default=300, help="transactions per thread")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.threads.split(",")]
    print(f"bench.activity_chain: {args.db}, {args.writes} transactions per thread; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    database = Database(args.db, keep=False)
    try:
        app = bench_app(database.url)
        with app.app_context():
            upgrade()
            ids = setup()
            for threads in counts:
                print(measure(app, False, threads, args.writes, ids), flush=True)
            # The unchained rows carry no real hashes: start the chained runs from an empty log.
            db.session.execute(Activity.__table__.delete())
            db.session.commit()
            for threads in counts:
                print(measure(app, True, threads, args.writes, ids), flush=True)
            verdict = verify_chain()
            print(f"verify-log: {'ok' if verdict.ok else 'BROKEN'}, {verdict.count} records {verdict.reason}")
            db.session.remove()
            db.engine.dispose()
    finally:
        database.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
