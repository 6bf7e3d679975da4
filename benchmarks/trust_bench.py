"""Safeguard at the scale of a trust, against the ceiling of the machine.

For each database (PostgreSQL on a throwaway server, then SQLite) this builds the trust data set, checks the query
plans and counts the queries of each page in a test-client run, serves the app with gunicorn on 127.0.0.1 and
drives it with wrk, signed in as a DSL, for a fixed time per endpoint. ``/health`` of the same app, served the same
way, is the ceiling each page is compared with.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import dataset

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / ".data"
WORKERS = int(os.environ.get("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 8))
# Each endpoint is driven for SECONDS in all, in ROUNDS slices, and the minimal route for CEILING_SECONDS in slices
# between them; the endpoint's share of the ceiling is taken against those slices. The machine's speed drifts (the
# ceiling moved 1.7× between two runs, and from 430 to 720 req/s within a minute of one): a ceiling measured once,
# even just before the endpoint, gave ratios that moved with the drift rather than with the change, while slices
# taken in turn see the same mix of the machine's moments.
SECONDS = int(os.environ.get("BENCH_SECONDS", 12))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 4))
CEILING_SECONDS = int(os.environ.get("BENCH_CEILING_SECONDS", 8))
# wrk reports each slice's latencies as this many quantiles, merged across slices by weight.
QUANTILES = 200
PG_PORT = os.environ.get("BENCH_PG_PORT", "54336")
HTTP_PORT = int(os.environ.get("BENCH_HTTP_PORT", 8736))
# The child's own chronology page: every entry of the child with 200 concerns (about 740), the page the issue's
# "a child's chronology of 200 concerns" aim is about. The concern page shows the latest 200 of them beside the
# concern and is measured on its own.
CHILD_CHRONOLOGY = "A child's chronology (200 concerns, every entry)"
SECRET = "benchmark-only-secret-key-not-for-production"  # noqa: S105 (a throwaway server)

LUA = """
wrk.method = {method}
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  local q = {{}}
  for i = 1, {quantiles} do q[i] = latency:percentile((i - 0.5) * 100 / {quantiles}) end
  io.write(string.format('BENCH {{"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,'
    .. '"quantiles":[%s]}}\\n', summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(q, ",")))
end
"""


@dataclass
class Endpoint:
    """One thing a DSL does, as an HTTP request."""

    name: str
    path: str
    method: str = "GET"
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    expect: tuple[int, ...] = (200,)
    note: str = ""


@dataclass
class Measured:
    """wrk's numbers for one endpoint."""

    name: str
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    errors: int = 0
    skipped: str = ""
    # The minimal route's req/s measured in slices between this endpoint's (see CEILING_SECONDS).
    ceiling_beside: float = 0.0
    seconds: float = 0.0
    # The latencies (µs) as QUANTILES equally likely values, for merging slices.
    quantiles: list[float] = field(default_factory=list, repr=False)


@dataclass
class BackendResult:
    """Everything measured on one database."""

    backend: str
    built: dataset.Built
    load_seconds: float
    measured: list[Measured]
    query_counts: dict[str, int]
    plans: list[tuple[str, str, bool]]  # (page, table scans found, acceptable)
    notes: list[str]
    service_ms: dict[str, float]


def _lua(method: str, body: str, headers: dict[str, str]) -> str:
    lines = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    return LUA.format(method=json.dumps(method), body=json.dumps(body), headers=lines, quantiles=QUANTILES)


def run_wrk(base: str, endpoint: Endpoint, cookie: str, seconds: float = SECONDS) -> Measured:
    """Drive one endpoint for ``seconds`` with wrk and read its percentiles."""
    headers = {"Cookie": cookie, **endpoint.headers} if cookie else dict(endpoint.headers)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(endpoint.method, endpoint.body, headers))
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{CONNECTIONS}",
                f"-d{round(seconds)}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                base + endpoint.path,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    data = json.loads(line[6:])
    duration = data["duration_us"] / 1e6
    return _summarised(
        Measured(
            endpoint.name,
            rps=data["requests"] / duration,
            requests=data["requests"],
            errors=data["status_errors"] + data["socket_errors"],
            seconds=duration,
            quantiles=data["quantiles"],
        )
    )


def _percentile(slices: list[Measured], p: float) -> float:
    """The ``p``-th percentile (ms) of the latencies of several slices together: each slice's quantiles stand for
    its requests in equal shares."""
    weighted = sorted((q, m.requests / len(m.quantiles)) for m in slices for q in m.quantiles)
    total = sum(w for _, w in weighted)
    if not total:
        return 0.0
    seen = 0.0
    for value, weight in weighted:
        seen += weight
        if seen >= total * p / 100:
            return value / 1000
    return weighted[-1][0] / 1000


def _summarised(measured: Measured) -> Measured:
    measured.p50_ms, measured.p95_ms, measured.p99_ms = (_percentile([measured], p) for p in (50, 95, 99))
    return measured


def drive(base: str, endpoint: Endpoint, cookie: str, ceiling: Endpoint | None) -> Measured:
    """Drive an endpoint in ROUNDS slices, with the minimal route (``ceiling``) in slices between them, and merge."""
    run_wrk(base, endpoint, cookie, seconds=2)  # warm-up
    slices, ceilings = [], []
    for _ in range(ROUNDS):
        if ceiling is not None:
            ceilings.append(run_wrk(base, ceiling, cookie, seconds=max(1, CEILING_SECONDS / ROUNDS)))
        slices.append(run_wrk(base, endpoint, cookie, seconds=max(1, SECONDS / ROUNDS)))
    requests, seconds = sum(m.requests for m in slices), sum(m.seconds for m in slices)
    merged = Measured(
        endpoint.name,
        rps=requests / seconds,
        p50_ms=_percentile(slices, 50),
        p95_ms=_percentile(slices, 95),
        p99_ms=_percentile(slices, 99),
        requests=requests,
        errors=sum(m.errors for m in slices),
        seconds=seconds,
    )
    if ceilings:
        merged.ceiling_beside = sum(m.requests for m in ceilings) / sum(m.seconds for m in ceilings)
    else:
        merged.ceiling_beside = merged.rps
    return merged


def start_postgresql() -> tuple[str, dict[str, str]]:
    """A throwaway server, as in CI; returns its URL and the variables ``.ci/pg-stop`` needs."""
    out = subprocess.run(
        [str(ROOT / ".ci/pg-start")],
        env={**os.environ, "PG_PORT": PG_PORT},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    variables = dict(re.findall(r"(\w+)='([^']*)'", out))
    return variables["TEST_DATABASE_URL"], variables


def stop_postgresql(variables: dict[str, str]) -> None:
    """Stop the throwaway server and remove its folder."""
    subprocess.run([str(ROOT / ".ci/pg-stop")], env={**os.environ, **variables}, capture_output=True, check=False)


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def serve(url: str, instance: str) -> subprocess.Popen:
    """Serve the app with gunicorn on 127.0.0.1 (sync workers, no access log) and wait until it answers."""
    if not _free(HTTP_PORT):
        raise RuntimeError(f"port {HTTP_PORT} is in use; set BENCH_HTTP_PORT")
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "SAFEGUARD_INSTANCE_PATH": instance}
    log = open(Path(instance) / "gunicorn.log", "w")  # noqa: SIM115 (gunicorn writes it until it is stopped)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{HTTP_PORT}",
            "--log-level",
            "warning",
            "safeguard:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    import requests

    for _ in range(150):
        try:
            if requests.get(f"http://127.0.0.1:{HTTP_PORT}/health", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not start; see gunicorn.log")


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def sign_in(base: str, email: str):
    """Sign in as the DSL through the real form; return the session and its cookie header."""
    import requests

    session = requests.Session()
    page = session.get(base + "/auth/sign-in")
    response = session.post(
        base + "/auth/sign-in",
        data={"csrf_token": _token(page.text), "email": email, "password": dataset.BENCH_PASSWORD},
        allow_redirects=False,
    )
    if response.status_code not in (302, 303):
        raise RuntimeError(f"sign-in failed with {response.status_code}")
    if "/auth/two-factor" in response.headers.get("Location", ""):
        page = session.get(base + "/auth/two-factor")
        response = session.post(
            base + "/auth/two-factor",
            data={"csrf_token": _token(page.text), "code": dataset.totp_code()},
            allow_redirects=False,
        )
        if response.status_code not in (302, 303):
            raise RuntimeError(f"second factor failed with {response.status_code}")
    return session, session_cookie(session)


def session_cookie(session) -> str:
    """The Cookie header for the session as it is now (the CSRF secret is kept in it once a form was shown)."""
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def endpoints(base: str, session, built: dataset.Built, deep_page: int) -> tuple[str, list[Endpoint]]:
    """The pages and actions to measure, with a CSRF token taken from a real page (valid for the session)."""
    from urllib.parse import urlencode

    token = _token(session.get(base + "/concerns/new").text)
    log_body = urlencode(
        {
            "csrf_token": token,
            "pupils-0-pupil_id": str(built.hot_pupil_id + 7),
            "pupils-0-part": "subject",
            "immediate_danger": "no",
            "observed_at": "2026-11-20T10:30",
            "location": "Playground",
            "categories": "abuse-neglect",
            "account": 'At lunch the child said "I had no breakfast and there is no food at home" and looked tired.',
            "already_done": "Gave the child breakfast from the club.",
        }
    )
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    return session_cookie(session), [
        Endpoint("Minimal route (/health), the ceiling", "/health"),
        Endpoint("Queue, first page", "/concerns/"),
        Endpoint(
            f"Queue, filtered, page {deep_page}", f"/concerns/?status=all&category=abuse-neglect&page={deep_page}"
        ),
        Endpoint("Concern page (child with 3 concerns)", f"/concerns/{built.typical_concern_id}"),
        Endpoint("Concern page with a 200-concern chronology", f"/concerns/{built.hot_concern_id}"),
        Endpoint(CHILD_CHRONOLOGY, f"/pupils/{built.hot_pupil_id}"),
        Endpoint("Logging a concern (POST)", "/concerns/new", "POST", log_body, form, (302, 303)),
        Endpoint(
            "Terminology check (POST JSON)",
            "/terminology/api/check",
            "POST",
            json.dumps({"text": "She said she was sent child pornography by an older boy."}),
            {"Content-Type": "application/json", "X-CSRFToken": token},
            (200,),
        ),
        Endpoint(
            "PDF export of a concern (POST)",
            f"/exports/concern/{built.typical_concern_id}",
            "POST",
            urlencode({"csrf_token": token, "reason": "Referral to children's social care"}),
            form,
            (200,),
        ),
    ]


def count_queries_and_plans(url: str, built: dataset.Built, deep_page: int) -> tuple[dict[str, int], list]:
    """Count the SQL statements each page runs (test client) and, on PostgreSQL, EXPLAIN each of them."""
    from sqlalchemy import event

    from safeguard import create_app
    from safeguard.core.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "TESTING": True,
        }
    )
    pages = {
        "Queue, first page": ("GET", "/concerns/", None),
        f"Queue, filtered, page {deep_page}": (
            "GET",
            f"/concerns/?status=all&category=abuse-neglect&page={deep_page}",
            None,
        ),
        "Concern page (child with 3 concerns)": ("GET", f"/concerns/{built.typical_concern_id}", None),
        "Concern page with a 200-concern chronology": ("GET", f"/concerns/{built.hot_concern_id}", None),
        CHILD_CHRONOLOGY: ("GET", f"/pupils/{built.hot_pupil_id}", None),
        "Logging a concern (POST)": (
            "POST",
            "/concerns/new",
            {
                "pupils-0-pupil_id": str(built.hot_pupil_id + 7),
                "pupils-0-part": "subject",
                "immediate_danger": "no",
                "observed_at": "2026-11-20T10:30",
                "location": "Hall",
                "categories": "abuse-neglect",
                "account": "The child said they were hungry and had not eaten.",
            },
        ),
    }
    counts: dict[str, int] = {}
    plans = []
    service: dict[str, float] = {}
    postgres = url.startswith("postgresql")
    with app.app_context():
        engine = db.engine
    # Each request outside any app context of ours, as under gunicorn: each gets its own session, so nothing
    # loaded by one request (the signed-in person, say) is found already loaded by the next.
    client = app.test_client()
    client.post("/auth/sign-in", data={"email": built.dsl_email, "password": dataset.BENCH_PASSWORD})
    client.post("/auth/two-factor", data={"code": dataset.totp_code()})
    for name, (method, path, data) in pages.items():
        statements: list[tuple[str, object]] = []

        def listen(conn, cursor, statement, parameters, context, executemany, _s=statements):
            _s.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", listen)
        try:
            response = client.open(path, method=method, data=data)
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        if response.status_code >= 400:
            raise RuntimeError(f"{name}: {response.status_code}")
        counts[name] = len(statements)
        if method == "GET":
            # One request at a time, in process: the service time without queueing behind other requests. After
            # five unmeasured requests, as a served page would be: psycopg prepares a statement on its sixth run,
            # and until then PostgreSQL plans it every time.
            for _ in range(5):
                client.get(path)
            timings = []
            for _ in range(15):
                started = time.perf_counter()
                client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
            service[name] = sorted(timings)[len(timings) // 2]
        if postgres and method == "GET":
            scans = set()
            with engine.connect() as connection:
                raw = connection.connection.driver_connection
                for statement, parameters in statements:
                    if not statement.lstrip().upper().startswith("SELECT"):
                        continue
                    with raw.cursor() as cursor:
                        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
                        plan = json.dumps(cursor.fetchone()[0])
                    for table in re.findall(r'"Node Type": "Seq Scan", [^}]*?"Relation Name": "(\w+)"', plan):
                        scans.add(table)
                raw.rollback()
            bad = scans & {"concerns", "concern_events", "concern_pupils", "concern_categories"}
            plans.append((name, ", ".join(sorted(scans)) or "none", not bad))
    return counts, plans, service


def deep_page_for(url: str) -> int:
    """A page four fifths of the way into school 1's concerns of neglect (status=all)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        n = connection.execute(
            text("SELECT count(*) FROM concern_categories WHERE school_id = 1 AND category_id = 'abuse-neglect'")
        ).scalar_one()
    engine.dispose()
    return max(1, int(n / 25 * 0.8))


def measure(backend: str, url: str, built: dataset.Built, load_seconds: float) -> BackendResult:
    """Check plans and query counts, then serve and drive every endpoint."""
    notes: list[str] = []
    deep = deep_page_for(url)
    print(f"[{backend}] counting queries and checking plans", file=sys.stderr)
    counts, plans, service = count_queries_and_plans(url, built, deep)
    instance = tempfile.mkdtemp(prefix="safeguard-bench-")
    process = serve(url, instance)
    base = f"http://127.0.0.1:{HTTP_PORT}"
    measured = []
    try:
        time.sleep(1)  # let every worker finish booting before the first measurement
        session, _ = sign_in(base, built.dsl_email)
        cookie, to_measure = endpoints(base, session, built, deep)
        for endpoint in to_measure:
            probe = session.request(
                endpoint.method,
                base + endpoint.path,
                data=endpoint.body.encode() or None,
                headers=endpoint.headers,
                allow_redirects=False,
            )
            if probe.status_code == 404 and "terminology" in endpoint.path:
                measured.append(Measured(endpoint.name, skipped="route not present on this branch (404)"))
                continue
            if probe.status_code not in endpoint.expect:
                measured.append(Measured(endpoint.name, skipped=f"probe answered {probe.status_code}"))
                continue
            print(f"[{backend}] {endpoint.name}: {SECONDS} s with wrk in {ROUNDS} slices", file=sys.stderr)
            minimal = to_measure[0]
            measured.append(drive(base, endpoint, cookie, minimal if endpoint is not minimal else None))
    finally:
        process.terminate()
        process.wait(timeout=30)
        log = (Path(instance) / "gunicorn.log").read_text()
        DATA.mkdir(exist_ok=True)
        (DATA / f"gunicorn-{backend}.log").write_text(log)
        errors = sorted(
            {line.strip()[:160] for line in log.splitlines() if re.match(r"^\w+(\.\w+)*(Error|Exception):", line)}
        )
        for error in errors:
            notes.append(f"gunicorn logged: `{error}`")
        shutil.rmtree(instance, ignore_errors=True)
    return BackendResult(backend, built, load_seconds, measured, counts, plans, notes, service)


def run_backend(backend: str, factor: float) -> BackendResult:
    """Build (or reuse) the data set on one database and measure it."""
    if backend == "postgresql":
        url, variables = start_postgresql()
        url = url.replace("postgresql://", "postgresql+psycopg://")
        try:
            built = dataset.build(url, factor, label="PostgreSQL")
            return measure(backend, url, built, built.seconds)
        finally:
            stop_postgresql(variables)
    DATA.mkdir(exist_ok=True)
    cached = DATA / f"trust-{factor}.sqlite"
    load_seconds = 0.0
    if not cached.exists():
        partial = cached.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        built = dataset.build(f"sqlite:///{partial}", factor, label="SQLite")
        partial.rename(cached)
        load_seconds = built.seconds
    work = DATA / f"trust-{factor}.work.sqlite"
    shutil.copyfile(cached, work)  # the benchmark writes; the cached copy stays as built
    url = f"sqlite:///{work}"
    # A copy cached before a newer migration (an index, say) is brought up to date, so that the app is measured on
    # the schema it would run on.
    dataset.migrate(url)
    built = dataset.built_info(url, {}, load_seconds)
    try:
        return measure(backend, url, built, load_seconds)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(str(work) + suffix).unlink(missing_ok=True)


AIMS = {
    "Queue, first page": 50.0,
    "Logging a concern (POST)": 100.0,
    CHILD_CHRONOLOGY: 100.0,
}


def report(results: list[BackendResult], factor: float) -> str:
    """The Markdown section for results.md."""
    lines = [
        "## Trust benchmark",
        "",
        f"Scale {factor} (1.0 = 50 schools, 50,000 pupils, 250,000 concerns, 1,000,000 events). gunicorn "
        f"{WORKERS} sync workers on 127.0.0.1; wrk 1 thread, {CONNECTIONS} connections, {SECONDS} s per endpoint "
        f"in {ROUNDS} slices after a 2 s warm-up, signed in as a DSL of school 1. p50/p95/p99 in milliseconds under "
        'that load, over all the slices; "one at a time" is the median of 15 sequential requests in process (test '
        'client, after 5 more): the service time without queueing; "queries" is the number of SQL statements the page runs. '
        f"\"vs ceiling\" is the share of the minimal route's req/s measured in slices between the endpoint's "
        f"({CEILING_SECONDS} s of /health in all), because the machine's speed drifts during a run.",
        "",
    ]
    for result in results:
        counts = result.built.counts
        lines += [
            f"### {result.backend}",
            "",
            "Data set: "
            + ", ".join(f"{v:,} {k}" for k, v in counts.items())
            + (f"; loaded in {result.load_seconds:.0f} s." if result.load_seconds else " (cached copy)."),
            "",
            "| Endpoint | req/s | p50 | p95 | p99 | vs ceiling (its req/s) | queries | one at a time | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        ceiling = next((m.rps for m in result.measured if m.name.startswith("Minimal") and not m.skipped), 0)
        for m in result.measured:
            if m.skipped:
                lines.append(f"| {m.name} | skipped: {m.skipped} | | | | | | | |")
                continue
            ratio = f"{100 * m.rps / m.ceiling_beside:.0f}% ({m.ceiling_beside:,.0f})" if m.ceiling_beside else ""
            queries = result.query_counts.get(m.name, "")
            alone = f"{result.service_ms[m.name]:.1f}" if m.name in result.service_ms else ""
            lines.append(
                f"| {m.name} | {m.rps:,.0f} | {m.p50_ms:.1f} | {m.p95_ms:.1f} | {m.p99_ms:.1f} | {ratio} | "
                f"{queries} | {alone} | {m.errors} |"
            )
        lines.append("")
        if result.plans:
            lines += ["Query plans (EXPLAIN of every SELECT the page runs; sequential scans found):", ""]
            for page, scans, ok in result.plans:
                lines.append(f"- {page}: {scans} — {'ok' if ok else 'SEQUENTIAL SCAN OF A CONCERN TABLE'}")
            lines.append("")
        aims = []
        by_name = {m.name: m for m in result.measured if not m.skipped}
        for name, limit in AIMS.items():
            if name in by_name:
                ok = by_name[name].p95_ms < limit
                aims.append(
                    f"- {name}: p95 {by_name[name].p95_ms:.1f} ms, aim < {limit:.0f} ms — {'met' if ok else 'NOT met'}"
                )
        queue = by_name.get("Queue, first page")
        if queue and queue.ceiling_beside:
            share = 100 * queue.rps / queue.ceiling_beside
            first = f"; {100 * queue.rps / ceiling:.0f}% of the first ceiling ({ceiling:,.0f})" if ceiling else ""
            aims.append(
                f"- Queue throughput: {share:.0f}% of the ceiling measured in turn with it "
                f"({queue.ceiling_beside:,.0f} req/s){first}, aim ≥ 40% — {'met' if share >= 40 else 'NOT met'}"
            )
        if aims:
            lines += ["Aims (set for PostgreSQL):", "", *aims, ""]
        for note in result.notes:
            lines += [f"Note: {note}", ""]
    return "\n".join(lines)


def run(factor: float, backends: list[str]) -> str:
    """Run the trust benchmark on each database and return its Markdown section."""
    if shutil.which("wrk") is None:
        return "## Trust benchmark\n\nSkipped: wrk is not installed (`apt-get install -y wrk`).\n"
    results = [run_backend(backend, factor) for backend in backends]
    return report(results, factor)
