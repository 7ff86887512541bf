"""Build the world in a line: wards, checkpoints and people, through the real rules."""
from __future__ import annotations

import itertools

from werkzeug.security import generate_password_hash

from checkpoint.extensions import db
from checkpoint.models import Checkpoint, User, Ward
from checkpoint.rules.accounts import create_user
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
