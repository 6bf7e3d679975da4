"""`make run` is one command for the web server and its alert and escalation worker, and one Ctrl+C stops both.

Run on a copy of the project (so that its ``instance/`` is the copy's), with a virtual environment that points at
the one running the tests: the Makefile's own recipe, as a person at a terminal would run it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _project_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of what `make run` needs, and a virtual environment whose flask is this one's, already set up."""
    project = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("safeguard", "templates", "migrations", "terminology"):
        shutil.copytree(ROOT / folder, project / folder, ignore=ignore)
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, project / name)
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "activate").touch()
    (venv / "bin" / "flask").symlink_to(Path(sys.executable).with_name("flask"))
    (venv / ".installed").touch()  # newer than the copied pyproject.toml: nothing to install
    return project, venv


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return json.loads(response.read())
    except OSError:
        return None


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _start_in_a_terminal_group(command: list[str], cwd: Path, env: dict) -> subprocess.Popen:
    """Start ``command`` as a terminal starts a foreground job: its own process group, Ctrl+C not ignored."""

    def as_a_foreground_job() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.setsid()

    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=as_a_foreground_job,  # resets only two signal settings: safe between fork and exec
    )


def test_make_run_starts_the_worker_beside_the_web_server_and_ctrl_c_stops_both(tmp_path):
    make = shutil.which("make")
    if make is None:
        unavailable("make")
    project, venv = _project_copy(tmp_path)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(project), "MAIL_PORT": "1"}
    env.pop("DATABASE_URL", None)
    run = _start_in_a_terminal_group([make, "run", f"VENV={venv}", f"PORT={port}"], project, env)
    try:
        deadline = time.monotonic() + 120
        health = None
        while time.monotonic() < deadline and run.poll() is None:
            health = _health(port)
            if health and health["readiness"]["worker"] == "running":
                break
            time.sleep(0.5)
        assert health and health["status"] == "ok", f"make run did not serve: {health}"
        assert health["readiness"]["worker"] == "running"

        os.killpg(run.pid, signal.SIGINT)  # Ctrl+C: the terminal signals the whole foreground group
        run.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _group_alive(run.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _group_alive(run.pid), "a process of make run outlived Ctrl+C"
        assert _health(port) is None
    finally:
        if _group_alive(run.pid):
            os.killpg(run.pid, signal.SIGTERM)
            pytest.fail("make run had to be stopped with SIGTERM")
