"""Several worker processes appending to one school's audit chain at once never fork it or fail."""

from __future__ import annotations

import multiprocessing

from safeguard.audit import services as audit


def _writer(config: dict, school_id: int, n: int) -> None:
    """One worker: its own app, engine and connections, as a gunicorn worker would have."""
    from safeguard import create_app
    from safeguard.core.extensions import db

    app = create_app(config)
    with app.app_context():
        try:
            for i in range(15):
                audit.record("test.concurrent", f"worker {n} event {i}", school_id=school_id)
                db.session.commit()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_concurrent_workers_keep_one_unbroken_chain(app, app_config, school, db):
    db.session.commit()
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(app_config, school.school.id, n)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    checked, broken = audit.verify_chains()
    assert broken == [] and checked >= 60
