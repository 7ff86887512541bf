"""The security baseline: headers, CSRF, error pages."""
import pytest


@pytest.fixture
def volunteer(make):
    return make.volunteer(make.checkpoint(make.ward()), phone="0901234567")


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_pages_carry_the_other_security_headers(client):
    headers = client.get("/login").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_script(client, volunteer):
    client.login("0901234567")
    page = client.get("/me").get_data(as_text=True)
    assert "<script>" not in page and "onclick" not in page and " style=" not in page


def test_every_page_carries_the_csrf_meta_tag(client):
    assert '<meta name="csrf-token" content="' in client.get("/login").get_data(as_text=True)


def test_a_form_post_without_csrf_token_is_refused_in_vietnamese(client, volunteer):
    response = client.post("/login", data={"phone": "0901234567", "password": "password123"})
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    assert client.get("/me").status_code == 302


def test_the_csrf_token_is_accepted_in_the_htmx_header(client, volunteer):
    token = client.csrf_token()
    response = client.post("/login", data={"phone": "0901234567", "password": "password123"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 302


def test_a_wrong_csrf_header_is_refused(client, volunteer):
    client.csrf_token()
    response = client.post("/login", data={"phone": "0901234567", "password": "password123"},
                           headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400


def test_the_not_found_page_is_friendly_and_translated(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Không tìm thấy" in response.get_data(as_text=True)


def test_the_not_found_page_in_english_for_an_english_browser(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Not found" in response.get_data(as_text=True)


def test_a_wrong_role_gets_the_forbidden_page(client, volunteer):
    client.login("0901234567")
    response = client.get("/admin/wards")
    assert response.status_code == 403 and "Không được phép" in response.get_data(as_text=True)


def test_api_paths_answer_errors_in_json(client):
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404 and response.is_json and response.json["reason"]


def test_an_unexpected_error_shows_the_friendly_500_page(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = client.get("/boom")
    assert response.status_code == 500 and "Đã có lỗi xảy ra" in response.get_data(as_text=True)
    assert "kaboom" not in response.get_data(as_text=True)


def test_logged_in_pages_are_not_cached(client, volunteer):
    client.login("0901234567")
    assert client.get("/me").headers["Cache-Control"] == "private, no-store"


def test_an_svg_opened_on_its_own_may_do_nothing_but_draw(client):
    response = client.get("/static/icons/icon.svg")
    assert response.mimetype == "image/svg+xml"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy


def test_static_files_carry_no_document_headers(client):
    response = client.get("/static/css/app.css")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for header in ("Content-Security-Policy", "Referrer-Policy", "X-Frame-Options", "Content-Disposition"):
        assert header not in response.headers
