"""The app shell the service worker keeps on the phone: which files, and one version for them all."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path

from ..config import ROOT

# Besides static/, what the precached offline page is made of, and the worker itself: a change to
# any of them is a new shell.
SHELL_SOURCES = ("templates/pwa/offline.html", "templates/pwa/sw.js",
                 "checkpoint/translations/vi/LC_MESSAGES/messages.po",
                 "checkpoint/translations/en/LC_MESSAGES/messages.po")
NOT_SHELL = (".py", ".pyc")
# Desk screens (board, roster, reports, admin, the QR poster's print.css) are never used offline, and
# the install icons (the manifest's and the apple-touch-icon) are fetched by the browser itself when
# it installs the app: keeping them would only make a phone's first visit heavier. tests/test_pwa.py
# checks that every file a volunteer page uses is kept.
NOT_ON_THE_PHONE = frozenset({
    "css/admin.css", "css/attendance.css", "css/audit.css", "css/board.css", "css/police.css",
    "css/print.css", "css/reports.css", "css/roster.css", "css/roster-print.css", "css/ward.css",
    "js/board.js", "js/map-picker.js", "js/copy.js", "js/print.js",
    "icons/apple-touch-icon-180.png", "icons/icon-192.png", "icons/icon-512.png", "icons/icon-maskable-512.png",
})


@dataclass(frozen=True)
class Shell:
    version: str
    static_files: tuple[str, ...]  # relative to static/, "/"-separated
    # Short content hash of every static file: its URL carries it (?v=…), so it can be cached forever.
    fingerprints: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def phone_files(self) -> tuple[str, ...]:
        """What the service worker keeps on the phone."""
        return tuple(name for name in self.static_files if name not in NOT_ON_THE_PHONE)


def static_files(static_folder: Path) -> list[str]:
    """Every file under static/ the phone keeps: CSS, scripts, icons, fonts (not the icon script)."""
    root = Path(static_folder)
    names = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and path.suffix not in NOT_SHELL and not any(
                part.startswith(".") or part == "__pycache__" for part in relative.parts):
            names.append(relative.as_posix())
    return sorted(names)


def shell_version(root: Path, files: Iterable[str], salt: str = "") -> str:
    """A hash of the files' names and contents: the same files give the same version in every app
    process, and any change to them gives a new one."""
    digest = sha256(salt.encode())
    for name in sorted(files):
        content = (Path(root) / name).read_bytes()
        digest.update(f"\0{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()[:16]


def build_shell(static_folder: str | Path, salt: str = "", root: Path = ROOT) -> Shell:
    """Computed once when the app starts: hashing on every request would read every file."""
    static = Path(static_folder)
    names = static_files(static)
    sources = [str((static / name).relative_to(root)) for name in names]
    sources += [name for name in SHELL_SOURCES if (root / name).is_file()]
    fingerprints = {name: sha256((static / name).read_bytes()).hexdigest()[:10] for name in names}
    return Shell(version=shell_version(root, sources, salt), static_files=tuple(names), fingerprints=fingerprints)
