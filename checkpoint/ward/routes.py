"""Ward views: the overview of a ward's checkpoints and their QR check-in posters."""
import qrcode
import qrcode.image.svg
from flask import abort, render_template, url_for
from flask_babel import force_locale
from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..models import Checkpoint, Ward, utcnow
from ..policy import authorize, roles
from ..rules.attendance import qr_token
from ..rules.shifts import current_or_next_shift
from . import bp


def ward_or_404(code: str) -> Ward:
    ward = db.session.scalar(select(Ward).where(Ward.code == code.upper()))
    if ward is None:
        abort(404)
    return ward


@bp.get("/<code>")
@roles("coordinator", "police", "admin")
def overview(code: str):
    """Every checkpoint of the ward with its members and its current or next shift."""
    ward = ward_or_404(code)
    authorize("ward.view", ward)
    now = utcnow()
    posts = [(c, current_or_next_shift(c, now)) for c in ward.checkpoints]
    return render_template("ward/overview.html", ward=ward, posts=posts, now=now)


@bp.get("/<code>/checkpoints/<int:checkpoint_id>/poster")
@roles("coordinator", "admin")
def qr_poster(code: str, checkpoint_id: int):
    """The A4 QR check-in poster for the checkpoint's wall, always in Vietnamese."""
    ward = ward_or_404(code)
    checkpoint = db.session.get(Checkpoint, checkpoint_id)
    if checkpoint is None or checkpoint.ward_id != ward.id:
        abort(404)
    authorize("ward.manage", ward)
    target = url_for("volunteer.qr_check_in", token=qr_token(checkpoint), _external=True)
    picture = qrcode.make(target, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    # Sized by the stylesheet, not by the library's millimetres.
    svg = picture.to_string(encoding="unicode").replace('width="', 'data-width="').replace('height="', 'data-height="')
    with force_locale("vi"):
        return render_template("ward/qr_poster.html", ward=ward, checkpoint=checkpoint, qr=Markup(svg),
                               target=target)
