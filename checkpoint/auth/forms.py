"""Forms for logging in and changing a password."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import Form, NoControlCharacters


class LoginForm(Form):
    phone = StringField(_l("Phone number"), validators=[
        DataRequired(_l("Enter your phone number.")), Length(max=32, message=_l("At most %(max)d characters.")),
        NoControlCharacters()])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=128, message=_l("At most %(max)d characters."))])
    remember = BooleanField(_l("Keep me logged in on this phone for 30 days"), default=True)


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Enter your current password.")), Length(max=128, message=_l("At most %(max)d characters."))])
    new_password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")),
        Length(min=8, max=128, message=_l("Between %(min)d and %(max)d characters."))])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Enter the new password again.")),
        EqualTo("new_password", message=_l("The two new passwords are not the same."))])
