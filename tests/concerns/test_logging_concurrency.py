"""Several workers logging concerns for one school at once: every concern gets the next number, none is skipped or
taken twice, and the audit chain stays whole."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import func, select

from safeguard.audit import services as audit
from safeguard.concerns.models import Concern
from safeguard.notifications.models import Notification

PER_WORKER = 8


def _logger(config: dict, reporter_id: int, pupil_id: int, n: int) -> None:
    """One worker: its own app, engine and connections, as a gunicorn worker would have."""
    from safeguard import create_app
    from safeguard.auth.models import User
    from safeguard.concerns.models import Part
    from safeguard.concerns.services import NewConcern, PupilRole, log_concern
    from safeguard.core.extensions import db
    from safeguard.core.sqltypes import utcnow

    app = create_app(config)
    with app.app_context():
        try:
            reporter = db.session.get(User, reporter_id)
            for i in range(PER_WORKER):
                new = NewConcern(
                    pupils=[PupilRole(pupil_id, Part.SUBJECT)],
                    observed_at=utcnow(),
                    location="Corridor",
                    category_ids=["abuse-neglect"],
                    account=f"Worker {n}, concern {i}: the child said they had not eaten since yesterday.",
                    already_done="Gave the child breakfast.",
                )
                log_concern(reporter, new)
                db.session.commit()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_concurrent_logging_numbers_every_concern_once_and_in_order(app, app_config, school, pupils, db):
    db.session.commit()
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_logger, args=(app_config, school.staff.id, pupils[n % 3].id, n)) for n in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=180)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]

    references = db.session.scalars(select(Concern.reference).where(Concern.school_id == school.school.id)).all()
    year = references[0].split("-")[1]
    assert sorted(references) == [f"OAK-{year}-{n:04d}" for n in range(1, 4 * PER_WORKER + 1)]
    # Each DSL was alerted about each concern, under its own reference.
    alerts = db.session.scalar(select(func.count()).select_from(Notification))
    assert alerts == 4 * PER_WORKER  # the school has one DSL
    messages = db.session.scalars(select(Notification.message)).all()
    assert all(m.split(": ")[1].split(" ")[0] in references for m in messages)
    checked, broken = audit.verify_chains()
    assert broken == [] and checked >= 4 * PER_WORKER
