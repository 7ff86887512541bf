"""The flask commands of PRODUCT §6: init-db, demo, ward, checkpoint and user."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import select

from .extensions import db
from .models import ROLES, Checkpoint, User, Ward
from .rules import RuleViolation
from .rules.accounts import create_user, find_by_phone, find_ward, normalize_phone, reset_password
from .rules.wards import add_checkpoint, add_ward

ward_cli = AppGroup("ward", help="Manage wards.")
checkpoint_cli = AppGroup("checkpoint", help="Manage checkpoints.")
user_cli = AppGroup("user", help="Manage user accounts.")


def _apply(action):
    """Run a rule, commit, or roll back and exit non-zero with the rule's one-line reason."""
    try:
        with force_locale("en"):  # operators' messages are in English, like the rest of the CLI
            result = action()
        db.session.commit()
        return result
    except RuleViolation as violation:
        db.session.rollback()
        with force_locale("en"):
            raise click.ClickException(str(violation.message)) from None


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException("no password on standard input")
    return password


@click.command("init-db")
def init_db():
    """Create the schema, or upgrade it to the newest migration."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("database schema is up to date")


@click.command("demo")
@click.option("--force", is_flag=True, help="Erase whatever the database holds and load the demo anyway.")
@click.option("--logins", "only_logins", is_flag=True, help="Only print the demo logins.")
def demo(force: bool, only_logins: bool):
    """Load the demo data set (two wards, six checkpoints, a week of roster and logs)."""
    from .demo import demo_logins, load_demo

    if only_logins:
        _print_logins(demo_logins())
        return
    if db.session.scalar(select(User.id).limit(1)) is not None and not force:
        raise click.ClickException("the database already holds data; use --force to erase it and load the demo")
    click.echo("demo data loaded")
    _print_logins(load_demo(erase=force))


def _print_logins(logins) -> None:
    click.echo(f"demo logins (password for all: {logins.password}):")
    for role, phone, name in logins.people:
        click.echo(f"  {role:<12} {phone}  {name}")


@ward_cli.command("add")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--duty-phone", default=None, help="The ward police duty number.")
def ward_add(code: str, name: str, duty_phone: str | None):
    """Add a ward."""
    ward = _apply(lambda: add_ward(code=code, name=name, duty_phone=duty_phone))
    click.echo(f"ward {ward.code} added")


@checkpoint_cli.command("add")
@click.option("--ward", "ward_code", required=True)
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--address", default=None)
@click.option("--lat", type=float, default=None)
@click.option("--lng", type=float, default=None)
@click.option("--min-staff", type=int, default=2, show_default=True)
def checkpoint_add(ward_code, code, name, address, lat, lng, min_staff):
    """Add a checkpoint to a ward."""
    checkpoint = _apply(lambda: add_checkpoint(ward=find_ward(ward_code), code=code, name=name, address=address,
                                               lat=lat, lng=lng, min_staff=min_staff))
    click.echo(f"checkpoint {checkpoint.ward.code}/{checkpoint.code} added")


@user_cli.command("add")
@click.option("--phone", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--ward", "ward_code", default=None)
@click.option("--checkpoint", "checkpoint_codes", multiple=True, help="A checkpoint code of the ward; repeatable.")
@click.option("--language", default="vi", type=click.Choice(["vi", "en"]))
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
def user_add(phone, name, role, ward_code, checkpoint_codes, language, password_stdin):
    """Add a user; the password is read from standard input."""
    password = _read_password()

    def action():
        ward = find_ward(ward_code) if ward_code else None
        if role == "admin" and ward is not None:
            raise RuleViolation("an admin belongs to no ward; leave out --ward")
        checkpoints = [_checkpoint(ward, code) for code in checkpoint_codes]
        return create_user(phone=phone, full_name=name, role=role, password=password, ward=ward,
                           checkpoints=checkpoints, locale=language)

    user = _apply(action)
    click.echo(f"user {user.phone} added")


def _checkpoint(ward: Ward | None, code: str) -> Checkpoint:
    if ward is None:
        raise RuleViolation("--checkpoint needs --ward")
    query = select(Checkpoint).where(Checkpoint.ward_id == ward.id, Checkpoint.code == code.strip().upper())
    checkpoint = db.session.scalar(query)
    if checkpoint is None:
        raise RuleViolation(f"no checkpoint {code} in ward {ward.code}")
    return checkpoint


@user_cli.command("reset-password")
@click.option("--phone", required=True)
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
def user_reset_password(phone, password_stdin):
    """Set a new password; the user's sessions end."""
    password = _read_password()

    def action():
        user = find_by_phone(phone)
        if user is None:
            normalize_phone(phone)  # a malformed number says so rather than "no user"
            raise RuleViolation(f"no user with phone {phone}")
        reset_password(user, password)
        return user

    user = _apply(action)
    click.echo(f"password of {user.phone} reset")


@user_cli.command("list")
@click.option("--ward", "ward_code", default=None)
@click.option("--role", default=None, type=click.Choice(ROLES))
def user_list(ward_code, role):
    """One user a line: phone, role, ward code, full name (tab-separated)."""
    query = select(User).outerjoin(User.ward).order_by(Ward.code, User.role, User.phone)
    if ward_code:
        try:
            ward = find_ward(ward_code)
        except RuleViolation as violation:
            with force_locale("en"):
                raise click.ClickException(str(violation.message)) from None
        query = query.where(User.ward_id == ward.id)
    if role:
        query = query.where(User.role == role)
    for user in db.session.scalars(query):
        click.echo("\t".join([user.phone, user.role, user.ward.code if user.ward else "", user.full_name]))


def init_app(app) -> None:
    from .records import COMMANDS as RECORDS  # backup, restore, purge, verify-log

    for command in (init_db, demo, ward_cli, checkpoint_cli, user_cli, *RECORDS):
        app.cli.add_command(command)
