"""The live board: the page, the change poll (204 when nothing changed), the regions it returns."""
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from checkpoint.extensions import db
from checkpoint.localtime import format_datetime
from checkpoint.models import User, utcnow
from checkpoint.rules.attendance import check_in
from checkpoint.rules.coverage import ward_change_seq


@pytest.fixture
def police(app, make, ward):
    client = app.test_client()
    client.login(make.user("police", ward=ward, phone="0900000021").phone)
    return client


def test_police_land_on_their_board(police, post):
    response = police.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Bảng theo dõi" in page and "Chốt hẻm 12" in page and 'id="board-poll"' in page


def test_an_urgent_observation_is_on_top(police, make, post, mai):
    make.observation(post, mai, severity="urgent", text="Đánh nhau ở đầu hẻm")
    page = police.get("/wards/BC/board").get_data(as_text=True)
    urgent = page.index('id="board-urgent"')
    assert urgent < page.index("Đánh nhau ở đầu hẻm") < page.index('id="board-tiles"')


def test_nothing_changed_answers_204(police, ward, post):
    seq = ward_change_seq(ward.id)
    response = police.get(f"/wards/BC/board/changes?since={seq}")
    assert response.status_code == 204 and response.data == b""


def test_the_nothing_changed_poll_is_one_query_besides_loading_the_user(app, police, ward, post):
    seq = ward_change_seq(ward.id)
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert police.get(f"/wards/BC/board/changes?since={seq}").status_code == 204
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    activity = [s for s in statements if "activity" in s]
    assert len(activity) == 1 and len(statements) <= 2, statements  # user; ward with its change sequence


def test_a_new_observation_sends_only_its_card_its_tiles_last_entry_and_a_newer_poll(police, make, ward, post,
                                                                                     mai):
    other = make.checkpoint(ward, "C02")
    make.observation(post, mai, text="Đèn đường hỏng ở hẻm 12")
    seq = ward_change_seq(ward.id)
    newest = make.observation(post, mai, text="Xe máy không biển số")
    response = police.get(f"/wards/BC/board/changes?since={seq}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Xe máy không biển số" in page
    # Put on top of the list on the screen; the card already there is not sent again.
    assert 'hx-swap-oob="afterbegin:#board-open"' in page and "Đèn đường hỏng" not in page
    assert 'id="board-open"' not in page and 'id="board-urgent"' not in page and 'id="board-tiles"' not in page
    # Of the tiles, only the line that changed: this checkpoint's last entry, not the other's.
    line = re.search(rf'<p class="muted" id="tile-last-{post.id}" hx-swap-oob="true">([^<]*)</p>', page)
    assert line and line.group(1).startswith("Ghi nhận gần nhất: ")
    assert format_datetime(newest.occurred_at) in line.group(1) and f"tile-last-{other.id}" not in page
    assert f"since={ward_change_seq(ward.id)}" in page and 'id="board-handovers"' not in page


def test_a_late_synced_observation_leaves_the_tiles_last_entry_at_the_newest_one(police, make, ward, post, mai):
    newest = make.observation(post, mai, text="Mới nhất")
    seq = ward_change_seq(ward.id)
    make.observation(post, mai, now=utcnow() - timedelta(hours=2), text="Gửi muộn")
    page = police.get(f"/wards/BC/board/changes?since={seq}").get_data(as_text=True)
    line = re.search(rf'id="tile-last-{post.id}" hx-swap-oob="true">([^<]*)</p>', page).group(1)
    assert format_datetime(newest.occurred_at) in line


def test_a_new_observation_with_a_check_in_renders_the_tiles_whole(police, make, ward, post, mai):
    seq = ward_change_seq(ward.id)
    now = utcnow()
    check_in(mai, post, uuid=uuid.uuid4(), occurred_at=now, now=now)
    make.observation(post, mai, text="Xe máy không biển số")
    db.session.commit()
    page = police.get(f"/wards/BC/board/changes?since={seq}").get_data(as_text=True)
    assert 'id="board-tiles"' in page and "afterbegin:#board-open" in page
    assert f'id="tile-last-{post.id}" hx-swap-oob' not in page  # inside the tile, not swapped on its own


def test_a_new_urgent_observation_renders_the_urgent_list_not_the_open_one(police, make, ward, post, mai):
    seq = ward_change_seq(ward.id)
    make.observation(post, mai, severity="urgent", text="Đánh nhau ở đầu hẻm")
    page = police.get(f"/wards/BC/board/changes?since={seq}").get_data(as_text=True)
    assert 'id="board-urgent"' in page and "Đánh nhau ở đầu hẻm" in page
    assert "afterbegin:#board-open" not in page and 'id="board-open"' not in page


def test_anything_else_about_observations_renders_the_open_list_whole(police, make, ward, post, mai):
    from checkpoint.rules.police import acknowledge

    seen = make.observation(post, mai, text="Đèn đường hỏng ở hẻm 12")
    seq = ward_change_seq(ward.id)
    make.observation(post, mai, text="Xe máy không biển số")
    officer = db.session.scalar(select(User).where(User.phone == "0900000021"))
    acknowledge(officer, seen, now=utcnow())
    db.session.commit()
    page = police.get(f"/wards/BC/board/changes?since={seq}").get_data(as_text=True)
    assert 'id="board-open"' in page and 'data-limit="50"' in page and "afterbegin" not in page
    assert "Đèn đường hỏng" in page and "Xe máy không biển số" in page and 'id="board-urgent"' in page


def poll_after_three_observations(police, make, ward, post, mai, monkeypatch, **limits) -> str:
    """The poll's answer after three new observations, with the board's limits set lower."""
    import checkpoint.rules.board as board_rules

    for name, value in limits.items():
        monkeypatch.setattr(board_rules, name, value)
    seq = ward_change_seq(ward.id)
    for n in range(3):
        make.observation(post, mai, text=f"Ghi nhận số {n}")
    return police.get(f"/wards/BC/board/changes?since={seq}").get_data(as_text=True)


def test_a_board_further_behind_than_a_full_list_gets_it_whole(police, make, ward, post, mai, monkeypatch):
    page = poll_after_three_observations(police, make, ward, post, mai, monkeypatch, OPEN_LIMIT=2)
    assert 'id="board-open"' in page and 'data-limit="2"' in page and "afterbegin" not in page
    assert "Ghi nhận số 2" in page and "Ghi nhận số 1" in page and "Ghi nhận số 0" not in page


def test_a_board_that_was_away_for_long_gets_every_region(police, make, ward, post, mai, monkeypatch):
    page = poll_after_three_observations(police, make, ward, post, mai, monkeypatch, WINDOW=2)
    for region in ("board-urgent", "board-tiles", "board-open", "board-handovers"):
        assert f'id="{region}"' in page, region
    assert "Ghi nhận số 0" in page and "afterbegin" not in page


def test_the_busy_poll_reads_the_new_cards_with_their_checkpoint_and_author_in_one_query(app, police, make,
                                                                                          ward, post, mai):
    seq = ward_change_seq(ward.id)
    for n in range(3):
        make.observation(post, mai, text=f"Ghi nhận số {n}")
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(" ".join(statement.split()))

    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = police.get(f"/wards/BC/board/changes?since={seq}").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert all(f"Ghi nhận số {n}" in page for n in range(3)) and "Trần Thị Mai" in page
    # The user; the ward and its sequence; the activity since; the new cards; their tiles' last entries.
    assert len(statements) == 5, statements


def test_a_check_in_returns_only_the_tiles(police, make, ward, post, mai):
    seq = ward_change_seq(ward.id)
    now = utcnow()
    check_in(mai, post, uuid=uuid.uuid4(), occurred_at=now, now=now)
    db.session.commit()
    page = police.get(f"/wards/BC/board/changes?since={seq}").get_data(as_text=True)
    assert 'id="board-tiles"' in page and "Trần Thị Mai" in page and 'id="board-open"' not in page


def test_a_planned_shift_nobody_came_to_is_shown_missing(police, make, post, mai):
    make.shift(post, utcnow() - timedelta(minutes=40), volunteers=[mai])
    page = police.get("/wards/BC/board/tiles").get_data(as_text=True)
    assert "tile-missing" in page and "Trần Thị Mai" in page


def test_wall_mode_has_no_navigation(police, post):
    page = police.get("/wards/BC/board?wall=1").get_data(as_text=True)
    assert 'class="board-page wall"' in page


def test_the_board_of_another_ward_does_not_exist_for_this_police(app, make, police):
    make.checkpoint(make.ward("XH"), "C01")
    assert police.get("/wards/XH/board").status_code == 404
    assert police.get("/wards/XH/board/changes?since=0").status_code == 404


def test_volunteers_never_see_the_board(client, mai, post):
    client.login(mai.phone)
    assert client.get("/wards/BC/board").status_code == 403
