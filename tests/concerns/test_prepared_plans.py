"""The queue's statement, as a served page runs it, reads the indexes it was built for (PostgreSQL).

psycopg prepares a statement on its sixth run, and PostgreSQL then keeps one plan for every later run: a *generic*
plan, made without the values bound. A partial index (``WHERE status = 'closed'``) is matched only to a constant
written into the SQL, so a condition whose value is bound can never use it there, even though the plan made with the
values (``EXPLAIN`` of the statement as written) does. The "Closed" count was such a condition: served, it read every
closed concern of the school from the table (2 ms of the queue's 4 ms of PostgreSQL at trust scale); it is now counted
only on the views that show closed concerns, from their partial index.

Each test plans the statement the page ran the way a served page runs it (``PREPARE``, then a generic plan forced:
``benchmarks.trust_bench.served_plan``, which ``make bench`` checks every page's statements with), after the tables'
statistics are brought up to date and with sequential scans priced out.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event

from benchmarks.trust_bench import served_plan
from safeguard.concerns import services
from safeguard.core.extensions import db
from tests import factories

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL only")


def _statements_of(app, request) -> list[tuple[str, dict[str, Any]]]:
    """The statements (and their values) one request runs."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def note(_connection, _cursor, statement, parameters, _context, _executemany) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = request()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert response.status_code == 200
    return seen


def _generic_plan(statement: str, values: dict[str, Any]) -> str:
    """The generic plan PostgreSQL keeps for the prepared statement, as JSON text (the benchmark's own check)."""
    raw = db.engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor:
            # A few test rows make reading the whole table cheaper than any index: price that out, so the plan shows
            # which indexes it can use.
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = served_plan(raw.driver_connection, statement, values)
        raw.driver_connection.rollback()
    finally:
        raw.close()
    return plan


def _vacuum_analyze(*tables: str) -> None:
    """Bring the tables' statistics and visibility map up to date, as autovacuum keeps a served database: the
    planner then prices the covering indexes as it would there, not by a fresh table's guesses."""
    raw = db.engine.raw_connection()
    try:
        raw.driver_connection.autocommit = True
        with raw.driver_connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM ANALYZE {table}")
        raw.driver_connection.autocommit = False
    finally:
        raw.close()


@pytest.fixture
def busy_school(school, client):
    """A school with new, acknowledged and closed concerns and a follow-up; its DSL signed in."""
    child = factories.pupil(school.school, "Amira", "Haddad")
    concerns = [factories.concern(school.staff, [child]) for _ in range(4)]
    services.acknowledge(concerns[0], school.dsl, None)
    services.record_action(
        concerns[0],
        school.dsl,
        services.ActionInput(kind="other", details="Call the family back", follow_up_on=date.today()),
        None,
    )
    services.acknowledge(concerns[1], school.dsl, None)
    services.change_status(
        concerns[1],
        school.dsl,
        services.StatusChange("closed", outcome="No further action", rationale="Resolved with the family's support."),
        None,
    )
    db.session.commit()
    factories.sign_in(client, school.dsl)
    return school


def _served_queue_plan(app, client, address: str) -> str:
    """The generic plan of the queue's statement on ``address``, after the page has been served a few times."""
    for _ in range(2):
        client.get(address)  # the page as it is served again and again
    statements = _statements_of(app, lambda: client.get(address))
    queue = max(statements, key=lambda s: len(s[0]))
    _vacuum_analyze("concerns", "follow_ups")
    return _generic_plan(*queue)


def test_the_queue_served_reads_its_partial_indexes(app, client, busy_school):
    """The queue's counts, its first tiers and the overdue follow-ups each come from their own partial index in the
    plan a served queue keeps (a bound status would make the index unusable there); the open queue does not count
    closed concerns at all."""
    plan = _served_queue_plan(app, client, "/concerns/")
    for index in ("ix_concerns_open_status_access", "ix_concerns_new_queue", "ix_follow_ups_open_due"):
        assert f'"Index Name": "{index}"' in plan, index
    assert "ix_concerns_closed_access" not in plan


def test_the_closed_concerns_served_come_from_their_partial_index(app, client, busy_school):
    """The "Closed" view lists and counts closed concerns from their partial index, as served."""
    plan = _served_queue_plan(app, client, "/concerns/?status=closed")
    assert '"Index Name": "ix_concerns_closed_access"' in plan
