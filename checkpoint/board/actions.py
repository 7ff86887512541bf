"""Police actions on one observation, from the board and from its page: acknowledge, resolve, comment.

htmx requests get the observation's card back (board/_observation.html), errors shown in it;
plain requests go back to the observation page, so everything works without JavaScript.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms import apply_violation
from ..models import Observation, utcnow
from ..policy import authorize, roles
from ..rules import RuleViolation, police
from . import bp
from .forms import AcknowledgeForm, CommentForm, PoliceForm, ResolveForm
from .maps import osm_link, small_map

POLICE = ("police", "admin")

# The observation page draws its map and its "open in a map" link with these.
bp.add_app_template_global(small_map)
bp.add_app_template_global(osm_link)


@bp.post("/observations/<int:observation_id>/acknowledge")
@roles(*POLICE)
def acknowledge(observation_id: int):
    """Tiếp nhận: the ward police have seen the observation."""
    observation = police_observation(observation_id)
    form = AcknowledgeForm()
    return act(observation, form, lambda: police.acknowledge(current_user, observation, now=utcnow()),
               done=_("Acknowledged."))


@bp.post("/observations/<int:observation_id>/resolve")
@roles(*POLICE)
def resolve(observation_id: int):
    """Xử lý xong, with a note saying how; an open observation is acknowledged at the same time."""
    observation = police_observation(observation_id)
    form = ResolveForm()
    return act(observation, form,
               lambda: police.resolve(current_user, observation, note=form.note.data, now=utcnow()),
               done=_("Resolved."), field="note", slot="resolve_form")


@bp.post("/observations/<int:observation_id>/comment")
@roles(*POLICE)
def comment(observation_id: int):
    """A police follow-up on the observation; the volunteers read it in the checkpoint log."""
    observation = police_observation(observation_id)
    form = CommentForm()
    return act(observation, form, lambda: police.add_comment(current_user, observation, text=form.text.data,
                                                             now=utcnow()),
               done=_("Comment added."), field="text", slot="comment_form")


def police_observation(observation_id: int) -> Observation:
    """The observation, if it is in this officer's ward; anything else does not exist for them."""
    observation = db.session.get(Observation, observation_id)
    if observation is None:
        abort(404)
    authorize("observation.police", observation)
    return observation


def act(observation: Observation, form: PoliceForm, rule: Callable[[], object], *, done: str,
        field: str | None = None, slot: str | None = None):
    """Validate the form, run the rule, commit; then answer htmx with the card, others with the page."""
    htmx = bool(request.headers.get("HX-Request"))
    on_page = form.shown_on.data == "page"
    problem = None
    if form.validate_on_submit():
        try:
            rule()
        except RuleViolation as violation:
            db.session.rollback()
            if field is not None and violation.field == field:
                apply_violation(form, violation, field)
            else:  # refused as a whole (another officer was quicker): said on the card, not by a field
                problem = str(violation.message)
        else:
            db.session.commit()
            form = None  # done: the card comes back with empty fields
            if not htmx:
                flash(done, "success")
                return redirect(url_for("volunteer.observation", observation_id=observation.id), 303)
    forms = {slot: form} if slot and form is not None else {}
    if htmx:
        body = render_template("board/_observation.html", observation=observation, on_page=on_page,
                               card_problem=problem, **forms)
        return body, 200, {"Vary": "HX-Request"}
    if problem is not None:
        flash(problem, "error")
        return redirect(url_for("volunteer.observation", observation_id=observation.id), 303)
    # Without JavaScript the page itself comes back, with the error next to the field.
    page = render_template("volunteer/observation.html", observation=observation.corrects or observation, **forms)
    return page, 200, {"Vary": "HX-Request"}
