"""``make bench``: run every benchmark and write ``benchmarks/results.md``.

BENCH_SCALE (default 1.0) sizes the trust data set; BENCH_BACKENDS (default "postgresql,sqlite") chooses the
databases; BENCH_SECONDS (default 10) is the time per endpoint. Other benchmarks (``terminology_bench``,
``reports_bench``) run too when their modules exist: each provides ``run() -> str`` (a Markdown section).
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


def machine() -> str:
    """A description of the machine and software, so that a later run can be compared with this one."""

    def sh(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "unknown"

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
            f"- Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {sh('git', 'rev-parse', '--short', 'HEAD')}",
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
    started = time.perf_counter()
    sections = [trust_bench.run(factor, backends)]
    for name in ("terminology_bench", "reports_bench"):
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError:
            print(f"benchmarks.{name} is not present; skipped", file=sys.stderr)
            continue
        result = module.run()
        # A module may give its section as Markdown, or as numbers with a markdown() to write them.
        sections.append(module.markdown(result) if isinstance(result, dict) else result)
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            "Written by `make bench` (`python -m benchmarks`); compare a change with the last committed run.",
            "",
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
