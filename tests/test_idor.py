"""IDOR across wards: every URL of the URL map that names a thing, aimed at another ward's thing.

People of ward A (volunteer, coordinator, police) ask for ward B's observation, photo, handover,
shift, user, checkpoint, QR poster and ward pages, and for "ward A's page about ward B's thing"
(/wards/A/checkpoints/<B's checkpoint>): every answer must be 403 or 404, and nothing is written.
The routes come from the URL map, so routes added later are covered; a new kind of id in a URL
fails here until `RESOLVERS` knows how to find ward B's one.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from checkpoint import create_app
from checkpoint.extensions import db
from checkpoint.models import Handover
from checkpoint.rules.attendance import qr_token
from tests.conftest import CSRFClient, empty_all_tables, test_config
from tests.dbstate import changed, fingerprint
from tests.factories import Factory, local
from tests.urlmap import build, converters, rules

PERSONAS = ("volunteer", "coordinator", "police")
DENIED = (403, 404)
FIELDS = {"text": "Đã xem.", "note": "Đã xử lý.", "summary": "Ca trực yên tĩnh.", "remark": "Đủ.",
          "category": "suspicious", "severity": "info", "name": "Chốt B đổi tên", "code": "C09",
          "full_name": "Tên mới", "role": "volunteer", "phone": "0987654321", "volunteers": "",
          "new_password": "password456", "confirm": "password456", "user_id": "", "starts_at": "08:00"}


def is_id(name: str) -> bool:
    return name.endswith(("_id", "_uuid")) or name in ("code", "token")


TARGETED = [rule for rule in rules() if any(is_id(name) for name in converters(rule))]
CASES = []
for _rule in TARGETED:
    _names = set(converters(_rule))
    _variants = ["B's ward, B's thing"]
    if "code" in _names and any(is_id(name) for name in _names - {"code"}):
        _variants.append("A's ward, B's thing")
    for _method in sorted(_rule.methods & {"GET", "POST"}):
        for _variant in _variants:
            CASES.append(pytest.param(_rule, _method, _variant, id=f"{_method} {_rule.rule} [{_variant}]"))


@pytest.fixture(scope="module")
def site(database, tmp_path_factory):
    _backend, url = database
    app = create_app(test_config(url, PHOTO_DIR=str(tmp_path_factory.mktemp("photos"))))
    app.test_client_class = CSRFClient
    with app.app_context():
        make = Factory()
        ward_a, ward_b = make.ward("A"), make.ward("B")
        post_a, post_b = make.checkpoint(ward_a, "C01"), make.checkpoint(ward_b, "C01")
        people = {"volunteer": make.volunteer(post_a), "coordinator": make.user("coordinator", ward=ward_a),
                  "police": make.user("police", ward=ward_a)}
        volunteer_b = make.volunteer(post_b)
        things_b = make.duty_records(post_b, volunteer_b)
        urgent_b = make.observation(post_b, volunteer_b, severity="urgent")
        shift_b = make.shift(post_b, local(2030, 1, 6, 8), volunteers=[volunteer_b])
        ward_b_things = {
            "code": ward_b.code, "checkpoint_id": post_b.id, "observation_id": things_b["observation"].id,
            "handover_id": things_b["handover"].id, "photo_uuid": things_b["photo"].uuid, "token": qr_token(post_b),
            "shift_id": shift_b.id, "user_id": volunteer_b.id, "urgent": urgent_b.id,
        }
        clients = {}
        for role, user in people.items():
            clients[role] = app.test_client()
            assert clients[role].login(user.phone).status_code == 302
        yield {"app": app, "clients": clients, "b": ward_b_things, "ward_b": ward_b, "post_b": post_b}
        empty_all_tables()
        db.engine.dispose()


def resolve(site, name: str, rule):
    """Ward B's value for a URL argument; an id this file cannot find fails loudly."""
    if name in site["b"]:
        if name == "observation_id" and rule.endpoint.endswith("urgent_sent"):
            return site["b"]["urgent"]
        return site["b"][name]
    if name.endswith("_id"):
        found = _ward_b_row(site, name.removesuffix("_id"))
        if found is not None:
            return found
    pytest.fail(f"{rule.rule}: teach tests/test_idor.py where ward B's {name!r} comes from", pytrace=False)


def _ward_b_row(site, table_name: str):
    """The id of some row of that table that belongs to ward B (by ward_id or checkpoint_id)."""
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table
        if table.name != table_name:
            continue
        if "ward_id" in table.c:
            return db.session.scalar(select(table.c.id).where(table.c.ward_id == site["ward_b"].id).limit(1))
        if "checkpoint_id" in table.c:
            return db.session.scalar(select(table.c.id).where(table.c.checkpoint_id == site["post_b"].id).limit(1))
    return None


def target(site, rule, variant: str) -> str:
    values = {}
    for name, kind in converters(rule).items():
        if is_id(name):
            values[name] = resolve(site, name, rule)
        else:  # not an id (a year, a week, …): any well-formed value
            values[name] = 1 if kind == "int" else "x"
    if variant == "A's ward, B's thing":
        values["code"] = "A"
    return build(rule, values)


def test_every_url_with_an_id_is_tried():
    names = {name for rule in TARGETED for name in converters(rule)}
    assert {"checkpoint_id", "observation_id", "handover_id", "photo_uuid", "code"} <= names


@pytest.mark.parametrize("rule, method, variant", CASES)
def test_another_wards_thing_is_out_of_reach(site, rule, method, variant):
    url = target(site, rule, variant)
    before = fingerprint() if method == "POST" else None
    seen = {}
    for persona, client in site["clients"].items():
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={**FIELDS, "csrf_token": client.csrf_token()})
        seen[persona] = response.status_code
    assert {p: s for p, s in seen.items() if s not in DENIED} == {}
    if before is not None:
        assert changed(before, fingerprint()) == {}


@pytest.mark.parametrize("kind", ["handover", "photo"])
def test_the_sync_api_cannot_reach_another_wards_things(site, kind):
    """The API names things by uuid in the body, not the URL: a ward-A volunteer aims at ward B's."""
    client = site["clients"]["volunteer"]
    now = datetime.now(timezone.utc).isoformat()
    if kind == "handover":
        handover_uuid = str(db.session.get(Handover, site["b"]["handover_id"]).uuid)
        item = {"kind": "handover_accept", "handover": handover_uuid, "occurred_at": now}
    else:  # the volunteer's own checkpoint (also called C01), with ward B's photo
        item = {"kind": "observation", "checkpoint": "C01", "category": "other", "severity": "info",
                "text": "ảnh của phường khác", "occurred_at": now, "photo": str(site["b"]["photo_uuid"])}
    item["uuid"] = str(uuid.uuid4())
    before = fingerprint()
    response = client.post("/api/v1/sync", json={"items": [item]}, headers={"X-CSRFToken": client.csrf_token()})
    assert response.json["results"][0]["status"] == "rejected"
    assert changed(before, fingerprint()) == {}
