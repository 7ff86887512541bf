"""Login, logout and password views."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import db, limiter
from ..forms import EmptyForm, apply_violation
from ..localtime import format_time
from ..policy import public, signed_in
from ..rules import RuleViolation
from ..rules.accounts import change_password, find_by_phone, normalize_phone
from ..rules.activity import record
from ..web import safe_next
from . import bp
from .forms import LoginForm, PasswordForm


def _login_failed(_response) -> bool:
    """Only failed attempts count against the limits; a person who logs in is not throttled."""
    return bool(g.get("login_failed"))


def _phone_key() -> str:
    raw = (request.form.get("phone") or "")[:32]
    try:
        return "phone:" + normalize_phone(raw)
    except RuleViolation:
        return "phone:" + raw.strip()


def _too_many_attempts(limit):
    """Re-show the login form with the time the lock ends, instead of a bare 429."""
    form = LoginForm()
    until = datetime.fromtimestamp(limit.reset_at, timezone.utc)
    form.phone.errors = [_("Too many failed attempts. Try again after %(time)s.", time=format_time(until))]
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(max(1, int(limit.reset_at - datetime.now(timezone.utc).timestamp())))
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=_login_failed, on_breach=_too_many_attempts)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_PHONE"], key_func=_phone_key, methods=["POST"],
               deduct_when=_login_failed, on_breach=_too_many_attempts)
def login():
    """Log in with a phone number and password."""
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = find_by_phone(form.phone.data)
        if user is not None and user.check_password(form.password.data):
            if not user.active:
                form.phone.errors.append(_("This account has been deactivated. Ask your team leader."))
            else:
                # A fresh session on login: nothing planted before it survives (session fixation).
                session.clear()
                login_user(user, remember=form.remember.data)
                record("user.login", actor=user, ward_id=user.ward_id, subject=user)
                db.session.commit()
                return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
        else:
            form.password.errors.append(_("Wrong phone number or password."))
        g.login_failed = True
    elif request.method == "POST":
        g.login_failed = True
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@public
def logout():
    """End the session and forget the remember-me cookie."""
    form = EmptyForm()
    user = current_user._get_current_object() if current_user.is_authenticated else None
    # Clear first: logout_user() leaves a note in the session that makes Flask-Login delete the
    # remember-me cookie, and clearing afterwards would wipe that note and keep the cookie alive.
    session.clear()
    if form.validate_on_submit() and user is not None:
        # Sessions are signed cookies, not server records: a copy of this cookie (or of the
        # remember-me cookie) would stay valid after logout unless the account's session version
        # moves on. That ends the person's other sessions too (docs/decisions.md).
        user.end_sessions()
        record("user.logout", actor=user, ward_id=user.ward_id, subject=user)
        db.session.commit()
        logout_user()
    flash(_("You have logged out."), "info")
    response = redirect(url_for("auth.login"))
    # Nothing this person saw stays in the browser's cache for the next person on the phone.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def password():
    """Change one's own password; other sessions of the account end."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, current=form.current_password.data, new=form.new_password.data)
        except RuleViolation as violation:
            db.session.rollback()
            apply_violation(form, violation, "new_password")
        else:
            db.session.commit()
            remember = current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies
            login_user(current_user._get_current_object(), remember=remember)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("web.home"))
    return render_template("auth/password.html", form=form), 422 if form.errors else 200
