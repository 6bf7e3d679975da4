"""Retention: the schedule, the reviews that come due, keeping, holds, and a disposal that destroys the content while
the audit chain still verifies."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import inspect, select, text

from safeguard import create_app
from safeguard.audit import anchors
from safeguard.audit.services import verify_chains
from safeguard.auth.models import Role
from safeguard.concerns import services as concern_services
from safeguard.concerns.models import Attachment, Concern, ConcernEvent, Part
from safeguard.core.extensions import db
from safeguard.core.paths import resource_dir
from safeguard.core.sqltypes import utcnow
from safeguard.notifications.models import OutboxMessage
from safeguard.pupils.models import Pupil
from safeguard.retention import services
from safeguard.retention.models import Disposal, RetentionReview
from safeguard.retention.schedule import ScheduleError, clear_cache, file_due, load_schedule
from safeguard.retention.store import DESTROYED
from tests import factories

# A word found nowhere else: after the disposal it must be found nowhere at all (its stem too, for the text index).
SECRET = "Quillfeather"
STEM = b"quillfeath"
PDF = b"%PDF-1.4\n% Quillfeather's letter to the school\n%%EOF\n"


def _former_pupil(school, first="Zebedee", last="Ashworth", years_old=26, upn=None):
    today = date.today()
    return factories.pupil(school.school, first, last, born=f"{today.year - years_old}-01-15", upn=upn)


def _old_concern(school, pupils, account, uploads=(), categories=("abuse-physical",)):
    when = utcnow() - timedelta(days=365 * 15)
    new = concern_services.NewConcern(
        pupils=[
            concern_services.PupilRole(p.id, Part.SUBJECT if i == 0 else Part.WITNESS) for i, p in enumerate(pupils)
        ],
        observed_at=when - timedelta(hours=1),
        location="Playground",
        category_ids=list(categories),
        account=account,
        already_done=f"Told the DSL about {SECRET}'s words.",
        uploads=list(uploads),
    )
    made = concern_services.log_concern(school.staff, new, now=when)
    db.session.commit()
    return made


def _open_reviews(school):
    opened = services.open_due_reviews(school.school, utcnow())
    db.session.commit()
    return opened


# ---------------------------------------------------------------------------------------------------------------
# The schedule


def test_the_schedule_lints_clean(runner):
    result = runner.invoke(args=["retention", "lint"])
    assert result.exit_code == 0, result.output
    assert "retention schedule" in result.output and "valid" in result.output


@pytest.fixture
def broken(tmp_path):
    def _broken(change):
        folder = tmp_path / "terminology"
        shutil.copytree(resource_dir("terminology"), folder)
        path = folder / "en-GB" / "retention.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return folder / "en-GB"

    return _broken


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["records"][0].update(years=0), "retention.yaml: child-file: years: "),
        (lambda d: d["records"][0].update(then="shred"), "retention.yaml: child-file: then: must be review or delete"),
        (lambda d: d["records"][0].update(days=30), "retention.yaml: child-file: (entry): give the period in years or"),
        (lambda d: d["records"][0].update(colour="red"), "retention.yaml: child-file: colour: is not a known field"),
        (lambda d: d["records"].pop(4), "retention.yaml: (schedule): records: must list 'outbox'"),
        (lambda d: d["records"][0].update(source="NOPE"), "retention.yaml: child-file: source: 'NOPE' is not one"),
        (
            lambda d: d["records"][0]["longer_for"][0]["categories"].append("not-a-category"),
            "retention.yaml: child-file: longer_for: 'not-a-category' is not a category of the vocabulary",
        ),
    ],
)
def test_a_broken_schedule_is_refused_with_a_clear_error(app, broken, change, message):
    from safeguard.terminology import get_vocabulary

    folder = broken(change)
    with pytest.raises(ScheduleError) as caught:
        load_schedule(folder, get_vocabulary().categories)
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


def test_the_lint_command_and_the_app_refuse_a_broken_schedule(runner, broken, app_config):
    folder = broken(lambda d: d["records"][0].update(years=-3))
    result = runner.invoke(args=["retention", "lint", str(folder.parent)])
    assert result.exit_code == 1
    assert "en-GB/retention.yaml: child-file: years:" in result.output
    clear_cache()
    try:
        with pytest.raises(ScheduleError, match="child-file"):
            create_app({**app_config, "TERMINOLOGY_DIR": str(folder.parent)})
    finally:
        clear_cache()


def test_due_dates(app):
    period = services.schedule().period("child-file")
    born = date(2000, 2, 29)
    assert file_due(period, born, None, [], None) == (date(2025, 2, 28), "25 years from the date of birth (IRMS)")
    assert file_due(period, born, None, [], 30)[0] == date(2030, 2, 28)
    logged = utcnow().replace(year=2010, month=5, day=1)
    due, basis = file_due(period, born, logged, ["abuse-sexual"], None)
    assert due == date(2085, 5, 1) and "IICSA" in basis


# ---------------------------------------------------------------------------------------------------------------
# Reviews


def test_retention_review_opens_each_due_file_once_and_alerts_the_lead_dsl(app, runner, school, db):
    former = _former_pupil(school, upn="F999000000001")
    _old_concern(school, [former], "He said his brother hit him.")
    young = factories.pupil(school.school, "Ada", "Young", born="2015-01-01")
    factories.concern(school.staff, [young])
    result = runner.invoke(args=["retention", "review"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "F999000000001" in line]
    assert len(lines) == 1 and "retention" in lines[0]
    assert young.upn not in result.output
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("%retention review%"))).all()
    assert [m.to_address for m in mail] == [school.dsl.email]
    assert "Zebedee" not in mail[0].body
    again = runner.invoke(args=["retention", "review"])
    assert "F999000000001" not in again.output and "0 retention review(s) opened" in again.output


def test_a_school_may_lengthen_never_shorten_a_period(app, school, db):
    with pytest.raises(services.RetentionError, match="never shorten"):
        services.lengthen(school.school, school.dsl, "child-file", 20, "We would like less.", utcnow())
    deputy = factories.user(school.school, Role.DSL, email="deputy@oak.example")
    with pytest.raises(services.RetentionError, match="lead DSL or the head"):
        services.lengthen(school.school, deputy, "child-file", 30, "Local authority policy.", utcnow())
    services.lengthen(school.school, school.dsl, "child-file", 30, "Local authority policy.", utcnow())
    db.session.commit()
    former = _former_pupil(school, years_old=27)
    _old_concern(school, [former], "Something happened.")
    assert _open_reviews(school) == []


def test_keep_hold_and_lift(app, school, db):
    former = _former_pupil(school)
    _old_concern(school, [former], "An account.")
    (opened,) = _open_reviews(school)
    review = db.session.get(RetentionReview, opened.review_id)
    deputy = factories.user(school.school, Role.DSL, email="deputy@oak.example")
    with pytest.raises(services.RetentionError, match="lead DSL or the head"):
        services.keep(review, deputy, 2, "Still relevant.", utcnow())
    hold = services.place_hold(review, school.head, "police", "Police request of last week.", "OP-7", utcnow())
    with pytest.raises(services.RetentionError, match="legal hold"):
        services.propose_disposal(review, school.dsl, "Period over.", utcnow())
    services.lift_hold(hold, school.dsl, "The police have closed their enquiry.", utcnow())
    assert review.status == "open"
    services.keep(review, school.dsl, 2, "A sibling's case is still open.", utcnow())
    db.session.commit()
    assert review.status == "kept" and review.kept_until.year == date.today().year + 2
    assert _open_reviews(school) == []


# ---------------------------------------------------------------------------------------------------------------
# Disposal


def _dispose(school, db, *, account, uploads=()):
    former = _former_pupil(school)
    concern = _old_concern(school, [former], account, uploads=uploads)
    concern_services.add_addendum(concern, school.dsl, f"{SECRET} came back to say more.")
    db.session.commit()
    (opened,) = _open_reviews(school)
    review = db.session.get(RetentionReview, opened.review_id)
    disposal = services.propose_disposal(review, school.dsl, "Retention period over; nothing relevant.", utcnow())
    db.session.commit()
    return former, concern, disposal


def test_a_disposal_needs_two_people(app, school, db):
    _former, _concern, disposal = _dispose(school, db, account="An account.")
    deputy = factories.user(school.school, Role.DSL, email="deputy@oak.example")
    for person in (school.dsl, deputy):
        with pytest.raises(services.RetentionError, match="two people"):
            services.approve_disposal(disposal, person, utcnow())
    assert disposal.status == "proposed"


def _text_everywhere(db, needle: str) -> list[str]:
    """Every (table, column) whose text holds ``needle``, over every table of the database."""
    engine = db.engine
    found = []
    inspector = inspect(engine)
    with engine.connect() as connection:
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                kind = str(column["type"]).upper()
                if not any(word in kind for word in ("CHAR", "TEXT", "JSON", "CLOB")):
                    continue
                cast = f'CAST("{column["name"]}" AS TEXT)'
                statement = text(f'SELECT count(*) FROM "{table}" WHERE lower({cast}) LIKE :needle')  # noqa: S608
                if connection.execute(statement, {"needle": f"%{needle.lower()}%"}).scalar():
                    found.append(f"{table}.{column['name']}")
    return found


def test_disposal_destroys_the_content_and_keeps_the_audit_whole(app, school, db, client, sign_in):
    account = f'{SECRET} said "my uncle hurts me" and showed a bruise.'
    upload = concern_services.Upload("letter-from-quillfeather.pdf", PDF, f"{SECRET}'s letter")
    former, concern, disposal = _dispose(school, db, account=account, uploads=[upload])
    # The account is on the concern page, and in the text search, before the disposal.
    assert _text_everywhere(db, SECRET)
    attachment = db.session.scalar(select(Attachment).where(Attachment.concern_id == concern.id))
    stored = Path(app.config["UPLOAD_FOLDER"]) / str(school.school.id) / attachment.storage_name
    assert stored.exists()
    # A disposal's proposer was the lead DSL: the head approves, through the page.
    sign_in(school.head)
    response = factories.submit_form(client, f"/retention/disposals/{disposal.id}/approve", {}, form_url="/retention/")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Disposal, disposal.id).status == "destroyed"
    # The content is gone from every table and column, the file from the disk.
    assert _text_everywhere(db, SECRET) == []
    assert _text_everywhere(db, "Zebedee") == [] and _text_everywhere(db, "Ashworth") == []
    assert not stored.exists()
    assert not any(
        SECRET.lower().encode() in p.read_bytes().lower()
        for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*")
        if p.is_file()
    )
    # On SQLite, not in the database file's bytes either (freed pages overwritten, the log checkpointed).
    if db.engine.dialect.name == "sqlite":
        path = Path(db.engine.url.database)
        files = [path, path.with_name(path.name + "-wal")]
        assert not any(STEM in f.read_bytes().lower() for f in files if f.exists())
    # What stays: the destruction record, the concern's reference and times, its chronology's shape.
    kept = db.session.get(Concern, concern.id)
    assert kept.account == DESTROYED and kept.reference == concern.reference
    entries = db.session.scalars(select(ConcernEvent).where(ConcernEvent.concern_id == concern.id)).all()
    assert entries and all(e.summary == DESTROYED and e.text is None for e in entries)
    assert db.session.get(Pupil, former.id).upn == disposal.reference
    # The audit chain still verifies, and so do the records' chain and its checkpoints (what `audit verify` checks):
    # the disposal was sealed before the content was replaced.
    checked, broken = verify_chains()
    assert checked and broken == []
    result = anchors.verify()
    assert result.record_rows and result.broken == []
    response = client.get("/retention/")
    assert disposal.reference in response.get_data(as_text=True)


def test_the_database_allows_only_the_disposals_change_to_the_chronology(app, school, db):
    young = factories.pupil(school.school, "Young", "Child", born="2015-01-01")
    concern = factories.concern(school.staff, [young])
    events = ConcernEvent.__table__
    with db.engine.connect() as connection:
        for statement in (
            events.update().where(events.c.concern_id == concern.id).values(summary=DESTROYED, text=None, detail={}),
            events.delete().where(events.c.concern_id == concern.id),
        ):
            with pytest.raises(Exception, match="append-only"):
                connection.execute(statement)
            connection.rollback()
    # Once disposed of, still only the placeholder: any other change, and any delete, is refused.
    _f, disposed, disposal = _dispose(school, db, account="Another account.")
    services.approve_disposal(disposal, school.head, utcnow())
    db.session.commit()
    with db.engine.connect() as connection:
        for statement in (
            events.update().where(events.c.concern_id == disposed.id).values(summary="Rewritten history"),
            events.update().where(events.c.concern_id == disposed.id).values(kind="note"),
            events.delete().where(events.c.concern_id == disposed.id),
        ):
            with pytest.raises(Exception, match="append-only"):
                connection.execute(statement)
            connection.rollback()


def test_a_concern_about_another_child_too_is_kept(app, school, db):
    other = factories.pupil(school.school, "Peter", "Current", born="2015-01-01")
    former = _former_pupil(school)
    shared = _old_concern(school, [former, other], f"{SECRET} and Peter argued.")
    (opened,) = _open_reviews(school)
    review = db.session.get(RetentionReview, opened.review_id)
    disposal = services.propose_disposal(review, school.head, "Retention period over.", utcnow())
    destroyed = services.approve_disposal(disposal, school.dsl, utcnow())
    db.session.commit()
    assert destroyed.concerns == 0 and destroyed.kept_shared == 1
    assert db.session.get(Concern, shared.id).account.startswith(SECRET)
    assert db.session.get(Pupil, former.id).legal_first_name == "Destroyed"


def test_retention_report(app, runner, school, db):
    _f, _c, disposal = _dispose(school, db, account="An account.")
    services.approve_disposal(disposal, school.head, utcnow())
    db.session.commit()
    result = runner.invoke(args=["retention", "report", "--school", "OAK"])
    assert result.exit_code == 0, result.output
    assert "Disposed of in the period: 1" in result.output and disposal.reference in result.output
    assert "Zebedee" not in result.output


def test_a_reason_is_written_in_the_vocabularys_terms(app, school, db):
    former = _former_pupil(school)
    _old_concern(school, [former], "An account.")
    (opened,) = _open_reviews(school)
    review = db.session.get(RetentionReview, opened.review_id)
    with pytest.raises(services.RetentionError, match="child sexual abuse material"):
        services.keep(review, school.dsl, 5, "Police are investigating child pornography found later.", utcnow())


@pytest.fixture
def encrypted(app_config):
    app_config["UPLOAD_ENCRYPTION_KEY"] = "A" * 43
    return app_config


def test_an_encrypted_attachment_is_removed_too(encrypted, app, school, db):
    upload = concern_services.Upload("letter.pdf", PDF, "")
    _former, concern, disposal = _dispose(school, db, account="An account.", uploads=[upload])
    attachment = db.session.scalar(select(Attachment).where(Attachment.concern_id == concern.id))
    stored = Path(app.config["UPLOAD_FOLDER"]) / str(school.school.id) / attachment.storage_name
    assert stored.read_bytes().startswith(b"SGv1")
    services.approve_disposal(disposal, school.head, utcnow())
    assert stored.exists()  # until the commit
    db.session.commit()
    assert not stored.exists()


def test_a_disposal_rolled_back_keeps_the_file_and_the_record(app, school, db):
    upload = concern_services.Upload("letter.pdf", PDF, "")
    _former, concern, disposal = _dispose(school, db, account=f"{SECRET} spoke.", uploads=[upload])
    attachment = db.session.scalar(select(Attachment).where(Attachment.concern_id == concern.id))
    stored = Path(app.config["UPLOAD_FOLDER"]) / str(school.school.id) / attachment.storage_name
    services.approve_disposal(disposal, school.head, utcnow())
    db.session.rollback()
    assert stored.exists()
    assert db.session.get(Concern, concern.id).account.startswith(SECRET)
