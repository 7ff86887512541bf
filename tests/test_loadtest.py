"""The load test itself, at a trickle: a benchmark that no test runs rots unseen (bench/loadtest.py)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_load_test_drives_real_gunicorn_and_finds_every_item_stored_once(app):
    # Its own process, as `make loadtest` runs it (and away from the browser tests' event loop).
    run = subprocess.run([sys.executable, "-m", "bench.loadtest", "--database", app.config["BACKEND"],
                          "--duration", "4", "--rate-multiplier", "0.1",
                          "--checkpoints-per-ward", "1", "--volunteers-per-checkpoint", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    report = run.stdout
    sync = next((line for line in report.splitlines() if line.startswith("sync ")), "")
    accepted = re.search(r"answered accepted (\d+)", report)
    assert (run.returncode, "exactly-once: PASS" in report, "Error" in sync) == (0, True, False), \
        report + run.stderr[-3000:]
    assert int(accepted.group(1)) > 0 and "200:" in sync, report
