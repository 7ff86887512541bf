"""A person's own shifts (list and print), and the private calendar feed with its link."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms import EmptyForm
from ..localtime import to_local
from ..models import Shift, utcnow
from ..policy import public, signed_in
from ..rules import calendar as rules
from . import bp
from .ics import Event, vcalendar

PRODUCT = "-//So truc chot//Calendar feed 1.0//VI"


@bp.get("/me/shifts")
@signed_in
def my_shifts():
    """The signed-in person's own shifts, at every checkpoint: coming ones and the last two weeks.
    Prints on A4; offers the private calendar link."""
    now = utcnow()
    return render_template("calendar/my_shifts.html", shifts=rules.my_shifts(current_user, now), now=now,
                           form=EmptyForm(), subscribed=current_user.calendar_token is not None,
                           weekday=lambda moment: format_date(to_local(moment).date(), "EEEE"))


@bp.post("/me/calendar")
@signed_in
def subscribe():
    """Make the private feed link (a new one replaces the old, which stops working) and show it,
    this once: only its digest is kept."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    token = rules.issue_calendar_token(current_user, utcnow())
    db.session.commit()
    feed = url_for("calendar.feed", token=token, _external=True)
    webcal = "webcal://" + feed.split("://", 1)[1]
    return render_template("calendar/subscribed.html", feed=feed, webcal=webcal, form=EmptyForm())


@bp.post("/me/calendar/revoke")
@signed_in
def revoke():
    """Stop the private feed link: calendars subscribed to it get nothing more."""
    form = EmptyForm()
    if form.validate_on_submit() and rules.revoke_calendar_token(current_user, utcnow()):
        db.session.commit()
        flash(_("The calendar link no longer works. Calendars that used it will stop updating."), "success")
    return redirect(url_for("calendar.my_shifts"))


@bp.get("/calendar/<token>.ics")
@public
def feed(token: str):
    """The person's shifts as an iCalendar feed, for Google Calendar, an iPhone or Outlook to
    subscribe to. The token in the URL is the only key, so an unknown one is a plain 404."""
    person = rules.person_for_calendar_token(token)
    if person is None:
        abort(404)
    now = utcnow()
    host = request.host.split(":")[0]
    with force_locale(person.locale):
        events = [_event(shift, host) for shift in rules.feed_shifts(person, now)]
        text = vcalendar(_("Shifts · %(name)s", name=person.full_name), events, now, PRODUCT)
    return Response(text, content_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": 'inline; filename="ca-truc.ics"',
        "Cache-Control": "private, no-store",
        "X-Robots-Tag": "noindex",
    })


def _event(shift: Shift, host: str) -> Event:
    """One shift as a calendar event, in the feed owner's language. Only the place and the ward's
    duty phone go into it, not the team's names: the feed is stored by the calendar provider."""
    checkpoint = shift.checkpoint
    ward = checkpoint.ward
    lines = [f"{ward.name} · {checkpoint.code} · {checkpoint.name}"]
    if ward.duty_phone:
        lines.append(_("Ward police duty phone: %(phone)s", phone=ward.duty_phone))
    location = ", ".join(part for part in (checkpoint.address, ward.name) if part)
    return Event(uid=f"shift-{shift.id}@{host}", starts_at=shift.starts_at, ends_at=shift.ends_at,
                 summary=_("Shift · %(checkpoint)s", checkpoint=checkpoint.name),
                 location=location, description="\n".join(lines),
                 url=url_for("calendar.my_shifts", _external=True))
