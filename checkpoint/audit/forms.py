"""The audit view's filters: a GET form, so no CSRF token."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from ..board.history_forms import DayField
from ..extensions import db
from ..forms import Form, NoControlCharacters
from ..models import User, Ward
from ..rules.audit import NO_WARD, AuditQuery
from .labels import ACTION_LABELS


class AuditForm(Form):
    class Meta:
        csrf = False

    person = StringField(_l("Person"), validators=[
        Length(max=80, message=_l("At most %(max)d characters.")), NoControlCharacters()])
    action = SelectField(_l("Action"), default="")
    date_from = DayField(_l("From date"))
    date_to = DayField(_l("To date"))
    ward = SelectField(_l("Ward"), default="")

    FILTERS = ("person", "action", "date_from", "date_to", "ward")

    def __init__(self, viewer: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        actions = sorted(ACTION_LABELS.items(), key=lambda item: str(item[1]))
        self.action.choices = [SelectChoice("", _l("All actions"))] + [
            SelectChoice(code, label) for code, label in actions]
        if viewer.role == "admin":
            wards = db.session.scalars(db.select(Ward).order_by(Ward.code))
            self.ward.choices = ([SelectChoice("", _l("All wards")), SelectChoice(str(NO_WARD), _l("City-wide"))]
                                 + [SelectChoice(str(w.id), f"{w.code} · {w.name}") for w in wards])
        else:
            del self.ward  # police see their own ward only

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def to_query(self) -> AuditQuery:
        ward = getattr(self, "ward", None)
        return AuditQuery(person=(self.person.data or "").strip(), action=self.action.data or None,
                          date_from=self.date_from.data, date_to=self.date_to.data,
                          ward_id=int(ward.data) if ward is not None and ward.data else None)

    def arguments(self) -> dict[str, str]:
        """The filters as typed and not empty, for the next page's link."""
        return {name: value for name in self.FILTERS if name in self
                and (value := (self[name].raw_data or [""])[0] or "").strip()}
