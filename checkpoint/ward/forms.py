"""Forms of the coordinator's screens: checkpoints, the duty phone, people, passwords, the CSV import."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField, \
    TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form, NoControlCharacters
from ..rules.accounts import MAX_PASSWORD, MIN_PASSWORD
from ..rules.checkpoints import MAX_ORDERS

ROLE_LABELS = {"volunteer": _l("Volunteer"), "coordinator": _l("Coordinator"), "police": _l("Ward police")}


class CheckpointForm(Form):
    code = StringField(_l("Code"), description=_l("Short and fixed, e.g. C01. It cannot be changed later."),
                       validators=[DataRequired(_l("This field is required.")), Length(max=16, message=_l(
                           "At most %(max)d characters."))])
    name = StringField(_l("Name"), validators=[DataRequired(_l("This field is required.")), Length(
        max=120, message=_l("At most %(max)d characters.")), NoControlCharacters()])
    address = StringField(_l("Address"), validators=[Optional(), Length(
        max=255, message=_l("At most %(max)d characters.")), NoControlCharacters()])
    lat = StringField(_l("Latitude"), validators=[Length(max=40, message=_l("At most %(max)d characters."))])
    lng = StringField(_l("Longitude"), validators=[Length(max=40, message=_l("At most %(max)d characters."))])
    standing_orders = TextAreaField(_l("Standing orders"), validators=[Optional(), Length(
        max=MAX_ORDERS, message=_l("At most %(max)d characters.")), NoControlCharacters(multiline=True)])
    equipment = TextAreaField(_l("Equipment checked at every handover"), render_kw={"rows": 7}, validators=[Length(
        max=4000, message=_l("At most %(max)d characters.")), NoControlCharacters(multiline=True)])
    min_staff = IntegerField(_l("Minimum staff per shift"), default=2, validators=[
        InputRequired(_l("This field is required.")),
        NumberRange(min=1, max=20, message=_l("Between %(min)d and %(max)d."))])


class DutyPhoneForm(Form):
    duty_phone = StringField(_l("Phone number"), validators=[Length(
        max=32, message=_l("At most %(max)d characters."))])


class MultiCheckboxField(SelectMultipleField):
    """Checkpoints as a list of checkboxes: easier than a multiple select on a phone."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PersonForm(Form):
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("This field is required.")), Length(
        max=120, message=_l("At most %(max)d characters.")), NoControlCharacters()])
    phone = StringField(_l("Phone number"), description=_l("The number they log in with."), validators=[
        DataRequired(_l("This field is required.")), Length(max=32, message=_l("At most %(max)d characters."))])
    role = SelectField(_l("Role"), default="volunteer")
    checkpoints = MultiCheckboxField(_l("Checkpoints"), coerce=int)

    def __init__(self, *args, checkpoints=(), roles=("volunteer",), **kwargs):
        super().__init__(*args, **kwargs)
        self.checkpoints.choices = [SelectChoice(c.id, f"{c.code} · {c.name}") for c in checkpoints]
        if len(roles) > 1:
            self.role.choices = [SelectChoice(r, ROLE_LABELS[r]) for r in roles]
        else:  # coordinators manage volunteers only: no choice to show
            del self.role


class NewPersonForm(PersonForm):
    password = PasswordField(_l("Password"), description=_l(
        "Leave empty to have one made up and shown to you once."), validators=[Optional(), Length(
            min=MIN_PASSWORD, max=MAX_PASSWORD, message=_l("Between %(min)d and %(max)d characters."))])


class PasswordResetForm(Form):
    password = PasswordField(_l("New password"), description=_l(
        "Leave empty to have one made up and shown to you once."), validators=[Optional(), Length(
            min=MIN_PASSWORD, max=MAX_PASSWORD, message=_l("Between %(min)d and %(max)d characters."))])


class ImportForm(Form):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a file."))])


class ImportConfirmForm(Form):
    plan = HiddenField()
    password = PasswordField(_l("Password for the new people"), description=_l(
        "Optional. Without one, the new people cannot log in until you set a password on their page."),
        validators=[Optional(), Length(min=MIN_PASSWORD, max=MAX_PASSWORD, message=_l(
            "Between %(min)d and %(max)d characters."))])
