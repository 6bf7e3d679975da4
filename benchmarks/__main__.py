"""``make bench``: run every benchmark and write ``benchmarks/results.md``.

BENCH_SCALE (default 1.0) sizes the trust data set; BENCH_BACKENDS (default "postgresql,sqlite") chooses the
databases; the other settings are in ``benchmarks/README.md``. Other benchmarks (``terminology_bench``,
``reports_bench``) run too when their modules exist: each provides ``run() -> str`` (a Markdown section). The file
starts with the commit measured and the machine's load average before and after the run.
"""

from __future__ import annotations

import importlib
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import trust_bench

RESULTS = Path(__file__).resolve().parent / "results.md"


# The files whose changes change what is measured; results.md is written by the run itself.
MEASURED = ("safeguard", "templates", "migrations", "terminology", "benchmarks", "pyproject.toml")


def sh(*command: str) -> str:
    """A command's output, or "unknown" if it cannot be run."""
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "unknown"


def commit() -> str:
    """The commit checked out, and the files measured that differ from it (changed or new), if any."""
    head = sh("git", "rev-parse", "--short", "HEAD")
    paths = ("--", *MEASURED, ":!benchmarks/results.md")
    changed = sh("git", "diff", "--name-only", "HEAD", *paths).split()
    changed += sh("git", "ls-files", "--others", "--exclude-standard", *paths).split()
    if not changed:
        return head
    shown = ", ".join(changed[:6]) + (f" and {len(changed) - 6} more" if len(changed) > 6 else "")
    return f"{head} with uncommitted changes to {shown}"


def load() -> str:
    """The machine's load average over 1, 5 and 15 minutes."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def conditions(started: datetime, commit_before: str, load_before: str) -> str:
    """What the figures are tied to: the commit measured, and the load on the machine before and after the run."""
    commit_after = commit()
    measured = commit_before if commit_after == commit_before else f"{commit_before} (at the end: {commit_after})"
    return "\n".join(
        [
            f"- Run: {started:%Y-%m-%d %H:%M} UTC, commit {measured}",
            f"- Load average (1, 5, 15 min) on {os.cpu_count()} cores: {load_before} before the run, {load()} after",
        ]
    )


def machine() -> str:
    """A description of the machine and software, so that a later run can be compared with this one."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in sh("lscpu").splitlines() if line.startswith("Model name")),
        platform.processor(),
    )
    memory = next((line.split()[1] for line in sh("free", "-g").splitlines() if line.startswith("Mem:")), "?")
    postgres = sh("sh", "-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1").split("/")[-2:-1]
    import sqlite3

    import gunicorn
    import sqlalchemy

    return "\n".join(
        [
            f"- CPU: {cpu}, {os.cpu_count()} cores; memory {memory} GiB; {platform.platform()}",
            f"- Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, gunicorn {gunicorn.__version__}, "
            f"PostgreSQL {postgres[0] if postgres else '?'} (fsync off, as in CI), SQLite {sqlite3.sqlite_version}",
            f"- Load generator: {sh('sh', '-c', 'wrk -v 2>&1 | head -n 1') or 'wrk'} on the same machine "
            "(it shares the 2 cores with the server, as a real client would not)",
        ]
    )


def main() -> int:
    """Run the benchmarks and write the results file."""
    factor = float(os.environ.get("BENCH_SCALE", "1"))
    backends = [b.strip() for b in os.environ.get("BENCH_BACKENDS", "postgresql,sqlite").split(",") if b.strip()]
    started_at, commit_before, load_before = datetime.now(UTC), commit(), load()
    started = time.perf_counter()
    sections = [trust_bench.run(factor, backends)]
    for name in ("terminology_bench", "reports_bench", "api_bench"):
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError:
            print(f"benchmarks.{name} is not present; skipped", file=sys.stderr)
            continue
        try:
            result = module.run()
        except Exception as error:  # one section failing must not lose the figures of the others
            print(f"benchmarks.{name} failed: {error!r}", file=sys.stderr)
            sections.append(f"## {name}\n\nFailed: {error}\n")
            continue
        # A module may give its section as Markdown, or as numbers with a markdown() to write them.
        sections.append(module.markdown(result) if isinstance(result, dict) else result)
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            "Written by `make bench` (`python -m benchmarks`); compare a change with the last committed run.",
            "",
            conditions(started_at, commit_before, load_before),
            machine(),
            f"- Whole run: {time.perf_counter() - started:.0f} s",
            "",
            *sections,
        ]
    )
    RESULTS.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
