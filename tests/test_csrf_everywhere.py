"""Every state-changing route of the URL map refuses a missing or wrong CSRF token, and writes nothing.

The routes come from the URL map, so a route added later is covered without editing this file.
Each is called as a person its policy admits, with real ids of their own ward, so that only the
CSRF check stands between the request and a write.
"""
from __future__ import annotations

import pytest

from checkpoint import create_app
from checkpoint.extensions import db
from checkpoint.rules.attendance import qr_token
from tests.conftest import CSRFClient, empty_all_tables, test_config
from tests.dbstate import changed, fingerprint
from tests.factories import Factory, local
from tests.urlmap import STATE_CHANGING, build, converters, roles_of, rules

ROUTES = [pytest.param(rule, method, id=f"{method} {rule.rule}")
          for rule in rules() for method in sorted(rule.methods & STATE_CHANGING)]
# Plausible fields of the forms, so that a request without CSRF protection would go through.
FIELDS = {"text": "Đã xem.", "note": "Đã xử lý.", "summary": "Ca trực yên tĩnh.", "locale": "en",
          "phone": "0901234567", "password": "password123", "category": "suspicious", "severity": "info",
          "name": "Chốt mới", "code": "C09", "full_name": "Nguyễn Văn An", "role": "volunteer"}
EXPIRED = "Biểu mẫu đã hết hạn"  # the Vietnamese CSRF refusal: "The form has expired…"
PREFERRED = ("coordinator", "volunteer", "police", "admin")


@pytest.fixture(scope="module")
def site(database, tmp_path_factory):
    """One app and one ward for the whole module: these requests must write nothing anyway."""
    _backend, url = database
    app = create_app(test_config(url, PHOTO_DIR=str(tmp_path_factory.mktemp("photos"))))
    app.test_client_class = CSRFClient
    with app.app_context():
        make = Factory()
        ward = make.ward("A")
        post = make.checkpoint(ward, "C01")
        people = {"volunteer": make.volunteer(post, phone="0901234567"),
                  "coordinator": make.user("coordinator", ward=ward), "police": make.user("police", ward=ward),
                  "admin": make.user("admin")}
        things = make.duty_records(post, make.volunteer(post))
        shift = make.shift(post, local(2030, 1, 6, 8), volunteers=[people["volunteer"]])
        values = {"code": "A", "checkpoint_id": post.id, "observation_id": things["observation"].id,
                  "handover_id": things["handover"].id, "photo_uuid": things["photo"].uuid,
                  "token": qr_token(post), "shift_id": shift.id, "user_id": people["volunteer"].id}
        clients = {None: app.test_client()}
        for role, user in people.items():
            clients[role] = app.test_client()
            assert clients[role].login(user.phone).status_code == 302
        yield app, clients, values
        empty_all_tables()
        db.engine.dispose()


def url_for_rule(rule, values: dict) -> str:
    # Arguments this file does not know still get a value: the CSRF check runs before the view.
    defaults = {name: 1 if kind == "int" else "x" for name, kind in converters(rule).items()}
    return build(rule, {**defaults, **values})


def persona(app, rule) -> str | None:
    if rule.endpoint == "auth.login":
        return None
    allowed = roles_of(app, rule.endpoint) or PREFERRED
    return next(role for role in PREFERRED if role in allowed)


def refused_for_csrf(response) -> bool:
    if response.status_code != 400:
        return False
    if response.is_json:
        return response.json.get("error") == "csrf_failed"
    return EXPIRED in response.get_data(as_text=True)


@pytest.mark.parametrize("rule, method", ROUTES)
def test_a_state_change_without_a_valid_csrf_token_is_refused_and_writes_nothing(site, rule, method):
    app, clients, values = site
    url = url_for_rule(rule, values)
    client = clients[persona(app, rule)]
    other_session_token = app.test_client().csrf_token()  # valid, but signed for someone else's session
    before = fingerprint()
    attempts = {
        "no token": client.open(url, method=method, data=FIELDS),
        "forged token": client.open(url, method=method, data={**FIELDS, "csrf_token": "forged"}),
        "another session's token": client.open(url, method=method, data={**FIELDS, "csrf_token": other_session_token}),
        "JSON with a forged header": client.open(url, method=method, json={"items": [], **FIELDS},
                                                 headers={"X-CSRFToken": "forged"}),
    }
    not_refused = {name: r.status_code for name, r in attempts.items() if not refused_for_csrf(r)}
    assert not_refused == {}
    assert changed(before, fingerprint()) == {}


def test_the_list_of_state_changing_routes_is_not_empty():
    # If the URL map were read wrongly the test above would pass on nothing.
    assert len(ROUTES) >= 20
