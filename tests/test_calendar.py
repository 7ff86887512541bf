"""A person's own shifts: the list, the private iCalendar feed, and its link made, replaced, revoked."""
from __future__ import annotations

import re
from datetime import timedelta, timezone

import pytest
from icalendar import Calendar
from sqlalchemy import select

from checkpoint.calendar.ics import LINE_OCTETS, Event, escape_text, fold, vcalendar
from checkpoint.extensions import db
from checkpoint.models import Activity, User, utcnow

FEED = re.compile(r'value="(http://localhost/calendar/[^"]+\.ics)"')


@pytest.fixture
def alley(make, ward):
    return make.checkpoint(ward, "C02", name="Chốt hẻm 12, Lê Văn Sỹ", address="Hẻm 12; đường Lê Văn Sỹ")


@pytest.fixture
def shifts(make, post, alley, mai):
    """Mai's shifts: one running, one tomorrow at another checkpoint, one last week; and someone else's."""
    now = utcnow().replace(second=0, microsecond=0)
    duc = make.volunteer(post, phone="0912345678", name="Nguyễn Văn Đức")
    return {
        "running": make.shift(post, now - timedelta(hours=1), hours=4, volunteers=[mai, duc]),
        "tomorrow": make.shift(alley, now + timedelta(days=1), hours=4, volunteers=[mai]),
        "past": make.shift(post, now - timedelta(days=7), hours=4, volunteers=[mai]),
        "not_hers": make.shift(make.checkpoint(post.ward, "C03", name="Chốt chợ Bàn Cờ"), now + timedelta(days=2),
                               hours=4, volunteers=[duc]),
    }


def subscribe(client) -> str:
    page = client.post_form("/me/calendar").get_data(as_text=True)
    return FEED.search(page).group(1).removeprefix("http://localhost")


def feed_events(client, url: str) -> list:
    response = client.get(url)
    assert response.status_code == 200
    return Calendar.from_ical(response.get_data()).walk("VEVENT")


# --- the list ----------------------------------------------------------------------------------

def test_my_shifts_lists_coming_and_recent_shifts(client, mai, shifts):
    client.login(mai.phone)
    page = client.get("/me/shifts").get_data(as_text=True)
    coming, recent = page.split('id="recent-title"')
    assert "Chốt hẻm 12, Lê Văn Sỹ" in coming and "Đang trực" in coming
    assert shifts["past"].starts_at.astimezone(timezone(timedelta(hours=7))).strftime("%d/%m/%Y") in recent


def test_my_shifts_leaves_out_other_peoples_shifts(client, mai, shifts):
    client.login(mai.phone)
    assert "Chốt chợ Bàn Cờ" not in client.get("/me/shifts").get_data(as_text=True)


def test_my_shifts_names_the_team_with_phone_links(client, mai, shifts):
    client.login(mai.phone)
    assert 'Nguyễn Văn Đức <a href="tel:0912345678">0912 345 678</a>' in client.get("/me/shifts").get_data(as_text=True)


def test_my_shifts_has_a_print_button(client, mai, shifts):
    client.login(mai.phone)
    page = client.get("/me/shifts").get_data(as_text=True)
    assert "data-print" in page and "js/print.js" in page


def test_the_volunteer_home_links_to_my_shifts(client, mai):
    client.login(mai.phone)
    assert 'href="/me/shifts"' in client.get("/me").get_data(as_text=True)


# --- the link ----------------------------------------------------------------------------------

def test_subscribing_shows_the_feed_link_with_instructions(client, mai, shifts):
    client.login(mai.phone)
    page = client.post_form("/me/calendar").get_data(as_text=True)
    assert FEED.search(page) and "webcal://localhost/calendar/" in page and "Google" in page


def test_only_a_digest_of_the_token_is_stored(client, mai, shifts):
    client.login(mai.phone)
    url = subscribe(client)
    stored = db.session.get(User, mai.id).calendar_token
    assert stored is not None and stored not in url


def test_a_new_link_ends_the_old_one(client, mai, shifts):
    client.login(mai.phone)
    old, new = subscribe(client), subscribe(client)
    assert client.get(old).status_code == 404 and client.get(new).status_code == 200


def test_revoking_ends_the_link(client, mai, shifts):
    client.login(mai.phone)
    url = subscribe(client)
    client.post_form("/me/calendar/revoke")
    assert client.get(url).status_code == 404


def test_making_replacing_and_revoking_are_recorded(client, mai, shifts):
    client.login(mai.phone)
    subscribe(client)
    subscribe(client)
    client.post_form("/me/calendar/revoke")
    actions = db.session.scalars(select(Activity.action).where(Activity.action.like("calendar.%"))
                                 .order_by(Activity.id)).all()
    assert actions == ["calendar.link_created", "calendar.link_replaced", "calendar.link_revoked"]


def test_an_unknown_token_is_not_found(client):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404


def test_a_deactivated_persons_feed_is_not_found(client, mai, shifts):
    client.login(mai.phone)
    url = subscribe(client)
    db.session.get(User, mai.id).active = False
    db.session.commit()
    assert client.get(url).status_code == 404


# --- the feed ----------------------------------------------------------------------------------

def test_the_feed_is_text_calendar_and_never_cached(client, mai, shifts):
    client.login(mai.phone)
    response = client.get(subscribe(client))
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response.headers["Cache-Control"]


def test_the_feed_carries_only_the_persons_own_shifts(client, mai, shifts):
    client.login(mai.phone)
    uids = {str(event["UID"]) for event in feed_events(client, subscribe(client))}
    assert uids == {f"shift-{shifts[k].id}@localhost" for k in ("running", "tomorrow", "past")}


def test_the_feed_times_are_utc(client, mai, shifts):
    client.login(mai.phone)
    events = {str(e["UID"]): e for e in feed_events(client, subscribe(client))}
    event = events[f"shift-{shifts['tomorrow'].id}@localhost"]
    assert event.decoded("DTSTART") == shifts["tomorrow"].starts_at
    assert event.decoded("DTSTART").tzinfo.utcoffset(None) == timedelta(0)


def test_the_feed_names_the_checkpoint_and_its_address(client, mai, shifts):
    client.login(mai.phone)
    events = {str(e["UID"]): e for e in feed_events(client, subscribe(client))}
    event = events[f"shift-{shifts['tomorrow'].id}@localhost"]
    assert str(event["SUMMARY"]) == "Ca trực · Chốt hẻm 12, Lê Văn Sỹ"
    assert str(event["LOCATION"]) == "Hẻm 12; đường Lê Văn Sỹ, Phường BC"


def test_the_feed_speaks_the_persons_language(client, make, post, shifts):
    english = make.volunteer(post, locale="en")
    shifts["tomorrow"].volunteers.append(english)
    db.session.commit()
    client.login(english.phone)
    events = feed_events(client, subscribe(client))
    assert [str(e["SUMMARY"]) for e in events] == ["Shift · Chốt hẻm 12, Lê Văn Sỹ"]


def test_the_feed_lines_end_in_crlf(client, mai, shifts):
    client.login(mai.phone)
    body = client.get(subscribe(client)).get_data()
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and b"\n" not in body.replace(b"\r\n", b"")


# --- the writer --------------------------------------------------------------------------------

def test_text_values_are_escaped():
    assert escape_text("Hẻm 12; Lê Văn Sỹ, Q.3\nGọi \\ 113") == "Hẻm 12\\; Lê Văn Sỹ\\, Q.3\\nGọi \\\\ 113"


def test_long_lines_fold_within_75_octets_without_splitting_a_letter():
    line = "SUMMARY:" + "Chốt nhân dân tự quản về an ninh trật tự hẻm 12 đường Lê Văn Sỹ " * 3
    pieces = fold(line).split("\r\n")
    assert all(len(piece.encode("utf-8")) <= LINE_OCTETS for piece in pieces)
    assert "".join(piece.removeprefix(" ") for piece in pieces) == line


def test_a_folded_calendar_reads_back_whole():
    now = utcnow().replace(microsecond=0)
    summary = "Ca trực · " + "Chốt nhân dân tự quản về an ninh trật tự, " * 4
    text = vcalendar("Ca trực · Trần Thị Mai", [Event("shift-1@x", now, now + timedelta(hours=4), summary)], now,
                     "-//test//VI")
    assert str(Calendar.from_ical(text).walk("VEVENT")[0]["SUMMARY"]) == summary
