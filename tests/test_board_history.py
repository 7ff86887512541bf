"""The history search, its CSV export and the daily report, through the test client."""
import csv
import io
import uuid
from datetime import timedelta

import pytest

from checkpoint.extensions import db
from checkpoint.localtime import to_local
from checkpoint.models import Activity, utcnow
from checkpoint.rules.attendance import check_in, check_out
from tests.factories import local


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
    """An officer who reads English: messages new to the catalogue are checked in their source words."""
    officer = make.user("police", ward=ward, name="Phạm Văn Đức", locale="en")
    client = app.test_client()
    client.login(officer.phone)
    return client


@pytest.fixture
def logged(make, alley, mai):
    now = utcnow()
    return [
        make.observation(alley, mai, now=now - timedelta(hours=2), category="theft",
                         text="Mất trộm xe máy Wave biển số 59-X1"),
        make.observation(alley, mai, now=now - timedelta(hours=1), category="suspicious", severity="urgent",
                         text="=HYPERLINK(\"http://evil.example\",\"bấm vào đây\")"),
    ]


def exports() -> list[Activity]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Activity).where(Activity.action == "history.exported")))


# --- the search page ----------------------------------------------------------------------------


def test_police_see_the_wards_observations(desk, logged):
    response = desk.get("/wards/P4/history")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Mất trộm xe máy Wave" in page and "Trần Thị Mai" in page


def test_the_page_says_how_many_were_found(en_desk, logged):
    assert "Observations found: 2" in en_desk.get("/wards/P4/history").get_data(as_text=True)


def test_the_filters_narrow_the_results(desk, logged):
    page = desk.get("/wards/P4/history?category=theft&words=WAVE").get_data(as_text=True)
    assert "Mất trộm xe máy Wave" in page and "HYPERLINK" not in page


def test_dates_are_typed_as_dd_mm_yyyy(en_desk, make, alley, mai, logged):
    make.observation(alley, mai, now=utcnow() - timedelta(days=3), text="Ba ngày trước")
    day = to_local(utcnow() - timedelta(days=3)).strftime("%d/%m/%Y")
    page = en_desk.get(f"/wards/P4/history?date_from={day}&date_to={day}").get_data(as_text=True)
    assert "Ba ngày trước" in page and "Observations found: 1" in page


def test_an_htmx_page_request_gets_only_the_results(desk, logged):
    response = desk.get("/wards/P4/history?page=1", headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert 'id="history-results"' in page and "<html" not in page and "HX-Request" in response.headers["Vary"]


def test_htmx_restoring_history_gets_the_whole_page(desk, logged):
    page = desk.get("/wards/P4/history", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in page.get_data(as_text=True)


def test_a_page_past_the_end_says_so(en_desk, logged):
    response = en_desk.get("/wards/P4/history?page=99")
    assert response.status_code == 200 and "There is no page 99." in response.get_data(as_text=True)


def test_a_garbage_page_number_is_the_first_page(desk, logged):
    response = desk.get("/wards/P4/history?page=abc")
    assert response.status_code == 200 and "Mất trộm xe máy Wave" in response.get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ("date_from=h%C3%B4m+qua", "Write the date as dd/mm/yyyy, e.g. 27/11/2026."),
    ("date_from=31/02/2026", "Write the date as dd/mm/yyyy, e.g. 27/11/2026."),
    ("date_to=31/12/99999", "Write the date as dd/mm/yyyy, e.g. 27/11/2026."),
    ("date_to=01/01/0001", "Write the date as dd/mm/yyyy, e.g. 27/11/2026."),
    ("date_from=28/11/2026&date_to=27/11/2026", "The end date is before the start date."),
    ("category=gossip", "Not a valid choice."),
    ("severity=%27%3B+DROP+TABLE", "Not a valid choice."),
    ("status=closed", "Not a valid choice."),
    ("checkpoint=abc", "Not a valid choice."),
    ("words=" + "x" * 10_000, "At most 200 characters."),
    ("words=a%00b", "Contains characters that are not allowed."),
])
def test_bad_filters_come_back_next_to_their_field(en_desk, logged, query, message):
    response = en_desk.get(f"/wards/P4/history?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page and 'aria-invalid="true"' in page
    assert "Mất trộm xe máy Wave" not in page


def test_a_checkpoint_of_another_ward_is_not_a_choice(desk, make, logged):
    foreign = make.checkpoint(make.ward("XH"), "C09")
    page = desk.get(f"/wards/P4/history?checkpoint={foreign.id}").get_data(as_text=True)
    assert "Lựa chọn không hợp lệ." in page


def test_coordinators_and_admins_read_the_history(app, make, ward, logged):
    for user in (make.user("coordinator", ward=ward), make.user("admin")):
        client = app.test_client()
        client.login(user.phone)
        assert client.get("/wards/P4/history").status_code == 200


# --- the CSV export -----------------------------------------------------------------------------


def test_the_csv_starts_with_the_bom(desk, logged):
    response = desk.get("/wards/P4/history.csv")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.get_data().startswith(b"\xef\xbb\xbf")


def test_the_csv_headers_are_in_the_readers_language(desk, logged):
    header = next(csv.reader(io.StringIO(desk.get("/wards/P4/history.csv").get_data().decode("utf-8-sig"))))
    assert len(header) == 11 and (header[0], header[5]) == ("Mã", "Tình trạng")


def test_the_csv_is_an_attachment_named_after_the_ward_and_the_day(desk, logged):
    disposition = desk.get("/wards/P4/history.csv").headers["Content-Disposition"]
    today = to_local(utcnow()).date().isoformat()
    assert disposition == f'attachment; filename="lich-su-p4-{today}.csv"'


def test_the_csv_keeps_vietnamese_text_and_local_times(desk, logged):
    rows = list(csv.reader(io.StringIO(desk.get("/wards/P4/history.csv").get_data().decode("utf-8-sig"))))
    theft = next(row for row in rows if row[0] == str(logged[0].id))
    assert theft[2:8] == ["C01 · Chốt hẻm 12", "Trộm cắp", "Thông tin", "Chưa xử lý",
                          "Mất trộm xe máy Wave biển số 59-X1", "Trần Thị Mai"]
    assert theft[1] == to_local(logged[0].occurred_at).strftime("%d/%m/%Y %H:%M")


def test_the_csv_neutralises_formulas(desk, logged, make, alley, mai):
    for text in ("+84 901 234 567", "-1", "@SUM(A1)"):
        make.observation(alley, mai, text=text)
    rows = list(csv.reader(io.StringIO(desk.get("/wards/P4/history.csv").get_data().decode("utf-8-sig"))))
    cells = {row[6] for row in rows[1:]}
    assert "'=HYPERLINK(\"http://evil.example\",\"bấm vào đây\")" in cells
    assert {"'+84 901 234 567", "'-1", "'@SUM(A1)"} <= cells


def test_the_csv_follows_the_filters(desk, logged):
    rows = list(csv.reader(io.StringIO(desk.get("/wards/P4/history.csv?category=theft").get_data()
                                       .decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [str(logged[0].id)]


def test_the_csv_shows_corrections_and_the_police_follow_up(desk, make, police, alley, mai, logged):
    original = logged[0]
    police_id = police.id
    original.acknowledged_by_id, original.acknowledged_at = police_id, utcnow()
    original.resolved_by_id, original.resolved_at = police_id, utcnow()
    original.resolution_note = "Đã trả xe cho chủ"
    original.status = "resolved"
    db.session.commit()
    from checkpoint.rules.observations import log_observation
    log_observation(mai, alley, uuid=uuid.uuid4(), occurred_at=original.occurred_at, now=utcnow(),
                    category="theft", severity="info", text="Biển số đúng là 59-X2", corrects=original)
    db.session.commit()
    rows = list(csv.reader(io.StringIO(desk.get("/wards/P4/history.csv?category=theft").get_data()
                                       .decode("utf-8-sig"))))
    assert len(rows) == 2
    assert "Biển số đúng là 59-X2" in rows[1][6] and "Đính chính" in rows[1][6]
    assert rows[1][5] == "Đã xử lý xong" and rows[1][8:] == ["Lê Công An", "Lê Công An", "Đã trả xe cho chủ"]


def test_a_long_export_streams_every_row_in_order(desk, make, alley, mai, monkeypatch):
    import checkpoint.board.history
    import checkpoint.rules.history
    monkeypatch.setattr(checkpoint.rules.history, "CHUNK", 2)
    monkeypatch.setattr(checkpoint.board.history, "ROWS_PER_WRITE", 2)
    now = utcnow()
    made = [make.observation(alley, mai, now=now - timedelta(minutes=n), text=f"Ghi nhận {n}") for n in range(5)]
    rows = list(csv.reader(io.StringIO(desk.get("/wards/P4/history.csv").get_data().decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [str(o.id) for o in made]


def test_an_export_is_recorded_in_the_activity_log(desk, police, ward, logged):
    desk.get("/wards/P4/history.csv?category=theft").get_data()
    [entry] = exports()
    assert (entry.actor_id, entry.ward_id) == (police.id, ward.id)
    assert entry.detail["filters"]["category"] == "theft" and entry.detail["rows"] == 1


def test_english_users_get_english_headers(en_desk, logged):
    header = en_desk.get("/wards/P4/history.csv").get_data().decode("utf-8-sig").splitlines()[0]
    assert header == ("Code,Time,Checkpoint,Category,Severity,Status,Text,Written by,Acknowledged by,Resolved by,"
                      "Resolution note")


def test_bad_filters_give_the_form_back_instead_of_a_file(en_desk, logged):
    response = en_desk.get("/wards/P4/history.csv?date_from=yesterday")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Write the date as dd/mm/yyyy" in response.get_data(as_text=True) and exports() == []


# --- access -------------------------------------------------------------------------------------

ROUTES = ["/wards/P4/history", "/wards/P4/history.csv", "/wards/P4/report"]


@pytest.mark.parametrize("url", ROUTES)
def test_police_of_another_ward_find_nothing(app, make, logged, url):
    stranger = make.user("police", ward=make.ward("XH"))
    client = app.test_client()
    client.login(stranger.phone)
    assert client.get(url).status_code == 404 and exports() == []


@pytest.mark.parametrize("url", ROUTES)
def test_volunteers_may_not(client, mai, logged, url):
    client.login(mai.phone)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ROUTES)
def test_anonymous_visitors_are_sent_to_log_in(client, logged, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.location


def test_an_unknown_ward_is_not_found(desk):
    assert desk.get("/wards/ZZ/history").status_code == 404


# --- the daily report ---------------------------------------------------------------------------


@pytest.fixture
def yesterday(make, alley, mai):
    """Yesterday at C01: a 2.5-hour shift for two, 1.5 hours staffed, two observations, a handover."""
    day = to_local(utcnow()).date() - timedelta(days=1)
    partner = make.volunteer(alley, name="Lê Văn Tư")
    make.shift(alley, local(day.year, day.month, day.day, 8), hours=2.5, volunteers=[mai, partner])
    came = local(day.year, day.month, day.day, 8, 30)
    check_in(mai, alley, uuid=uuid.uuid4(), occurred_at=came, now=came)
    check_out(mai, alley, uuid=uuid.uuid4(), occurred_at=came + timedelta(hours=1.5), now=came + timedelta(hours=1.5))
    db.session.commit()
    make.observation(alley, mai, now=came + timedelta(minutes=10), category="theft", text="Mất ví")
    make.observation(alley, mai, now=came + timedelta(minutes=20), category="fire", severity="urgent",
                     text="Khói bốc lên từ nhà số 7")
    return day


def test_the_report_shows_the_days_numbers(desk, yesterday):
    page = desk.get(f"/wards/P4/report?day={yesterday.isoformat()}").get_data(as_text=True)
    assert yesterday.strftime("%d/%m/%Y") in page
    assert ">5<" in page and ">1,5<" in page  # planned 2.5 h × 2 people; staffed 1.5 h
    assert "Trộm cắp: 1" in page and "Cháy, khói: 1" in page
    assert "Khói bốc lên từ nhà số 7" in page  # still open at the end of the day


def test_the_report_is_for_today_by_default(desk, logged):
    response = desk.get("/wards/P4/report")
    assert response.status_code == 200
    assert to_local(utcnow()).strftime("%d/%m/%Y") in response.get_data(as_text=True)


def test_the_report_prints_from_a_button_without_inline_script(desk, logged):
    page = desk.get("/wards/P4/report").get_data(as_text=True)
    assert "data-print" in page and "js/print.js" in page and "css/reports.css" in page
    assert "onclick" not in page and "<script>" not in page


def test_a_bad_day_comes_back_with_the_reason(en_desk, logged):
    response = en_desk.get("/wards/P4/report?day=2026-13-45")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Write the date as dd/mm/yyyy" in page
