"""What the database holds, as row counts and a checksum, to prove a refused request wrote nothing."""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from checkpoint.extensions import db


def fingerprint() -> dict[str, tuple[int, str]]:
    """{table: (rows, sha256 of every row in primary-key order)} for every table of the models."""
    db.session.commit()  # end the test's own transaction: read what other requests committed
    state = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            digest = hashlib.sha256()
            count = 0
            for row in conn.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
                count += 1
            state[table.name] = (count, digest.hexdigest()[:16])
    return state


def changed(before: dict, after: dict) -> dict:
    """The tables whose rows differ, with their counts before and after."""
    return {name: (before[name][0], after.get(name, (None,))[0]) for name in before if before[name] != after.get(name)}
