"""The load test itself, at a trickle: a benchmark that no test runs rots unseen (bench/loadtest.py)."""
from __future__ import annotations

import re

from bench import loadtest


def test_the_load_test_drives_real_gunicorn_and_finds_every_item_stored_once(app, capsys):
    code = loadtest.main(["--database", app.config["BACKEND"], "--duration", "4", "--rate-multiplier", "0.1",
                          "--checkpoints-per-ward", "1", "--volunteers-per-checkpoint", "1"])
    report = capsys.readouterr().out
    sync = next(line for line in report.splitlines() if line.startswith("sync "))
    accepted = int(re.search(r"answered accepted (\d+)", report).group(1))
    assert (code, "exactly-once: PASS" in report, "Error" in sync) == (0, True, False), report
    assert accepted > 0 and "200:" in sync, report
