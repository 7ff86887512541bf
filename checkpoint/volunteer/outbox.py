"""What static/js/outbox.js needs from the server: its words in the user's language, URLs, the clock."""
from __future__ import annotations

import json
from hashlib import sha256

from flask import current_app, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from ..localtime import to_local
from ..models import utcnow
from . import bp
from .forms import CATEGORY_LABELS


def outbox_config() -> dict:
    """What the script is given (`outbox_script`); it has no words of its own, so everything it
    shows is translated here."""
    offset = to_local(utcnow()).utcoffset()
    return {
        "urls": {"sync": url_for("api.sync"), "photos": url_for("api.photo"), "session": url_for("api.session_info"),
                 "login": url_for("auth.login"), "home": url_for("volunteer.my_shift")},
        "timezone": current_app.config["TIMEZONE"],
        # For a day and time typed on the form: the ward's offset now (Vietnam has no summer time).
        "utcOffsetMinutes": int(offset.total_seconds() // 60) if offset else 0,
        "categories": {code: str(label) for code, label in CATEGORY_LABELS.items()},
        "kinds": {"check_in": _("Check in"), "check_out": _("Check out"), "observation": _("Observation"),
                  "handover": _("Handover"), "handover_accept": _("Accept the handover")},
        "text": {
            "waiting": _("waiting to send"),
            "saving": _("Saving…"),
            "sending": _("Sending…"),
            "sent": _("Sent."),
            "queued": _("Saved on this phone. It will be sent as soon as there is a connection."),
            "offline": _("No connection. Entries stay on this phone and are sent when the connection returns."),
            "retrying": _("The server did not answer. Trying again shortly."),
            "login": _("Your session has ended. Log in again to send."),
            "otherPerson": _("This phone is now logged in as someone else. Log in again to send."),
            "forbidden": _("This account cannot send entries."),
            "withPhoto": _("with photo"),
            "photoKept": _("The photo chosen before is kept unless you choose another."),
            "discardConfirm": _("Discard this entry? It has not reached the server and will be lost."),
            "logoutConfirm": _("%(n)s entries have not been sent yet. They stay on this phone and are sent when "
                               "you log in again. Log out anyway?", n="{n}"),
            "photoBusy": _("The photo is still being prepared. Try again in a moment."),
            "home": _("My shift"),
            "badTime": _("Write the time as HH:MM, e.g. 21:45."),
            "required": {"category": _("Choose what happened."), "text": _("Write what you saw."),
                         "summary": _("Write a short summary of the shift."),
                         "remark": _("Say what is wrong with: %(item)s.", item="{item}")},
        },
    }


def outbox_script(lang: str) -> str:
    """The config as a script, one per language, the same for everyone: every duty page loads it
    before outbox.js, and the service worker keeps it with the shell. A file of its own, not JSON in
    each page, so that a phone downloads the words once, not with every page it opens or keeps."""
    with force_locale(lang):
        config = json.dumps(outbox_config(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # JSON is JavaScript, except that browsers older than ES2019 end a line at U+2028/2029 in a string.
    config = config.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'"use strict";\nself.OutboxConfig = {config};\n'


def fingerprint(script: str) -> str:
    """A hash of the script's content: a new text is a new URL, so the browser may keep one for a year."""
    return sha256(script.encode()).hexdigest()[:10]


def outbox_script_url(lang: str | None = None) -> str:
    """The script's address in a language, with its fingerprint (pwa.outbox_words)."""
    lang = lang or str(get_locale())
    return url_for("pwa.outbox_words", lang=lang, v=fingerprint(outbox_script(lang)))


def offline_pages(checkpoints) -> list[str]:
    """The forms and logs a volunteer needs without a connection; the service worker keeps them."""
    pages = [url_for("volunteer.urgent")]
    for checkpoint in checkpoints:
        pages += [url_for(endpoint, checkpoint_id=checkpoint.id)
                  for endpoint in ("volunteer.observe", "volunteer.check_out_view", "volunteer.log")]
    return pages


@bp.app_context_processor
def outbox_context():
    return {"outbox_script_url": outbox_script_url, "offline_pages": offline_pages}
