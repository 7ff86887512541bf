"""Forms of the roster: shift times, patterns, assignments and whole-week actions."""
from __future__ import annotations

import re
from datetime import date, time

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..forms import Form, NoControlCharacters

WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))

# 19:00, 19h, 19h30, 1930, 7:05, 19 — how people type a time of day.
_TIME = re.compile(r"^\s*(\d{1,2})(?:\s*[:h.]\s*(\d{2})?|(\d{2}))?\s*$", re.IGNORECASE)


def parse_time_of_day(text: str | None) -> time | None:
    match = _TIME.match(text or "")
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or match.group(3) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


class TimeOfDay:
    """A 24-hour time typed as text: the browser's time picker follows the computer's locale and
    may show AM/PM."""

    def __call__(self, form, field) -> None:
        if parse_time_of_day(field.data) is None:
            raise ValidationError(_l("Type a time as HH:MM, e.g. 19:00."))


def time_field(label):
    return StringField(label, validators=[DataRequired(_l("This field is required.")), TimeOfDay()],
                       render_kw={"inputmode": "numeric", "placeholder": "19:00", "autocomplete": "off",
                                  "maxlength": 5})


class ShiftTimesForm(Form):
    """A shift on one day of the week shown: its start, and its end on the same or the next day."""

    day = SelectField(_l("Day"), validators=[InputRequired(_l("This field is required."))])
    start = time_field(_l("Starts"))
    end = time_field(_l("Ends"))
    end_day = SelectField(_l("Ends on"), choices=[SelectChoice("0", _l("the same day")),
                                                  SelectChoice("1", _l("the next day"))], default="0")

    def __init__(self, *args, days: list[date] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.day.choices = [SelectChoice(d.isoformat(), f"{WEEKDAYS[d.weekday()]} {d:%d/%m/%Y}") for d in days]

    @property
    def day_value(self) -> date:
        return date.fromisoformat(self.day.data)

    @property
    def start_value(self) -> time:
        return parse_time_of_day(self.start.data)

    @property
    def end_value(self) -> time:
        return parse_time_of_day(self.end.data)


class PatternForm(Form):
    start = time_field(_l("Starts"))
    end = time_field(_l("Ends"))
    label = StringField(_l("Name (optional)"), validators=[
        Optional(), Length(max=60, message=_l("At most %(max)d characters.")), NoControlCharacters()],
        render_kw={"placeholder": _l("e.g. Evening")})


class PatternDeleteForm(Form):
    pattern_id = IntegerField(validators=[InputRequired(_l("This field is required."))])


class PersonForm(Form):
    """Assign or unassign one person."""

    user_id = IntegerField(_l("Volunteer"), validators=[InputRequired(_l("Choose a volunteer."))])


class WeekForm(Form):
    """Apply patterns or copy last week: to the week shown, for one checkpoint or the whole ward."""

    week = HiddenField(validators=[DataRequired(_l("This field is required."))])
    checkpoint = HiddenField()
