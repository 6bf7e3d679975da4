"""The audit chain: every row linked to the one before, and tampering found."""

from __future__ import annotations

import itertools

from sqlalchemy import select, text

from safeguard.audit import services as audit
from safeguard.audit.models import AuditEvent


def test_chain_verifies_and_links_rows(app, school, db):
    for n in range(5):
        audit.record("test.event", f"Event {n}", school_id=school.school.id, actor_id=school.dsl.id, detail={"n": n})
    db.session.commit()
    checked, broken = audit.verify_chains()
    assert broken == []
    assert checked >= 5
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.chain == school.school.id).order_by(AuditEvent.seq)
    ).all()
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash


def test_an_altered_row_is_found(app, school, db):
    event = audit.record("test.event", "Original", school_id=school.school.id)
    audit.record("test.event", "Later", school_id=school.school.id)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # lift the append-only trigger, as only a superuser could
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
    db.session.execute(text("UPDATE audit_events SET summary = 'Altered' WHERE id = :id"), {"id": event.id})
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
        db.session.commit()
    _, broken = audit.verify_chains()
    assert [(b.chain, b.seq) for b in broken] == [(school.school.id, event.seq)]
    assert "altered" in broken[0].reason


def test_each_school_has_its_own_chain(app, school, other_school, db):
    audit.record("test.event", "A", school_id=school.school.id)
    audit.record("test.event", "B", school_id=other_school.school.id)
    db.session.commit()
    chains = set(db.session.scalars(select(AuditEvent.chain).distinct()))
    assert {school.school.id, other_school.school.id} <= chains
