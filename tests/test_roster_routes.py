"""The roster pages: the ward's week, a checkpoint's week, and the coordinator's htmx changes."""
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import event, func, select

from checkpoint.extensions import db
from checkpoint.models import Activity, Shift, ShiftPattern, utcnow
from checkpoint.rules.roster import week_label, week_monday
from tests.factories import local

HTMX = {"HX-Request": "true"}
HCM_OFFSET = timedelta(hours=7)


def next_week() -> date:
    """The Monday of next week: everything in it is still ahead, whatever today is."""
    today = (utcnow() + HCM_OFFSET).date()
    return week_monday(today) + timedelta(days=7)


def on(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time on day `day` (0 = Monday) of next week."""
    d = next_week() + timedelta(days=day)
    return local(d.year, d.month, d.day, hour, minute)




@pytest.fixture
def ward(make):
    return make.ward("A")


@pytest.fixture
def post(make, ward):
    return make.checkpoint(ward, "C01", min_staff=2)


@pytest.fixture
def other(make, ward):
    return make.checkpoint(ward, "C02", min_staff=1)


@pytest.fixture
def boss(make, ward):
    return make.user("coordinator", ward=ward, phone="0900000011", name="Điều phối", locale="en")


@pytest.fixture
def an(make, post):
    return make.volunteer(post, phone="0900000101", name="Nguyễn Văn An")


@pytest.fixture
def binh(make, post):
    return make.volunteer(post, phone="0900000102", name="Lê Thị Bình")


@pytest.fixture
def coordinator(client, boss):
    client.login(boss.phone)
    return client


def grid_url(ward, checkpoint=None) -> str:
    if checkpoint is None:
        return f"/wards/{ward.code}/roster?week={week_label(next_week())}"
    return f"/wards/{ward.code}/roster/{checkpoint.id}?week={week_label(next_week())}"


def shift_url(ward, shift, action: str) -> str:
    return f"/wards/{ward.code}/roster/shifts/{shift.id}/{action}"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- reading ----------------------------------------------------------------------------------

def test_the_ward_week_shows_each_checkpoint_with_its_shifts(coordinator, make, ward, post, an):
    make.shift(post, on(1, 19), volunteers=[an])
    page = coordinator.get(grid_url(ward)).get_data(as_text=True)
    assert "C01" in page and "19:00–23:00" in page and "Nguyễn Văn An" in page


def test_the_week_is_chosen_by_iso_week(coordinator, make, ward, post):
    make.shift(post, on(1, 19) + timedelta(days=7))
    later = week_label(next_week() + timedelta(days=7))
    assert "19:00–23:00" in coordinator.get(f"/wards/A/roster?week={later}").get_data(as_text=True)
    assert "19:00–23:00" not in coordinator.get(grid_url(ward)).get_data(as_text=True)


def test_the_week_links_to_the_weeks_before_and_after(coordinator, ward, post):
    page = coordinator.get(grid_url(ward)).get_data(as_text=True)
    assert f"week={week_label(next_week() - timedelta(days=7))}" in page
    assert f"week={week_label(next_week() + timedelta(days=7))}" in page


def test_a_crossing_midnight_shift_is_marked_as_ending_next_day(coordinator, make, ward, post):
    make.shift(post, on(2, 23), hours=4)
    page = coordinator.get(grid_url(ward, post)).get_data(as_text=True)
    assert "23:00–03:00" in page and 'class="next-day"' in page


def test_police_read_the_grid_without_controls(client, make, ward, post, an):
    officer = make.user("police", ward=ward)
    make.shift(post, on(1, 19), volunteers=[an])
    client.login(officer.phone)
    page = client.get(grid_url(ward, post)).get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "/assign" not in page and "/patterns" not in page


def test_a_checkpoint_of_another_ward_is_not_found_under_this_ward(coordinator, make, ward):
    elsewhere = make.checkpoint(make.ward("B"), "C01")
    assert coordinator.get(f"/wards/A/roster/{elsewhere.id}").status_code == 404


def test_the_ward_overview_links_to_the_roster(coordinator, ward, post):
    assert '/wards/A/roster"' in coordinator.get("/wards/A").get_data(as_text=True)


def test_warnings_are_summed_at_the_top(coordinator, make, ward, post, an):
    make.shift(post, on(1, 19), volunteers=[an])
    make.shift(post, on(2, 19), volunteers=[an])
    page = coordinator.get(grid_url(ward)).get_data(as_text=True)
    assert "2 warnings this week" in page and "2 shifts below the minimum staff" in page


# --- one shift --------------------------------------------------------------------------------

def add_url(checkpoint) -> str:
    return f"/wards/A/roster/{checkpoint.id}/shifts?week={week_label(next_week())}"


def add_data(day: int, start: str, end: str, end_day: str = "0") -> dict:
    return {"add-day": (next_week() + timedelta(days=day)).isoformat(), "add-start": start, "add-end": end,
            "add-end_day": end_day}


def test_adding_a_shift_across_midnight(coordinator, ward, post):
    response = coordinator.post_form(add_url(post), add_data(1, "23:00", "03:00", "1"))
    assert response.status_code == 303
    shift = db.session.scalar(select(Shift))
    assert (shift.starts_at, shift.ends_at) == (on(1, 23), on(2, 3))


def test_a_shift_ending_before_it_starts_is_refused_with_a_message(coordinator, ward, post):
    response = coordinator.post_form(add_url(post), add_data(1, "23:00", "03:00", "0"))
    assert response.status_code == 422
    assert "The shift ends before it starts." in response.get_data(as_text=True)
    assert count(Shift) == 0


def test_a_shift_longer_than_a_day_is_refused(coordinator, ward, post):
    response = coordinator.post_form(add_url(post), add_data(1, "08:00", "09:00", "1"))
    assert response.status_code == 422 and count(Shift) == 0


def test_a_time_that_is_not_a_time_is_refused(coordinator, ward, post):
    response = coordinator.post_form(add_url(post), add_data(1, "25:00", "03:00", "1"))
    assert response.status_code == 422 and count(Shift) == 0


def test_assigning_with_htmx_answers_with_the_cell(coordinator, make, ward, post, an):
    shift = make.shift(post, on(1, 19))
    response = coordinator.post_form(shift_url(ward, shift, "assign"), {"user_id": an.id}, headers=HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert f'id="shift-{shift.id}"' in body and "Nguyễn Văn An" in body and "<html" not in body
    assert [p.id for p in db.session.get(Shift, shift.id).volunteers] == [an.id]


def test_the_htmx_answer_updates_the_summary_out_of_band(coordinator, make, ward, post, an):
    shift = make.shift(post, on(1, 19))
    body = coordinator.post_form(shift_url(ward, shift, "assign"), {"user_id": an.id}, headers=HTMX).get_data(
        as_text=True)
    assert 'id="roster-summary"' in body and 'hx-swap-oob="true"' in body


def test_a_double_booking_shows_on_both_cells_after_assigning(coordinator, make, ward, post, an):
    first = make.shift(post, on(1, 19), volunteers=[an])
    second = make.shift(post, on(1, 21))
    body = coordinator.post_form(shift_url(ward, second, "assign"), {"user_id": an.id}, headers=HTMX).get_data(
        as_text=True)
    # The other cell of the same person comes back too, now with its warning.
    assert f'id="shift-{first.id}"' in body and body.count("warn-overlap") == 2


def test_assigning_a_non_member_is_allowed_with_a_warning(coordinator, make, ward, post, other, an):
    shift = make.shift(other, on(1, 19))
    body = coordinator.post_form(shift_url(ward, shift, "assign"), {"user_id": an.id}, headers=HTMX).get_data(
        as_text=True)
    assert "warn-not_member" in body


def test_a_volunteer_of_another_ward_cannot_be_assigned(coordinator, make, ward, post):
    stranger = make.volunteer(make.checkpoint(make.ward("B"), "C01"))
    shift = make.shift(post, on(1, 19))
    body = coordinator.post_form(shift_url(ward, shift, "assign"), {"user_id": stranger.id}, headers=HTMX).get_data(
        as_text=True)
    assert 'role="alert"' in body and db.session.get(Shift, shift.id).volunteers == []


def test_assigning_without_javascript_returns_to_the_page(coordinator, make, ward, post, an):
    shift = make.shift(post, on(1, 19))
    response = coordinator.post_form(shift_url(ward, shift, "assign"), {"user_id": an.id})
    assert response.status_code == 303 and f"/wards/A/roster/{post.id}?week=" in response.location


def test_unassigning_takes_the_person_off(coordinator, make, ward, post, an, binh):
    shift = make.shift(post, on(1, 19), volunteers=[an, binh])
    coordinator.post_form(shift_url(ward, shift, "unassign"), {"user_id": an.id}, headers=HTMX)
    assert [p.id for p in db.session.get(Shift, shift.id).volunteers] == [binh.id]


def test_cancelling_with_htmx_removes_the_cell_and_records_it(coordinator, make, ward, post, an):
    shift = make.shift(post, on(1, 19), volunteers=[an])
    shift_id = shift.id
    body = coordinator.post_form(shift_url(ward, shift, "cancel"), headers=HTMX).get_data(as_text=True)
    assert f'id="shift-{shift_id}"' not in body
    assert db.session.get(Shift, shift_id) is None
    assert db.session.scalar(select(Activity.action).where(Activity.action == "shift.cancelled")) is not None


def test_cancelling_a_started_shift_is_refused_with_the_reason(coordinator, make, ward, post):
    shift = make.shift(post, utcnow() - timedelta(hours=1))
    response = coordinator.post_form(shift_url(ward, shift, "cancel"))
    assert response.status_code == 422 and 'role="alert"' in response.get_data(as_text=True)
    assert db.session.get(Shift, shift.id) is not None


def test_moving_a_shift_to_another_day(coordinator, make, ward, post, an):
    shift = make.shift(post, on(1, 19), volunteers=[an])
    prefix = f"move{shift.id}-"
    response = coordinator.post_form(shift_url(ward, shift, "move"), {
        prefix + "day": (next_week() + timedelta(days=3)).isoformat(), prefix + "start": "20h",
        prefix + "end": "0:00", prefix + "end_day": "1"})
    assert response.status_code == 303
    moved = db.session.get(Shift, shift.id)
    assert (moved.starts_at, moved.ends_at, [p.id for p in moved.volunteers]) == (on(3, 20), on(4, 0), [an.id])


def test_moving_a_shift_to_impossible_times_shows_the_form_again(coordinator, make, ward, post):
    shift = make.shift(post, on(1, 19))
    prefix = f"move{shift.id}-"
    response = coordinator.post_form(shift_url(ward, shift, "move"), {
        prefix + "day": (next_week() + timedelta(days=1)).isoformat(), prefix + "start": "20:00",
        prefix + "end": "19:00", prefix + "end_day": "0"})
    assert response.status_code == 422 and db.session.get(Shift, shift.id).starts_at == on(1, 19)


def test_a_coordinator_of_another_ward_cannot_touch_this_wards_shift(client, make, ward, post, an):
    ward_b = make.ward("B")
    boss_b = make.user("coordinator", ward=ward_b)
    shift = make.shift(post, on(1, 19))
    client.login(boss_b.phone)
    assert client.post_form(shift_url(ward, shift, "assign"), {"user_id": an.id}).status_code == 404
    assert client.post_form(f"/wards/B/roster/shifts/{shift.id}/cancel").status_code == 404
    assert db.session.get(Shift, shift.id) is not None


# --- patterns and whole weeks -----------------------------------------------------------------

def test_adding_a_pattern_across_midnight(coordinator, ward, post):
    response = coordinator.post_form(f"/wards/A/roster/{post.id}/patterns",
                                     {"pattern-start": "23:00", "pattern-end": "03:00", "pattern-label": "Ca khuya"})
    pattern = db.session.scalar(select(ShiftPattern))
    assert response.status_code == 303 and (pattern.starts_at, pattern.duration_minutes) == (time(23), 240)


def test_removing_a_pattern_of_another_checkpoint_is_not_found(coordinator, make, ward, post, other):
    pattern = ShiftPattern(checkpoint_id=other.id, starts_at=time(19), duration_minutes=240)
    db.session.add(pattern)
    db.session.commit()
    response = coordinator.post_form(f"/wards/A/roster/{post.id}/patterns/delete", {"pattern_id": pattern.id})
    assert response.status_code == 404 and count(ShiftPattern) == 1


def test_applying_patterns_twice_makes_each_shift_once(coordinator, make, ward, post, other):
    for checkpoint in (post, other):
        db.session.add(ShiftPattern(checkpoint_id=checkpoint.id, starts_at=time(19), duration_minutes=240))
        db.session.add(ShiftPattern(checkpoint_id=checkpoint.id, starts_at=time(23), duration_minutes=240))
    db.session.commit()
    week = week_label(next_week())
    coordinator.post_form("/wards/A/roster/apply-patterns", {"week": week})
    response = coordinator.post_form("/wards/A/roster/apply-patterns", {"week": week})
    assert response.status_code == 303 and count(Shift) == 28


def test_applying_the_patterns_of_one_checkpoint_leaves_the_others(coordinator, make, ward, post, other):
    for checkpoint in (post, other):
        db.session.add(ShiftPattern(checkpoint_id=checkpoint.id, starts_at=time(19), duration_minutes=240))
    db.session.commit()
    coordinator.post_form("/wards/A/roster/apply-patterns", {"week": week_label(next_week()),
                                                             "checkpoint": post.id})
    assert set(db.session.scalars(select(Shift.checkpoint_id))) == {post.id}


def test_copying_last_week_brings_the_people_along(coordinator, make, ward, post, an):
    make.shift(post, on(1, 19) - timedelta(days=7), volunteers=[an])
    coordinator.post_form("/wards/A/roster/copy-week", {"week": week_label(next_week())})
    copied = db.session.scalar(select(Shift).where(Shift.starts_at == on(1, 19)))
    assert [p.id for p in copied.volunteers] == [an.id]


def test_a_whole_week_action_without_a_week_is_refused(coordinator, ward, post):
    assert coordinator.post_form("/wards/A/roster/copy-week", {}).status_code == 422


# --- a bounded number of queries --------------------------------------------------------------

def busy_ward(make, code: str, checkpoints: int):
    ward = make.ward(code)
    coordinator = make.user("coordinator", ward=ward)
    for n in range(checkpoints):
        checkpoint = make.checkpoint(ward, f"C{n:02d}")
        crew = [make.volunteer(checkpoint) for _ in range(2)]
        for day in range(7):
            make.shift(checkpoint, on(day, 19), volunteers=crew)
            make.shift(checkpoint, on(day, 23), volunteers=crew[:1])
    return ward, coordinator


def statements_during(client, url: str) -> tuple[int, int]:
    db.session.commit()
    seen = []

    def counting(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", counting)
    try:
        status = client.get(url).status_code
    finally:
        event.remove(db.engine, "before_cursor_execute", counting)
    return status, len(seen)


def test_the_ward_grid_takes_a_bounded_number_of_queries(app, make):
    small, small_boss = busy_ward(make, "S", 3)
    large, large_boss = busy_ward(make, "L", 30)
    counts = []
    for ward, boss in ((small, small_boss), (large, large_boss)):
        client = app.test_client()
        client.login(boss.phone)
        counts.append(statements_during(client, grid_url(ward)))
    assert counts[0][0] == counts[1][0] == 200
    assert counts[1][1] == counts[0][1] <= 15


def test_the_checkpoint_grid_takes_a_bounded_number_of_queries(app, make):
    ward, boss = busy_ward(make, "S", 3)
    client = app.test_client()
    client.login(boss.phone)
    status, statements = statements_during(client, grid_url(ward, ward.checkpoints[0]))
    assert status == 200 and statements <= 16
