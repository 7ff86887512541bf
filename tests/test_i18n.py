"""Languages: Vietnamese first, English second, and a catalogue that lacks nothing."""
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from checkpoint.localtime import format_date, format_datetime, format_time
from checkpoint.models import User

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _strings_in_code() -> set[str]:
    method_map = [("checkpoint/**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=KEYWORDS,
            options_map={"templates/**.html": {"extensions": "jinja2.ext.do"}}):
        found.update(message if isinstance(message, tuple) else (message,))
    return found


def test_the_vietnamese_catalogue_translates_every_string_the_code_uses():
    with open(ROOT / "checkpoint/translations/vi/LC_MESSAGES/messages.po", "rb") as po:
        catalogue = read_po(po)
    translated = set()
    for m in catalogue:
        if m.id and m.string and (m.string if isinstance(m.string, str) else all(m.string)) and not m.fuzzy:
            translated.update(m.id if isinstance(m.id, tuple) else (m.id,))  # ngettext: singular and plural
    code = _strings_in_code()
    assert len(code) > 50  # the extraction itself works
    assert sorted(code - translated) == []


def test_vietnamese_is_the_default(client):
    assert 'lang="vi"' in client.get("/login").get_data(as_text=True)


def test_the_browser_language_is_used_before_login(client):
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert 'lang="en"' in page and "Phone number" in page


def test_the_users_own_setting_beats_the_browser(client, make):
    make.volunteer(make.checkpoint(make.ward()), phone="0901234567", locale="en")
    client.login("0901234567")
    page = client.get("/me", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert "My shift" in page


def test_switching_language_is_saved_on_the_account(app, client, make):
    user = make.volunteer(make.checkpoint(make.ward()), phone="0901234567")
    client.login("0901234567")
    response = client.post_form("/language", {"locale": "en", "next": "/me"})
    assert response.location.endswith("/me")
    assert "My shift" in client.get("/me").get_data(as_text=True)
    from checkpoint.extensions import db
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"


def test_the_language_choice_before_login_is_kept_in_the_session(client):
    client.post_form("/language", {"locale": "en"})
    assert "Phone number" in client.get("/login").get_data(as_text=True)


def test_an_unknown_language_changes_nothing(client):
    client.post_form("/language", {"locale": "fr"})
    assert 'lang="vi"' in client.get("/login").get_data(as_text=True)


def test_times_are_shown_in_ho_chi_minh_city_as_dd_mm_yyyy_and_24_hours(app):
    moment = datetime(2026, 11, 28, 16, 5, tzinfo=timezone.utc)  # 23:05 local
    assert format_date(moment) == "28/11/2026"
    assert format_time(moment) == "23:05"
    assert format_datetime(datetime(2026, 11, 28, 17, 30, tzinfo=timezone.utc)) == "00:30 29/11/2026"
