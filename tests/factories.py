"""Test data made through the same services the app uses (never by writing rows behind their back)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask.testing import FlaskClient

from safeguard.auth import services as auth_services
from safeguard.auth.models import Role, User
from safeguard.core.extensions import db
from safeguard.schools import services as school_services
from safeguard.schools.models import School

PASSWORD = "correct horse battery staple"
# Every test account of a role that needs a second factor has it set up with this secret.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class SchoolWithStaff:
    """A school and one account of each role."""

    school: School
    staff: User
    dsl: User
    head: User
    admin: User
    chair: User
    trust_lead: User

    def user(self, role: str) -> User:
        """The account holding ``role``."""
        return getattr(self, role)


def user(school: School, role: Role | str, email: str | None = None, name: str | None = None) -> User:
    """Create an account with the standard test password, not forced to change it."""
    role = Role(role)
    email = email or f"{role.value}@{school.code.lower()}.example"
    account, _ = auth_services.create_user(
        school, email, name or f"{role.label} {school.code}", {role}, password=PASSWORD
    )
    if account.two_factor_required:
        from safeguard.core.sqltypes import utcnow

        account.totp_secret = TOTP_SECRET
        account.totp_enabled_at = utcnow()
    return account


def school_with_staff(code: str, name: str) -> SchoolWithStaff:
    """Create a school with one account per role, committed."""
    school = school_services.create_school(name, code)
    made = {role.value: user(school, role) for role in Role}
    db.session.commit()
    return SchoolWithStaff(school=school, **made)


def csrf_token(client: FlaskClient, url: str) -> str:
    """Fetch ``url`` and return the CSRF token of its form."""
    page = client.get(url).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def sign_in(client: FlaskClient, user: User, password: str = PASSWORD, follow_redirects: bool = True):
    """Sign in through the real forms: the password, then the second factor when the account has one."""
    response = submit_form(client, "/auth/sign-in", {"email": user.email, "password": password})
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/auth/two-factor") and "setup" not in location:
        response = submit_form(client, "/auth/two-factor", {"code": totp_code(user)})
    if follow_redirects and response.status_code == 302:
        return client.get(response.headers["Location"], follow_redirects=True)
    return response


def submit_form(client: FlaskClient, url: str, data: dict, *, form_url: str | None = None, follow_redirects=False):
    """Submit a form the way a browser does: load the page, take its CSRF token, post the fields."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=follow_redirects)


def pupil(
    school: School,
    first: str,
    last: str,
    *,
    upn: str | None = None,
    born: str = "2015-03-14",
    year_group: str = "Year 6",
    class_name: str = "6B",
    **flags,
):
    """Put a pupil on the school's roll."""
    from datetime import date

    from safeguard.pupils.models import Pupil

    count = db.session.scalar(db.select(db.func.count()).select_from(Pupil).where(Pupil.school_id == school.id))
    record = Pupil(
        school_id=school.id,
        upn=upn or f"A{school.id:03d}{count + 1:09d}",
        legal_first_name=first,
        legal_last_name=last,
        date_of_birth=date.fromisoformat(born),
        year_group=year_group,
        class_name=class_name,
        **flags,
    )
    db.session.add(record)
    db.session.commit()
    return record


def concern(
    reporter: User,
    pupils,
    *,
    categories=("abuse-physical",),
    account: str = 'At 10:15 in the playground Amira said "my dad hit me with a belt". She had a bruise on her arm.',
    immediate_danger: bool = False,
    observed_at=None,
    now=None,
):
    """Log a concern through the service, as a member of staff would, and commit it."""
    from safeguard.concerns.models import Part
    from safeguard.concerns.services import NewConcern, PupilRole, log_concern
    from safeguard.core.sqltypes import utcnow

    roles = []
    for index, item in enumerate(pupils):
        if isinstance(item, tuple):
            roles.append(PupilRole(item[0].id, Part(item[1])))
        else:
            roles.append(PupilRole(item.id, Part.SUBJECT if index == 0 else Part.WITNESS))
    when = now or utcnow()
    new = NewConcern(
        pupils=roles,
        observed_at=observed_at or when,
        location="Playground",
        category_ids=list(categories),
        account=account,
        already_done="Listened, reassured her and told her I must share it with the DSL.",
        immediate_danger=immediate_danger,
    )
    made = log_concern(reporter, new, now=when)
    db.session.commit()
    return made


def totp_code(user: User) -> str:
    """A code the app would show now that this account has not used yet (tests sign in more than once a step)."""
    import time

    import pyotp

    last = db.session.scalar(db.select(User.totp_last_step).where(User.id == user.id))
    totp = pyotp.TOTP(TOTP_SECRET)
    current = int(time.time() // totp.interval)
    step = max(current, (last if last is not None else -1) + 1)
    if step > current + 1:  # used up this step and the next: wait for time to catch up rather than fail
        time.sleep(max(0.0, (step - 1) * totp.interval - time.time() + 0.1))
    return totp.at(step * totp.interval)


def acknowledged_sharing_nudes_concern(school: SchoolWithStaff):
    """A concern about a picture of a child being shared, logged by a member of staff and acknowledged by the DSL
    (the sharing-nudes guided response applies to it), committed."""
    from safeguard.concerns import services

    child = pupil(school.school, "Amira", "Haddad")
    made = concern(
        school.staff,
        [child],
        categories=["online-sharing-nudes"],
        account="Amira told me a picture of her is being shared in the Year 9 group chat.",
    )
    services.acknowledge(made, school.dsl, None)
    db.session.commit()
    return made
