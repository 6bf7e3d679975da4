"""Two processes (or threads) appending to one school's audit chain at once never fork it or fail."""

from __future__ import annotations

import threading

from safeguard.audit import services as audit


def test_concurrent_appends_keep_one_unbroken_chain(app, app_config, make_app, school, db):
    errors: list[BaseException] = []
    # One app per writer, each with its own connections: as several gunicorn workers would be.
    workers = [make_app(app_config) for _ in range(4)]

    def writer(n: int) -> None:
        with workers[n].app_context():
            try:
                for i in range(15):
                    audit.record("test.concurrent", f"writer {n} event {i}", school_id=school.school.id)
                    db.session.commit()
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    checked, broken = audit.verify_chains()
    assert broken == [] and checked >= 60
