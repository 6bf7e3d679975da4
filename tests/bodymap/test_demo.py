"""The demo school has a concern with a body map, and says which."""

from __future__ import annotations

from sqlalchemy import select

from safeguard.bodymap.models import BodyMark
from safeguard.concerns.models import Concern


def test_the_demo_seeds_a_concern_with_two_marks_and_prints_its_reference(runner, db):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    reference = db.session.scalar(select(Concern.reference).join(BodyMark, BodyMark.concern_id == Concern.id))
    marks = db.session.scalars(select(BodyMark).order_by(BodyMark.id)).all()
    assert [m.region_label for m in marks] == ["Left forearm", "Left upper arm"]
    assert {m.concern_id for m in marks} == {marks[0].concern_id}
    line = next(line for line in result.output.splitlines() if reference in line)
    assert "body map" in line
    # Run again, nothing is added twice.
    assert runner.invoke(args=["demo"]).output == result.output
    assert len(db.session.scalars(select(BodyMark)).all()) == 2
