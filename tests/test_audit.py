"""GET /audit: who may read the activity log, whose rows they see, the filters and the paging."""
import re
from datetime import timedelta

import pytest

from checkpoint.extensions import db
from checkpoint.models import utcnow
from checkpoint.rules.activity import record
from checkpoint.rules.audit import PER_PAGE

ROW = re.compile(r'id="activity-(\d+)"')


@pytest.fixture
def wards(make):
    return make.ward("A", name="Phường Bến Nghé"), make.ward("B", name="Phường Đa Kao")


@pytest.fixture
def staff(make, wards):
    a, b = wards
    return {"admin": make.user("admin"), "police": make.user("police", ward=a, name="Lê Công An"),
            "police_b": make.user("police", ward=b), "coordinator": make.user("coordinator", ward=a),
            "volunteer": make.volunteer(make.checkpoint(a, "C01"), phone="0901234567", name="Trần Thị Mai")}


def shown(client, query: str = "") -> list[int]:
    response = client.get(f"/audit{query}")
    assert response.status_code == 200
    return [int(i) for i in ROW.findall(response.get_data(as_text=True))]


def as_(app, person):
    client = app.test_client()
    client.login(person.phone)
    return client


def ward_rows(ward) -> list[int]:
    from sqlalchemy import select

    from checkpoint.models import Activity
    db.session.rollback()
    return list(db.session.scalars(select(Activity.id).where(Activity.ward_id == ward.id).order_by(Activity.id.desc())))


@pytest.mark.parametrize("role", ["volunteer", "coordinator"])
def test_volunteers_and_coordinators_may_not_read_it(app, staff, role):
    assert as_(app, staff[role]).get("/audit").status_code == 403


def test_police_see_their_own_ward_only(app, wards, staff):
    a, b = wards
    seen = shown(as_(app, staff["police_b"]))
    assert seen == ward_rows(b) and not set(seen) & set(ward_rows(a))


def test_police_cannot_widen_their_scope_with_the_ward_filter(app, wards, staff):
    a, _b = wards
    seen = shown(as_(app, staff["police_b"]), f"?ward={a.id}")
    assert not set(seen) & set(ward_rows(a))


def test_admins_see_every_ward(app, wards, staff):
    a, b = wards
    seen = set(shown(as_(app, staff["admin"])))
    assert set(ward_rows(a)) | set(ward_rows(b)) <= seen


def test_admins_filter_by_ward(app, wards, staff):
    a, _b = wards
    assert shown(as_(app, staff["admin"]), f"?ward={a.id}") == ward_rows(a)


def test_filter_by_phone(app, staff):
    police = as_(app, staff["police"])  # logging in is recorded too
    mai = staff["volunteer"]
    record("user.login", actor=mai, ward_id=mai.ward_id, subject=mai)
    db.session.commit()
    page = police.get("/audit?person=090 123 4567").get_data(as_text=True)
    assert page.count('class="audit-entry"') == 1 and "Trần Thị Mai" in page


def test_filter_by_words_of_a_name(app, staff):
    mai = staff["volunteer"]
    entry = record("user.login", actor=mai, ward_id=mai.ward_id, subject=mai)
    db.session.commit()
    assert shown(as_(app, staff["police"]), "?person=thị mai") == [entry.id]


def test_filter_by_action(app, staff):
    mai = staff["volunteer"]
    entry = record("user.password_changed", actor=mai, ward_id=mai.ward_id, subject=mai)
    db.session.commit()
    assert shown(as_(app, staff["police"]), "?action=user.password_changed") == [entry.id]


def test_filter_by_dates_in_local_days(app, wards, staff):
    a, _b = wards
    long_ago = utcnow() - timedelta(days=40)
    entry = record("ward.renamed", ward_id=a.id, subject=a, now=long_ago)
    db.session.commit()
    day = (long_ago + timedelta(hours=7)).strftime("%d/%m/%Y")  # Asia/Ho_Chi_Minh is UTC+7 all year
    assert shown(as_(app, staff["police"]), f"?date_from={day}&date_to={day}") == [entry.id]


def test_a_bad_date_is_shown_next_to_its_field(app, staff):
    page = as_(app, staff["police"]).get("/audit?date_from=31/02/2026").get_data(as_text=True)
    assert "dd/mm/yyyy" in page and 'aria-invalid="true"' in page and "audit-entry" not in page


def test_rows_read_as_sentences(app, staff):
    page = as_(app, staff["admin"]).get("/audit?action=user.created").get_data(as_text=True)
    assert "Đã tạo tài khoản" in page and "user.created" not in page.split('id="activity-')[1]


def test_pages_follow_each_other_by_id(app, wards, staff):
    a, _b = wards
    for number in range(PER_PAGE + 5):
        record("ward.renamed", ward_id=a.id, detail={"n": number})
    db.session.commit()
    police = as_(app, staff["police"])
    first = shown(police, "?action=ward.renamed")
    second = shown(police, f"?action=ward.renamed&before={first[-1]}")
    assert (len(first), len(second), first[-1] > second[0]) == (PER_PAGE, 5, True)


def test_the_next_page_comes_as_a_fragment_for_htmx(app, staff):
    response = as_(app, staff["admin"]).get("/audit", headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert ("<!doctype" not in page, "audit-entry" in page, "HX-Request" in response.headers["Vary"]) == (True,) * 3


def test_the_menu_links_to_it_for_police_but_not_for_volunteers(app, staff):
    menus = [as_(app, staff[role]).get("/account/password").get_data(as_text=True) for role in ("police", "volunteer")]
    assert ['href="/audit"' in menu for menu in menus] == [True, False]
