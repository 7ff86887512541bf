"""Sessions: a new one at login, none that outlives logout, no forged ones, no open redirects."""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from checkpoint import create_app
from checkpoint.models import Activity
from tests.conftest import test_config


def cookie(client, name: str = "session") -> str | None:
    found = client.get_cookie(name)
    return found.value if found else None


def replay(app, **cookies):
    """A fresh browser that holds only the given cookies, as a thief who copied them would."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


# ------------------------------------------------------------------ session fixation


def test_logging_in_issues_a_new_session_cookie(client, mai):
    client.csrf_token()  # the login page starts an anonymous session (it holds the CSRF token)
    before = cookie(client)
    client.login(mai.phone)
    assert before is not None and cookie(client) not in (None, before)


def test_a_session_fixed_before_login_is_not_logged_in_afterwards(app, client, mai):
    client.csrf_token()
    planted = cookie(client)  # an attacker who set this cookie in the victim's browser keeps a copy
    client.login(mai.phone)
    assert replay(app, session=planted).get("/me").status_code == 302


def test_the_csrf_token_known_before_login_is_void_after_it(client, mai):
    old_token = client.csrf_token()
    client.login(mai.phone)
    response = client.post("/logout", data={"csrf_token": old_token})
    assert response.status_code == 400


# ------------------------------------------------------------------ logout


def test_a_session_cookie_copied_before_logout_is_dead_after_it(app, client, mai):
    client.login(mai.phone)
    stolen = cookie(client)
    assert replay(app, session=stolen).get("/me").status_code == 200
    client.logout()
    assert replay(app, session=stolen).get("/me").status_code == 302


def test_a_remember_cookie_copied_before_logout_is_dead_after_it(app, client, mai):
    client.login(mai.phone, remember=True)
    stolen = cookie(client, "remember_token")
    client.logout()
    assert replay(app, remember_token=stolen).get("/me").status_code == 302


def test_the_api_refuses_a_session_that_logged_out(app, client, mai):
    client.login(mai.phone)
    stolen = cookie(client)
    token = client.csrf_token()
    client.logout()
    response = replay(app, session=stolen).post("/api/v1/sync", json={"items": []}, headers={"X-CSRFToken": token})
    assert response.status_code in (400, 401)


def test_logout_is_recorded_in_the_activity_log(client, mai):
    client.login(mai.phone)
    client.logout()
    assert Activity.query.filter_by(action="user.logout", actor_id=mai.id).count() == 1


def test_one_can_log_in_again_after_logging_out(client, mai):
    client.login(mai.phone)
    client.logout()
    client.login(mai.phone)
    assert client.get("/me").status_code == 200


def test_logging_out_when_not_logged_in_is_harmless(client):
    assert client.logout().status_code == 302


# ------------------------------------------------------------------ forged and tampered cookies


def test_a_tampered_session_cookie_is_nobody(app, client, mai):
    client.login(mai.phone)
    value = cookie(client)
    forged = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    assert replay(app, session=forged).get("/me").status_code == 302


def test_a_session_signed_with_another_key_is_nobody(app, client, mai):
    other = create_app(test_config(app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="another-key"))
    with other.test_request_context():
        from flask import session
        session["_user_id"] = mai.get_id()
        session["_fresh"] = True
        forged = other.session_interface.get_signing_serializer(other).dumps(dict(session))
    assert replay(app, session=forged).get("/me").status_code == 302


def test_production_session_cookies_are_secure_httponly_and_lax(app, mai, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    production = create_app(test_config(app.config["SQLALCHEMY_DATABASE_URI"], SESSION_COOKIE_SECURE=True,
                                        REMEMBER_COOKIE_SECURE=True))
    client = production.test_client()
    token = client.get("/login", base_url="https://localhost").get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post("/login", data={"phone": mai.phone, "password": "password123", "remember": "y",
                                           "csrf_token": token}, base_url="https://localhost",
                           headers={"Referer": "https://localhost/login"})  # Flask-WTF checks it on https
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(("session=", "remember_token="))]
    assert len(cookies) == 2
    assert all("Secure" in c and "HttpOnly" in c and "SameSite=Lax" in c for c in cookies)


# ------------------------------------------------------------------ open redirects on next=

HOSTILE_NEXT = [
    "https://evil.example/", "http://evil.example", "//evil.example", "///evil.example", "/\\evil.example",
    "\\\\evil.example", "/%09/evil.example", "/%0A/evil.example", "/%0D/evil.example", "%09//evil.example",
    "%2F%2Fevil.example", "/%2F/evil.example", "https:evil.example", "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "%20//evil.example", "/%E3%80%80/evil.example",
    "/%00/evil.example", "evil.example", "@evil.example", "/%5C%5Cevil.example",
]


def lands_on_site(location: str) -> bool:
    """Where a browser would go: it drops tabs and newlines, trims control characters and spaces,
    and reads backslashes as slashes before resolving the Location against the page."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("".join(map(chr, range(33)))).replace("\\", "/")
    return urlsplit(urljoin("http://localhost/login", cleaned)).netloc == "localhost"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_next_never_leads_off_the_site(client, mai, target):
    token = client.csrf_token()
    response = client.post(f"/login?next={target}",
                           data={"phone": mai.phone, "password": "password123", "csrf_token": token})
    assert response.status_code == 302 and response.location in ("/", "http://localhost/")


@pytest.mark.parametrize("target", [t.replace("%09", "\t").replace("%0A", "\n").replace("%0D", "\r")
                                    .replace("%00", "\0").replace("%20", " ") for t in HOSTILE_NEXT])
def test_the_language_switch_never_leads_off_the_site(client, target):
    response = client.post_form("/language", {"locale": "en", "next": target})
    assert response.status_code == 302 and lands_on_site(response.location)


def test_a_local_next_with_its_query_is_kept(client, mai):
    token = client.csrf_token()
    response = client.post("/login?next=/checkpoints/1/log%3Fbefore%3Dx",
                           data={"phone": mai.phone, "password": "password123", "csrf_token": token})
    assert response.location.endswith("/checkpoints/1/log?before=x")


def test_the_login_redirect_of_an_anonymous_visitor_keeps_a_local_next(client):
    response = client.get("/me")
    assert response.status_code == 302 and "/login?next=/me" in response.location


def test_a_background_fetch_without_a_session_gets_401_and_leaves_the_session_cookie_alone(client):
    # The service worker keeping pages ahead after the session ended must not replace the cookie
    # (and CSRF token) of a login form open in the page.
    response = client.get("/me", headers={"Sec-Fetch-Mode": "same-origin"})
    assert (response.status_code, response.headers.get("Set-Cookie")) == (401, None)


def test_a_navigation_without_a_session_still_goes_to_the_login_page(client):
    response = client.get("/me", headers={"Sec-Fetch-Mode": "navigate"})
    assert response.status_code == 302 and "/login" in response.location
