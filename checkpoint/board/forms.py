"""Forms of the police actions on an observation: acknowledge, resolve with a note, comment."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import Form, NoControlCharacters
from ..rules.police import MAX_TEXT


class PoliceForm(Form):
    # "page" when the card sits on the observation page, so the card comes back the same way.
    shown_on = HiddenField()


class AcknowledgeForm(PoliceForm):
    """One button: only the CSRF token."""


class ResolveForm(PoliceForm):
    note = TextAreaField(_l("How was it resolved?"), validators=[
        DataRequired(_l("Write how it was resolved.")),
        Length(max=MAX_TEXT, message=_l("At most %(max)d characters.")), NoControlCharacters(multiline=True)])


class CommentForm(PoliceForm):
    text = TextAreaField(_l("Comment"), validators=[
        DataRequired(_l("Write a comment.")),
        Length(max=MAX_TEXT, message=_l("At most %(max)d characters.")), NoControlCharacters(multiline=True)])
