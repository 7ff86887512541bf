"""Forms of the history search and the daily report: GET forms, so no CSRF token."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import Field, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError
from wtforms.widgets import TextInput

from ..forms import Form, NoControlCharacters
from ..models import Ward
from ..rules.history import HistoryQuery
from ..volunteer.forms import CATEGORY_LABELS, SEVERITY_LABELS, STATUS_LABELS

_DMY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
# Outside these years a date is a typing mistake (and date arithmetic near year 9999 overflows).
FIRST_YEAR, LAST_YEAR = 2000, 2100
BAD_DATE = _l("Write the date as dd/mm/yyyy, e.g. 27/11/2026.")


def parse_day(text: str) -> date:
    """A day as Vietnamese forms write it (dd/mm/yyyy), or ISO (yyyy-mm-dd) as links carry it."""
    if match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DMY.match(text):
        day, month, year = (int(part) for part in match.groups())
    else:
        raise ValueError(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(text)
    return date(year, month, day)


class DayField(Field):
    """A local day typed as text: a browser's date widget follows the computer's locale (often
    mm/dd/yyyy), but the ward writes dd/mm/yyyy."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "") or ""
        if not text.strip():
            return
        if len(text) > 20:
            raise ValueError(str(BAD_DATE))
        try:
            self.data = parse_day(text)
        except ValueError:
            raise ValueError(str(BAD_DATE)) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0][:20]
        return self.data.strftime("%d/%m/%Y") if self.data else ""


def _choices(everything, labels: dict) -> list[SelectChoice]:
    return [SelectChoice("", everything)] + [SelectChoice(code, label) for code, label in labels.items()]


def _checkpoint_label(checkpoint) -> str:
    label = f"{checkpoint.code} · {checkpoint.name}"
    return label if checkpoint.active else "%s (%s)" % (label, _l("retired"))


class HistoryForm(Form):
    """The filters of the ward's history; every one optional."""

    class Meta:
        csrf = False

    date_from = DayField(_l("From date"))
    date_to = DayField(_l("To date"))
    checkpoint = SelectField(_l("Checkpoint"), default="")
    category = SelectField(_l("Category"), default="", choices=_choices(_l("All categories"), CATEGORY_LABELS))
    severity = SelectField(_l("Severity"), default="", choices=_choices(_l("All severities"), SEVERITY_LABELS))
    status = SelectField(_l("Status"), default="", choices=_choices(_l("All statuses"), STATUS_LABELS))
    words = StringField(_l("Words in the text"), validators=[
        Length(max=200, message=_l("At most %(max)d characters.")), NoControlCharacters()])

    FILTERS = ("date_from", "date_to", "checkpoint", "category", "severity", "status", "words")

    def __init__(self, ward: Ward, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.checkpoint.choices = [SelectChoice("", _l("All checkpoints"))] + [
            SelectChoice(str(c.id), _checkpoint_label(c)) for c in ward.checkpoints]

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def to_query(self) -> HistoryQuery:
        return HistoryQuery(
            date_from=self.date_from.data, date_to=self.date_to.data,
            checkpoint_id=int(self.checkpoint.data) if self.checkpoint.data else None,
            category=self.category.data or None, severity=self.severity.data or None,
            status=self.status.data or None, words=(self.words.data or "").strip())

    def arguments(self) -> dict[str, str]:
        """The filters as typed and not empty, for links to other pages and to the export."""
        return {name: value for name in self.FILTERS
                if (value := (self[name].raw_data or [""])[0] or "").strip()}


class ReportForm(Form):
    """Which day the daily report is for."""

    class Meta:
        csrf = False

    day = DayField(_l("Day"))
