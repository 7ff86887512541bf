"""The database goes away and comes back: 503 with a clear message, /healthz says so, recovery by itself.

The shared PostgreSQL server is never touched: the app reaches it through a small TCP proxy in
this process, and "the database is down" means the proxy closes its listener and every
connection, which is what the app sees when the server stops or the network between them breaks.
"""
from __future__ import annotations

import socket
import threading
import uuid
from datetime import datetime, timezone

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from checkpoint import create_app
from checkpoint.extensions import db
from checkpoint.models import Observation
from tests.conftest import CSRFClient, PostgresSchema, test_config

PHONE = "0901234567"
LEAKS = ("Traceback", "psycopg", "OperationalError", "sqlalchemy", "SELECT", "127.0.0.1", "5432")


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the database server until cut; restored on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)  # the accept loop looks at the stop flag this often
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stop.clear()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def cut(self) -> None:
        """Refuse new connections and break every open one."""
        self._stop.set()
        self._thread.join()
        self._listener.close()
        with self._lock:
            for conn in self._connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self._connections.clear()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._connections.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture(scope="module")
def site():
    """A migrated private schema, the proxy in front of it, and an app that only knows the proxy."""
    with PostgresSchema() as direct_url:
        migrator = create_app(test_config(direct_url))
        with migrator.app_context():
            upgrade()
            db.engine.dispose()
        direct = make_url(direct_url)
        proxy = TcpProxy((direct.host or "127.0.0.1", direct.port or 5432))
        proxy.start()
        proxied = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        app = create_app(test_config(proxied))
        app.test_client_class = CSRFClient
        with app.app_context():
            from tests.factories import Factory
            make = Factory()
            make.volunteer(make.checkpoint(make.ward("A"), "C01"), phone=PHONE)
            db.session.remove()
        yield app, proxy
        with app.app_context():
            db.engine.dispose()
        proxy.cut()


@pytest.fixture
def app(site):
    return site[0]


@pytest.fixture
def proxy(site):
    return site[1]


@pytest.fixture
def phone(app):
    client = app.test_client()
    assert client.login(PHONE).status_code == 302
    client.get("/me")  # the pool now holds a connection that the cut will break
    return client


@pytest.fixture
def down(proxy):
    """The database is unreachable for the length of the test, then comes back."""
    proxy.cut()
    yield
    proxy.start()


def observation_item(text: str = "Xe máy lạ dựng trước cổng") -> dict:
    return {"uuid": str(uuid.uuid4()), "kind": "observation", "checkpoint": "C01", "category": "suspicious",
            "severity": "info", "text": text, "occurred_at": datetime.now(timezone.utc).isoformat()}


def sync(client, *items):
    return client.post("/api/v1/sync", json={"items": list(items)}, headers={"X-CSRFToken": client.csrf_token()})


def test_a_page_answers_503_with_the_friendly_page_while_the_database_is_down(phone, down):
    response = phone.get("/me")
    assert response.status_code == 503
    assert "Không kết nối được cơ sở dữ liệu" in response.get_data(as_text=True)


def test_the_503_page_is_a_full_html_page_with_its_security_headers(phone, down):
    response = phone.get("/me")
    assert response.mimetype == "text/html" and "Content-Security-Policy" in response.headers


def test_the_503_page_asks_to_come_back_later(phone, down):
    assert phone.get("/me").headers["Retry-After"] == "10"


def test_the_login_form_answers_503_rather_than_a_wrong_password(app, down):
    client = app.test_client()
    token = client.csrf_token()  # the login page itself needs no database
    response = client.post("/login", data={"phone": PHONE, "password": "password123", "csrf_token": token})
    assert response.status_code == 503


def test_the_api_answers_503_with_a_json_reason(phone, down):
    response = sync(phone, observation_item())
    assert response.status_code == 503 and response.is_json
    assert response.json["error"] == "unavailable" and response.json["reason"]


def test_healthz_says_unavailable(app, down):
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json == {"status": "unavailable", "reason": "database"}


@pytest.mark.parametrize("path", ["/me", "/api/v1/sync", "/healthz", "/checkpoints/1/log"])
def test_nothing_of_the_failure_leaks_to_the_client(phone, down, path):
    response = sync(phone, observation_item()) if path == "/api/v1/sync" else phone.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert [leak for leak in LEAKS if leak in body] == []


def test_the_first_request_after_the_database_returns_succeeds(app, phone, proxy):
    proxy.cut()
    assert phone.get("/me").status_code == 503
    proxy.start()
    # The pool's connections died with the cut; pool_pre_ping notices and opens new ones.
    assert phone.get("/me").status_code == 200


def test_healthz_recovers_by_itself(app, proxy):
    client = app.test_client()
    proxy.cut()
    assert client.get("/healthz").status_code == 503
    proxy.start()
    assert client.get("/healthz").json == {"status": "ok"}


def test_the_session_survives_the_outage(phone, proxy):
    proxy.cut()
    phone.get("/me")
    proxy.start()
    assert "/login" not in (phone.get("/me").location or "")


def test_an_item_refused_during_the_outage_is_stored_once_when_sent_again(app, phone, proxy):
    item = observation_item("Gửi lại sau khi mất kết nối")
    proxy.cut()
    assert sync(phone, item).status_code == 503
    proxy.start()
    assert sync(phone, item).json["results"][0]["status"] == "accepted"
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Observation)
                                   .where(Observation.uuid == uuid.UUID(item["uuid"])))
        db.session.remove()
    assert stored == 1


def test_the_outage_is_logged_for_the_operator(app, phone, down, caplog):
    phone.get("/me")
    assert any("database unavailable" in record.getMessage() for record in caplog.records)
