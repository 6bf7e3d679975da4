"""The demo's former pupil: a child who left years ago, whose safeguarding file has come due for retention review."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from safeguard.auth.models import User
from safeguard.concerns import services as concern_services
from safeguard.concerns.models import Part
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.pupils.models import Pupil
from safeguard.retention import services
from safeguard.schools.models import School

FORMER_PUPIL_UPN = "A801000000900"


def seed_former_pupil(school: School, reporter: User, dsl: User) -> str:
    """Add (once) a former pupil, now 26, with one concern from their primary years (acknowledged by ``dsl`` then),
    open the review their file came due for, and return their UPN."""
    found = db.session.scalar(select(Pupil).where(Pupil.school_id == school.id, Pupil.upn == FORMER_PUPIL_UPN))
    now = utcnow()
    if found is None:
        today = now.date()
        born = date(today.year - 26, 3, 9)
        found = Pupil(
            school_id=school.id,
            upn=FORMER_PUPIL_UPN,
            legal_first_name="Daniel",
            legal_last_name="Marsh",
            date_of_birth=born,
            year_group="",
            class_name="",
            left_on=date(born.year + 11, 7, 20),
            destination_school="Hillside Secondary School",
        )
        db.session.add(found)
        db.session.flush()
        logged = now.replace(year=born.year + 9, month=11, day=12, hour=10, minute=20)
        concern = concern_services.log_concern(
            reporter,
            concern_services.NewConcern(
                pupils=[concern_services.PupilRole(found.id, Part.SUBJECT)],
                observed_at=logged - timedelta(hours=1),
                location="Year 4 classroom",
                category_ids=["welfare-mental-health"],
                account='Daniel was tearful during reading and said "I don\'t sleep because of the shouting at home".',
                already_done="Listened and told him I would speak to Mrs Shah.",
            ),
            now=logged,
        )
        # Acknowledged by the DSL at the time, as it was then: not an overdue concern in today's queue.
        concern_services.acknowledge(concern, dsl, None, now=logged + timedelta(minutes=12))
    services.open_due_reviews(school, now)
    return FORMER_PUPIL_UPN
