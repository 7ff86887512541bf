"""Gunicorn settings for production (`gunicorn -c gunicorn.conf.py app:app`), overridable from the environment.

Sized for the box PRODUCT §5 names: 2 CPU cores, PostgreSQL for the data, Redis for the login
throttle, nginx in front. Every number can be changed without editing this file:

    GUNICORN_BIND      where to listen (default 127.0.0.1:8000; nginx proxies to it)
    GUNICORN_WORKERS   processes (default: 3 × cores, so 6 on 2 cores)
    GUNICORN_THREADS   threads per process (default 1)
    GUNICORN_TIMEOUT   seconds before a hung worker process is killed and replaced (default 30)
    GUNICORN_LOGLEVEL  info by default
"""
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Why 3 × cores single-threaded processes (6 on 2 cores), measured rather than guessed
# (bench/README.md, fifth measurement: the city's whole night, 300 s, on this 2-core size):
# - Python runs one thread at a time per process (the GIL). With 4 threads per process, a request
#   that waits for the database must win the GIL back from the threads rendering other answers,
#   so every request is stretched by its neighbours: 3 × 4 answered syncs with p95 443 ms on
#   PostgreSQL and 163 ms on SQLite, 6 × 1 with 68 ms and 47 ms, at the same CPU. Processes are
#   scheduled by the kernel, which does it better.
# - 3 per core, not 1: a request spends part of its time waiting for PostgreSQL (or for SQLite's
#   write lock, or Redis on a login), and another process uses the core meanwhile; the spare
#   ones keep both cores busy while a worker restarts (max_requests below).
# - nginx buffers requests and responses, so a slow phone on 3G never holds a process: six is
#   enough for ~200 requests a second of 5–40 ms each, and a whole-ward roster PDF (about 2 s)
#   holds one of six.
# - Memory: ~80 MB a process, under 500 MB in all. Each process has its own SQLAlchemy pool and,
#   with one thread, uses one connection: six PostgreSQL connections, far below PostgreSQL's
#   default max_connections of 100 (room for migrations, backups, psql).
# - gthread with one thread, not the sync worker: gthread keeps nginx's connections alive.
workers = _int("GUNICORN_WORKERS", 3 * multiprocessing.cpu_count())
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread"

# A worker whose main loop has not reported for this long is hung; it is killed and replaced. With
# gthread the main loop runs beside the request thread, so this catches a hung process, not a slow
# request (docs/deploy.md). nginx gives up on an answer after 60 s (deploy/nginx.conf).
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
