"""Police actions through the test client: htmx card or redirect, errors by the field, scope, the page."""
import re

import pytest

from checkpoint.extensions import db
from checkpoint.models import Comment, Observation

META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
HTMX = {"HX-Request": "true"}


@pytest.fixture
def report(make, post, mai):
    return make.observation(post, mai, text="Hai thanh niên lạ mặt đứng lâu ở đầu hẻm", lat=10.77253, lng=106.69801)


def signed_in(app, user):
    client = app.test_client()
    assert client.login(user.phone).status_code == 302
    return client


@pytest.fixture
def officer(make, ward):
    return make.user("police", ward=ward, phone="0900000021", name="Trần Quốc Bảo")


@pytest.fixture
def police(app, officer):
    return signed_in(app, officer)


def send(client, report, action: str, data: dict | None = None, htmx: bool = True):
    """Post as the page's form would, the CSRF token taken from the observation page."""
    page = client.get(f"/observations/{report.id}").get_data(as_text=True)
    token = META_CSRF.search(page).group(1)
    headers = {**HTMX, "X-CSRFToken": token} if htmx else {}
    return client.post(f"/observations/{report.id}/{action}", data={"csrf_token": token, **(data or {})},
                       headers=headers)


def _token(client) -> str:
    """A CSRF token for a client whose home page is someone else's screen."""
    return META_CSRF.search(client.get("/account/password").get_data(as_text=True)).group(1)


def status_of(report) -> str:
    db.session.expire_all()
    return db.session.get(Observation, report.id).status


def test_acknowledging_with_htmx_returns_the_card_with_the_new_status(police, report):
    response = send(police, report, "acknowledge")
    card = response.get_data(as_text=True)
    assert response.status_code == 200 and card.lstrip().startswith("<article") and "<html" not in card
    assert f'id="obs-{report.id}"' in card and "Đã tiếp nhận" in card and f'id="ack-{report.id}"' not in card


def test_a_plain_post_redirects_to_the_observation_page(police, report):
    response = send(police, report, "acknowledge", htmx=False)
    assert response.status_code == 303 and response.location.endswith(f"/observations/{report.id}")
    assert status_of(report) == "acknowledged"


def test_resolving_shows_the_note_on_the_card(police, report):
    card = send(police, report, "resolve", {"note": "Đã mời hai người về phường làm việc."}).get_data(as_text=True)
    assert "Đã xử lý xong" in card and "Đã mời hai người về phường làm việc." in card
    assert f'id="resolve-{report.id}"' not in card and status_of(report) == "resolved"


def test_a_missing_note_is_shown_next_to_the_field(app, make, ward, report):
    english = signed_in(app, make.user("police", ward=ward, locale="en"))
    response = send(english, report, "resolve", {"note": "  "})
    errors = re.search(rf'<ul class="errors" id="note-{report.id}-errors">(.*?)</ul>',
                       response.get_data(as_text=True), re.S)
    assert response.status_code == 200 and "Write how it was resolved." in errors.group(1)
    assert status_of(report) == "open"


def test_a_missing_note_without_javascript_comes_back_on_the_page(police, report):
    page = send(police, report, "resolve", {"note": ""}, htmx=False).get_data(as_text=True)
    assert "<html" in page and f'id="note-{report.id}-errors"' in page


def test_the_second_officer_is_told_who_was_first(app, make, ward, police, report):
    send(police, report, "acknowledge")
    other = signed_in(app, make.user("police", ward=ward, locale="en"))
    card = send(other, report, "acknowledge").get_data(as_text=True)
    assert "Already acknowledged by Trần Quốc Bảo." in card


def test_a_comment_appears_on_the_card(police, report):
    card = send(police, report, "comment", {"text": "Đã cử tổ tuần tra đến."}).get_data(as_text=True)
    assert "Đã cử tổ tuần tra đến." in card and "Trần Quốc Bảo" in card
    assert db.session.scalar(db.select(Comment)).text == "Đã cử tổ tuần tra đến."


def test_an_action_from_the_observation_page_keeps_the_page_card(police, report):
    card = send(police, report, "comment", {"text": "Theo dõi thêm.", "shown_on": "page"}).get_data(as_text=True)
    assert 'name="shown_on" value="page"' in card and 'class="obs-title' not in card


@pytest.mark.parametrize("action, data", [("acknowledge", {}), ("resolve", {"note": "Xong."}),
                                          ("comment", {"text": "Ghi chú."})])
def test_police_of_another_ward_find_nothing(app, make, report, action, data):
    stranger = signed_in(app, make.user("police", ward=make.ward("XH")))
    response = stranger.post(f"/observations/{report.id}/{action}", data=data,
                             headers={**HTMX, "X-CSRFToken": _token(stranger)})
    assert response.status_code == 404 and status_of(report) == "open"


@pytest.mark.parametrize("action", ["acknowledge", "resolve", "comment"])
def test_a_volunteer_is_forbidden(app, mai, report, action):
    phone = signed_in(app, mai)
    response = send(phone, report, action, {"note": "Xong.", "text": "Ghi chú."})
    assert response.status_code == 403 and status_of(report) == "open"


def test_the_volunteer_reads_the_police_follow_up_in_the_checkpoint_log(app, police, post, mai, report):
    send(police, report, "acknowledge")
    send(police, report, "comment", {"text": "Đã cử tổ tuần tra đến."})
    send(police, report, "resolve", {"note": "Hai người là khách của nhà số 7."})
    log = signed_in(app, mai).get(f"/checkpoints/{post.id}/log").get_data(as_text=True)
    assert "Công an đã tiếp nhận" in log and "Công an nhận xét về" in log and "Công an đã xử lý xong" in log
    assert "Hai người là khách của nhà số 7." in log


def test_the_observation_page_shows_coordinates_and_an_openstreetmap_link(police, report):
    page = police.get(f"/observations/{report.id}").get_data(as_text=True)
    assert "10.77253, 106.69801" in page
    assert "https://www.openstreetmap.org/?mlat=10.772530&amp;mlon=106.698010#map=17/10.772530/106.698010" in page


def test_the_observation_page_draws_a_three_by_three_tile_map(police, report):
    page = police.get(f"/observations/{report.id}").get_data(as_text=True)
    tiles = re.findall(r'<img class="map-tile" src="https://tile\.openstreetmap\.org/16/(\d+)/(\d+)\.png"', page)
    assert len(tiles) == 9 and 'class="map-marker-dot"' in page and "css/police.css" in page


def test_the_tile_server_is_configurable(app, police, report):
    app.config["MAP_TILE_URL"] = "/tiles/{z}/{x}/{y}.png"
    page = police.get(f"/observations/{report.id}").get_data(as_text=True)
    assert page.count('src="/tiles/16/') == 9


def test_without_a_position_there_is_no_map(police, make, post, mai):
    quiet = make.observation(post, mai, text="Không có vị trí")
    page = police.get(f"/observations/{quiet.id}").get_data(as_text=True)
    assert 'class="map"' not in page and "openstreetmap.org/?mlat" not in page


def test_the_volunteer_sees_the_card_without_police_actions(app, mai, report):
    page = signed_in(app, mai).get(f"/observations/{report.id}").get_data(as_text=True)
    assert f'id="obs-{report.id}"' in page and f'id="resolve-{report.id}"' not in page


def test_the_police_see_their_actions_on_the_observation_page(police, report):
    page = police.get(f"/observations/{report.id}").get_data(as_text=True)
    assert all(f'id="{form}-{report.id}"' in page for form in ("ack", "resolve", "comment"))
