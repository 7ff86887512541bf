"""SQLite tuning: WAL, busy timeout, foreign keys, and transactions that can hold a savepoint."""
from __future__ import annotations

import sqlite3

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, _record) -> None:
    """WAL for concurrent readers, a busy timeout instead of 'database is locked', real foreign keys."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # pysqlite's own transaction handling breaks SAVEPOINT; we emit BEGIN ourselves (below).
    dbapi_connection.isolation_level = None


# GET views that write all the same: the CSV export records who exported what (PRODUCT §5).
WRITING_GETS = {"board.history_csv", "reports.attendance_csv", "roster.pdf_week", "roster.csv_week"}


# Execution option for work outside a request that reads and then writes (the purge command):
# `db.session.connection(execution_options={WRITE_LOCK: True})` before its first statement.
WRITE_LOCK = "sqlite_write_lock"


@event.listens_for(Engine, "begin")
def _on_begin(connection) -> None:
    """Requests that may write (POST and the like) take the write lock up front (BEGIN IMMEDIATE) and so wait their
    turn under the busy timeout; a deferred transaction that reads first and writes later would
    instead fail at once with SQLITE_BUSY when another writer got there in between."""
    if connection.dialect.name != "sqlite":
        return
    writing = has_request_context() and (request.method not in ("GET", "HEAD", "OPTIONS")
                                         or request.endpoint in WRITING_GETS)
    writing = writing or connection.get_execution_options().get(WRITE_LOCK, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
