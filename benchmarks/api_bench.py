"""The API: accepting a monitoring alert (p95, one request at a time, in process) and a 5,000-pupil MIS sync.

Runs on a throwaway SQLite database built by the migrations (``BENCH_API_DATABASE_URL`` names another, for example a
PostgreSQL server's empty database). A school with its staff and 5,000 pupils (each with a username, so that every
alert is matched) receives ``BENCH_API_ALERTS`` alerts (500 by default) after 20 unmeasured ones; then a batch of
5,000 pupils with two contacts each is sent as a first sync (every pupil created) and again with every record
changed (every pupil updated, every contact replaced).
"""

from __future__ import annotations

import os
import secrets
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# The aims of the issue: accepting an alert at p95, and a sync of 5,000 pupils.
AIM_ALERT_P95_MS = 30.0
AIM_SYNC_SECONDS = 10.0
PUPILS = 5000


def _app(folder: Path):
    from flask_migrate import upgrade

    from safeguard import create_app

    url = os.environ.get("BENCH_API_DATABASE_URL") or f"sqlite:///{folder / 'api-bench.sqlite'}"
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


def run() -> dict[str, Any]:
    """Time both: milliseconds per alert, seconds per sync."""
    from safeguard.api import services as api_services
    from safeguard.api.scopes import Scope
    from safeguard.auth import services as accounts
    from safeguard.auth.models import Role
    from safeguard.core.extensions import db
    from safeguard.schools import services as schools

    runs = int(os.environ.get("BENCH_API_ALERTS", "500"))
    with tempfile.TemporaryDirectory() as folder:
        app = _app(Path(folder))
        with app.app_context():
            school = schools.create_school("Bench Academy", "BENCH")
            for n, role in enumerate((Role.DSL, Role.DSL, Role.HEAD, Role.STAFF)):
                accounts.create_user(school, f"{role.value}{n}@bench.example", f"Person {n}", {role}, password=None)
            token = api_services.create_token(school, "Bench", list(Scope), 30, None).token
            db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        sync = []
        for changed in (False, True):
            body = {"records": _records(changed)}
            start = time.perf_counter()
            answer = client.put("/api/v1/pupils", json=body, headers=headers)
            sync.append(time.perf_counter() - start)
            assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
        timings = []
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
        "database": (os.environ.get("BENCH_API_DATABASE_URL") or "sqlite").split(":")[0],
        "alerts": runs,
        "alert_median_ms": statistics.median(timings),
        "alert_p95_ms": timings[int(len(timings) * 0.95) - 1],
        "sync_create_s": sync[0],
        "sync_update_s": sync[1],
    }


def markdown(result: dict[str, Any]) -> str:
    """The results section."""
    alert_met = result["alert_p95_ms"] < AIM_ALERT_P95_MS
    sync_met = max(result["sync_create_s"], result["sync_update_s"]) < AIM_SYNC_SECONDS
    return (
        "## API: accepting a monitoring alert, and a 5,000-pupil MIS sync\n\n"
        f"On {result['database']}, in process, one request at a time. {result['alerts']} alerts (after 20 unmeasured), "
        "each matched to one of 5,000 pupils, a third at severity 5 (the DSL team alerted). The sync: 5,000 pupils "
        "with two contacts each, sent first to an empty roll, then with every record changed.\n\n"
        "| measure | value |\n|---|---|\n"
        f"| accept an alert, median | {result['alert_median_ms']:.1f} ms |\n"
        f"| accept an alert, p95 | {result['alert_p95_ms']:.1f} ms |\n"
        f"| sync 5,000 pupils, all new | {result['sync_create_s']:.2f} s |\n"
        f"| sync 5,000 pupils, all changed | {result['sync_update_s']:.2f} s |\n\n"
        f"Aims: an alert p95 under {AIM_ALERT_P95_MS:.0f} ms — {'met' if alert_met else 'NOT met'}; a 5,000-pupil "
        f"sync under {AIM_SYNC_SECONDS:.0f} s — {'met' if sync_met else 'NOT met'}.\n"
    )


if __name__ == "__main__":
    print(markdown(run()))
