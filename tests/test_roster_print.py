"""The printed roster: the A4 print view, its PDF (text read back with pypdf) and the CSV."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from checkpoint.extensions import db
from checkpoint.models import Activity
from checkpoint.pdf import StaticFetcher
from checkpoint.roster.printing import admin_date
from tests.factories import local

WEEK = "2026-W49"  # Monday 30/11/2026 to Sunday 06/12/2026
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_WORDS = "Độc lập - Tự do - Hạnh phúc"


@pytest.fixture
def ward(make):
    ward = make.ward("P4", name="Phường Võ Thị Sáu")
    ward.duty_phone = "02838291234"
    db.session.commit()
    return ward


@pytest.fixture
def alley(make, ward):
    return make.checkpoint(ward, "C01", name="Chốt hẻm 12", address="Hẻm 12 Lê Văn Sỹ")


@pytest.fixture
def market(make, ward):
    return make.checkpoint(ward, "C02", name="Chốt chợ Đồng Tâm")


@pytest.fixture
def week(make, alley, market):
    """A night shift crossing midnight at the alley, a day shift at the market."""
    mai = make.volunteer(alley, phone="0901234567", name="Trần Thị Mai")
    duc = make.volunteer(alley, phone="0912345678", name="Nguyễn Văn Đức")
    huong = make.volunteer(market, phone="0987654321", name="Đặng Thị Hương")
    make.shift(alley, local(2026, 11, 30, 22), hours=4, volunteers=[mai, duc])
    make.shift(market, local(2026, 12, 2, 6), hours=8, volunteers=[huong])
    return {"mai": mai, "duc": duc, "huong": huong}


@pytest.fixture
def coordinator(make, ward, client):
    person = make.user("coordinator", ward=ward, phone="0909000001", name="Lê Hồng Nhung")
    client.login(person.phone)
    return person


def pdf_text(data: bytes) -> str:
    """The text of every page as extracted (no Unicode normalisation: the letters must come back as
    they went in), with each run of white space (a wrapped line) as one space."""
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split())


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


# --- the print view ----------------------------------------------------------------------------

def test_the_print_view_has_the_administrative_header(client, coordinator, week):
    page = client.get(f"/wards/P4/roster/print?week={WEEK}").get_data(as_text=True)
    assert MOTTO in page and MOTTO_WORDS in page and "PHƯỜNG VÕ THỊ SÁU" in page


def test_the_print_view_names_the_week(client, coordinator, week):
    page = client.get(f"/wards/P4/roster/print?week={WEEK}").get_data(as_text=True)
    assert "Tuần từ ngày 30/11/2026 đến ngày 06/12/2026" in page


def test_the_print_view_lists_names_with_phone_numbers(client, coordinator, week):
    page = client.get(f"/wards/P4/roster/print?week={WEEK}").get_data(as_text=True)
    assert "Trần Thị Mai\n0901 234 567" in page and "Đặng Thị Hương\n0987 654 321" in page


def test_the_print_view_shows_the_duty_phone_and_both_signature_lines(client, coordinator, week):
    page = client.get(f"/wards/P4/roster/print?week={WEEK}").get_data(as_text=True)
    assert "028 3829 1234" in page
    assert "DUYỆT CỦA CÔNG AN PHƯỜNG" in page and "NGƯỜI LẬP" in page and "Lê Hồng Nhung" in page


def test_the_print_view_has_no_navigation_and_a_print_button(client, coordinator, week):
    page = client.get(f"/wards/P4/roster/print?week={WEEK}").get_data(as_text=True)
    assert 'class="mainnav"' not in page and "data-print" in page and "js/print.js" in page


def test_the_print_view_is_csp_clean(client, coordinator, week):
    page = client.get(f"/wards/P4/roster/print?week={WEEK}").get_data(as_text=True)
    assert "style=" not in page and "<script>" not in page and " onclick" not in page


def test_the_print_view_is_vietnamese_for_an_english_reader(client, make, ward, week):
    officer = make.user("police", ward=ward, locale="en")
    client.login(officer.phone)
    page = client.get(f"/wards/P4/roster/print?week={WEEK}").get_data(as_text=True)
    assert "LỊCH TRỰC CHỐT" in page


def test_the_print_view_of_one_checkpoint_leaves_the_others_out(client, coordinator, week, alley):
    page = client.get(f"/wards/P4/roster/print?week={WEEK}&checkpoint={alley.id}").get_data(as_text=True)
    assert "Trần Thị Mai" in page and "Đặng Thị Hương" not in page


def test_a_checkpoint_of_another_ward_is_not_found(client, coordinator, make, week):
    elsewhere = make.checkpoint(make.ward("B"), "C01")
    assert client.get(f"/wards/P4/roster/print?week={WEEK}&checkpoint={elsewhere.id}").status_code == 404


def test_a_night_shift_prints_on_the_day_it_starts(client, coordinator, week, alley):
    page = client.get(f"/wards/P4/roster/print?week={WEEK}&checkpoint={alley.id}").get_data(as_text=True)
    assert "22:00–02:00" in page


def test_the_date_line_follows_the_administrative_style():
    assert admin_date(date(2026, 2, 5)) == ("05", "02", "2026")
    assert admin_date(date(2026, 11, 28)) == ("28", "11", "2026")


# --- the PDF -----------------------------------------------------------------------------------

def test_the_pdf_is_a_pdf_named_after_ward_and_week(client, coordinator, week):
    response = client.get(f"/wards/P4/roster.pdf?week={WEEK}")
    assert response.headers["Content-Type"] == "application/pdf" and response.get_data().startswith(b"%PDF-")
    assert response.headers["Content-Disposition"] == 'inline; filename="lich-truc-p4-2026-w49.pdf"'


def test_the_pdf_is_a4_landscape(client, coordinator, week):
    page = PdfReader(io.BytesIO(client.get(f"/wards/P4/roster.pdf?week={WEEK}").get_data())).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)


def test_the_pdf_header_reads_back_with_its_diacritics(client, coordinator, week):
    text = pdf_text(client.get(f"/wards/P4/roster.pdf?week={WEEK}").get_data())
    assert MOTTO in text and MOTTO_WORDS in text and "LỊCH TRỰC CHỐT" in text


def test_the_pdf_names_read_back_with_their_diacritics(client, coordinator, week):
    text = pdf_text(client.get(f"/wards/P4/roster.pdf?week={WEEK}").get_data())
    for name in ("Trần Thị Mai", "Nguyễn Văn Đức", "Đặng Thị Hương", "Chốt chợ Đồng Tâm"):
        assert name in text


def test_the_pdf_carries_phone_numbers_and_the_duty_phone(client, coordinator, week):
    text = pdf_text(client.get(f"/wards/P4/roster.pdf?week={WEEK}").get_data())
    assert "0912 345 678" in text and "028 3829 1234" in text


def test_the_pdf_export_is_recorded(client, coordinator, week, alley):
    client.get(f"/wards/P4/roster.pdf?week={WEEK}&checkpoint={alley.id}")
    entry = db.session.scalar(select(Activity).where(Activity.action == "roster.exported"))
    assert (entry.actor_id, entry.checkpoint_id, entry.detail) == (
        coordinator.id, alley.id, {"format": "pdf", "week": WEEK, "shifts": 1})


def test_the_pdf_reads_only_static_files(app):
    fetcher = StaticFetcher(app.static_folder, app.static_url_path)
    assert fetcher.fetch("http://localhost/static/css/roster-print.css").read().startswith(b"/*")
    for url in ("http://169.254.169.254/latest/meta-data", "file:///etc/passwd",
                "http://localhost/static/../checkpoint/config.py"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


# --- the CSV -----------------------------------------------------------------------------------

def test_the_csv_has_a_line_per_person_per_shift(client, coordinator, week):
    rows = csv_rows(client.get(f"/wards/P4/roster.csv?week={WEEK}"))
    assert rows[1:] == [
        ["30/11/2026", "Thứ Hai", "C01", "Chốt hẻm 12", "22:00", "02:00", "Nguyễn Văn Đức", "0912 345 678"],
        ["30/11/2026", "Thứ Hai", "C01", "Chốt hẻm 12", "22:00", "02:00", "Trần Thị Mai", "0901 234 567"],
        ["02/12/2026", "Thứ Tư", "C02", "Chốt chợ Đồng Tâm", "06:00", "14:00", "Đặng Thị Hương", "0987 654 321"],
    ]


def test_the_csv_starts_with_the_bom_and_is_an_attachment(client, coordinator, week):
    response = client.get(f"/wards/P4/roster.csv?week={WEEK}")
    assert response.get_data().startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Disposition"] == 'attachment; filename="lich-truc-p4-2026-w49.csv"'


def test_the_csv_keeps_a_shift_nobody_is_on(client, coordinator, make, alley):
    make.shift(alley, local(2026, 12, 1, 6), hours=8)
    rows = csv_rows(client.get(f"/wards/P4/roster.csv?week={WEEK}"))
    assert rows[1][6:] == ["", ""]


def test_the_csv_headers_are_in_the_readers_language(client, make, ward, week):
    client.login(make.user("police", ward=ward, locale="en").phone)
    assert csv_rows(client.get(f"/wards/P4/roster.csv?week={WEEK}"))[0][:2] == ["Date", "Weekday"]


def test_the_csv_neutralises_formulas(client, coordinator, week):
    week["duc"].full_name = "=HYPERLINK(\"http://evil.example\")"
    db.session.commit()
    rows = csv_rows(client.get(f"/wards/P4/roster.csv?week={WEEK}"))
    assert "'=HYPERLINK(\"http://evil.example\")" in {row[6] for row in rows}


def test_the_csv_export_is_recorded(client, coordinator, week):
    client.get(f"/wards/P4/roster.csv?week={WEEK}")
    entry = db.session.scalar(select(Activity).where(Activity.action == "roster.exported"))
    assert entry.detail == {"format": "csv", "week": WEEK, "shifts": 2}
