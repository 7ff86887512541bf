"""Logging in and out, remember-me, passwords, throttling and deactivation."""
import pytest

from checkpoint.extensions import db
from checkpoint.models import Activity
from checkpoint.rules.accounts import deactivate


@pytest.fixture
def volunteer(make):
    checkpoint = make.checkpoint(make.ward())
    return make.volunteer(checkpoint, phone="0901234567", name="Trần Thị Mai")


def test_the_login_form_is_vietnamese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập" in page and "Số điện thoại" in page


@pytest.mark.parametrize("spelling", ["0901234567", "+84 90 123 4567", "0901 234 567"])
def test_a_volunteer_logs_in_with_any_spelling_of_their_number(client, volunteer, spelling):
    response = client.login(spelling)
    assert response.status_code == 302 and response.location.endswith("/")
    assert "Ca trực của tôi" in client.get("/me").get_data(as_text=True)


def test_login_is_recorded_in_the_activity_log(client, volunteer):
    client.login("0901234567")
    assert db.session.scalar(db.select(Activity).where(Activity.action == "user.login")).actor_id == volunteer.id


@pytest.mark.parametrize("phone, password, field_message", [
    ("0901234567", "wrong-password", "Số điện thoại hoặc mật khẩu không đúng."),
    ("0987654321", "password123", "Số điện thoại hoặc mật khẩu không đúng."),
    ("not a phone", "password123", "Số điện thoại hoặc mật khẩu không đúng."),
    ("", "password123", "Nhập số điện thoại."),
    ("0901234567", "", "Nhập mật khẩu."),
    ("0" * 10_000, "password123", "Tối đa 32 ký tự."),
    ("0901234567", "p" * 10_000, "Tối đa 128 ký tự."),
    ("0901\x00234567", "password123", "Có ký tự không được phép."),
])
def test_bad_logins_come_back_with_the_reason_next_to_the_field(client, volunteer, phone, password, field_message):
    response = client.login(phone, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"<li>{field_message}</li>" in page
    assert client.get("/me").status_code == 302  # still not logged in


def test_invalid_utf8_in_the_form_is_an_error_not_a_crash(client, volunteer):
    token = client.csrf_token()
    body = b"csrf_token=" + token.encode() + b"&phone=%FF%FE090&password=%C3%28"
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "Số điện thoại hoặc mật khẩu không đúng." in response.get_data(as_text=True)


def test_a_failed_login_writes_nothing(client, volunteer):
    before = db.session.scalar(db.select(db.func.count(Activity.id)))
    client.login("0901234567", "wrong-password")
    assert db.session.scalar(db.select(db.func.count(Activity.id))) == before


def test_remember_me_keeps_the_phone_logged_in_for_thirty_days(client, volunteer):
    response = client.login("0901234567", remember=True)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=2592000" in cookie or "Expires=" in cookie


def test_without_remember_me_no_long_cookie_is_set(client, volunteer):
    response = client.login("0901234567", remember=False)
    assert not any(c.startswith("remember_token=") for c in response.headers.getlist("Set-Cookie"))


def test_the_session_cookie_is_httponly_and_lax(client, volunteer):
    response = client.login("0901234567")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logging_in_starts_a_fresh_session(client, volunteer):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.login("0901234567")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_logout_ends_the_session(client, volunteer):
    client.login("0901234567")
    response = client.logout()
    assert response.status_code == 302 and "/login" in response.location
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert client.get("/me").status_code == 302


def test_logout_also_ends_a_remembered_login(client, volunteer):
    client.login("0901234567", remember=True)
    response = client.logout()
    assert any(c.startswith("remember_token=;") for c in response.headers.getlist("Set-Cookie"))
    assert "/login" in client.get("/me").location


def test_logout_without_the_csrf_token_is_refused(client, volunteer):
    client.login("0901234567")
    assert client.post("/logout").status_code == 400
    assert client.get("/me").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_next_never_leads_off_the_site(client, volunteer, target):
    token = client.csrf_token()
    response = client.post(f"/login?next={target}", data={"phone": "0901234567", "password": "password123",
                                                         "csrf_token": token})
    assert response.status_code == 302 and response.location in ("/", "http://localhost/")


def test_next_leads_back_to_the_page_asked_for(client, volunteer):
    token = client.csrf_token()
    response = client.post("/login?next=/account/password",
                           data={"phone": "0901234567", "password": "password123", "csrf_token": token})
    assert response.location.endswith("/account/password")


def test_changing_the_password_works_and_ends_other_sessions(app, volunteer):
    phone_a, phone_b = app.test_client(), app.test_client()
    phone_a.login("0901234567")
    phone_b.login("0901234567")
    response = phone_a.post_form("/account/password", {"current_password": "password123",
                                                       "new_password": "new-secret-1", "confirm": "new-secret-1"})
    assert response.status_code == 302
    assert phone_a.get("/me").status_code == 200  # the phone that changed it stays logged in
    assert phone_b.get("/me").status_code == 302  # the other one is logged out
    assert app.test_client().login("0901234567", "new-secret-1").status_code == 302


@pytest.mark.parametrize("fields, message", [
    ({"current_password": "wrong-one", "new_password": "new-secret-1", "confirm": "new-secret-1"},
     "Mật khẩu hiện tại không đúng."),
    ({"current_password": "password123", "new_password": "short", "confirm": "short"}, "Từ 8 đến 128 ký tự."),
    ({"current_password": "password123", "new_password": "new-secret-1", "confirm": "other-secret"},
     "Hai mật khẩu mới không giống nhau."),
])
def test_a_bad_password_change_says_why_and_changes_nothing(client, volunteer, fields, message):
    client.login("0901234567")
    response = client.post_form("/account/password", fields)
    assert response.status_code == 422 and f"<li>{message}</li>" in response.get_data(as_text=True)
    assert client.application.test_client().login("0901234567", "password123").status_code == 302


def test_a_deactivated_user_cannot_log_in(client, volunteer):
    deactivate(volunteer)
    db.session.commit()
    page = client.login("0901234567").get_data(as_text=True)
    assert "Tài khoản này đã bị khóa." in page


def test_deactivation_ends_a_running_session_and_its_remember_cookie(client, volunteer):
    client.login("0901234567", remember=True)
    assert client.get("/me").status_code == 200
    deactivate(volunteer)
    db.session.commit()
    with client.session_transaction() as session:
        session.clear()  # only the remember-me cookie is left
    assert client.get("/me").status_code == 302


def test_failed_logins_are_throttled_per_phone_with_the_time_to_retry(client, volunteer):
    for _ in range(3):  # the test limit is 3 per 15 minutes
        assert client.login("0901234567", "wrong-password").status_code == 200
    response = client.login("0901 234 567", "password123")  # even the right password waits
    assert response.status_code == 429
    assert "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0


def test_throttling_one_phone_does_not_lock_out_another(client, make, volunteer):
    other = make.user(ward=volunteer.ward, phone="0912345678")
    for _ in range(4):
        client.login("0901234567", "wrong-password")
    assert client.login(other.phone).status_code == 302


def test_successful_logins_are_not_throttled(app, volunteer):
    for _ in range(5):
        phone = app.test_client()
        assert phone.login("0901234567").status_code == 302


def test_failed_logins_are_throttled_per_address(app, make):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "4 per 15 minutes"
    ward = make.ward()
    client = app.test_client()
    for n in range(4):
        client.login(f"090000000{n}", "wrong-password")
    user = make.user(ward=ward, phone="0911111111")
    assert client.login(user.phone).status_code == 429
