"""Configuration classes, read from the environment."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))


def database_url(raw: str | None) -> str:
    """Turn a DATABASE_URL into an SQLAlchemy URL that uses psycopg 3 for PostgreSQL."""
    if not raw:
        return f"sqlite:///{INSTANCE / 'checkpoint.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def development_secret_key() -> str:
    """A secret key generated once and kept in instance/, so sessions survive restarts."""
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    APP_ENV = os.environ.get("APP_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    # Failed logins allowed before the form is locked; the same window for phone and address.
    LOGIN_LIMIT_PER_PHONE = os.environ.get("LOGIN_LIMIT_PER_PHONE", "5 per 15 minutes")
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes")
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Ho_Chi_Minh")
    # How often an open board asks for changes; each unchanged poll is one indexed query.
    BOARD_POLL_SECONDS = int(os.environ.get("BOARD_POLL_SECONDS", "5"))
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = ("vi", "en")
    REMEMBER_COOKIE_NAME = "remember_token"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; phones stay open for hours
    WTF_CSRF_HEADERS = ["X-CSRFToken"]
    # A photo may be up to 10 MB before the phone shrinks it; the sync batch is JSON far below this.
    MAX_CONTENT_LENGTH = 11 * 1024 * 1024
    PHOTO_DIR = os.environ.get("PHOTO_DIR", str(INSTANCE / "photos"))
    # HCMC pays night duty (22:00-06:00 local) for at most this many nights a month per person.
    NIGHT_DUTY_CAP = int(os.environ.get("NIGHT_DUTY_CAP", "10"))
    # Attendance classification: arriving more than this many minutes after the shift start is late;
    # leaving more than this many minutes before its end is leaving early.
    LATE_AFTER_MINUTES = int(os.environ.get("LATE_AFTER_MINUTES", "10"))
    EARLY_LEAVE_MINUTES = int(os.environ.get("EARLY_LEAVE_MINUTES", "10"))
    # Seconds to wait for PostgreSQL to accept a connection: a database host that has vanished
    # then costs a quick 503, not a request hanging until gunicorn kills the worker.
    DATABASE_CONNECT_TIMEOUT = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
    # How many reverse proxies (nginx) stand in front and set X-Forwarded-For/-Proto; 0 = none.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    if os.environ.get("MAP_TILE_URL"):  # otherwise the board's default (OpenStreetMap) applies
        MAP_TILE_URL = os.environ["MAP_TILE_URL"]
    # Compression (flask-compress) of HTML, JSON, CSS, JS, SVG and the manifest, static files
    # included; see docs/decisions.md for why HTML is compressed despite BREACH.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "gzip"]  # static files are sent as streams
    COMPRESS_BR_LEVEL = 5
    COMPRESS_LEVEL = 6
    COMPRESS_MIN_SIZE = 500  # below this the headers outweigh the saving


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    RATELIMIT_STORAGE_URI = "memory://"


def engine_options(uri: str, options: dict, connect_timeout: int) -> dict:
    """The engine options, with a connection timeout for PostgreSQL unless the URL sets one."""
    if not uri.startswith("postgresql") or "connect_timeout=" in uri:
        return options
    connect_args = {"connect_timeout": connect_timeout, **options.get("connect_args", {})}
    return {**options, "connect_args": connect_args}


def config_for_environment():
    return ProductionConfig if os.environ.get("APP_ENV") == "production" else Config
