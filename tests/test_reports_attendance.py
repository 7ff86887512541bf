"""The attendance report's page, print view and CSV export, through the test client."""
import csv
import io
import uuid

import pytest

from checkpoint.extensions import db
from checkpoint.localtime import to_local
from checkpoint.models import Activity, Attendance, utcnow
from tests.factories import local

OCTOBER = "/wards/P4/attendance?from=01/10/2026&to=31/10/2026"
OCTOBER_CSV = "/wards/P4/attendance.csv?from=2026-10-01&to=2026-10-31"


@pytest.fixture
def ward(make):
    return make.ward("P4")


@pytest.fixture
def alley(make, ward):
    return make.checkpoint(ward, "C01", name="Chốt hẻm 12")


@pytest.fixture
def mai(make, alley):
    return make.volunteer(alley, name="Trần Thị Mai")


@pytest.fixture
def police(make, ward):
    return make.user("police", ward=ward, name="Lê Công An")


@pytest.fixture
def desk(client, police):
    client.login(police.phone)
    return client


@pytest.fixture
def en_desk(app, make, ward):
    officer = make.user("police", ward=ward, name="Phạm Văn Đức", locale="en")
    client = app.test_client()
    client.login(officer.phone)
    return client


def attend(person, checkpoint, check_in, check_out=None, shift=None):
    db.session.add(Attendance(uuid=uuid.uuid4(), user_id=person.id, checkpoint_id=checkpoint.id,
                              shift_id=shift.id if shift else None, check_in_at=check_in,
                              check_in_received_at=check_in, check_out_at=check_out,
                              check_out_received_at=check_out, check_out_uuid=uuid.uuid4() if check_out else None))
    db.session.commit()


@pytest.fixture
def october(make, alley, mai):
    """Mai kept one evening shift late, missed one, and helped once without a plan."""
    kept = make.shift(alley, local(2026, 10, 5, 18), volunteers=[mai])
    make.shift(alley, local(2026, 10, 6, 18), volunteers=[mai])
    attend(mai, alley, local(2026, 10, 5, 18, 30), local(2026, 10, 5, 22), kept)
    attend(mai, alley, local(2026, 10, 9, 8), local(2026, 10, 9, 11))


def rows_of(response) -> list[list[str]]:
    """The file's rows, without the blank line between its two tables."""
    assert response.status_code == 200
    return [row for row in csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))) if row]


def exports() -> list[Activity]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Activity).where(Activity.action == "attendance_report.exported")))


# --- the page -----------------------------------------------------------------------------------


def test_police_see_each_volunteers_line(en_desk, october):
    page = en_desk.get(OCTOBER).get_data(as_text=True)
    assert "Trần Thị Mai" in page and "Chốt hẻm 12" in page and "Attendance report · 01/10/2026 – 31/10/2026" in page


def test_the_counts_are_on_the_page(en_desk, october):
    page = en_desk.get(OCTOBER).get_data(as_text=True)
    assert 'data-label="Late">1<' in page and 'data-label="Missed">1<' in page and 'data-label="Unscheduled">1<' in page


def test_the_period_defaults_to_this_month_so_far(desk):
    today = to_local(utcnow()).date()
    page = desk.get("/wards/P4/attendance").get_data(as_text=True)
    first = today.replace(day=1)
    assert f'value="{first.strftime("%d/%m/%Y")}"' in page and f'value="{today.strftime("%d/%m/%Y")}"' in page


def test_iso_dates_are_shown_back_as_dd_mm_yyyy(desk):
    page = desk.get("/wards/P4/attendance?from=2026-10-01&to=2026-10-31").get_data(as_text=True)
    assert 'value="01/10/2026"' in page and 'value="31/10/2026"' in page


@pytest.mark.parametrize("query, message", [
    ("from=yesterday", "Write the date as dd/mm/yyyy"),
    ("from=31/02/2026", "Write the date as dd/mm/yyyy"),
    ("from=10/10/2026&to=01/10/2026", "The end date is before the start date."),
    ("from=01/01/2025&to=31/12/2026", "Choose a period of at most 366 days."),
    ("to=" + "9" * 40, "Write the date as dd/mm/yyyy"),
    ("from=01/01/1999", "Write the date as dd/mm/yyyy"),
])
def test_a_bad_period_comes_back_by_its_field_with_422(en_desk, query, message):
    response = en_desk.get(f"/wards/P4/attendance?{query}")
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_a_start_alone_runs_to_the_end_of_its_month_when_it_lies_ahead(desk):
    page = desk.get("/wards/P4/attendance?from=15/12/2099").get_data(as_text=True)
    assert 'value="15/12/2099"' in page and 'value="31/12/2099"' in page


def test_an_end_alone_starts_on_the_first_of_its_month(desk):
    page = desk.get("/wards/P4/attendance?to=20/10/2026").get_data(as_text=True)
    assert 'value="01/10/2026"' in page and 'value="20/10/2026"' in page


def test_a_reversed_period_is_shown_next_to_the_end_date(en_desk):
    page = en_desk.get("/wards/P4/attendance?from=10/10/2026&to=01/10/2026").get_data(as_text=True)
    assert 'id="to-errors"' in page and 'aria-invalid="true"' in page


def test_an_over_cap_volunteer_is_marked(en_desk, alley, mai):
    for day in range(1, 12):
        attend(mai, alley, local(2026, 10, day, 22), local(2026, 10, day + 1, 2))
    page = en_desk.get(OCTOBER).get_data(as_text=True)
    assert "10/2026: 11 of 10" in page and "Over the cap of 10 night duties a month: Trần Thị Mai." in page


def test_the_page_prints_from_a_button_without_inline_script(desk):
    page = desk.get(OCTOBER).get_data(as_text=True)
    assert "data-print" in page and "js/print.js" in page and "css/reports.css" in page and "<script>" not in page


def test_the_page_links_to_its_csv_with_the_same_period(desk):
    page = desk.get(OCTOBER).get_data(as_text=True)
    assert "/wards/P4/attendance.csv?from=2026-10-01&amp;to=2026-10-31" in page


def test_the_ward_overview_and_the_menu_link_to_the_report(desk):
    page = desk.get("/wards/P4").get_data(as_text=True)
    assert page.count('href="/wards/P4/attendance"') == 2


def test_coordinators_and_admins_read_the_report(app, make, ward, october):
    for reader in (make.user("coordinator", ward=ward), make.user("admin")):
        client = app.test_client()
        client.login(reader.phone)
        assert "Trần Thị Mai" in client.get(OCTOBER).get_data(as_text=True)


# --- the CSV ------------------------------------------------------------------------------------


def test_the_csv_starts_with_the_bom(desk, october):
    response = desk.get(OCTOBER_CSV)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8" and response.get_data().startswith(
        "\ufeff".encode())


def test_the_csv_is_an_attachment_named_after_the_ward_and_the_period(desk):
    disposition = desk.get(OCTOBER_CSV).headers["Content-Disposition"]
    assert disposition == 'attachment; filename="cham-cong-p4-2026-10-01-2026-10-31.csv"'


def test_the_csv_holds_the_volunteers_counts_in_vietnamese(desk, october):
    rows = rows_of(desk.get(OCTOBER_CSV))
    assert rows[1][:10] == ["Tổ viên", "Ca được phân công", "Đúng giờ", "Đến trễ", "Về sớm", "Vắng", "Chưa hết ca",
                            "Ngoài lịch", "Thiếu giờ ra", "Giờ trực"]
    assert rows[2][:10] == ["Trần Thị Mai", "2", "0", "1", "0", "1", "0", "1", "0", "6,5"]


def test_the_csv_has_the_checkpoint_table_and_its_total(en_desk, october):
    rows = rows_of(en_desk.get(OCTOBER_CSV))
    assert [row[0] for row in rows if "Chốt hẻm 12" in row[0]] == ["C01 · Chốt hẻm 12"]
    assert rows[-1][:3] == ["Total", "2", "0"]


def test_the_csv_neutralises_formulas_in_names(app, make, desk, alley):
    make.volunteer(alley, name="=cmd|' /C calc'!A0")
    assert "'=cmd|' /C calc'!A0" in [row[0] for row in rows_of(desk.get(OCTOBER_CSV))]


def test_the_csv_has_no_phone_numbers(desk, mai, october):
    assert mai.phone not in desk.get(OCTOBER_CSV).get_data(as_text=True)


def test_an_export_is_recorded_in_the_activity_log(desk, police, ward, october):
    desk.get(OCTOBER_CSV)
    [entry] = exports()
    assert (entry.actor_id, entry.ward_id, entry.detail) == (
        police.id, ward.id, {"from": "2026-10-01", "to": "2026-10-31", "rows": 1})


def test_a_bad_period_gives_the_form_back_instead_of_a_file(en_desk):
    response = en_desk.get("/wards/P4/attendance.csv?from=2026-10-10&to=2026-10-01")
    assert response.status_code == 422 and "text/html" in response.content_type and exports() == []


# --- who may ------------------------------------------------------------------------------------

URLS = [OCTOBER, OCTOBER_CSV]


@pytest.mark.parametrize("url", URLS)
def test_police_of_another_ward_find_nothing(app, make, url):
    make.ward("P4")
    stranger = make.user("police", ward=make.ward("XH"))
    client = app.test_client()
    client.login(stranger.phone)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", URLS)
def test_volunteers_may_not(client, mai, url):
    client.login(mai.phone)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_anonymous_visitors_are_sent_to_log_in(client, ward, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login?next=" in response.location


def test_an_unknown_ward_is_not_found(desk):
    assert desk.get("/wards/ZZ/attendance").status_code == 404


def test_a_refused_export_records_nothing(app, make, ward):
    stranger = make.user("police", ward=make.ward("XH"))
    client = app.test_client()
    client.login(stranger.phone)
    client.get(OCTOBER_CSV)
    assert exports() == []
