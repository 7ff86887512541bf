"""Forms and validators shared by every area."""
from __future__ import annotations

import unicodedata

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, ValidationError


class NoControlCharacters:
    """Refuse NUL and other control characters (newline and tab only where text is multi-line)."""

    def __init__(self, multiline: bool = False):
        self.allowed = {"\n", "\r", "\t"} if multiline else set()

    def __call__(self, form, field) -> None:
        value = field.data or ""
        if isinstance(value, str) and any(
                unicodedata.category(ch) == "Cc" and ch not in self.allowed for ch in value):
            raise ValidationError(_l("Contains characters that are not allowed."))


class _BabelTranslations:
    """WTForms' own messages ("Not a valid choice." …) through our catalogue: WTForms ships no
    Vietnamese, so the ones we can meet are listed in WTFORMS_MESSAGES and translated there."""

    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n)


WTFORMS_MESSAGES = (
    _l("Not a valid choice."), _l("Invalid Choice: could not coerce."), _l("Not a valid integer value."),
    _l("Not a valid float value."), _l("Not a valid decimal value."), _l("Not a valid date value."),
    _l("Not a valid datetime value."), _l("Not a valid time value."), _l("Invalid input."),
    _l("This field is required."),
)


class Form(FlaskForm):
    """The base of every form here: WTForms' built-in messages in the user's language."""

    class Meta:
        def get_translations(self, form):
            return _BabelTranslations()


def apply_violation(form: FlaskForm, violation, default_field: str) -> None:
    """Show a domain rule's refusal next to the field it concerns."""
    field = getattr(form, violation.field or "", None) or getattr(form, default_field)
    field.errors = list(field.errors) + [str(violation.message)]


class EmptyForm(Form):
    """A one-button POST: only the CSRF token."""


# Each language is named in its own words, so anyone can find theirs.
LANGUAGE_CHOICES = [("vi", "Tiếng Việt"), ("en", "English")]


class LanguageForm(Form):
    locale = StringField(validators=[AnyOf([code for code, _name in LANGUAGE_CHOICES])])
    next = HiddenField()
