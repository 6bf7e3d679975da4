"""The API: accepting a monitoring alert (p95, one request at a time, in process) and a 5,000-pupil MIS sync.

Runs on each database of ``BENCH_BACKENDS`` (default ``postgresql,sqlite``), each built empty by the migrations:
PostgreSQL on a throwaway server started by ``.ci/pg-start`` (on ``BENCH_PG_PORT``, as the trust benchmark's),
SQLite in a temporary file. ``BENCH_API_DATABASE_URL`` names one database to measure instead (an empty one: a
PostgreSQL server's, say). A school with its staff is sent a batch of 5,000 pupils with two contacts each as a first
sync (every pupil created), then again with every record changed (every pupil updated, every contact replaced);
then, each matched to one of those pupils by username, ``BENCH_API_ALERTS`` alerts (500 by default) after 20
unmeasured ones. The statements each request runs are counted too (SQLAlchemy's ``before_cursor_execute``; an
``executemany`` counts once per row).
"""

from __future__ import annotations

import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# The aims of the issue: accepting an alert at p95, and a sync of 5,000 pupils.
AIM_ALERT_P95_MS = 30.0
AIM_SYNC_SECONDS = 10.0
PUPILS = 5000
NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


def _app(folder: Path, url: str):
    from flask_migrate import upgrade

    from safeguard import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder / "instance"),
            "RATELIMIT_ENABLED": False,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 1024,
            "ARGON2_PARALLELISM": 1,
        }
    )
    with app.app_context():
        upgrade()
    return app


def _records(changed: bool) -> list[dict[str, Any]]:
    born = date(2012, 9, 1)
    return [
        {
            "upn": f"B{n:012d}",
            "legal_first_name": f"Child{n}",
            "legal_last_name": "Okafor" if n % 3 else "Patel",
            "date_of_birth": (born + timedelta(days=n % 2000)).isoformat(),
            "year_group": f"Year {7 + n % 5}",
            "form_group": f"{7 + n % 5}{'ABCDE'[n % 5]}" + ("X" if changed else ""),
            "sen_status": "sen_support" if n % 7 == 0 else "none",
            "looked_after": n % 50 == 0,
            "username": f"pupil{n}",
            "email": f"pupil{n}@pupils.bench.example",
            "contacts": [
                {
                    "contact_id": f"C{n // 2}",
                    "name": f"Parent {n // 2}",
                    "relationship": "Mother",
                    "parental_responsibility": True,
                    "priority": 1,
                },
                {
                    "contact_id": f"D{n}",
                    "name": f"Carer {n}",
                    "relationship": "Carer" if changed else "Aunt",
                    "priority": 2,
                },
            ],
        }
        for n in range(PUPILS)
    ]


@contextmanager
def _database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database of ``backend``: a throwaway PostgreSQL server (stopped afterwards), or a file."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'api-bench.sqlite'}"
        return
    if backend != "postgresql":
        raise ValueError(f"unknown database {backend!r} in BENCH_BACKENDS")
    from benchmarks import trust_bench

    url, variables = trust_bench.start_postgresql()
    try:
        yield url.replace("postgresql://", "postgresql+psycopg://")
    finally:
        trust_bench.stop_postgresql(variables)


def statements_run(parameters: Any, executemany: bool) -> int:
    """How many statements the server runs for one cursor call: each row of an ``executemany``; otherwise one (a
    batch of SQLAlchemy's "insertmanyvalues" is one statement, whose parameters are one row of all its values)."""
    rows = executemany and isinstance(parameters, list | tuple) and parameters
    return len(parameters) if rows and isinstance(parameters[0], dict | list | tuple) else 1


@contextmanager
def _counting(engine: Any) -> Iterator[list[int]]:
    """Count the statements the server runs for ``engine`` (see :func:`statements_run`)."""
    from sqlalchemy import event

    seen = [0]

    def note(_connection, _cursor, _statement, parameters, _context, executemany) -> None:
        seen[0] += statements_run(parameters, executemany)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def measure(url: str, folder: Path) -> dict[str, Any]:
    """Time both on the empty database ``url``: milliseconds per alert, seconds per sync, and their statements."""
    from safeguard.api import services as api_services
    from safeguard.api.scopes import Scope
    from safeguard.auth import services as accounts
    from safeguard.auth.models import Role
    from safeguard.core.extensions import db
    from safeguard.schools import services as schools

    runs = int(os.environ.get("BENCH_API_ALERTS", "500"))
    app = _app(folder, url)
    with app.app_context():
        school = schools.create_school("Bench Academy", "BENCH")
        for n, role in enumerate((Role.DSL, Role.DSL, Role.HEAD, Role.STAFF)):
            accounts.create_user(school, f"{role.value}{n}@bench.example", f"Person {n}", {role}, password=None)
        token = api_services.create_token(school, "Bench", list(Scope), 30, None).token
        db.session.commit()
        engine = db.engine
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    sync, sync_statements = [], []
    for changed in (False, True):
        body = {"records": _records(changed)}
        with _counting(engine) as statements:
            start = time.perf_counter()
            answer = client.put("/api/v1/pupils", json=body, headers=headers)
            sync.append(time.perf_counter() - start)
        sync_statements.append(statements[0])
        assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
        assert answer.get_json()["created" if not changed else "updated"] == PUPILS, answer.get_json()
    timings = []
    with _counting(engine) as statements:
        for n in range(runs + 20):
            alert = {
                "vendor": "Smoothwall",
                "event_id": f"evt-{n}",
                "occurred_at": "2026-11-30T10:15:00Z",
                "username": f"pupil{n % PUPILS}",
                "category": "Self-harm",
                "severity": 3 + n % 3,
                "excerpt": "how many tablets would it take",
                "link": f"https://console.smoothwall.example/events/{n}",
            }
            if n == 20:
                statements[0] = 0
            start = time.perf_counter()
            answer = client.post("/api/v1/alerts", json=alert, headers=headers)
            elapsed = (time.perf_counter() - start) * 1000
            assert answer.status_code == 201, answer.get_data(as_text=True)[:500]
            if n >= 20:
                timings.append(elapsed)
    with app.app_context():
        db.engine.dispose()
    timings.sort()
    return {
        "database": NAMES.get(engine.dialect.name, engine.dialect.name),
        "alerts": runs,
        "alert_median_ms": statistics.median(timings),
        "alert_p95_ms": timings[int(len(timings) * 0.95) - 1],
        "alert_statements": statements[0] / runs,
        "sync_create_s": sync[0],
        "sync_update_s": sync[1],
        "sync_create_statements": sync_statements[0],
        "sync_update_statements": sync_statements[1],
    }


def run() -> dict[str, Any]:
    """Measure on each database: the API's section of ``results.md`` is :func:`markdown` of this."""
    named = os.environ.get("BENCH_API_DATABASE_URL")
    backends = [b.strip() for b in os.environ.get("BENCH_BACKENDS", "postgresql,sqlite").split(",") if b.strip()]
    results = []
    for backend in [named] if named else backends:
        with tempfile.TemporaryDirectory() as folder:
            if named:
                results.append(measure(named, Path(folder)))
                continue
            with _database(backend, Path(folder)) as url:
                results.append(measure(url, Path(folder)))
    return {"results": results}


def _met(value: float, aim: float) -> str:
    return "met" if value < aim else "NOT met"


def markdown(run_result: dict[str, Any]) -> str:
    """The results section: a set of rows per database, each aim said met or not."""
    lines = [
        "## API: accepting a monitoring alert, and a 5,000-pupil MIS sync",
        "",
        "In process, one request at a time, on an empty database built by the migrations. The sync: 5,000 pupils "
        "with two contacts each, sent first to an empty roll, then with every record changed. Then alerts (after 20 "
        "unmeasured), each matched to one of those pupils, a third at severity 5 (the DSL team alerted). Statements: "
        "as the server runs them (an `executemany` counts once per row).",
        "",
        "| database | measure | value | statements | aim |",
        "|---|---|---|---|---|",
    ]
    verdicts = []
    for result in run_result["results"]:
        name = result["database"]
        alert_p95, sync_worst = result["alert_p95_ms"], max(result["sync_create_s"], result["sync_update_s"])
        alerts = f"{result['alert_statements']:.1f} each"
        lines += [
            f"| {name} | accept an alert, median of {result['alerts']} | {result['alert_median_ms']:.1f} ms | "
            f"{alerts} | |",
            f"| {name} | accept an alert, p95 | {alert_p95:.1f} ms | {alerts} | under {AIM_ALERT_P95_MS:.0f} ms: "
            f"{_met(alert_p95, AIM_ALERT_P95_MS)} |",
            f"| {name} | sync 5,000 pupils, all new | {result['sync_create_s']:.2f} s | "
            f"{result['sync_create_statements']} | under {AIM_SYNC_SECONDS:.0f} s: "
            f"{_met(result['sync_create_s'], AIM_SYNC_SECONDS)} |",
            f"| {name} | sync 5,000 pupils, all changed | {result['sync_update_s']:.2f} s | "
            f"{result['sync_update_statements']} | under {AIM_SYNC_SECONDS:.0f} s: "
            f"{_met(result['sync_update_s'], AIM_SYNC_SECONDS)} |",
        ]
        verdicts.append(
            f"on {name}, an alert p95 under {AIM_ALERT_P95_MS:.0f} ms {_met(alert_p95, AIM_ALERT_P95_MS)}, a "
            f"5,000-pupil sync under {AIM_SYNC_SECONDS:.0f} s {_met(sync_worst, AIM_SYNC_SECONDS)}"
        )
    judged = "judged on PostgreSQL, the production database; SQLite's are targets" if len(verdicts) > 1 else ""
    lines += ["", f"Aims{f' ({judged})' if judged else ''}: " + "; ".join(verdicts) + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(run()))
