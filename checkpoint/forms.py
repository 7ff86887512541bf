"""Forms and validators shared by every area."""
from __future__ import annotations

import unicodedata

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


def apply_violation(form: FlaskForm, violation, default_field: str) -> None:
    """Show a domain rule's refusal next to the field it concerns."""
    field = getattr(form, violation.field or "", None) or getattr(form, default_field)
    field.errors = list(field.errors) + [str(violation.message)]


class EmptyForm(FlaskForm):
    """A one-button POST: only the CSRF token."""


# Each language is named in its own words, so anyone can find theirs.
LANGUAGE_CHOICES = [("vi", "Tiếng Việt"), ("en", "English")]


class LanguageForm(FlaskForm):
    locale = StringField(validators=[AnyOf([code for code, _name in LANGUAGE_CHOICES])])
    next = HiddenField()
