"""The app's URL map for tests that must cover every route, including routes added later."""
from __future__ import annotations

import re
from urllib.parse import quote

from checkpoint import create_app

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def rules():
    """Every rule but the static files, from an app that needs no database."""
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"),
                  key=lambda rule: (rule.rule, rule.endpoint))


def converters(rule) -> dict[str, str]:
    """{argument: converter name} of a rule, e.g. {"code": "default", "checkpoint_id": "int"}."""
    return {m["name"]: m["converter"] or "default" for m in _ARGUMENT.finditer(rule.rule)}


def build(rule, values: dict) -> str:
    """The rule's URL with each argument replaced by its value."""
    return _ARGUMENT.sub(lambda m: quote(str(values[m["name"]]), safe=""), rule.rule)


def roles_of(app, endpoint: str) -> tuple[str, ...]:
    """The roles a view's policy decorator admits; () for public views."""
    access = getattr(app.view_functions[endpoint], "_access", "public")
    return tuple(access.removeprefix("roles:").split(",")) if access.startswith("roles:") else ()
