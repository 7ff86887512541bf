"""Extract new strings, then fill Vietnamese translations from a JSON file {msgid: msgstr}.

    .venv/bin/python tools/fill_translations.py my-strings.json

Holds a lock so that several people (or helpers) working in one checkout never overwrite each
other's catalogue edits; compiles the catalogues at the end so the app sees them at once."""
import fcntl
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "checkpoint/translations/vi/LC_MESSAGES/messages.po"


def main(paths: list[str]) -> None:
    with open("/tmp/checkpoint-po.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["make", "-s", "messages"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        with PO.open("rb") as f:
            catalogue = read_po(f)
        wanted = {}
        for path in paths:
            wanted.update(json.loads(Path(path).read_text(encoding="utf-8")))
        missing = []
        for message in catalogue:
            key = message.id if isinstance(message.id, str) else message.id[0]
            if not key:
                continue
            if key in wanted:
                value = wanted[key]
                message.string = tuple(value) if isinstance(message.id, tuple) else value
                message.flags.discard("fuzzy")
            elif not message.string or (isinstance(message.string, tuple) and not all(message.string)):
                missing.append(key)
        with PO.open("wb") as f:
            write_po(f, catalogue, width=100, omit_header=False, sort_output=True, include_lineno=False)
        subprocess.run(["make", "-s", "translations"], cwd=ROOT, check=True)
    for key in missing:
        print("untranslated:", key)


if __name__ == "__main__":
    main(sys.argv[1:])
