"""The ``notify`` worker survives a database outage: it waits and tries again (saying so once), and carries on when the
database returns, instead of exiting and leaving every alert and escalation unsent until someone notices.

The outage is real: a PostgreSQL server of the test's own is stopped under the running worker and started again.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from safeguard import create_app
from safeguard.core.extensions import db
from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[1]
FLASK = Path(sys.executable).with_name("flask")


class Server:
    """A throwaway PostgreSQL server (``.ci/pg-start``), which the test can stop and start again."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        started = subprocess.run(
            ["bash", str(ROOT / ".ci" / "pg-start")],
            env={**os.environ, "PG_PORT": str(self.port)},
            capture_output=True,
            text=True,
            check=True,
        )
        values = dict(re.findall(r"(\w+)='([^']*)'", started.stdout))
        self.tmp, self.bin, self.url = values["PG_TMP"], values["PG_BIN"], values["TEST_DATABASE_URL"]

    def _pg_ctl(self, *arguments: str) -> None:
        command = [f"{self.bin}/pg_ctl", "-D", f"{self.tmp}/data", *arguments]
        if os.geteuid() == 0:  # the server runs as the postgres account (see .ci/pg-start)
            command = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{part}'" for part in command)]
        subprocess.run(command, check=True, capture_output=True)

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.tmp} -c fsync=off"
        self._pg_ctl("-l", f"{self.tmp}/server.log", "-w", "-o", options, "start")

    def remove(self) -> None:
        subprocess.run(
            ["bash", str(ROOT / ".ci" / "pg-stop")], env={**os.environ, "PG_TMP": self.tmp, "PG_BIN": self.bin}
        )
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture
def server() -> Iterator[Server]:
    if not shutil.which("initdb") and not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        unavailable("PostgreSQL (initdb)")
    started = Server()
    yield started
    started.remove()


def _last_beat(url: str):
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT MAX(beat_at) FROM worker_heartbeats")).scalar()
    finally:
        engine.dispose()


def _wait_for(what: str, found, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = found()
        if result:
            return result
        time.sleep(0.25)
    pytest.fail(f"gave up waiting for {what}")


def test_the_worker_waits_for_the_database_and_carries_on_when_it_returns(server, tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": server.url.replace("postgresql://", "postgresql+psycopg://", 1),
            "SECRET_KEY": "a test key of more than thirty-two characters",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "TESTING": True,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": server.url,
        "SECRET_KEY": "a test key of more than thirty-two characters",
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": "1",
    }
    with log.open("w") as output:
        worker = subprocess.Popen(
            [str(FLASK), "--app", "safeguard", "notify", "--interval", "1"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for("the worker's first heartbeat", lambda: _last_beat(server.url) is not None)
        server.stop()
        _wait_for("the worker to report the outage", lambda: "database unavailable" in log.read_text())
        time.sleep(4)  # several passes fail meanwhile
        assert worker.poll() is None, f"the worker exited during the outage:\n{log.read_text()}"
        assert log.read_text().count("database unavailable") == 1  # said once per outage, not once a pass
        server.start()
        # Heartbeats are stored as naive UTC.
        returned = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
        _wait_for(
            "a heartbeat after the database returned",
            lambda: (beat := _last_beat(server.url)) is not None and beat >= returned,
        )
        # The pass commits its heartbeat before the worker logs the outage's end: wait for the line, too.
        _wait_for("the worker to report the database back", lambda: "database reachable again" in log.read_text())
        assert worker.poll() is None
        assert "Traceback" not in log.read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=10)


def test_a_single_pass_says_plainly_that_the_database_cannot_be_reached(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        # Nothing listens on the discard port: the connection is refused at once.
        "DATABASE_URL": "postgresql://safeguard@127.0.0.1:9/safeguard",
        "SECRET_KEY": "a test key of more than thirty-two characters",
    }
    result = subprocess.run(
        [str(FLASK), "--app", "safeguard", "notify", "--once"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "the database cannot be reached; nothing was sent" in result.stderr
    assert "Traceback" not in result.stderr
