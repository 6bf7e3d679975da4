"""The demo school: realistic, invented data for trying Safeguard out."""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

from safeguard.auth import services as auth_services
from safeguard.auth.models import Role
from safeguard.auth.passwords import generate_password
from safeguard.schools import services as school_services

DEMO_CODE = "OAK"
DEMO_NAME = "Oakfield Primary School"
DEMO_USERS = [
    ("dsl@oak.example", "Priya Shah", {Role.DSL}),
    ("head@oak.example", "Martin Okafor", {Role.HEAD}),
    ("teacher@oak.example", "Hannah Lewis", {Role.STAFF}),
    ("admin@oak.example", "Gareth Price", {Role.ADMIN}),
]


def _logins_file() -> Path:
    return Path(current_app.instance_path) / "demo_logins.txt"


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo school and its users if missing; return ``(email, role, password)`` for each login.

    Passwords are random, generated once and kept in ``instance/demo_logins.txt`` (git-ignored, readable by the
    owner only) so that running the command again prints the same logins.
    """
    path = _logins_file()
    known: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            email, _, password = line.partition(" ")
            known[email] = password
    school = school_services.find_school(DEMO_CODE) or school_services.create_school(DEMO_NAME, DEMO_CODE)
    if not school.dsl_contact:
        school.dsl_contact = "Priya Shah, DSL: 01632 960123, dsl@oak.example"
    logins = []
    for email, name, roles in DEMO_USERS:
        user = auth_services.find_user_by_email(email)
        if user is None:
            password = known.get(email) or generate_password()
            user, _ = auth_services.create_user(school, email, name, roles, password=password)
            known[email] = password
        logins.append((email, ",".join(sorted(r.value for r in roles)), known.get(email, "(password set earlier)")))
    path.write_text("".join(f"{e} {p}\n" for e, p in known.items()), encoding="utf-8")
    os.chmod(path, 0o600)
    return logins
