"""Production settings: gunicorn's sizing, the proxy in front, the database connection timeout."""
from __future__ import annotations

import multiprocessing
import runpy

import pytest
from flask import request

from checkpoint import create_app
from checkpoint.config import ROOT, engine_options
from checkpoint.policy import public

GUNICORN_CONF = str(ROOT / "gunicorn.conf.py")


def gunicorn_settings(monkeypatch, **env) -> dict:
    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(GUNICORN_CONF)


def test_gunicorn_runs_three_single_threaded_processes_per_core(monkeypatch):
    settings = gunicorn_settings(monkeypatch)
    assert settings["workers"] == 3 * multiprocessing.cpu_count()
    assert settings["worker_class"] == "gthread" and settings["threads"] == 1


def test_gunicorn_listens_only_on_the_loopback_for_nginx_by_default(monkeypatch):
    assert gunicorn_settings(monkeypatch)["bind"] == "127.0.0.1:8000"


def test_gunicorn_sizing_comes_from_the_environment(monkeypatch):
    settings = gunicorn_settings(monkeypatch, GUNICORN_WORKERS="5", GUNICORN_THREADS="2",
                                 GUNICORN_BIND="0.0.0.0:9000")
    assert (settings["workers"], settings["threads"], settings["bind"]) == (5, 2, "0.0.0.0:9000")


def test_at_most_six_database_connections_on_two_cores(monkeypatch):
    monkeypatch.setattr(multiprocessing, "cpu_count", lambda: 2)
    settings = gunicorn_settings(monkeypatch)
    assert settings["workers"] * settings["threads"] == 6


def remote_address_app(**config):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", **config})

    @app.get("/whoami")
    @public
    def whoami():
        return f"{request.remote_addr} {request.scheme}"

    return app.test_client()


def test_behind_nginx_the_client_address_and_scheme_come_from_the_proxy():
    client = remote_address_app(PROXY_COUNT=1)
    answer = client.get("/whoami", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert answer.get_data(as_text=True) == "203.0.113.7 https"


def test_a_client_cannot_choose_its_address_through_a_header_nginx_overwrites():
    # nginx sets X-Forwarded-For to $remote_addr; with one trusted hop only the last value counts.
    client = remote_address_app(PROXY_COUNT=1)
    answer = client.get("/whoami", headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.7"})
    assert answer.get_data(as_text=True).split()[0] == "203.0.113.7"


def test_without_a_proxy_forwarded_headers_are_ignored():
    client = remote_address_app()
    answer = client.get("/whoami", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert answer.get_data(as_text=True) == "127.0.0.1 http"


@pytest.mark.parametrize("uri, expected", [
    ("postgresql+psycopg://u@h/db", {"connect_timeout": 5}),
    ("postgresql+psycopg://u@h/db?connect_timeout=9", None),
    ("sqlite:///x.db", None),
])
def test_postgresql_connections_give_up_after_a_few_seconds(uri, expected):
    options = engine_options(uri, {"pool_pre_ping": True}, 5)
    assert options.get("connect_args") == expected and options["pool_pre_ping"] is True
