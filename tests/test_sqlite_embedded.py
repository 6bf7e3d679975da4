"""The embedded SQLite database: someone reading never holds up someone saving."""

from __future__ import annotations

import sqlite3

from sqlalchemy import text

from safeguard.core.extensions import db
from tests.conftest import base_config


def test_a_reader_does_not_hold_up_a_teacher_saving(make_app, tmp_path):
    path = tmp_path / "embedded.sqlite"
    app = make_app(base_config(f"sqlite:///{path}", tmp_path))
    with app.app_context():
        db.session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
        db.session.execute(text("INSERT INTO notes (body) VALUES ('first')"))
        db.session.commit()
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"

        # A DSL's page is half-way through reading (an open read transaction) …
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM notes").fetchone() == (1,)
        # … while a teacher's concern is saved: it commits at once, instead of waiting for the reader (in SQLite's
        # default journal mode this waits, and with no time to wait fails with "database is locked").
        writer = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        writer.execute("INSERT INTO notes (body) VALUES ('second')")
        # The reader goes on seeing what it started with, and the next read sees both.
        assert reader.execute("SELECT count(*) FROM notes").fetchone() == (1,)
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM notes").fetchone() == (2,)
        reader.close()
        writer.close()
