"""The ward's history search and the daily report, at explicit times."""
import uuid
from datetime import date

import pytest
from sqlalchemy import event

from checkpoint.extensions import db
from checkpoint.rules.attendance import check_in, check_out
from checkpoint.rules.handovers import accept_handover, write_handover
from checkpoint.rules.history import HistoryQuery, daily_report, iter_observations, search_observations
from checkpoint.rules.observations import log_observation
from tests.factories import local

# --- world and helpers --------------------------------------------------------------------------


@pytest.fixture
def ward(make):
    return make.ward("P4")


@pytest.fixture
def alley(make, ward):
    return make.checkpoint(ward, "C01", name="Chốt hẻm 12")


@pytest.fixture
def market(make, ward):
    return make.checkpoint(ward, "C02", name="Chốt chợ")


@pytest.fixture
def an(make, alley, market):
    return make.user("volunteer", ward=alley.ward, checkpoints=[alley, market], name="Nguyễn Văn An")


@pytest.fixture
def binh(make, alley):
    return make.volunteer(alley, name="Trần Thị Bình")


@pytest.fixture
def police(make, ward):
    return make.user("police", ward=ward, name="Lê Công An")


def observe(make, checkpoint, author, when, **fields):
    return make.observation(checkpoint, author, now=when, **fields)


def acknowledge(observation, police, when):
    police_id = police.id  # loaded first: a lazy load would autoflush a half-set row
    observation.acknowledged_by_id, observation.acknowledged_at = police_id, when
    observation.status = "acknowledged"
    db.session.commit()


def resolve(observation, police, when, note="Đã xử lý"):
    police_id = police.id
    if observation.acknowledged_at is None:
        observation.acknowledged_by_id, observation.acknowledged_at = police_id, when
    observation.resolved_by_id, observation.resolved_at, observation.resolution_note = police_id, when, note
    observation.status = "resolved"
    db.session.commit()


def correct(observation, author, when, text):
    correction, _ = log_observation(author, observation.checkpoint, uuid=uuid.uuid4(),
                                    occurred_at=observation.occurred_at, now=when, category=observation.category,
                                    severity=observation.severity, text=text, corrects=observation)
    db.session.commit()
    return correction


def texts(ward, **filters):
    rows, _total = search_observations(ward, HistoryQuery(**filters))
    return [o.text for o in rows]


# --- the search ---------------------------------------------------------------------------------


@pytest.fixture
def logged(make, ward, alley, market, an, binh):
    """Four observations of ward P4 over two days, and one of another ward."""
    other = make.checkpoint(make.ward("XH"), "C09")
    stranger = make.volunteer(other)
    observe(make, other, stranger, local(2026, 11, 27, 20), text="Trộm xe đạp ở phường khác")
    return {
        "late": observe(make, alley, an, local(2026, 11, 27, 23, 30), category="theft", text="Mất trộm xe máy"),
        "dawn": observe(make, alley, binh, local(2026, 11, 28, 0, 10), category="suspicious", severity="attention",
                        text="Đường hẻm 12 có người lạ"),
        "noon": observe(make, market, an, local(2026, 11, 28, 12), category="theft", severity="urgent",
                        text="Giật túi xách trước cổng chợ"),
        "early": observe(make, market, an, local(2026, 11, 26, 9), category="assistance",
                         text="Chỉ đường cho cụ già"),
    }


def test_without_filters_every_observation_of_the_ward_comes_newest_first(ward, logged):
    assert texts(ward) == ["Giật túi xách trước cổng chợ", "Đường hẻm 12 có người lạ", "Mất trộm xe máy",
                           "Chỉ đường cho cụ già"]


def test_a_late_evening_observation_belongs_to_its_local_day(ward, logged):
    assert texts(ward, date_from=date(2026, 11, 27), date_to=date(2026, 11, 27)) == ["Mất trộm xe máy"]


def test_just_after_midnight_is_the_next_local_day(ward, logged):
    assert texts(ward, date_from=date(2026, 11, 28)) == ["Giật túi xách trước cổng chợ", "Đường hẻm 12 có người lạ"]


def test_the_end_date_includes_its_whole_day(ward, logged):
    assert texts(ward, date_to=date(2026, 11, 27)) == ["Mất trộm xe máy", "Chỉ đường cho cụ già"]


def test_filter_by_checkpoint(ward, market, logged):
    assert texts(ward, checkpoint_id=market.id) == ["Giật túi xách trước cổng chợ", "Chỉ đường cho cụ già"]


def test_a_checkpoint_of_another_ward_finds_nothing(make, ward, logged):
    foreign = make.checkpoint(make.ward("TD"), "C01")
    assert texts(ward, checkpoint_id=foreign.id) == []


def test_filter_by_category(ward, logged):
    assert texts(ward, category="theft") == ["Giật túi xách trước cổng chợ", "Mất trộm xe máy"]


def test_filter_by_severity(ward, logged):
    assert texts(ward, severity="attention") == ["Đường hẻm 12 có người lạ"]


def test_filter_by_status(ward, police, logged):
    acknowledge(logged["late"], police, local(2026, 11, 28, 7))
    resolve(logged["early"], police, local(2026, 11, 26, 10))
    assert texts(ward, status="acknowledged") == ["Mất trộm xe máy"]
    assert texts(ward, status="resolved") == ["Chỉ đường cho cụ già"]


def test_filters_combine(ward, alley, logged):
    assert texts(ward, category="theft", checkpoint_id=alley.id, date_from=date(2026, 11, 27)) == ["Mất trộm xe máy"]
    assert texts(ward, category="theft", severity="info", date_from=date(2026, 11, 28)) == []


def test_words_ignore_case(ward, logged):
    assert texts(ward, words="XE MÁY") == ["Mất trộm xe máy"]


def test_a_lower_case_word_finds_a_capital_with_diacritics(ward, logged):
    assert texts(ward, words="đường") == ["Đường hẻm 12 có người lạ", "Chỉ đường cho cụ già"]


def test_accents_count_as_typed(ward, logged):
    assert texts(ward, words="duong") == []
    assert texts(ward, words="xe may") == []


def test_every_word_must_appear(ward, logged):
    assert texts(ward, words="trộm máy") == ["Mất trộm xe máy"]
    assert texts(ward, words="trộm chợ") == []


def test_wildcards_are_plain_characters(ward, logged):
    assert texts(ward, words="%") == [] and texts(ward, words="_") == []


def test_a_word_in_a_correction_finds_the_original(make, ward, an, logged):
    correct(logged["late"], an, local(2026, 11, 28, 8), "Biển số 59-X1 128.45")
    assert texts(ward, words="128.45") == ["Mất trộm xe máy"]


def test_corrections_are_not_listed_on_their_own(make, ward, an, logged):
    correct(logged["noon"], an, local(2026, 11, 28, 13), "Giật túi xách trước cổng chợ, hai đối tượng")
    rows, total = search_observations(ward, HistoryQuery(words="túi"))
    assert [o.id for o in rows] == [logged["noon"].id] and total == 1
    assert [c.text for c in rows[0].corrections] == ["Giật túi xách trước cổng chợ, hai đối tượng"]


def test_pages_split_the_results_and_count_them_all(make, ward, alley, an):
    for minute in range(7):
        observe(make, alley, an, local(2026, 11, 28, 9, minute), text=f"Ghi nhận số {minute}")
    pages = [search_observations(ward, HistoryQuery(), page=n, per_page=3) for n in (1, 2, 3, 4)]
    assert [total for _rows, total in pages] == [7, 7, 7, 7]
    assert [[o.text[-1] for o in rows] for rows, _total in pages] == [["6", "5", "4"], ["3", "2", "1"], ["0"], []]


def test_the_export_reads_every_match_newest_first(ward, logged):
    assert [o.text for o in iter_observations(ward, HistoryQuery(category="theft"))] == [
        "Giật túi xách trước cổng chợ", "Mất trộm xe máy"]


# --- the daily report ---------------------------------------------------------------------------

DAY = date(2026, 11, 27)
REPORT_NOW = local(2026, 11, 27, 21)


def arrive(user, checkpoint, when):
    attendance, _ = check_in(user, checkpoint, uuid=uuid.uuid4(), occurred_at=when, now=when)
    db.session.commit()
    return attendance


def leave(user, checkpoint, when):
    check_out(user, checkpoint, uuid=uuid.uuid4(), occurred_at=when, now=when)
    db.session.commit()


def hand_over(user, checkpoint, when, summary="Ca trực yên tĩnh."):
    handover, _ = write_handover(user, checkpoint, uuid=uuid.uuid4(), occurred_at=when, now=when, summary=summary,
                                 equipment=[])
    db.session.commit()
    return handover


@pytest.fixture
def day(make, ward, alley, market, an, binh, police):
    """27/11/2026 at P4, seen at 21:00 that evening."""
    # The night shift that crossed midnight into the day: 2 of its 4 hours fall on the 27th, for two people.
    make.shift(alley, local(2026, 11, 26, 22), hours=4, volunteers=[an, binh])
    make.shift(alley, local(2026, 11, 27, 18), hours=4, volunteers=[binh])
    # Tonight's shift into the 28th: 2 hours on the 27th, for two people.
    make.shift(alley, local(2026, 11, 27, 22), hours=4, volunteers=[an, binh])
    make.shift(alley, local(2026, 11, 28, 6), hours=4, volunteers=[an, binh])  # another day: not counted
    arrive(an, alley, local(2026, 11, 26, 22))
    leave(an, alley, local(2026, 11, 27, 2))  # 2 hours on the 27th
    handed = hand_over(an, alley, local(2026, 11, 27, 2))
    arrive(an, market, local(2026, 11, 27, 8))
    leave(an, market, local(2026, 11, 27, 10, 30))  # unscheduled, 2.5 hours
    arrive(binh, alley, local(2026, 11, 27, 18))  # still there at 21:00: 3 hours so far
    hand_over(an, market, local(2026, 11, 27, 10, 30))

    old = observe(make, alley, an, local(2026, 11, 26, 23, 30), text="Cột đèn hỏng")  # open since the 26th
    theft = observe(make, alley, binh, local(2026, 11, 27, 19), category="theft", text="Mất xe đạp")
    observe(make, alley, binh, local(2026, 11, 27, 19, 30), category="theft", text="Mất điện thoại")
    urgent = observe(make, alley, binh, local(2026, 11, 27, 20), category="disturbance", severity="urgent",
                     text="Đánh nhau đầu hẻm")
    correct(urgent, binh, local(2026, 11, 27, 20, 5), "Đánh nhau đầu hẻm, ba người")
    helped = observe(make, market, an, local(2026, 11, 27, 9), category="assistance", text="Chỉ đường")
    resolve(helped, police, local(2026, 11, 27, 9, 30))
    acknowledge(theft, police, local(2026, 11, 27, 19, 10))
    return {"handed": handed, "old": old, "theft": theft, "urgent": urgent, "helped": helped}


def line(report, checkpoint):
    [found] = [c for c in report.checkpoints if c.checkpoint.id == checkpoint.id]
    return found


def test_planned_person_hours_count_the_part_of_each_shift_on_that_day(ward, alley, market, day):
    report = daily_report(ward, DAY, REPORT_NOW)
    assert line(report, alley).planned_hours == pytest.approx(2 * 2 + 4 * 1 + 2 * 2)
    assert line(report, alley).shifts == 3
    assert line(report, market).planned_hours == 0


def test_staffed_person_hours_count_an_open_attendance_up_to_now(ward, alley, day):
    assert line(daily_report(ward, DAY, REPORT_NOW), alley).staffed_hours == pytest.approx(2 + 3)


def test_an_open_attendance_counts_to_the_end_of_a_past_day(ward, alley, day):
    later = local(2026, 11, 28, 1)
    assert line(daily_report(ward, DAY, later), alley).staffed_hours == pytest.approx(2 + 6)


def test_an_unscheduled_attendance_counts_as_staffed(ward, market, day):
    assert line(daily_report(ward, DAY, REPORT_NOW), market).staffed_hours == pytest.approx(2.5)


def test_observations_are_counted_by_category_and_severity_without_corrections(ward, alley, market, day):
    report = daily_report(ward, DAY, REPORT_NOW)
    assert line(report, alley).by_category == {"theft": 2, "disturbance": 1}
    assert line(report, alley).by_severity == {"info": 2, "urgent": 1}
    assert line(report, market).by_category == {"assistance": 1}
    assert report.observations == 4 and report.by_severity == {"info": 3, "attention": 0, "urgent": 1}


def test_open_items_are_those_not_resolved_by_the_end_of_the_day(ward, alley, market, day):
    report = daily_report(ward, DAY, REPORT_NOW)
    assert [o.text for o in line(report, alley).open_items] == ["Cột đèn hỏng", "Mất xe đạp", "Mất điện thoại",
                                                                "Đánh nhau đầu hẻm"]
    assert line(report, market).open_items == []


def test_an_item_resolved_the_next_day_was_open_at_the_end_of_its_day(ward, alley, police, day):
    resolve(day["old"], police, local(2026, 11, 27, 7))
    report = daily_report(ward, date(2026, 11, 26), REPORT_NOW)
    assert [o.text for o in line(report, alley).open_items] == ["Cột đèn hỏng"]
    assert "Cột đèn hỏng" not in [o.text for o in line(daily_report(ward, DAY, REPORT_NOW), alley).open_items]


def test_unaccepted_handovers_of_the_day_are_listed(ward, alley, market, day):
    report = daily_report(ward, DAY, REPORT_NOW)
    assert [h.id for h in line(report, alley).unaccepted] == [day["handed"].id]
    assert len(line(report, market).unaccepted) == 1


def test_a_handover_accepted_that_day_is_not_listed(ward, alley, binh, day):
    accept_handover(binh, day["handed"], uuid=uuid.uuid4(), occurred_at=local(2026, 11, 27, 6),
                    now=local(2026, 11, 27, 6))
    db.session.commit()
    assert line(daily_report(ward, DAY, REPORT_NOW), alley).unaccepted == []


def test_another_wards_records_stay_out_of_the_report(make, ward, day):
    other = make.checkpoint(make.ward("XH"), "C09")
    stranger = make.volunteer(other)
    make.shift(other, local(2026, 11, 27, 8), hours=4, volunteers=[stranger])
    observe(make, other, stranger, local(2026, 11, 27, 9))
    report = daily_report(ward, DAY, REPORT_NOW)
    assert {c.checkpoint.code for c in report.checkpoints} == {"C01", "C02"}
    assert report.planned_hours == pytest.approx(12) and report.observations == 4


def test_a_retired_checkpoint_with_nothing_that_day_is_left_out(make, ward, day):
    retired = make.checkpoint(ward, "C03")
    retired.active = False
    db.session.commit()
    assert "C03" not in {c.checkpoint.code for c in daily_report(ward, DAY, REPORT_NOW).checkpoints}


def test_a_future_day_shows_the_plan_and_nothing_staffed(ward, alley, day):
    report = daily_report(ward, date(2026, 11, 28), REPORT_NOW)
    assert line(report, alley).planned_hours == pytest.approx(2 * 2 + 4 * 2)
    assert line(report, alley).staffed_hours == 0


def test_the_report_asks_the_same_number_of_queries_for_more_checkpoints(make, app, ward, alley, an, day):
    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            daily_report(ward, DAY, REPORT_NOW)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    db.session.expire_all()
    before = statements()
    for code in ("C05", "C06", "C07"):
        extra = make.checkpoint(ward, code)
        make.shift(extra, local(2026, 11, 27, 8), hours=4, volunteers=[make.volunteer(extra)])
        observe(make, extra, make.volunteer(extra), local(2026, 11, 27, 9))
    db.session.expire_all()
    assert statements() == before
