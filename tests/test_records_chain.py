"""The records are tamper-evident: each concern's account and chronology in a hash chain per school, anchored outside
the database by signed checkpoints, and `audit verify` finds what was changed (issue 21)."""

from __future__ import annotations

import io
import json
import os

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from safeguard.audit import anchors, records
from safeguard.audit import services as audit
from safeguard.audit.models import AuditEvent, RecordLink
from safeguard.concerns import services
from safeguard.concerns.models import ConcernEvent
from safeguard.exports import services as exports
from tests import factories

# What an owner of the database (not the application's role) could lift: the triggers that keep the records.
_SQLITE_TRIGGERS = (
    "concerns_keep_facts",
    "concern_events_no_update",
    "record_links_no_update",
    "record_links_no_delete",
)


def tamper(db, *statements: tuple[str, dict]) -> None:
    """Change rows behind the application's back, as someone holding the database's owner rights could."""
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        db.session.execute(text("SET session_replication_role = replica"))  # no triggers fire (superuser only)
    else:
        for trigger in _SQLITE_TRIGGERS:
            db.session.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
    for statement, values in statements:
        db.session.execute(text(statement), values)
    if postgres:
        db.session.execute(text("SET session_replication_role = origin"))
    db.session.commit()


def verify(runner) -> tuple[int, str]:
    result = runner.invoke(args=["audit", "verify"])
    return result.exit_code, result.output


@pytest.fixture
def acknowledged(app, school, db):
    child = factories.pupil(school.school, "Amira", "Haddad")
    concern = factories.concern(school.staff, [child])
    services.acknowledge(concern, school.dsl, None)
    services.add_addendum(concern, school.staff, "Amira later said it had happened twice before.")
    db.session.commit()
    return concern


def test_the_account_and_every_entry_are_sealed_and_verify(app, school, acknowledged, db, runner):
    links = db.session.scalars(select(RecordLink).where(RecordLink.chain == school.school.id).order_by(RecordLink.seq))
    kinds = [link.record_type for link in links]
    events = db.session.scalar(
        select(db.func.count()).select_from(ConcernEvent).where(ConcernEvent.concern_id == acknowledged.id)
    )
    assert kinds == ["concern"] + ["event"] * events
    code, output = verify(runner)
    assert code == 0, output
    assert f"{events + 1} record rows checked" in output


def test_an_edited_account_is_found(app, school, acknowledged, db, runner):
    tamper(db, ("UPDATE concerns SET account = 'Nothing happened.' WHERE id = :id", {"id": acknowledged.id}))
    code, output = verify(runner)
    assert code == 1
    assert f"concern's account (concern {acknowledged.id}) was altered" in output


def test_an_edited_chronology_entry_is_found(app, school, acknowledged, db, runner):
    entry = db.session.scalars(
        select(ConcernEvent).where(ConcernEvent.concern_id == acknowledged.id).order_by(ConcernEvent.id.desc())
    ).first()
    tamper(db, ("UPDATE concern_events SET text = 'Nothing more was said.' WHERE id = :id", {"id": entry.id}))
    code, output = verify(runner)
    assert code == 1
    assert f"chronology entry {entry.id} was altered" in output


def test_an_entry_slipped_in_outside_the_application_is_found(app, school, acknowledged, db, runner):
    tamper(
        db,
        (
            "INSERT INTO concern_events (school_id, concern_id, at, kind, summary, detail, visible_to_reporter) "
            "VALUES (:school, :concern, CURRENT_TIMESTAMP, 'note', 'Backdated note', '{}', false)",
            {"school": school.school.id, "concern": acknowledged.id},
        ),
    )
    code, output = verify(runner)
    assert code == 1
    assert "is not in the chain" in output


def test_the_database_refuses_to_change_a_concerns_recorded_facts(app, school, acknowledged, db):
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE concerns SET account = 'Changed' WHERE id = :id"), {"id": acknowledged.id})
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(
            text("UPDATE concerns SET reporter_id = :dsl WHERE id = :id"), {"id": acknowledged.id, "dsl": school.dsl.id}
        )
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("DELETE FROM concerns WHERE id = :id"), {"id": acknowledged.id})
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE record_links SET content_hash = 'x'"))
    db.session.rollback()
    # What the concern's later life changes still changes.
    db.session.execute(text("UPDATE concerns SET level_of_need = 'Early help' WHERE id = :id"), {"id": acknowledged.id})
    db.session.commit()


def _rehash_audit_from(db, chain: int, seq: int, summary: str) -> None:
    """Rewrite an audit row and recompute every later hash, as a careful forger would."""
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq >= seq).order_by(AuditEvent.seq)
    ).all()
    prev = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.chain == chain, AuditEvent.seq == seq - 1))
    statements = []
    for row in rows:
        db.session.expunge(row)
        if row.seq == seq:
            row.summary = summary
        row.prev_hash = prev or audit.GENESIS
        row.hash = audit._content_hash(row)
        prev = row.hash
        statements.append(
            (
                "UPDATE audit_events SET summary = :summary, prev_hash = :prev, hash = :hash WHERE id = :id",
                {"summary": row.summary, "prev": row.prev_hash, "hash": row.hash, "id": row.id},
            )
        )
    tamper(db, *statements)


def test_a_rewritten_audit_chain_is_caught_by_its_checkpoint(app, school, acknowledged, db, runner):
    result = runner.invoke(args=["audit", "anchor"])
    assert result.exit_code == 0, result.output
    chain = school.school.id
    seq = db.session.scalar(
        select(AuditEvent.seq).where(AuditEvent.chain == chain, AuditEvent.kind == "concern.logged")
    )
    _rehash_audit_from(db, chain, seq, "Nothing logged")
    _, broken = audit.verify_chains()
    assert broken == []  # the chain alone still holds: only the anchor tells
    code, output = verify(runner)
    assert code == 1
    assert "does not match its checkpoint" in output
    assert f"audit anchor chain {chain}" in output


def test_rows_deleted_from_the_end_are_caught(app, school, acknowledged, db, runner):
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    chain = school.school.id
    last = db.session.scalar(select(db.func.max(RecordLink.seq)).where(RecordLink.chain == chain))
    tamper(db, ("DELETE FROM record_links WHERE chain = :chain AND seq = :seq", {"chain": chain, "seq": last}))
    code, output = verify(runner)
    assert code == 1
    assert f"the chain ends at row {last - 1}, but row {last} was anchored" in output
    last_audit = db.session.scalar(select(db.func.max(AuditEvent.seq)).where(AuditEvent.chain == chain))
    tamper(
        db, ("DELETE FROM audit_events WHERE chain = :chain AND seq >= :seq", {"chain": chain, "seq": last_audit - 1})
    )
    code, output = verify(runner)
    assert "rows were deleted from its end" in output


def test_checkpoints_are_appended_signed_and_only_when_the_chains_move(app, school, acknowledged, db, runner):
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    path = anchors.folder() / f"school-{school.school.id}.log"
    assert len(path.read_text().splitlines()) == 1
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    assert len(path.read_text().splitlines()) == 1  # nothing moved
    services.add_addendum(acknowledged, school.staff, "She was seen by the school nurse.")
    db.session.commit()
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    assert oct(anchors.key_path().stat().st_mode & 0o777) == "0o600"
    # A checkpoint forged without the key is refused.
    forged = json.loads(lines[-1]) | {"records": [1, "0" * 64]}
    with path.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
    code, output = verify(runner)
    assert code == 1
    assert "is not signed by this deployment's key" in output


def test_the_worker_anchors_after_each_pass(app, school, acknowledged, db):
    from safeguard.notifications.cli import run_once

    run_once()
    checkpoint = anchors.latest(school.school.id)
    assert checkpoint is not None
    assert checkpoint.records_seq == records.head(school.school.id)[0]


def test_every_exported_pdf_prints_the_latest_checkpoint(app, school, acknowledged, db, runner):
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    checkpoint = anchors.latest(school.school.id)
    exported = exports.export_concern(acknowledged, school.dsl, "Referral to children's social care")
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(exported.pdf)).pages]
    assert all(f"records row {checkpoint.records_seq} {checkpoint.records_hash[:12]}" in page for page in pages)


def test_a_disposed_concern_is_verified_by_its_stored_hashes(app, school, acknowledged, db, runner):
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    records.seal_disposal(school.school.id, acknowledged.id)
    db.session.execute(
        text("UPDATE concerns SET account = 'Disposed of under the records policy', location = '' WHERE id = :id"),
        {"id": acknowledged.id},
    )
    db.session.commit()
    code, output = verify(runner)
    assert code == 0, output


def test_verify_without_a_key_says_what_it_cannot_tell(app, school, acknowledged, db, runner):
    assert not os.path.exists(anchors.key_path())
    code, output = verify(runner)
    assert code == 0
    assert "no checkpoint found" in output


def test_the_migration_seals_the_records_held_before_it(app, school, acknowledged, db, runner):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parent.parent / "migrations" / "versions" / "0020_security_round_two.py"
    spec = importlib.util.spec_from_file_location("revision_0020", path)
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    sealed = db.session.scalar(select(db.func.count()).select_from(RecordLink))
    tamper(db, ("DELETE FROM record_links", {}))  # as if the records were kept before the chain began
    assert verify(runner)[0] == 1
    revision.seal_existing(db.session.connection())
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(RecordLink)) == sealed
    code, output = verify(runner)
    assert code == 0, output


def test_a_worker_pass_carries_on_when_the_anchors_cannot_be_written(app, school, acknowledged, db, tmp_path, caplog):
    from safeguard.notifications.cli import run_once
    from safeguard.notifications.models import WorkerHeartbeat

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    app.config["ANCHOR_FOLDER"] = str(blocker / "anchors")
    run_once()
    assert db.session.scalar(select(WorkerHeartbeat.beat_at))
    assert "could not be anchored" in caplog.text


def test_the_safety_check_says_whether_the_records_are_anchored(app, school, acknowledged, db, runner):
    from safeguard.safety.services import Status, school_checks

    def anchored():
        return next(check for check in school_checks(school.school) if check.name == "Records anchored")

    assert anchored().status == Status.WARNING and "never been anchored" in anchored().summary
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    assert anchored().status == Status.OK and "Last checkpoint" in anchored().summary
    result = runner.invoke(args=["doctor", "--school", "OAK"])
    assert "Records anchored" in result.output
