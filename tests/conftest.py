"""Fixtures: the app on SQLite and on PostgreSQL, a CSRF-aware client, and world builders."""
from __future__ import annotations

import contextvars
import os
import re
import uuid
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from checkpoint import create_app
from checkpoint.config import TestConfig, database_url
from checkpoint.extensions import db

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _unavailable(reason: str):
    """Under CI a missing database is a failure; on a laptop the backend is skipped."""
    if IN_CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def postgres_schema_url(schema: str) -> str:
    base = database_url(os.environ.get("TEST_DATABASE_URL", PG_DEFAULT))
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options=-csearch_path%3D{schema}"


class PostgresSchema:
    """A private schema on the test server, so parallel runs never see each other's rows."""

    def __init__(self):
        self.name = f"t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.admin = create_engine(database_url(os.environ.get("TEST_DATABASE_URL", PG_DEFAULT)))

    def __enter__(self) -> str:
        try:
            with self.admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        except Exception as error:  # unreachable server, bad credentials
            self.admin.dispose()
            _unavailable(f"PostgreSQL is not reachable: {error.__class__.__name__}: {error}".splitlines()[0])
        return postgres_schema_url(self.name)

    def __exit__(self, *exc) -> None:
        with self.admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self.admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request, tmp_path_factory):
    """One migrated database per backend for the whole run; tests empty it after themselves."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        _migrate(url)
        yield request.param, url
    else:
        with PostgresSchema() as url:
            _migrate(url)
            yield request.param, url


def _migrate(url: str) -> None:
    app = create_app(test_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def test_config(url: str, **overrides) -> dict:
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, LOGIN_LIMIT_PER_PHONE="3 per 15 minutes",
                  LOGIN_LIMIT_PER_ADDRESS="50 per 15 minutes", **overrides)
    return config


test_config.__test__ = False  # a helper, not a test


def empty_all_tables() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app(database):
    backend, url = database
    app = create_app(test_config(url))
    app.test_client_class = CSRFClient
    app.config["BACKEND"] = backend
    with app.app_context():
        yield app
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class CSRFClient(FlaskClient):
    """A test client that reads the CSRF token from the page, as the browser and htmx do.

    Each request runs in a context of its own, as on a real server: otherwise it would share
    the test's app context, and with it `g` and the database session, with every other request.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            # End the test's own transaction first, as another process would have: an open read
            # snapshot on SQLite cannot later be upgraded to a write once the request has written.
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self) -> str:
        page = self.get("/login", follow_redirects=True).get_data(as_text=True)
        match = META_CSRF.search(page)
        assert match, "every HTML page carries <meta name=csrf-token>"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)

    def login(self, phone: str, password: str = "password123", remember: bool = False):
        data = {"phone": phone, "password": password}
        if remember:
            data["remember"] = "y"
        return self.post_form("/login", data)

    def logout(self):
        return self.post_form("/logout")


@pytest.fixture
def make(app):
    from tests.factories import Factory

    return Factory()


# A ward, its checkpoint and one volunteer of it. Test modules that need another setup define
# fixtures of the same names, which take precedence.
@pytest.fixture
def ward(make):
    return make.ward("BC")


@pytest.fixture
def post(make, ward):
    return make.checkpoint(ward, "C01", name="Chốt hẻm 12")


@pytest.fixture
def mai(make, post):
    return make.volunteer(post, phone="0901234567", name="Trần Thị Mai")


SCREENS = Path(__file__).parent / "browser" / "screens"
