"""Who may do what. Every view declares its access with one of the decorators here.

`can(user, action, thing)` answers scope questions; the decorators answer role questions and
mark the view so that the role-matrix test can tell a route nobody thought about.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from .extensions import login_manager

from .models import ROLES, User, Ward

WARD_ROLES = ("coordinator", "police")


def _ward_id(thing) -> int | None:
    if isinstance(thing, Ward):
        return thing.id
    return getattr(thing, "ward_id", None)


def can(user: User, action: str, thing=None) -> bool:
    """The one place that knows the scopes of PRODUCT §2."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.role == "admin":
        return True
    if action == "ward.view":  # the ward overview and, later, the board, roster and reports
        return user.role in WARD_ROLES and user.ward_id == _ward_id(thing)
    if action == "ward.manage":  # checkpoints, volunteers, rosters
        return user.role == "coordinator" and user.ward_id == _ward_id(thing)
    if action == "checkpoint.read":  # the checkpoint log
        if user.role in WARD_ROLES:
            return user.ward_id == _ward_id(thing)
        return user.role == "volunteer" and user.belongs_to(thing)
    if action == "checkpoint.duty":  # check in, log, hand over: volunteers of it, coordinators of the ward
        if user.role == "coordinator":
            return user.ward_id == _ward_id(thing)
        return user.role == "volunteer" and user.belongs_to(thing)
    if action == "person.manage":  # edit, reset the password of, deactivate a person: coordinators only volunteers
        return user.role == "coordinator" and thing.role == "volunteer" and user.ward_id == thing.ward_id
    if action == "observation.police":  # acknowledge, resolve, comment
        return user.role == "police" and user.ward_id == _ward_id(getattr(thing, "checkpoint", thing))
    return False


def authorize(action: str, thing) -> None:
    """Abort with 404 when the thing is outside the user's scope: it does not exist for them."""
    if not can(current_user, action, thing):
        abort(404)


def _mark(view: Callable, access: str) -> Callable:
    view._access = access  # read by tests/test_access.py
    return view


def public(view: Callable) -> Callable:
    """Anyone, logged in or not."""
    return _mark(view, "public")


def roles(*allowed: str) -> Callable[[Callable], Callable]:
    """Only logged-in users with one of these roles; others get 403, anonymous users the login page."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return _mark(wrapped, "roles:" + ",".join(allowed))

    return decorator


def signed_in(view: Callable) -> Callable:
    """Any logged-in, active user."""
    return roles(*ROLES)(view)
