"""The data model of PRODUCT §3, one module per aggregate."""
from .activity import Activity
from .duty import Attendance, Handover, handover_observation
from .observation import CATEGORIES, SEVERITIES, STATUSES, Comment, Observation, Photo
from .roster import Shift, ShiftPattern, shift_assignment
from .types import UTCDateTime, utcnow
from .user import LOCALES, ROLES, User, checkpoint_member
from .ward import Checkpoint, Ward

__all__ = [
    "Activity", "Attendance", "CATEGORIES", "Checkpoint", "Comment", "Handover", "LOCALES", "Observation",
    "Photo", "ROLES", "SEVERITIES", "STATUSES", "Shift", "ShiftPattern", "UTCDateTime", "User", "Ward", "checkpoint_member",
    "handover_observation", "shift_assignment", "utcnow",
]
