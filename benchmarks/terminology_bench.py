"""The terminology checker on a 10,000-character narrative, against one pass of a single compiled regex."""

from __future__ import annotations

import re
import statistics
import time

from safeguard.terminology import checker_for

PARAGRAPH = (
    'At 10:15 in the Year 6 classroom Amira came to me and said "my uncle keeps sending me messages at night and '
    'asked me to send a picture". She said she deleted the app but he found her on another one. She was tearful '
    "and asked me not to tell her mum. I explained that I would need to share this with the DSL to keep her safe. "
    "Her friend Zoë said 'he is her boyfriend' but Amira said he is 23. Earlier this term staff noted sexting "
    "between pupils in the year group, and a parent mentioned child porn being shown on a phone at the park. "
)


def narrative(length: int = 10_000) -> str:
    """A realistic concern narrative of ``length`` characters, with quotes and a few flagged terms."""
    return (PARAGRAPH * (length // len(PARAGRAPH) + 1))[:length]


def _time(function, text: str, runs: int) -> list[float]:
    for _ in range(20):
        function(text)
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        function(text)
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def run(runs: int = 2000) -> dict:
    """Median and p99 in milliseconds for the checker, and the same for one compiled regex pass."""
    text = narrative()
    checker = checker_for()
    bare = re.compile(r"\bchild porn\b", re.IGNORECASE)
    ours = _time(checker.check, text, runs)
    baseline = _time(lambda t: list(bare.finditer(t)), text, runs)
    p99 = lambda xs: sorted(xs)[int(len(xs) * 0.99) - 1]  # noqa: E731
    return {
        "characters": len(text),
        "findings": len(checker.check(text)),
        "median_ms": statistics.median(ours),
        "p99_ms": p99(ours),
        "regex_median_ms": statistics.median(baseline),
        "ratio": statistics.median(ours) / statistics.median(baseline),
        "runs": runs,
    }


def markdown(result: dict) -> str:
    """The results section."""
    return (
        "## Terminology checker\n\n"
        f"A {result['characters']:,}-character concern narrative with quoted speech ({result['findings']} findings), "
        f"{result['runs']:,} runs.\n\n"
        "| measure | value |\n|---|---|\n"
        f"| median | {result['median_ms']:.3f} ms |\n"
        f"| p99 | {result['p99_ms']:.3f} ms |\n"
        f"| one compiled regular expression, one term, same text (median) | {result['regex_median_ms']:.3f} ms |\n"
        f"| ratio to that single pass | {result['ratio']:.1f}× |\n\n"
        f"Aim: under 1 ms for 10,000 characters — {'met' if result['median_ms'] < 1 else 'NOT met'}.\n"
    )
