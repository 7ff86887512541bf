"""The role matrix: every route of the URL map against every kind of person.

A new route that is not in ROUTES, or whose view has no access rule, fails here.
"""
from __future__ import annotations

import pytest

from checkpoint import create_app

PERSONAS = ("anonymous", "volunteer", "coordinator", "police", "admin",
            "volunteer_b", "coordinator_b", "police_b")
EVERYONE_OK = {p: "ok" for p in PERSONAS}


def only(*allowed: str) -> dict[str, str]:
    """Allowed personas get "ok", anonymous the login page, everyone else "deny"."""
    return {p: "ok" if p in allowed else ("login" if p == "anonymous" else "deny") for p in PERSONAS}


# endpoint -> (method, url, form data, expected outcome per persona). Ward A's things are the targets.
ROUTES = {
    "web.home": ("GET", "/", None, EVERYONE_OK),
    "web.healthz": ("GET", "/healthz", None, EVERYONE_OK),
    "web.language": ("POST", "/language", {"locale": "en"}, EVERYONE_OK),
    "auth.login": ("GET", "/login", None, EVERYONE_OK),
    "auth.logout": ("POST", "/logout", {}, EVERYONE_OK),
    "auth.password": ("GET", "/account/password", None, only(*PERSONAS[1:])),
    "volunteer.my_shift": ("GET", "/me", None, only("volunteer", "volunteer_b")),
    "ward.overview": ("GET", "/wards/A", None, only("coordinator", "police", "admin")),
    "admin.wards": ("GET", "/admin/wards", None, only("admin")),
}


def test_every_route_has_an_access_rule_and_a_row_in_the_matrix():
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    unmarked = sorted(e for e in endpoints if not hasattr(app.view_functions[e], "_access"))
    assert unmarked == [], "views without a policy decorator"
    assert sorted(endpoints - ROUTES.keys()) == [], "routes missing from the role matrix"
    assert sorted(ROUTES.keys() - endpoints) == [], "matrix rows for routes that no longer exist"


@pytest.fixture
def world(make):
    ward_a, ward_b = make.ward("A"), make.ward("B")
    post_a, post_b = make.checkpoint(ward_a), make.checkpoint(ward_b)
    return {
        "volunteer": make.volunteer(post_a), "coordinator": make.user("coordinator", ward=ward_a),
        "police": make.user("police", ward=ward_a), "admin": make.user("admin"),
        "volunteer_b": make.volunteer(post_b), "coordinator_b": make.user("coordinator", ward=ward_b),
        "police_b": make.user("police", ward=ward_b),
    }


def outcome(response) -> str:
    if response.status_code in (403, 404):
        return "deny"
    if response.status_code == 302 and "/login?next=" in response.location:
        return "login"
    if response.status_code < 400:
        return "ok"
    return f"status {response.status_code}"


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_route_against_every_persona(app, world, endpoint):
    method, url, data, expected = ROUTES[endpoint]
    seen = {}
    for persona in PERSONAS:
        client = app.test_client()
        if persona != "anonymous":
            assert client.login(world[persona].phone).status_code == 302
        response = client.get(url) if method == "GET" else client.post_form(url, data)
        seen[persona] = outcome(response)
    assert seen == expected
