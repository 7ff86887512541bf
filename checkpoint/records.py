"""The operator's records commands: backup, restore, purge and verify-log."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import URL

from .extensions import db
from .localtime import to_local
from .models import utcnow
from .rules import RuleViolation
from .rules.chain import verify_chain
from .rules.retention import plan_purge, purge, remove_files
from .sqlite import WRITE_LOCK


# -- backup ---------------------------------------------------------------------------------------

@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-photos", is_flag=True, help="Copy only the database; print the rsync line for the photos.")
def backup(path: Path, no_photos: bool):
    """Write a consistent copy of the live database to PATH, and the photos to PATH.photos/."""
    photos = _photos_copy(path)
    if path.exists() or photos.exists():
        raise click.ClickException(f"{path if path.exists() else photos} already exists; choose a new name")
    if not path.parent.is_dir():
        raise click.ClickException(f"no folder {path.parent}")
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(_sqlite_file(url), path)
    else:
        _pg_dump(url, path)
    click.echo(f"database copied to {path}")
    photo_dir = Path(current_app.config["PHOTO_DIR"])
    if no_photos:
        click.echo(f"photos not copied; keep them with: rsync -a {photo_dir}/ <backup place>/photos/")
    else:
        click.echo(f"{_copy_photos(photo_dir, photos)} photos copied to {photos}/")


def _photos_copy(path: Path) -> Path:
    return path.with_name(path.name + ".photos")


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise click.ClickException("the database is in memory; there is nothing to copy")
    return Path(url.database)


def _sqlite_backup(source: Path, path: Path) -> None:
    """SQLite's online backup API copies every page in one step under a read transaction: a
    consistent snapshot, while the app keeps writing (WAL lets writers go on beside a reader)."""
    part = path.with_name(path.name + ".part")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(part)
    try:
        src.backup(dst)
        verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if verdict != "ok":
        part.unlink()
        raise click.ClickException(f"the copy failed its integrity check: {verdict}")
    _settle(part, path)


def _settle(part: Path, path: Path) -> None:
    """Give the finished copy its name without ever replacing a file (a link fails if one exists)."""
    try:
        os.link(part, path)
    except FileExistsError:
        raise click.ClickException(f"{path} already exists; choose a new name") from None
    finally:
        part.unlink(missing_ok=True)


def _pg_dump(url: URL, path: Path) -> None:
    part = path.with_name(path.name + ".part")
    schema = _search_path(url)
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={part}"]
    command += [f"--schema={schema}"] if schema else []
    _run(command + [url.database or ""], url, 'pg_dump --format=custom --no-owner --file=FILE "$DATABASE_URL"')
    _settle(part, path)


def _run(command: list[str], url: URL, manual: str) -> None:
    """Run a PostgreSQL client tool with the connection in the environment (a password on the
    command line would show in `ps`)."""
    if shutil.which(command[0]) is None:
        raise click.ClickException(f"{command[0]} is not installed (Debian: postgresql-client); run by hand: {manual}")
    env = dict(os.environ)
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password)):
        if value is not None:
            env[key] = str(value)
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        for file in command:
            if file.startswith("--file="):
                Path(file[len("--file="):]).unlink(missing_ok=True)
        message = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise click.ClickException(f"{command[0]} failed: {message}")


def _search_path(url: URL) -> str | None:
    """The schema named in the URL's `options=-csearch_path=…`, if any (the tests use one per run)."""
    options = url.query.get("options", "")
    options = options[0] if isinstance(options, tuple) else options
    for part in options.split():
        if part.startswith("-csearch_path="):
            return part.split("=", 1)[1].split(",")[0]
    return None


def _copy_photos(photo_dir: Path, target: Path) -> int:
    target.mkdir()
    copied = 0
    if photo_dir.is_dir():
        for file in sorted(photo_dir.glob("*.jpg")):
            shutil.copy2(file, target / file.name)
            copied += 1
    return copied


# -- restore --------------------------------------------------------------------------------------

@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(path: Path):
    """Load a backup made by `backup` into an empty database (and its photos from PATH.photos/)."""
    full = _tables_with_rows()
    if full:
        raise click.ClickException(f"the database is not empty ({', '.join(full[:3])} hold rows); "
                                   "restore only into an empty database")
    url = db.engine.url
    db.session.remove()
    if url.get_backend_name() == "sqlite":
        _sqlite_restore(path, _sqlite_file(url))
    else:
        _pg_restore(url, path)
    db.engine.dispose()
    upgrade(directory=current_app.extensions["migrate"].directory)  # an older backup meets today's schema
    click.echo(f"database restored from {path}")
    photos = _photos_copy(path)
    if photos.is_dir():
        click.echo(f"{_restore_photos(photos, Path(current_app.config['PHOTO_DIR']))} photos restored")


def _tables_with_rows() -> list[str]:
    names = [n for n in inspect(db.engine).get_table_names() if n != "alembic_version"]
    tables = [t for t in db.metadata.sorted_tables if t.name in names]
    return [t.name for t in tables if db.session.scalar(select(func.count()).select_from(t)) > 0]


def _sqlite_restore(path: Path, target: Path) -> None:
    try:
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        verdict = src.execute("PRAGMA integrity_check").fetchone()[0]
        ours = src.execute("SELECT count(*) FROM sqlite_master WHERE name IN ('alembic_version', 'activity')"
                           ).fetchone()[0] == 2
    except sqlite3.DatabaseError as error:
        raise click.ClickException(f"{path} is not an SQLite backup: {error}") from None
    if verdict != "ok" or not ours:
        src.close()
        raise click.ClickException(f"{path} is not a backup of this application's database")
    revision = src.execute("SELECT version_num FROM alembic_version").fetchone()
    if revision is not None and not _known_revision(revision[0]):
        src.close()
        raise click.ClickException(f"{path} comes from a newer version of the application "
                                   f"(schema {revision[0]}); update the application first")
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # replaces every page of the (empty) target, schema included
    finally:
        dst.close()
        src.close()


def _known_revision(revision: str) -> bool:
    scripts = ScriptDirectory(current_app.extensions["migrate"].directory)
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def _pg_restore(url: URL, path: Path) -> None:
    # --clean --if-exists drops the empty tables init-db may have made; one transaction, all or nothing.
    command = ["pg_restore", "--no-owner", "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
               f"--dbname={url.database}", str(path)]
    _run(command, url, 'pg_restore --no-owner --clean --if-exists --single-transaction --dbname="$DATABASE_URL" FILE')


def _restore_photos(source: Path, photo_dir: Path) -> int:
    photo_dir.mkdir(parents=True, exist_ok=True)
    restored = 0
    for file in sorted(source.glob("*.jpg")):
        if not (photo_dir / file.name).exists():
            shutil.copy2(file, photo_dir / file.name)
            restored += 1
    return restored


# -- purge ----------------------------------------------------------------------------------------

LABELS = {"observations": "observations (with their corrections)", "comments": "police comments",
          "handover_links": "links from remaining handovers", "handovers": "accepted handovers",
          "photos": "photos", "stray_photo_files": "photo files without a record", "activity": "activity rows"}


@click.command("purge")
@click.option("--older-than", "days", type=int, required=True, help="Remove records older than this many days.")
@click.option("--dry-run", is_flag=True, help="Only count what would go; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge_command(days: int, dry_run: bool, yes: bool):
    """Delete closed observations, their photos, accepted handovers and the activity log older than DAYS days."""
    now = utcnow()
    photo_dir = Path(current_app.config["PHOTO_DIR"])
    plan = _rule(lambda: plan_purge(days, now=now, photo_dir=photo_dir))
    _print_plan(plan)
    if dry_run:
        db.session.rollback()
        click.echo("dry run: nothing was changed")
        return
    if not yes and not click.confirm("Delete these records for good?"):
        raise click.ClickException("nothing was changed")
    db.session.rollback()
    db.session.connection(execution_options={WRITE_LOCK: True})  # SQLite: hold the write lock throughout
    plan, files = _rule(lambda: purge(days, now=now, photo_dir=photo_dir))
    db.session.commit()
    remove_files(files)
    removed = ", ".join(f"{count} {LABELS[key]}" for key, count in plan.counts().items() if count)
    click.echo(f"purged: {removed or 'nothing was old enough'}; recorded in the activity log")


def _print_plan(plan) -> None:
    click.echo(f"older than {plan.days} days, before {to_local(plan.cutoff):%d/%m/%Y %H:%M}:")
    for key, count in plan.counts().items():
        click.echo(f"  {count:>8}  {LABELS[key]}")
    if plan.kept_open:
        click.echo(f"kept: {plan.kept_open} older observations not resolved yet")


def _rule(action):
    try:
        with force_locale("en"):
            return action()
    except RuleViolation as violation:
        db.session.rollback()
        raise click.ClickException(str(violation.message)) from None


# -- verify-log -----------------------------------------------------------------------------------

@click.command("verify-log")
def verify_log():
    """Check the activity log's hash chain; exits 1 at the first broken link."""
    verdict = verify_chain()
    db.session.rollback()
    if not verdict.ok:
        raise click.ClickException(f"broken at activity #{verdict.broken_at} "
                                   f"after {verdict.count} good records: {verdict.reason}")
    if verdict.count == 0:
        click.echo("ok: 0 records")
    else:
        click.echo(f"ok: {verdict.count} records; newest #{verdict.head_id} {verdict.head_hash}")


COMMANDS = (backup, restore, purge_command, verify_log)
