"""Admin forms: wards, staff accounts, the city-wide people filter and moving a person."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..forms import Form, NoControlCharacters
from ..models import Ward

ROLE_LABELS = {
    "volunteer": _l("Volunteer"), "coordinator": _l("Coordinator"), "police": _l("Police"), "admin": _l("Admin"),
}
# The roles an admin creates here; volunteers are created on their ward's people page.
STAFF_ROLES = ("coordinator", "police")
MAX = _l("At most %(max)d characters.")


def _ward_choices(wards: list[Ward]) -> list[SelectChoice]:
    return [SelectChoice(w.code, f"{w.code} · {w.name}") for w in wards]


class WardEditForm(Form):
    name = StringField(_l("Ward name"), validators=[
        DataRequired(_l("Enter the ward's name.")), Length(max=120, message=MAX), NoControlCharacters()])
    duty_phone = StringField(_l("Police duty phone"), validators=[
        Length(max=32, message=MAX), NoControlCharacters()])


class WardForm(WardEditForm):
    code = StringField(_l("Ward code"), validators=[
        DataRequired(_l("Enter a code, e.g. P4.")), Length(max=16, message=MAX), NoControlCharacters()])


class StaffForm(Form):
    """A coordinator or police account for one ward."""

    ward = SelectField(_l("Ward"), validators=[DataRequired(_l("Choose a ward."))])
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in STAFF_ROLES])
    full_name = StringField(_l("Full name"), validators=[
        DataRequired(_l("Enter the person's full name.")), Length(max=120, message=MAX), NoControlCharacters()])
    phone = StringField(_l("Phone number"), validators=[
        DataRequired(_l("Enter the phone number.")), Length(max=32, message=MAX), NoControlCharacters()])
    password = PasswordField(_l("First password"), validators=[
        DataRequired(_l("Enter a first password.")),
        Length(min=8, max=128, message=_l("Between %(min)d and %(max)d characters."))])

    def __init__(self, wards: list[Ward], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ward.choices = [SelectChoice("", _l("Choose a ward"))] + _ward_choices(wards)


class PeopleFilter(Form):
    """The filters of the city-wide list of people; a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or phone"), validators=[Length(max=60, message=MAX), NoControlCharacters()])
    role = SelectField(_l("Role"), default="staff", choices=[
        SelectChoice("staff", _l("Coordinators and police")),
        *(SelectChoice(r, ROLE_LABELS[r]) for r in ("coordinator", "police", "volunteer", "admin")),
        SelectChoice("all", _l("Everyone")),
    ])
    ward = SelectField(_l("Ward"), default="")

    def __init__(self, wards: list[Ward], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ward.choices = [SelectChoice("", _l("All wards"))] + _ward_choices(wards)

    def arguments(self) -> dict[str, str]:
        """The filters as query arguments for the pager's links."""
        return {name: self[name].data for name in ("q", "role", "ward") if self[name].data}


class MoveForm(Form):
    # The rule, not the list, refuses the person's own ward or an unknown one, with its own words.
    ward = SelectField(_l("Move to ward"), validators=[DataRequired(_l("Choose a ward."))], validate_choice=False)

    def __init__(self, wards: list[Ward], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ward.choices = [SelectChoice("", _l("Choose a ward"))] + _ward_choices(wards)
