"""The role matrix: every route of the URL map against every kind of person.

A new route that is not in ROUTES, or whose view has no access rule, fails here.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from checkpoint import create_app
from checkpoint.models import utcnow
from checkpoint.rules.attendance import qr_token

PERSONAS = ("anonymous", "volunteer", "coordinator", "police", "admin",
            "volunteer_b", "coordinator_b", "police_b")
EVERYONE_OK = {p: "ok" for p in PERSONAS}


def only(*allowed: str) -> dict[str, str]:
    """Allowed personas get "ok", anonymous the login page, everyone else "deny"."""
    return {p: "ok" if p in allowed else ("login" if p == "anonymous" else "deny") for p in PERSONAS}


DUTY = ("volunteer", "coordinator")
READ = ("volunteer", "coordinator", "police", "admin")
ALL_DUTY = ("volunteer", "coordinator", "volunteer_b", "coordinator_b")

# endpoint -> (method, url template, data, expected outcome per persona). Ward A's things are the
# targets; {checkpoint}, {observation}, {handover}, {photo}, {qr}, {urgent} come from the world.
# "JSON" posts a JSON body with the CSRF header, as the phone's outbox does.
ROUTES = {
    "web.home": ("GET", "/", None, EVERYONE_OK),
    "web.healthz": ("GET", "/healthz", None, EVERYONE_OK),
    "web.language": ("POST", "/language", {"locale": "en"}, EVERYONE_OK),
    "auth.login": ("GET", "/login", None, EVERYONE_OK),
    "auth.logout": ("POST", "/logout", {}, EVERYONE_OK),
    "auth.password": ("GET", "/account/password", None, only(*PERSONAS[1:])),
    "volunteer.my_shift": ("GET", "/me", None, only(*ALL_DUTY)),
    "volunteer.check_in_view": ("POST", "/checkpoints/{checkpoint}/check-in", {}, only(*DUTY)),
    "volunteer.qr_check_in": ("GET", "/qr/{qr}", None, only(*DUTY)),
    "volunteer.check_out_view": ("GET", "/checkpoints/{checkpoint}/check-out", None, only(*DUTY)),
    "volunteer.observe": ("GET", "/checkpoints/{checkpoint}/observe", None, only(*DUTY)),
    "volunteer.urgent": ("GET", "/urgent", None, only(*ALL_DUTY)),
    "volunteer.urgent_sent": ("GET", "/urgent/{urgent}", None, only("volunteer")),
    "volunteer.handover": ("POST", "/checkpoints/{checkpoint}/handover", {}, only(*DUTY)),
    "volunteer.handover_accept": ("GET", "/handovers/{handover}", None, only(*DUTY)),
    "volunteer.log": ("GET", "/checkpoints/{checkpoint}/log", None, only(*READ)),
    "volunteer.observation": ("GET", "/observations/{observation}", None, only(*READ)),
    "volunteer.photo": ("GET", "/photos/{photo}.jpg", None, only(*READ)),
    "board.acknowledge": ("POST", "/observations/{observation}/acknowledge", {}, only("police", "admin")),
    "board.resolve": ("POST", "/observations/{observation}/resolve", {"note": "Đã xử lý."}, only("police", "admin")),
    "board.comment": ("POST", "/observations/{observation}/comment", {"text": "Đã xem."}, only("police", "admin")),
    "board.board": ("GET", "/wards/A/board", None, only("coordinator", "police", "admin")),
    "board.changes": ("GET", "/wards/A/board/changes?since=0", None, only("coordinator", "police", "admin")),
    "board.tiles": ("GET", "/wards/A/board/tiles", None, only("coordinator", "police", "admin")),
    "board.history": ("GET", "/wards/A/history", None, only("coordinator", "police", "admin")),
    "board.history_csv": ("GET", "/wards/A/history.csv", None, only("coordinator", "police", "admin")),
    "board.report": ("GET", "/wards/A/report", None, only("coordinator", "police", "admin")),
    "ward.overview": ("GET", "/wards/A", None, only("coordinator", "police", "admin")),
    "ward.qr_poster": ("GET", "/wards/A/checkpoints/{checkpoint}/poster", None, only("coordinator", "admin")),
    # Ward admin (issue 5): checkpoints, the duty phone, people, passwords, the CSV import.
    "ward.checkpoints": ("GET", "/wards/A/checkpoints", None, only("coordinator", "admin")),
    "ward.duty_phone": ("POST", "/wards/A/duty-phone", {"duty_phone": "028 3829 1234"}, only("coordinator", "admin")),
    "ward.checkpoint_new": ("GET", "/wards/A/checkpoints/new", None, only("coordinator", "admin")),
    "ward.checkpoint_edit": ("GET", "/wards/A/checkpoints/{checkpoint}", None, only("coordinator", "admin")),
    "ward.checkpoint_retire": ("POST", "/wards/A/checkpoints/{checkpoint}/retire", {}, only("coordinator", "admin")),
    "ward.checkpoint_reactivate": ("POST", "/wards/A/checkpoints/{checkpoint}/reactivate", {},
                                   only("coordinator", "admin")),
    "ward.checkpoint_revoke_posters": ("POST", "/wards/A/checkpoints/{checkpoint}/revoke-posters", {},
                                       only("coordinator", "admin")),
    "ward.people": ("GET", "/wards/A/people", None, only("coordinator", "admin")),
    "ward.person_new": ("GET", "/wards/A/people/new", None, only("coordinator", "admin")),
    "ward.person_edit": ("GET", "/wards/A/people/{member}", None, only("coordinator", "admin")),
    "ward.person_password": ("POST", "/wards/A/people/{member}/password", {"password": "mật-khẩu-mới-1"},
                             only("coordinator", "admin")),
    "ward.person_deactivate": ("POST", "/wards/A/people/{member}/deactivate", {}, only("coordinator", "admin")),
    "ward.person_reactivate": ("POST", "/wards/A/people/{member}/reactivate", {}, only("coordinator", "admin")),
    "ward.people_import": ("GET", "/wards/A/people/import", None, only("coordinator", "admin")),
    "ward.people_import_confirm": ("POST", "/wards/A/people/import/confirm", {}, only("coordinator", "admin")),
    "ward.people_import_template": ("GET", "/wards/A/people/import/template.csv", None, only("coordinator", "admin")),
    "admin.wards": ("GET", "/admin/wards", None, only("admin")),
    "api.sync": ("JSON", "/api/v1/sync", {"items": []}, only(*ALL_DUTY)),
    "api.photo": ("POST", "/api/v1/photos", {}, only(*ALL_DUTY)),
    "pwa.service_worker": ("GET", "/sw.js", None, EVERYONE_OK),
    "pwa.manifest": ("GET", "/manifest.webmanifest", None, EVERYONE_OK),
    "pwa.offline": ("GET", "/offline", None, EVERYONE_OK),
    "pwa.outbox_words": ("GET", "/outbox-words.js?lang=vi", None, EVERYONE_OK),
    # Admin area (issue 5): wards, staff accounts, moving a person ({person} is ward B's volunteer).
    "admin.ward_new": ("GET", "/admin/wards/new", None, only("admin")),
    "admin.ward_edit": ("GET", "/admin/wards/A/edit", None, only("admin")),
    "admin.people": ("GET", "/admin/people", None, only("admin")),
    "admin.person_new": ("GET", "/admin/people/new", None, only("admin")),
    "admin.person_move": ("GET", "/admin/people/{person}/move", None, only("admin")),
    # The outbox (issue 6): whose session this is and its CSRF token, for the phone's queued items.
    "api.session_info": ("GET", "/api/v1/session", None, only(*ALL_DUTY)),
    # The attendance report (issue 5): on screen and printable, and its CSV export.
    "reports.attendance": ("GET", "/wards/A/attendance", None, only("coordinator", "police", "admin")),
    "reports.attendance_csv": ("GET", "/wards/A/attendance.csv", None, only("coordinator", "police", "admin")),
    # The roster grid (issue 5): coordinators of the ward plan, police of the ward read. Changes to
    # {started_shift} are refused by the rules (422), so each persona meets the same shift.
    "roster.week": ("GET", "/wards/A/roster", None, only("coordinator", "police", "admin")),
    "roster.checkpoint_week": ("GET", "/wards/A/roster/{checkpoint}", None, only("coordinator", "police", "admin")),
    "roster.add_shift": ("POST", "/wards/A/roster/{checkpoint}/shifts", {}, only("coordinator", "admin")),
    "roster.move_shift": ("POST", "/wards/A/roster/shifts/{started_shift}/move", {}, only("coordinator", "admin")),
    "roster.cancel_shift": ("POST", "/wards/A/roster/shifts/{started_shift}/cancel", {},
                            only("coordinator", "admin")),
    "roster.assign": ("POST", "/wards/A/roster/shifts/{started_shift}/assign", {}, only("coordinator", "admin")),
    "roster.unassign": ("POST", "/wards/A/roster/shifts/{started_shift}/unassign", {}, only("coordinator", "admin")),
    "roster.add_pattern": ("POST", "/wards/A/roster/{checkpoint}/patterns", {}, only("coordinator", "admin")),
    "roster.delete_pattern": ("POST", "/wards/A/roster/{checkpoint}/patterns/delete", {},
                              only("coordinator", "admin")),
    "roster.apply_patterns": ("POST", "/wards/A/roster/apply-patterns", {}, only("coordinator", "admin")),
    "roster.copy_week": ("POST", "/wards/A/roster/copy-week", {}, only("coordinator", "admin")),
    # The printed roster (issue 5, print): whoever reads the ward's roster prints and exports it.
    "roster.print_week": ("GET", "/wards/A/roster/print?checkpoint={checkpoint}", None,
                          only("coordinator", "police", "admin")),
    "roster.pdf_week": ("GET", "/wards/A/roster.pdf?checkpoint={checkpoint}", None,
                        only("coordinator", "police", "admin")),
    "roster.csv_week": ("GET", "/wards/A/roster.csv", None, only("coordinator", "police", "admin")),
    # A person's own shifts and calendar link (issue 5, print): everyone signed in, each their own.
    # The feed's only key is its token: a made-up one is a 404 for everybody, logged in or not.
    "calendar.my_shifts": ("GET", "/me/shifts", None, only(*PERSONAS[1:])),
    "calendar.subscribe": ("POST", "/me/calendar", {}, only(*PERSONAS[1:])),
    "calendar.revoke": ("POST", "/me/calendar/revoke", {}, only(*PERSONAS[1:])),
    "calendar.feed": ("GET", "/calendar/made-up-token.ics", None, {p: "deny" for p in PERSONAS}),
    # The audit log (issue 7, records): admins see the city, police their own ward (ward B's officer
    # opens the page too, and sees only ward B's rows: tests/test_audit.py).
    "audit.audit": ("GET", "/audit", None, only("police", "admin", "police_b")),
}


def test_every_route_has_an_access_rule_and_a_row_in_the_matrix():
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    unmarked = sorted(e for e in endpoints if not hasattr(app.view_functions[e], "_access"))
    assert unmarked == [], "views without a policy decorator"
    assert sorted(endpoints - ROUTES.keys()) == [], "routes missing from the role matrix"
    assert sorted(ROUTES.keys() - endpoints) == [], "matrix rows for routes that no longer exist"


@pytest.fixture
def world(app, make, tmp_path):
    ward_a, ward_b = make.ward("A"), make.ward("B")
    post_a, post_b = make.checkpoint(ward_a), make.checkpoint(ward_b)
    people = {
        "volunteer": make.volunteer(post_a), "coordinator": make.user("coordinator", ward=ward_a),
        "police": make.user("police", ward=ward_a), "admin": make.user("admin"),
        "volunteer_b": make.volunteer(post_b), "coordinator_b": make.user("coordinator", ward=ward_b),
        "police_b": make.user("police", ward=ward_b),
    }
    app.config["PHOTO_DIR"] = str(tmp_path)
    writer = make.volunteer(post_a)
    things = make.duty_records(post_a, writer)
    urgent = make.observation(post_a, people["volunteer"], severity="urgent")
    # The roster (issue 5): a shift already begun, so every change to it is refused and stays refused.
    started_shift = make.shift(post_a, utcnow() - timedelta(hours=1), volunteers=[people["volunteer"]])
    return {**people, "ids": {"checkpoint": post_a.id, "observation": things["observation"].id,
                              "handover": things["handover"].id, "photo": things["photo"].uuid,
                              "qr": qr_token(post_a), "urgent": urgent.id, "person": people["volunteer_b"].id,
                              "member": writer.id, "started_shift": started_shift.id}}


def outcome(response) -> str:
    if response.status_code in (403, 404):
        return "deny"
    if response.status_code == 302 and "/login?next=" in response.location or response.status_code == 401:
        return "login"
    if response.status_code < 400 or response.status_code == 422:  # 422: the API read and refused the input
        return "ok"
    return f"status {response.status_code}"


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_route_against_every_persona(app, world, endpoint):
    method, url, data, expected = ROUTES[endpoint]
    url = url.format(**world["ids"])
    seen = {}
    for persona in PERSONAS:
        client = app.test_client()
        if persona != "anonymous":
            assert client.login(world[persona].phone).status_code == 302
        if method == "GET":
            response = client.get(url)
        elif method == "JSON":
            response = client.post(url, json=data, headers={"X-CSRFToken": client.csrf_token()})
        else:
            response = client.post_form(url, data)
        seen[persona] = outcome(response)
    assert seen == expected
