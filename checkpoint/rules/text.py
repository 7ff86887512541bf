"""Cleaning of free text typed by people: what every form and the API accept."""
from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l

from . import RuleViolation

# Tab and newline are fine in multi-line text; every other control character is refused.
_ALLOWED_CONTROLS = {"\n", "\t"}


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = True,
               multiline: bool = False) -> str:
    """NFC-normalise and trim; refuse control characters, empty required text and overlong text."""
    text = unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n")).strip()
    allowed = _ALLOWED_CONTROLS if multiline else set()
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
        raise RuleViolation(_l("Contains characters that are not allowed."), field=field, code="control_chars")
    if required and not text:
        raise RuleViolation(_l("This field is required."), field=field, code="required")
    if len(text) > max_length:
        raise RuleViolation(_l("At most %(n)d characters.", n=max_length), field=field, code="too_long")
    return text
