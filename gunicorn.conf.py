"""Gunicorn settings for production (`gunicorn -c gunicorn.conf.py app:app`), overridable from the environment.

Sized for the box PRODUCT §5 names: 2 CPU cores, PostgreSQL for the data, Redis for the login
throttle, nginx in front. Every number can be changed without editing this file:

    GUNICORN_BIND      where to listen (default 127.0.0.1:8000; nginx proxies to it)
    GUNICORN_WORKERS   processes (default: cores + 1, so 3 on 2 cores)
    GUNICORN_THREADS   threads per process (default 4)
    GUNICORN_TIMEOUT   seconds before a stuck worker is killed and replaced (default 30)
    GUNICORN_LOGLEVEL  info by default
"""
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Why cores + 1 processes with 4 threads each, and not the textbook 2 × cores + 1 sync workers:
# - Python runs one thread at a time per process (the GIL), so it takes one process per core
#   to use both cores. The extra process keeps both cores busy while another one is restarting
#   (max_requests below) or collecting garbage.
# - A request here spends a good part of its time waiting for PostgreSQL (and for Redis on a
#   login); the GIL is released while it waits. Four threads per process keep the core busy
#   during those waits without the memory of more processes (~80 MB each).
# - nginx buffers requests and responses, so a slow phone on 3G never holds a thread: threads
#   are needed for the database waits only, and 3 × 4 = 12 requests in flight is plenty for
#   ~200 requests a second of 5–40 ms each.
# - Each process has its own SQLAlchemy pool (5 connections + 10 overflow); with 4 threads a
#   process uses at most 4, so the app holds at most 12 PostgreSQL connections, far below
#   PostgreSQL's default max_connections of 100 (room for migrations, backups, psql).
# On SQLite (the small single-box setup) the same numbers work: writes queue on SQLite's lock
# (BEGIN IMMEDIATE, 5 s busy timeout), reads run in parallel in WAL mode.
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"

# A request that takes longer than this is stuck (the slowest pages, the PDF roster and the CSV
# export, take a few seconds); the worker is killed and replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
# nginx keeps connections to us open between requests.
keepalive = 5

# Replace each worker after about this many requests: a slow leak can never grow for weeks.
# The jitter keeps the workers from all restarting at the same moment.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = 500

# Load the app once in the master and fork: faster starts, shared memory. Each worker opens its
# own database connections after the fork (SQLAlchemy's pool is created lazily, on first use).
preload_app = True

# Logs go to the journal (systemd) through standard output and error.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# The client address comes from nginx (X-Forwarded-For), not the socket, which is always nginx.
access_log_format = '%({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# Only nginx on this host may tell us the original scheme (X-Forwarded-Proto: https).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "sotrucchot"
# gunicorn's control socket would live in the service user's home, which systemd hides
# (ProtectHome); systemctl is the control interface here.
control_socket_disable = True


def post_fork(server, worker):
    """Each worker starts with an empty connection pool of its own.

    preload_app builds the app in the master; should anything there have opened a database
    connection, a forked worker must never reuse it (two processes on one socket corrupt both).
    `close=False` leaves the master's connections alone and only forgets them in the worker.
    """
    from app import app
    from checkpoint.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)
