"""Times that come from a phone: when is "now", how far back an entry may go, positions."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from . import RuleViolation

# Phone clocks drift; an entry a little "in the future" is a slow server or a fast phone.
CLOCK_SKEW = timedelta(minutes=2)
OLDEST_ENTRY = timedelta(days=7)


def parse_moment(value, field: str = "occurred_at") -> datetime:
    """An ISO 8601 time with its UTC offset, as the phone sends it."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise RuleViolation(_l("Not a valid time."), field=field, code="bad_time") from None
    if moment.tzinfo is None:
        raise RuleViolation(_l("The time needs its UTC offset."), field=field, code="bad_time")
    return moment


def check_occurred_at(moment: datetime, now: datetime, field: str = "occurred_at") -> datetime:
    """Not in the future, not older than seven days."""
    if moment > now + CLOCK_SKEW:
        raise RuleViolation(_l("The time cannot be in the future."), field=field, code="future_time")
    if moment < now - OLDEST_ENTRY:
        raise RuleViolation(_l("The time cannot be more than 7 days ago."), field=field, code="too_old")
    return moment


def check_position(lat, lng) -> tuple[float | None, float | None]:
    """Both or neither; numbers within the globe."""
    if lat is None and lng is None:
        return None, None
    if lat is None or lng is None:
        raise RuleViolation(_l("Give both latitude and longitude, or neither."), field="lat", code="half_position")
    if isinstance(lat, bool) or isinstance(lng, bool):  # JSON true/false would pass float() as 1.0/0.0
        raise RuleViolation(_l("Not a valid position."), field="lat", code="bad_position")
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON integer like 10**400
        raise RuleViolation(_l("Not a valid position."), field="lat", code="bad_position") from None
    if not (math.isfinite(lat) and math.isfinite(lng)):
        raise RuleViolation(_l("Not a valid position."), field="lat", code="bad_position")
    if not -90 <= lat <= 90:
        raise RuleViolation(_l("Latitude must be between -90 and 90."), field="lat", code="bad_position")
    if not -180 <= lng <= 180:
        raise RuleViolation(_l("Longitude must be between -180 and 180."), field="lng", code="bad_position")
    return lat, lng


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> int:
    """Great-circle distance in metres (haversine); plenty for "is the volunteer at the post"."""
    radius = 6_371_000
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = math.radians(lat2 - lat1), math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return round(2 * radius * math.asin(math.sqrt(a)))
