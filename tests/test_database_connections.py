"""A pooled connection the database server has closed is replaced before a request uses it, without a round trip
on every request to find out."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text


def _backend_pid(db) -> int:
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_closed_by_the_server_is_replaced_before_a_request_uses_it(client, school, sign_in, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("an embedded SQLite database has no server to close its connections")
    db.engine.dispose()
    sign_in(school.dsl)
    assert client.get("/concerns/").status_code == 200
    pid = _backend_pid(db)

    # The server ends that connection (as a restart or an administrator would) while it waits in the pool.
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        for _ in range(100):  # until the backend has gone
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                break
            time.sleep(0.02)

    response = client.get("/concerns/")
    assert response.status_code == 200
    assert "Concerns" in response.get_data(as_text=True)
    assert _backend_pid(db) != pid


def test_postgresql_compiles_no_statement_just_in_time(db):
    """Every connection of the app has PostgreSQL's JIT off: the planner turned it on by estimated cost, and the queue
    filtered by category then spent 167 ms compiling a statement that ran in 13 ms, on every execution."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite compiles nothing just in time")
    db.engine.dispose()
    with db.engine.connect() as first, db.engine.connect() as second:
        settings = [c.execute(text("SHOW jit")).scalar_one() for c in (first, second)]
    assert settings == ["off", "off"]
