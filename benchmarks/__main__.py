"""``make bench``: run the benchmarks and write ``benchmarks/results.md`` with this machine's description."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import reports_bench, terminology_bench
from safeguard import create_app

RESULTS = Path(__file__).resolve().parent / "results.md"


def machine() -> str:
    """CPU, cores, memory and Python, so that a result can be compared with the last run."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(
            next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1]
        )
        memory = f", {kib / 1024 / 1024:.0f} GiB memory"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}; Python {sys.version.split()[0]} on {platform.system()}"


def main() -> None:
    """Run every benchmark and write the results file."""
    app = create_app()
    sections = []
    with app.app_context():
        print("terminology checker…", flush=True)
        sections.append(terminology_bench.markdown(terminology_bench.run()))
    print("child's file PDF…", flush=True)
    sections.append(reports_bench.markdown(reports_bench.run()))
    header = (
        "# Benchmark results\n\n"
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}.\n"
        "Re-run with `make bench` and compare with the previous commit's file.\n\n"
    )
    RESULTS.write_text(header + "\n".join(sections), encoding="utf-8")
    print(RESULTS.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
