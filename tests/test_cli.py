"""The set-up commands of PRODUCT §6, with their one-line refusals."""
import pytest

from checkpoint.extensions import db
from checkpoint.models import Checkpoint, User, Ward


def test_ward_add(runner):
    result = runner.invoke(args=["ward", "add", "--code", "P4", "--name", "Phường 4"])
    assert result.exit_code == 0
    assert db.session.scalar(db.select(Ward.name).where(Ward.code == "P4")) == "Phường 4"


def test_ward_add_refuses_a_duplicate_code(runner, make):
    make.ward("P4")
    result = runner.invoke(args=["ward", "add", "--code", "p4", "--name", "Khác"])
    assert result.exit_code != 0 and "Ward code P4 already exists." in result.output


def test_checkpoint_add_with_position(runner, make):
    make.ward("P4")
    result = runner.invoke(args=["checkpoint", "add", "--ward", "P4", "--code", "C01", "--name", "Chốt hẻm 12",
                                 "--address", "12 Nguyễn Trãi", "--lat", "10.77", "--lng", "106.69"])
    assert result.exit_code == 0, result.output
    checkpoint = db.session.scalar(db.select(Checkpoint))
    assert (checkpoint.code, checkpoint.lat, checkpoint.address) == ("C01", 10.77, "12 Nguyễn Trãi")


@pytest.mark.parametrize("args, reason", [
    (["--ward", "P9", "--code", "C01", "--name", "x"], "No ward with code P9."),
    (["--ward", "P4", "--code", "C 01", "--name", "x"], "A code is 1–16 letters"),
    (["--ward", "P4", "--code", "C01", "--name", "x", "--lat", "95", "--lng", "106"], "Latitude must be"),
    (["--ward", "P4", "--code", "C01", "--name", "x", "--lat", "10"], "Give both latitude and longitude"),
])
def test_checkpoint_add_refuses_bad_input(runner, make, args, reason):
    make.ward("P4")
    result = runner.invoke(args=["checkpoint", "add", *args])
    assert result.exit_code != 0 and reason in result.output
    assert db.session.scalar(db.select(db.func.count(Checkpoint.id))) == 0


def test_user_add_reads_the_password_from_stdin(runner, client, make):
    ward = make.ward("P4")
    make.checkpoint(ward, "C01")
    result = runner.invoke(args=["user", "add", "--phone", "+84 90 123 4567", "--name", "Nguyễn Văn An",
                                 "--role", "volunteer", "--ward", "P4", "--checkpoint", "C01", "--password-stdin"],
                           input="mat-khau-bi-mat\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User))
    assert (user.phone, [c.code for c in user.checkpoints]) == ("0901234567", ["C01"])
    assert client.login("0901234567", "mat-khau-bi-mat").status_code == 302


@pytest.mark.parametrize("args, reason", [
    (["--phone", "0901234567", "--role", "volunteer", "--ward", "P9"], "No ward with code P9."),
    (["--phone", "12345", "--role", "volunteer", "--ward", "P4"], "Not a Vietnamese phone number"),
    (["--phone", "0901234567", "--role", "volunteer"], "Choose a ward."),
    (["--phone", "0901234567", "--role", "volunteer", "--ward", "P4", "--checkpoint", "C99"], "no checkpoint C99"),
    (["--phone", "0999999999", "--role", "volunteer", "--ward", "P4"], "already registered"),
    (["--phone", "0901234567", "--role", "admin", "--ward", "P4"], "an admin belongs to no ward"),
    (["--phone", "0901234567", "--role", "chief", "--ward", "P4"], "Invalid value for '--role'"),
])
def test_user_add_refuses_bad_input_with_one_line(runner, make, args, reason):
    make.user(ward=make.ward("P4"), phone="0999999999")
    result = runner.invoke(args=["user", "add", "--name", "X", *args, "--password-stdin"], input="password123\n")
    assert result.exit_code != 0 and reason in result.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_user_add_refuses_a_short_password(runner, make):
    make.ward("P4")
    result = runner.invoke(args=["user", "add", "--phone", "0901234567", "--name", "X", "--role", "police",
                                 "--ward", "P4", "--password-stdin"], input="short\n")
    assert result.exit_code != 0 and "at least 8 characters" in result.output


def test_user_reset_password(runner, client, make):
    make.user(ward=make.ward("P4"), phone="0901234567")
    result = runner.invoke(args=["user", "reset-password", "--phone", "090 123 4567", "--password-stdin"],
                           input="mat-khau-moi-2026\n")
    assert result.exit_code == 0, result.output
    assert client.login("0901234567", "mat-khau-moi-2026").status_code == 302


@pytest.mark.parametrize("phone, reason", [("0987654321", "no user with phone"), ("abc", "Not a Vietnamese phone")])
def test_user_reset_password_refuses_unknown_or_malformed_numbers(runner, phone, reason):
    result = runner.invoke(args=["user", "reset-password", "--phone", phone, "--password-stdin"], input="password123\n")
    assert result.exit_code != 0 and reason in result.output


def test_user_list_is_tab_separated_and_filtered(runner, make):
    p4, p5 = make.ward("P4"), make.ward("P5")
    make.user("police", ward=p4, phone="0901111111", name="Lê Công An")
    make.user("volunteer", ward=p4, phone="0902222222", name="Phạm Tổ Viên")
    make.user("police", ward=p5, phone="0903333333", name="Võ Khác")
    result = runner.invoke(args=["user", "list", "--ward", "P4", "--role", "police"])
    assert result.exit_code == 0
    assert result.output == "0901111111\tpolice\tP4\tLê Công An\n"


def test_user_list_refuses_an_unknown_ward(runner):
    result = runner.invoke(args=["user", "list", "--ward", "ZZ"])
    assert result.exit_code != 0 and "No ward with code ZZ." in result.output


def test_demo_refuses_a_database_with_data(runner, make):
    make.ward("P4")
    make.user(ward=db.session.scalar(db.select(Ward)))
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and "--force" in result.output


def test_demo_loads_two_wards_and_their_people(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(db.func.count(Ward.id))) == 2
    assert db.session.scalar(db.select(db.func.count(Checkpoint.id))) == 6
    assert db.session.scalar(db.select(db.func.count(User.id)).where(User.role == "volunteer")) >= 30
    assert "0900000001" in result.output  # the logins are printed


def test_demo_force_replaces_real_data(runner, make):
    make.ward("ZZ")
    assert runner.invoke(args=["demo", "--force"]).exit_code == 0
    assert db.session.scalar(db.select(Ward.id).where(Ward.code == "ZZ")) is None
