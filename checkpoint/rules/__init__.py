"""The domain rules: plain functions over models and an explicit `now`.

They raise RuleViolation, flush but never commit, and never touch `request`.
"""
from __future__ import annotations


class RuleViolation(Exception):
    """A rule said no. `message` is a lazy translated string; `field` names the input at fault."""

    def __init__(self, message, *, field: str | None = None, code: str = "invalid"):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code
