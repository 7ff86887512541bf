"""Build the world in a line: wards, checkpoints and people, through the real rules."""
from __future__ import annotations

import io
import itertools
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image
from werkzeug.security import generate_password_hash

from checkpoint.extensions import db
from checkpoint.models import Checkpoint, Observation, Shift, User, Ward, utcnow
from checkpoint.rules.accounts import create_user
from checkpoint.rules.handovers import write_handover
from checkpoint.rules.observations import log_observation
from checkpoint.rules.photos_store import store_photo
from checkpoint.rules.wards import add_checkpoint, add_ward

PASSWORD = "password123"
# A cheap hash keeps the suite fast; real accounts get scrypt through User.set_password.
_CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
_phones = itertools.count(1)


class Factory:
    def ward(self, code: str = "P4", name: str | None = None) -> Ward:
        ward = add_ward(code=code, name=name or f"Phường {code}")
        db.session.commit()
        return ward

    def checkpoint(self, ward: Ward, code: str = "C01", name: str | None = None, **fields) -> Checkpoint:
        checkpoint = add_checkpoint(ward=ward, code=code, name=name or f"Chốt {code}", **fields)
        db.session.commit()
        return checkpoint

    def user(self, role: str = "volunteer", ward: Ward | None = None, checkpoints=(), phone: str | None = None,
             name: str | None = None, locale: str = "vi", password: str = PASSWORD) -> User:
        phone = phone or f"09{next(_phones) + 10_000_000:08d}"
        secret = {"password_hash": _CHEAP_HASH} if password == PASSWORD else {"password": password}
        user = create_user(phone=phone, full_name=name or f"Người dùng {phone[-4:]}", role=role, ward=ward,
                           checkpoints=checkpoints, locale=locale, **secret)
        db.session.commit()
        return user

    def volunteer(self, checkpoint: Checkpoint, **kwargs) -> User:
        return self.user("volunteer", ward=checkpoint.ward, checkpoints=[checkpoint], **kwargs)

    def shift(self, checkpoint: Checkpoint, starts_at: datetime, hours: float = 4, volunteers=()) -> Shift:
        """A planned shift; `starts_at` is aware (use `local(...)` for wall-clock times in the ward)."""
        shift = Shift(checkpoint_id=checkpoint.id, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours))
        shift.volunteers = list(volunteers)
        db.session.add(shift)
        db.session.commit()
        return shift

    def observation(self, checkpoint: Checkpoint, author: User, now: datetime | None = None, **fields) -> Observation:
        now = now or utcnow()
        values = {"category": "suspicious", "severity": "info", "text": "Hai thanh niên lạ mặt đứng lâu ở đầu hẻm"}
        values.update(fields)
        observation, _created = log_observation(author, checkpoint, uuid=uuid.uuid4(), occurred_at=now, now=now,
                                                **values)
        db.session.commit()
        return observation

    def photo(self, author: User, now: datetime | None = None):
        photo, _created = store_photo(author, uuid=uuid.uuid4(), raw=jpeg_bytes(), now=now or utcnow())
        db.session.commit()
        return photo

    def duty_records(self, checkpoint: Checkpoint, writer: User) -> dict:
        """An observation with a photo and a handover at `checkpoint`, written by `writer`."""
        now = utcnow()
        photo = self.photo(writer, now)
        observation = self.observation(checkpoint, writer, now, photo_uuid=photo.uuid)
        handover, _created = write_handover(writer, checkpoint, uuid=uuid.uuid4(), occurred_at=now, now=now,
                                            summary="Ca trực yên tĩnh.", equipment=[])
        db.session.commit()
        return {"photo": photo, "observation": observation, "handover": handover}


def jpeg_bytes(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Ho Chi Minh City."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
