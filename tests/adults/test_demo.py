"""The demo school has an allegation about the demo teacher and a low-level concern, and prints their references."""

from __future__ import annotations

from sqlalchemy import select

from safeguard.adults.models import AdultConcern
from safeguard.auth.models import User


def test_the_demo_seeds_two_concerns_about_the_teacher_and_prints_them(runner, db):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    teacher = db.session.scalar(select(User).where(User.email == "teacher@oak.example"))
    cases = db.session.scalars(select(AdultConcern).order_by(AdultConcern.id)).all()
    assert [c.track for c in cases] == ["allegation", "low_level"]
    assert {c.subject_user_id for c in cases} == {teacher.id}
    for case in cases:
        line = next(line for line in result.output.splitlines() if case.reference in line)
        assert "adult" in line
    assert runner.invoke(args=["demo"]).output == result.output
    assert len(db.session.scalars(select(AdultConcern)).all()) == 2
