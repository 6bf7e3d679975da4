"""The demo school: realistic, invented data for trying Safeguard out."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from safeguard.access import services as access_services
from safeguard.access.models import AccessLevel
from safeguard.adults import services as adult_services
from safeguard.adults.models import AdultConcern
from safeguard.auth import services as auth_services
from safeguard.auth import twofactor
from safeguard.auth.models import Role, User
from safeguard.auth.passwords import generate_password
from safeguard.bodymap.models import BodyMark
from safeguard.bodymap.services import NewMark
from safeguard.concerns import services as concern_services
from safeguard.concerns.models import Concern, Part
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.pupils.models import Pupil
from safeguard.retention.demo import FORMER_PUPIL_UPN, seed_former_pupil
from safeguard.schools import services as school_services
from safeguard.trusts import store as trust_store

DEMO_CODE = "OAK"
DEMO_NAME = "Oakfield Primary School"
DEMO_USERS = [
    ("dsl@oak.example", "Priya Shah", {Role.DSL}),
    ("deputy@oak.example", "Tom Hughes", {Role.DSL}),
    ("head@oak.example", "Martin Okafor", {Role.HEAD}),
    ("teacher@oak.example", "Hannah Lewis", {Role.STAFF}),
    ("admin@oak.example", "Gareth Price", {Role.ADMIN}),
    ("chair@oak.example", "Ruth Adeyemi", {Role.CHAIR}),
    ("trust@oak.example", "Rachel Adeyemi", {Role.TRUST_LEAD}),
]
# The demo school's trust: the trust lead's dashboard shows its numbers.
DEMO_TRUST = "Riverside Learning Trust"
# Invented children: names from many families, written as the school's MIS holds them.
DEMO_PUPILS = [
    ("Amira", "Haddad", None, "2015-04-12", "Year 6", "6B", {"child_in_need": True}),
    ("Oliver", "Bennett", "Ollie", "2015-09-30", "Year 6", "6B", {}),
    ("Zoë", "Kowalczyk", None, "2016-01-22", "Year 5", "5A", {}),
    ("Łukasz", "Nowak", None, "2016-06-03", "Year 5", "5A", {"send": True}),
    ("Chidera", "Okonkwo", None, "2017-02-14", "Year 4", "4C", {}),
    ("Siobhán", "O'Connell", None, "2015-11-08", "Year 6", "6A", {"looked_after": True}),
    ("Mohammed", "Rahman", "Mo", "2018-03-19", "Year 3", "3B", {}),
    ("Aarav", "Patel", None, "2016-12-01", "Year 5", "5B", {}),
    ("Ewa", "Zielińska", None, "2017-07-07", "Year 4", "4A", {"child_protection_plan": True}),
    ("Kai", "Thompson", None, "2019-05-25", "Year 2", "2A", {}),
    ("Leila", "Ahmadi", None, "2018-10-11", "Year 3", "3A", {"previously_looked_after": True}),
    ("Jayden", "Campbell", None, "2015-08-02", "Year 6", "6A", {}),
    ("Nikolai", "Ivanov", None, "2016-04-17", "Year 5", "5B", {}),
    ("Freya", "McAllister", None, "2019-12-20", "Year 2", "2B", {}),
    ("Yusuf", "Demir", None, "2017-09-09", "Year 4", "4B", {"send": True}),
    ("Grace", "Adeyemi", None, "2020-01-30", "Year 1", "1A", {}),
    ("Mei", "Chen", None, "2018-06-06", "Year 3", "3B", {}),
    ("Harry", "Walsh", None, "2020-07-15", "Year 1", "1B", {}),
    ("Isla", "Fraser", None, "2021-02-02", "Reception", "RA", {}),
    ("Dylan", "Jones", None, "2016-10-10", "Year 5", "5A", {"child_in_need": True}),
    ("Hana", "Suzuki", None, "2019-03-03", "Year 2", "2A", {}),
    ("Mateo", "García", None, "2017-11-29", "Year 4", "4C", {}),
    ("Ruby", "Clarke", None, "2021-08-21", "Reception", "RB", {}),
    ("Tariq", "Hussain", None, "2015-12-12", "Year 6", "6B", {}),
    ("Sofia", "Rossi", None, "2018-02-28", "Year 3", "3A", {}),
    ("Kacper", "Wiśniewski", None, "2016-05-05", "Year 5", "5B", {}),
    ("Ava", "Robinson", None, "2020-10-01", "Year 1", "1A", {}),
    ("Ibrahim", "Diallo", None, "2017-04-04", "Year 4", "4A", {}),
    ("Poppy", "Evans", None, "2019-09-19", "Year 2", "2B", {}),
    ("Ethan", "Murphy", None, "2014-07-01", "Year 6", "6A", {}),
]


# The first demo concern's body map: what the teacher saw at registration, never photographed.
DEMO_MARKS = (
    NewMark(
        region_id="forearm",
        side="left",
        kind="bruise",
        length_cm="3",
        width_cm="2",
        shape="Oval",
        colour="Purple",
        child_words="Dad grabbed me because I was late again",
    ),
    NewMark(
        view="back",
        x="0.26",
        y="0.3",
        kind="bruise",
        length_cm="1",
        shape="Three small round marks in a row, finger-tip pattern",
        colour="Blue-purple",
    ),
)


def body_map_reference() -> str | None:
    """The reference of the demo school's concern with a body map (its first concern with marks), if any."""
    school = school_services.find_school(DEMO_CODE)
    if school is None:
        return None
    return db.session.scalar(
        select(Concern.reference)
        .join(BodyMark, BodyMark.concern_id == Concern.id)
        .where(Concern.school_id == school.id)
        .order_by(Concern.id)
        .limit(1)
    )


def retention_line() -> str:
    """The demo's line about the former pupil whose file came due for retention review."""
    return (
        f"Former pupil UPN {FORMER_PUPIL_UPN}: their safeguarding file has come due for retention review "
        "(sign in as the DSL: Reports, Retention reviews)."
    )


def _seed_adult_concerns(school, pupils: list[Pupil], users: dict[str, User]) -> None:
    """One allegation about the demo teacher and one low-level concern, if the school has none yet."""
    if db.session.scalar(select(func.count(AdultConcern.id)).where(AdultConcern.school_id == school.id)):
        return
    teacher, now = users["teacher@oak.example"], utcnow()
    for reporter, threshold, account, where, children in (
        (
            "deputy@oak.example",
            "yes",
            "At the end of PE I saw Mrs Lewis grab Kai by the upper arm and pull him across the hall; he cried and "
            'said "she always hurts me when I am slow".',
            "School hall",
            [pupils[9].id],
        ),
        (
            "dsl@oak.example",
            "no",
            "Mrs Lewis gave her personal mobile number to a Year 6 pupil's parent group chat and messages pupils "
            "about homework in the evenings.",
            "",
            [],
        ),
    ):
        adult_services.raise_concern(
            users[reporter],
            adult_services.NewAdultConcern(
                subject_user_id=teacher.id,
                subject_name="",
                subject_relation="staff",
                subject_role="Year 2 teacher",
                account=account,
                happened_at=now - timedelta(hours=3),
                location=where,
                threshold=threshold,
                pupil_ids=children,
            ),
            now=now,
        )


def adult_concern_references() -> list[tuple[str, str]]:
    """The demo school's concerns about adults: (reference, track), oldest first."""
    school = school_services.find_school(DEMO_CODE)
    if school is None:
        return []
    rows = db.session.execute(
        select(AdultConcern.reference, AdultConcern.track)
        .where(AdultConcern.school_id == school.id)
        .order_by(AdultConcern.id)
    )
    return [(row.reference, row.track) for row in rows]


def _logins_file() -> Path:
    return Path(current_app.instance_path) / "demo_logins.txt"


def _seed_pupils(school) -> list[Pupil]:
    existing = db.session.scalar(select(func.count()).select_from(Pupil).where(Pupil.school_id == school.id))
    if existing:
        return list(db.session.scalars(select(Pupil).where(Pupil.school_id == school.id).order_by(Pupil.id)))
    pupils = []
    for number, (first, last, preferred, born, year, form, flags) in enumerate(DEMO_PUPILS, start=1):
        pupil = Pupil(
            school_id=school.id,
            upn=f"A{801000000000 + number:012d}"[:13],
            legal_first_name=first,
            legal_last_name=last,
            preferred_name=preferred,
            date_of_birth=date.fromisoformat(born),
            year_group=year,
            class_name=form,
            **flags,
        )
        db.session.add(pupil)
        pupils.append(pupil)
    leaver = pupils[-1]
    leaver.left_on = date.today() - timedelta(days=40)
    leaver.destination_school = "Riverside Academy"
    db.session.flush()
    return pupils


def _seed_concerns(school, pupils: list[Pupil], users: dict[str, User]) -> None:
    recent = Concern.logged_at >= utcnow() - timedelta(days=365)  # not the former pupil's, years ago
    if db.session.scalar(select(func.count()).select_from(Concern).where(Concern.school_id == school.id, recent)):
        return
    teacher, dsl = users["teacher@oak.example"], users["dsl@oak.example"]
    now = utcnow()

    def log(days_ago, pupil_parts, categories, account, done, danger=False, marks=()):
        # During the school day, so that the demo reads like a real week.
        when = (now - timedelta(days=days_ago)).replace(hour=10, minute=20) if days_ago else now - timedelta(minutes=30)
        new = concern_services.NewConcern(
            pupils=[concern_services.PupilRole(p.id, part) for p, part in pupil_parts],
            observed_at=when - timedelta(hours=1),
            location="Year 6 classroom",
            category_ids=categories,
            account=account,
            already_done=done,
            immediate_danger=danger,
            marks=marks,
        )
        return concern_services.log_concern(teacher, new, now=when)

    first = log(
        21,
        [(pupils[0], Part.SUBJECT)],
        ["abuse-physical"],
        "At registration Amira had a bruise on her left forearm, about 3 cm, purple. When I asked if she was OK she "
        'said "Dad grabbed me because I was late again". She pulled her sleeve down and did not want to say more.',
        "Listened, did not ask leading questions, told her I would need to share it with Mrs Shah.",
        marks=DEMO_MARKS,
    )
    # Each step at the time it happened, after the one before it: the demo's chronologies read in order.
    concern_services.acknowledge(first, dsl, None, now=first.logged_at + timedelta(minutes=9))
    referred_at = first.logged_at + timedelta(minutes=55)
    concern_services.record_action(
        first,
        dsl,
        concern_services.ActionInput(
            kind="referral",
            target="childrens-social-care",
            external_reference="CSC-2026-10422",
            on=referred_at.date(),
        ),
        None,
        now=referred_at,
    )
    concern_services.set_level_of_need(first, dsl, "Child in need", None, now=referred_at + timedelta(minutes=5))
    second = log(
        6,
        [(pupils[2], Part.SUBJECT), (pupils[1], Part.HARMED)],
        ["child-on-child-bullying", "online-cyberbullying"],
        'Zoë came to me crying at lunch. She showed me nothing but said "Ollie keeps posting that I smell in the '
        'class group chat and everyone laughs". Two other children confirmed the messages exist.',
        "Reassured Zoë, told her I would pass it on. Did not look at any phone.",
    )
    concern_services.acknowledge(second, dsl, None, now=second.logged_at + timedelta(minutes=47))
    concern_services.record_decision(
        second,
        dsl,
        "monitor",
        "Pastoral support for both children; parents of both informed; review in two weeks.",
        None,
        now=second.logged_at + timedelta(hours=3),
    )
    log(
        1,
        [(pupils[8], Part.SUBJECT)],
        ["abuse-neglect"],
        "Ewa arrived in the same clothes for the fourth day, said she had not had breakfast and ate two portions at "
        'lunch. She said "there\'s no food at home since mum went away".',
        "Gave her breakfast from the club, told the DSL in person at 09:10.",
    )
    log(
        0,
        [(pupils[3], Part.SUBJECT)],
        ["welfare-self-harm"],
        'Łukasz has fresh scratches on both wrists. When asked he said "I do it when it gets too loud in my head".',
        "Stayed with him, took him to the medical room, informed the DSL by phone.",
        danger=True,
    )


def _seed_restricted(school, pupils: list[Pupil], users: dict[str, User]) -> None:
    """The lead DSL (Priya Shah), and one concern restricted to her and the head: a concern about the family of a
    member of staff, which the deputy does not see."""
    dsl, head = users["dsl@oak.example"], users["head@oak.example"]
    if school.lead_dsl_id is None:
        auth_services.set_lead_dsl(school, dsl.id, actor=None)
    if restricted_reference() is not None:
        return
    now = utcnow()
    new = concern_services.NewConcern(
        pupils=[concern_services.PupilRole(pupils[4].id, Part.SUBJECT)],
        observed_at=now - timedelta(hours=3),
        location="School office",
        category_ids=["abuse-emotional"],
        account="Chidera said at pick-up \"I don't want to go home when my uncle is there, he shouts at me all the "
        'time". Her uncle works at the school.',
        already_done="Stayed with her until her mother arrived; told Mrs Shah in person.",
    )
    # The demo's newest concern (its entries follow the others', as they happened).
    concern = concern_services.log_concern(users["teacher@oak.example"], new, now=now - timedelta(minutes=10))
    access_services.set_concern_access(
        concern,
        dsl,
        access_services.AccessChange(
            AccessLevel.RESTRICTED,
            frozenset({dsl.id, head.id}),
            "A member of staff is a relative of the child: held to the lead DSL and the head.",
        ),
        now=concern.logged_at + timedelta(minutes=5),
    )


def restricted_reference() -> str | None:
    """The reference of the demo school's restricted concern, if any."""
    school = school_services.find_school(DEMO_CODE)
    if school is None:
        return None
    return db.session.scalar(
        select(Concern.reference)
        .where(Concern.school_id == school.id, Concern.access_level == AccessLevel.RESTRICTED.value)
        .order_by(Concern.id)
        .limit(1)
    )


def seed_demo() -> list[tuple[str, str, str, str]]:
    """Create the demo school, its users, pupils and a handful of concerns if missing; return the logins.

    Passwords are random, generated once and kept in ``instance/demo_logins.txt`` (git-ignored, readable by the
    owner only) so that running the command again prints the same logins. Accounts whose role needs a second
    factor get a two-factor key too, printed with the login, to add to an authenticator app.
    """
    path = _logins_file()
    known: dict[str, str] = {}
    keys: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            email, _, rest = line.partition(" ")
            password, _, key = rest.partition(" ")
            known[email] = password
            if key:
                keys[email] = key
    school = school_services.find_school(DEMO_CODE) or school_services.create_school(DEMO_NAME, DEMO_CODE)
    if not school.dsl_contact:
        school.dsl_contact = "Priya Shah, DSL: 01632 960123, dsl@oak.example"
    logins = []
    users = {}
    for email, name, roles in DEMO_USERS:
        user = auth_services.find_user_by_email(email)
        if user is None:
            password = known.get(email) or generate_password()
            user, _ = auth_services.create_user(school, email, name, roles, password=password)
            known[email] = password
            if user.two_factor_required:
                user.totp_secret = keys.get(email) or twofactor.new_secret()
                user.totp_enabled_at = utcnow()
                keys[email] = user.totp_secret
        users[email] = user
        logins.append(
            (
                email,
                ",".join(sorted(r.value for r in roles)),
                known.get(email, "(password set earlier)"),
                keys.get(email, ""),
            )
        )
    pupils = _seed_pupils(school)
    # The former pupil's concern happened years before the others: recorded first, so the demo reads in time order.
    seed_former_pupil(school, users["teacher@oak.example"], users["dsl@oak.example"])
    _seed_concerns(school, pupils, users)
    _seed_adult_concerns(school, pupils, users)
    _seed_trust(school)
    _seed_restricted(school, pupils, users)
    path.write_text("".join(f"{e} {p} {keys.get(e, '')}".rstrip() + "\n" for e, p in known.items()), encoding="utf-8")
    os.chmod(path, 0o600)
    return logins


def _seed_trust(school) -> None:
    """Put the demo school in the demo trust (once)."""
    trust = trust_store.trust_named(DEMO_TRUST)
    trust_id = trust.id if trust is not None else trust_store.add_trust(DEMO_TRUST, utcnow())
    if trust_store.trust_of(school.id) is None:
        trust_store.set_trust(school.id, trust_id)
