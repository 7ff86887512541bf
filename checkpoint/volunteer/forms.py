"""Forms of the volunteer's screens. Each carries a client uuid, so a double tap is one entry."""
from __future__ import annotations

import uuid as uuidlib

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..forms import Form, NoControlCharacters

# Labels in the order the buttons appear; codes are PRODUCT §6's.
CATEGORY_LABELS = {
    "suspicious": _l("Suspicious person or vehicle"),
    "theft": _l("Theft"),
    "disturbance": _l("Fight or disturbance"),
    "traffic": _l("Traffic accident"),
    "fire": _l("Fire or smoke"),
    "drugs": _l("Drugs"),
    "property": _l("Lost or found property"),
    "assistance": _l("Help to a resident"),
    "nuisance": _l("Public-order nuisance"),
    "other": _l("Other"),
}
STATUS_LABELS = {"open": _l("Open"), "acknowledged": _l("Acknowledged"), "resolved": _l("Resolved")}
SEVERITY_LABELS = {"info": _l("Information"), "attention": _l("Needs attention"), "urgent": _l("Urgent")}


def new_uuid() -> str:
    return str(uuidlib.uuid4())


class DutyForm(Form):
    """The hidden parts every duty form shares: its uuid and the phone's position."""

    uuid = HiddenField(default=new_uuid)
    lat = HiddenField()
    lng = HiddenField()


class CheckInForm(DutyForm):
    qr = HiddenField()


class CheckOutForm(DutyForm):
    pass


class ObservationForm(DutyForm):
    category = RadioField(_l("What happened?"), choices=[SelectChoice(k, v) for k, v in CATEGORY_LABELS.items()],
                          validators=[DataRequired(_l("Choose what happened."))])
    severity = RadioField(_l("How serious?"), choices=[SelectChoice(k, v) for k, v in SEVERITY_LABELS.items()],
                          default="info", validators=[DataRequired(_l("Choose how serious it is."))])
    text = TextAreaField(_l("What did you see?"), validators=[
        DataRequired(_l("Write what you saw.")), Length(max=2000, message=_l("At most %(max)d characters.")),
        NoControlCharacters(multiline=True)])
    # A day list and a 24-hour time, not datetime-local: the browser's own widget shows the phone's
    # locale format (often mm/dd and AM/PM), and the log goes back at most 7 days anyway.
    occurred_day = SelectField(_l("Day"), validators=[Optional()])
    occurred_time = StringField(_l("Time (24-hour)"), validators=[
        Optional(), Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", message=_l("Write the time as HH:MM, e.g. 21:45."))])
    photo = FileField(_l("Photo (optional)"))


class CorrectionForm(DutyForm):
    text = TextAreaField(_l("Correction"), validators=[
        DataRequired(_l("Write the correction.")), Length(max=2000, message=_l("At most %(max)d characters.")),
        NoControlCharacters(multiline=True)])


class UrgentForm(DutyForm):
    checkpoint = HiddenField()
    text = StringField(_l("A few words (optional)"), validators=[
        Optional(), Length(max=300, message=_l("At most %(max)d characters.")), NoControlCharacters()])


class HandoverForm(DutyForm):
    summary = TextAreaField(_l("Summary of the shift"), validators=[
        DataRequired(_l("Write a short summary of the shift.")),
        Length(max=2000, message=_l("At most %(max)d characters.")), NoControlCharacters(multiline=True)])


class AcceptForm(DutyForm):
    remark = TextAreaField(_l("Anything different from the handover? (optional)"), validators=[
        Optional(), Length(max=2000, message=_l("At most %(max)d characters.")), NoControlCharacters(multiline=True)])
