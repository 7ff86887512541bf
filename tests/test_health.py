"""GET /healthz answers for the database."""
from checkpoint import create_app
from tests.conftest import test_config


def test_healthy_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_unhealthy_when_the_database_is_gone(tmp_path):
    # A real, unreachable database: nothing listens on port 1.
    app = create_app(test_config("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["status"] == "unavailable"


def test_pages_say_service_unavailable_when_the_database_is_gone():
    app = create_app(test_config("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2"))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:1"  # a logged-in visitor makes the app ask the database
    response = client.get("/me")
    assert response.status_code == 503
    assert "Không kết nối được cơ sở dữ liệu" in response.get_data(as_text=True)
