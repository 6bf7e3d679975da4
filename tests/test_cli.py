"""The command line: schools, users and the demo school."""

from __future__ import annotations

from sqlalchemy import func, select

from safeguard.auth.models import Role, User
from safeguard.auth.passwords import verify_password
from safeguard.schools.models import School


def test_school_create_and_bad_codes(runner, db):
    result = runner.invoke(args=["school", "create", "--name", "Oakfield Primary School", "--code", "OAK"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(School).where(School.code == "OAK")).name == "Oakfield Primary School"
    for code in ("oak", "O", "TOOLONGX", "OA1"):
        result = runner.invoke(args=["school", "create", "--name", "X", "--code", code])
        assert result.exit_code == 1
        assert "2 to 6 capital letters" in result.output
    result = runner.invoke(args=["school", "create", "--name", "Again", "--code", "OAK"])
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_user_create_prints_a_one_time_password(runner, db):
    runner.invoke(args=["school", "create", "--name", "Oakfield", "--code", "OAK"])
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--school",
            "OAK",
            "--email",
            "dsl@oak.example",
            "--name",
            "Priya Shah",
            "--role",
            "dsl",
        ]
    )
    assert result.exit_code == 0, result.output
    password = result.output.split("One-time password (to be changed at first sign-in): ")[1].strip()
    user = db.session.scalar(select(User).where(User.email == "dsl@oak.example"))
    assert verify_password(user.password_hash, password)
    assert user.must_change_password
    assert user.roles == {Role.DSL}


def test_user_create_reads_the_password_from_stdin_and_takes_several_roles(runner, db):
    runner.invoke(args=["school", "create", "--name", "Oakfield", "--code", "OAK"])
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--school",
            "OAK",
            "--email",
            "a@oak.example",
            "--name",
            "A",
            "--role",
            "admin,dsl",
            "--password-stdin",
        ],
        input="a long enough passphrase\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "a@oak.example"))
    assert verify_password(user.password_hash, "a long enough passphrase")
    assert user.roles == {Role.ADMIN, Role.DSL}
    assert not user.must_change_password


def test_user_create_bad_input_is_one_line_and_non_zero(runner, db):
    runner.invoke(args=["school", "create", "--name", "Oakfield", "--code", "OAK"])
    base = ["user", "create", "--email", "x@oak.example", "--name", "X"]
    cases = [
        ([*base, "--school", "NOPE", "--role", "staff"], "no school has the code"),
        ([*base, "--school", "OAK", "--role", "wizard"], "unknown role"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1
    runner.invoke(args=[*base, "--school", "OAK", "--role", "staff"])
    result = runner.invoke(args=[*base, "--school", "OAK", "--role", "staff"])
    assert result.exit_code == 1
    assert "already exists" in result.output
    result = runner.invoke(
        args=[
            *base[:2],
            "--email",
            "y@oak.example",
            "--name",
            "Y",
            "--school",
            "OAK",
            "--role",
            "staff",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output


def test_demo_is_idempotent_and_prints_working_logins(runner, db):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo"])
    assert second.output == first.output
    assert db.session.scalar(select(func.count()).select_from(School)) == 1
    roles = set()
    lines = first.output.splitlines()
    assert any("restricted" in line and "OAK-" in line for line in lines)
    # The logins: the indented lines after the school's line (the others name records: the body map, the restricted
    # concern, the retention review, the concerns about adults).
    for line in [line for line in lines if line.startswith("  ")]:
        _role, email, password, *key = line.split()
        user = db.session.scalar(select(User).where(User.email == email))
        assert verify_password(user.password_hash, password)
        if user.two_factor_required:
            assert key[-1] == user.totp_secret
        roles |= user.roles
    assert roles == set(Role)


def test_one_e_mail_rule_for_the_command_line_and_the_admin_form(runner, db, client, school, sign_in):
    """An address the administrators' form refuses is refused by the command line too, with the same reason; and an
    address the command line accepts can be saved again unchanged from the form."""
    from tests import factories

    base = ["user", "create", "--school", school.school.code, "--name", "Sam Reed", "--role", "staff"]
    for address in ("sam@oakfield.test", "sam@localhost", "sam@@oak.example", "sam oak.example"):
        result = runner.invoke(args=[*base, "--email", address])
        assert result.exit_code == 1, address
        assert "valid e-mail address" in result.output
    assert db.session.scalar(select(func.count()).select_from(User).where(User.display_name == "Sam Reed")) == 0

    result = runner.invoke(args=[*base, "--email", "  Sam.Reed@Oak.Example "])
    assert result.exit_code == 0, result.output
    created = db.session.scalar(select(User).where(User.display_name == "Sam Reed"))
    assert created.email == "sam.reed@oak.example"

    sign_in(school.admin)
    response = factories.submit_form(
        client,
        f"/admin/users/{created.id}",
        {"display_name": "Sam Reed", "email": created.email, "roles": ["staff"]},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "valid e-mail address" not in response.get_data(as_text=True)
    response = factories.submit_form(
        client,
        f"/admin/users/{created.id}",
        {"display_name": "Sam Reed", "email": "sam@oakfield.test", "roles": ["staff"]},
    )
    assert "valid e-mail address" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, created.id).email == "sam.reed@oak.example"
