"""School rules: creating schools and changing their settings."""

from __future__ import annotations

from sqlalchemy import select

from safeguard.audit import services as audit
from safeguard.auth.models import User
from safeguard.core.extensions import db
from safeguard.schools.models import SCHOOL_CODE, TIME_ZONES, School


class SchoolError(ValueError):
    """A rule about schools was broken; ``field`` names the setting at fault, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def find_school(code: str) -> School | None:
    """Return the school with this code, or ``None``."""
    return db.session.scalar(select(School).where(School.code == (code or "").strip().upper()))


def create_school(name: str, code: str) -> School:
    """Create a school; the code is 2 to 6 capital letters and unique."""
    name = (name or "").strip()
    if not SCHOOL_CODE.match(code or ""):
        raise SchoolError(f"the school code {code!r} must be 2 to 6 capital letters, for example OAK")
    if not name:
        raise SchoolError("the school needs a name")
    if find_school(code):
        raise SchoolError(f"a school with the code {code} already exists")
    school = School(name=name, code=code)
    db.session.add(school)
    db.session.flush()
    audit.record(
        "school.created",
        f"School {code} created",
        school_id=school.id,
        subject_type="school",
        subject_id=school.id,
    )
    return school


# The settings an administrator may change.
SETTINGS = frozenset(
    {
        "name",
        "dsl_contact",
        "protective_marking",
        "timezone",
        "urgent_ack_minutes",
        "routine_ack_school_days",
        "levels_of_need",
        "onward_contact_label",
        "onward_contact_email",
    }
)


def _cleaned(settings: dict[str, str | int]) -> dict[str, str | int]:
    """The known settings, trimmed, the levels of need one per line; an unknown time zone is refused."""
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in settings.items() if k in SETTINGS}
    if "timezone" in cleaned and cleaned["timezone"] not in TIME_ZONES:
        raise SchoolError(
            f"{cleaned['timezone']!r} is not a time zone: choose one from the list, for example Europe/London.",
            field="timezone",
        )
    if cleaned.get("onward_contact_email") and "@" not in str(cleaned["onward_contact_email"]):
        raise SchoolError("Enter a valid e-mail address for the next step.", field="onward_contact_email")
    if "levels_of_need" in cleaned:
        cleaned["levels_of_need"] = "\n".join(
            line.strip() for line in str(cleaned["levels_of_need"]).splitlines() if line.strip()
        )
    return cleaned


def update_settings(school: School, *, actor: User, **settings: str | int) -> None:
    """Change the school's settings, auditing before and after; an unknown time zone is refused."""
    cleaned = _cleaned(settings)
    changed = {k: v for k, v in cleaned.items() if getattr(school, k) != v}
    if not changed:
        return
    before = {k: getattr(school, k) for k in changed}
    for key, value in changed.items():
        setattr(school, key, value)
    db.session.flush()
    audit.record(
        "school.settings_changed",
        "School settings changed",
        school_id=school.id,
        actor_id=actor.id,
        subject_type="school",
        subject_id=school.id,
        detail={"before": before, "after": changed},
    )
