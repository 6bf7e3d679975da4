"""Safeguard at the scale of a trust, against the ceiling of the framework.

For each database (PostgreSQL on a throwaway server, then SQLite) this builds the trust data set, checks the query
plans and counts the queries of each page in a test-client run, then serves the app with gunicorn on 127.0.0.1 and
drives it with wrk, signed in as a DSL, for a fixed time per endpoint. Beside it, gunicorn serves a bare Flask app
(``bare_app.py``) in the same worker model: its ``/health`` is the ceiling each page is compared with, and
Safeguard's own ``/health`` (the fixed cost of every request) a second reference.
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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import dataset

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / ".data"
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 8))
# Each endpoint is driven for SECONDS in all, in ROUNDS slices; before each slice, each ceiling (the bare Flask route,
# and Safeguard's /health) is driven for its share of CEILING_SECONDS, and the endpoint's shares are taken against
# those slices. The machine's speed drifts (the ceiling moved 1.7× between two runs, and from 430 to 720 req/s
# within a minute of one): a ceiling measured once, even just before the endpoint, gave ratios that moved with the
# drift rather than with the change, while slices taken in turn see the same mix of the machine's moments.
SECONDS = int(os.environ.get("BENCH_SECONDS", 12))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 4))
CEILING_SECONDS = int(os.environ.get("BENCH_CEILING_SECONDS", 8))
# wrk reports each slice's latencies as this many quantiles, merged across slices by weight.
QUANTILES = 200
# Below Linux's range of ports for outgoing connections (32768 to 60999): on a port inside it, a connection the
# benchmark had just made (wrk's, gunicorn's) could still hold the number, and the API benchmark's server, started
# after the rest, could not listen on it.
PG_PORT = os.environ.get("BENCH_PG_PORT", "15436")
HTTP_PORT = int(os.environ.get("BENCH_HTTP_PORT", 8736))
BARE_PORT = int(os.environ.get("BENCH_BARE_PORT", 8737))
SECRET = "benchmark-only-secret-key-not-for-production"  # noqa: S105 (a throwaway server)

# The rows of the table, by name: the aims and the worker-model phase find their endpoints by these.
BARE = "Bare Flask route (/health), the ceiling"
HEALTH = "Safeguard's /health, signed in (the fixed cost)"
QUEUE = "Queue, first page"
CONCERN = "Concern page (child with 3 concerns)"
HOT_CONCERN = "Concern page with a 200-concern chronology"
# The child's own chronology page for the child with 200 concerns over five years (about 740 entries): as it opens,
# a year at a time (the latest), which the aim "a child's chronology of 200 concerns" is judged on; and with every
# year at once, as a DSL prints it. The concern page shows the latest entries beside the concern.
CHILD_CHRONOLOGY = "A child's chronology (200 concerns, the latest year)"
CHILD_CHRONOLOGY_ALL = "A child's chronology (200 concerns, every year)"
LOGGING = "Logging a concern (POST)"
# The trust lead's dashboard: the numbers of every school of the trust (50 at full scale), this period and the one
# before, signed in as the trust lead.
TRUST_DASHBOARD = "Trust dashboard (every school of the trust)"

# The worker model of the main phase: BENCH_WORKER_CLASS (sync or gthread), BENCH_WORKERS, and BENCH_THREADS for
# gthread. BENCH_WORKER_MODELS ("sync:5,sync:3,gthread:3x4") adds a phase serving the app in each model in turn.
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
# Cores + 1 sync workers, the model chosen by that phase's numbers on this project's 2-core machine, where the
# database and the load generator share the cores: in two runs three sync workers gave every page a lower p95 than
# five (2 × cores + 1) and than gthread workers (docs/performance.md, "Worker model"). The extra workers only waited
# for a core. Until 7a2f6e5 the main phase ran 2 × cores + 1.
DEFAULT_WORKERS = (os.cpu_count() or 1) + 1
DEFAULT_THREADS = 4
# The pages the worker-model phase measures, each against the bare route served the same way.
MODEL_ENDPOINTS = (HEALTH, QUEUE, CHILD_CHRONOLOGY)
# The ceilings an endpoint is measured in turn with, by key.
VS_BARE = "bare"
VS_HEALTH = "health"

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


@dataclass(frozen=True)
class WorkerModel:
    """How gunicorn serves an app: its worker class, how many workers, and threads per worker (gthread only)."""

    worker_class: str = "sync"
    workers: int = DEFAULT_WORKERS
    threads: int = 1

    def __post_init__(self) -> None:
        if self.worker_class not in ("sync", "gthread"):
            raise ValueError(f"worker class {self.worker_class!r}: the benchmark serves sync or gthread")
        if self.workers < 1 or self.threads < 1:
            raise ValueError(f"{self.workers} workers of {self.threads} threads: at least one of each")
        if self.worker_class == "sync" and self.threads != 1:
            # gunicorn would quietly serve a sync worker with threads as gthread.
            raise ValueError("a sync worker has one thread; write gthread:WORKERSxTHREADS")

    @classmethod
    def parse(cls, spec: str) -> WorkerModel:
        """A model as BENCH_WORKER_MODELS writes it: ``sync:5`` (five sync workers) or ``gthread:3x4`` (three
        workers of four threads; ``gthread:3`` takes BENCH_THREADS)."""
        worker_class, _, size = spec.strip().partition(":")
        workers, _, threads = size.partition("x")
        if not workers.isdigit() or (threads and not threads.isdigit()):
            raise ValueError(f"worker model {spec!r}: write sync:WORKERS or gthread:WORKERSxTHREADS")
        if worker_class == "gthread":
            return cls(worker_class, int(workers), int(threads or os.environ.get("BENCH_THREADS", DEFAULT_THREADS)))
        return cls(worker_class, int(workers), int(threads or 1))

    @property
    def label(self) -> str:
        """A short name for file names: ``sync-5``, ``gthread-3x4``."""
        return f"{self.worker_class}-{self.workers}" + (f"x{self.threads}" if self.worker_class == "gthread" else "")

    def arguments(self) -> list[str]:
        """gunicorn's options for this model."""
        options = ["-k", self.worker_class, "-w", str(self.workers)]
        return [*options, "--threads", str(self.threads)] if self.worker_class == "gthread" else options

    def __str__(self) -> str:
        workers = f"{self.workers} {self.worker_class} worker{'s' if self.workers > 1 else ''}"
        if self.worker_class == "gthread":
            return f"{workers} × {self.threads} thread{'s' if self.threads > 1 else ''}"
        return workers


MODEL = WorkerModel(
    WORKER_CLASS,
    int(os.environ.get("BENCH_WORKERS", DEFAULT_WORKERS)),
    int(os.environ.get("BENCH_THREADS", DEFAULT_THREADS)) if WORKER_CLASS == "gthread" else 1,
)
WORKER_MODELS = [
    WorkerModel.parse(spec) for spec in os.environ.get("BENCH_WORKER_MODELS", "").split(",") if spec.strip()
]


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
    # The signed-in session (a requests.Session) to send it with, when not the DSL's: the trust dashboard's trust lead.
    session: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Target:
    """An endpoint on one served app, with the signed-in session to send it with (none for the bare Flask app)."""

    base: str
    endpoint: Endpoint
    session: Any = field(default=None, compare=False)


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
    seconds: float = 0.0
    # The latencies (µs) as QUANTILES equally likely values, for merging slices.
    quantiles: list[float] = field(default_factory=list, repr=False)
    # Each ceiling's req/s (VS_BARE, VS_HEALTH) over its slices taken in turn with this endpoint's.
    beside: dict[str, float] = field(default_factory=dict)
    # Those slices, by ceiling: the bare route's own row is merged from all of them.
    ceiling_slices: dict[str, list[Measured]] = field(default_factory=dict, repr=False)

    def share(self, ceiling: str) -> float | None:
        """This endpoint's req/s as a percentage of the ceiling's measured beside it (None if it was not)."""
        beside = self.beside.get(ceiling)
        return 100 * self.rps / beside if beside else None


@dataclass
class ModelResult:
    """One worker model of the worker-model phase: its bare route, and the endpoints measured against it."""

    model: WorkerModel
    bare: Measured
    measured: list[Measured]


@dataclass
class BackendResult:
    """Everything measured on one database."""

    backend: str
    built: dataset.Built
    load_seconds: float
    bare: Measured  # the bare Flask route, merged from its slices beside every endpoint
    measured: list[Measured]
    query_counts: dict[str, int]
    plans: list[tuple[str, str, bool]]  # (page, table scans found, acceptable)
    notes: list[str]
    service_ms: dict[str, float]
    models: list[ModelResult] = field(default_factory=list)


def _lua(method: str, body: str, headers: dict[str, str]) -> str:
    lines = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    return LUA.format(method=json.dumps(method), body=json.dumps(body), headers=lines, quantiles=QUANTILES)


def run_wrk(target: Target, seconds: float = SECONDS) -> Measured:
    """Drive one endpoint for ``seconds`` with wrk and read its percentiles."""
    endpoint = target.endpoint
    headers = dict(endpoint.headers)
    sender = endpoint.session or target.session
    if sender is not None:
        headers["Cookie"] = current_cookie(target.base, sender)
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
                target.base + endpoint.path,
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


def merged(name: str, slices: list[Measured]) -> Measured:
    """Several slices as one measurement: req/s over their whole time, percentiles over all their requests."""
    requests, seconds = sum(m.requests for m in slices), sum(m.seconds for m in slices)
    return Measured(
        name,
        rps=requests / seconds if seconds else 0.0,
        p50_ms=_percentile(slices, 50),
        p95_ms=_percentile(slices, 95),
        p99_ms=_percentile(slices, 99),
        requests=requests,
        errors=sum(m.errors for m in slices),
        seconds=seconds,
    )


def drive(target: Target, ceilings: dict[str, Target]) -> Measured:
    """Drive ``target`` in ROUNDS slices, each after a slice of every ceiling, and merge the slices.

    :param ceilings: the routes to compare with, by key (VS_BARE, VS_HEALTH). Each names its own base URL and
        session: the bare Flask route is on another app and is driven without one.
    """
    run_wrk(target, seconds=2)  # warm-up
    slices: list[Measured] = []
    taken: dict[str, list[Measured]] = {key: [] for key in ceilings}
    for _ in range(ROUNDS):
        for key, ceiling in ceilings.items():
            taken[key].append(run_wrk(ceiling, seconds=max(1, CEILING_SECONDS / ROUNDS)))
        slices.append(run_wrk(target, seconds=max(1, SECONDS / ROUNDS)))
    result = merged(target.endpoint.name, slices)
    result.ceiling_slices = taken
    result.beside = {key: merged(key, ceiling_slices).rps for key, ceiling_slices in taken.items()}
    return result


def start_postgresql() -> tuple[str, dict[str, str]]:
    """A throwaway server, as in CI; returns its URL and the variables ``.ci/pg-stop`` needs."""
    started = subprocess.run(
        [str(ROOT / ".ci/pg-start")],
        env={**os.environ, "PG_PORT": PG_PORT},
        capture_output=True,
        text=True,
        check=False,
    )
    if started.returncode != 0:
        raise RuntimeError(f"PostgreSQL did not start on port {PG_PORT}: {started.stderr.strip()[-500:]}")
    out = started.stdout
    variables = dict(re.findall(r"(\w+)='([^']*)'", out))
    return variables["TEST_DATABASE_URL"], variables


def stop_postgresql(variables: dict[str, str]) -> None:
    """Stop the throwaway server and remove its folder."""
    subprocess.run([str(ROOT / ".ci/pg-stop")], env={**os.environ, **variables}, capture_output=True, check=False)


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@contextmanager
def gunicorn(app: str, port: int, model: WorkerModel, env: dict[str, str], log: Path) -> Iterator[str]:
    """Serve ``app`` (gunicorn's ``module:factory()``) on 127.0.0.1:``port`` in ``model``, with no access log;
    yield its base URL once ``/health`` answers, and stop it afterwards."""
    import requests

    if not _free(port):
        raise RuntimeError(f"port {port} is in use; set BENCH_HTTP_PORT or BENCH_BARE_PORT")
    base = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).parent / "gunicorn"), *model.arguments()]
    command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", app]
    with open(log, "a") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=output)
        try:
            for _ in range(150):
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn ({app}) exited with {process.returncode}; see {log.name}")
                try:
                    if requests.get(base + "/health", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.2)
            else:
                raise RuntimeError(f"gunicorn ({app}) did not answer; see {log.name}")
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def serving(model: WorkerModel, url: str, instance: Path, label: str) -> Iterator[tuple[str, str]]:
    """Safeguard on HTTP_PORT and the bare Flask app on BARE_PORT, both served in ``model``; yields their base URLs.

    Each writes its log to ``instance/<label>-<app>.log``.
    """
    # BASE_URL as every production server sets it (SAFEGUARD_PRODUCTION refuses to start without it): without it, a
    # development server notes on every request the address it is reached at, for the links of alert e-mails.
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "SAFEGUARD_INSTANCE_PATH": str(instance),
        "BASE_URL": f"http://127.0.0.1:{HTTP_PORT}",
    }
    with ExitStack() as stack:
        ours = stack.enter_context(
            gunicorn("safeguard:create_app()", HTTP_PORT, model, env, instance / f"{label}-safeguard.log")
        )
        bare = stack.enter_context(
            gunicorn(
                "benchmarks.bare_app:create_app()", BARE_PORT, model, dict(os.environ), instance / f"{label}-bare.log"
            )
        )
        time.sleep(1)  # let every worker finish booting before the first measurement
        yield ours, bare


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


def current_cookie(base: str, session) -> str:
    """The session's Cookie header as a browser would send it now, for one slice of wrk.

    A browser keeps the cookie each answer sets; wrk sends the one it was given for the whole slice. Safeguard
    records a session's activity at most once a minute, by writing the time into the cookie, so with a cookie more
    than a minute old every request wrote the activity to the database again (and signed a new cookie): after the
    first minute of a run, each page was measured with a write a browser never causes. One request through the
    session first brings its cookie up to date; a slice lasts seconds.
    """
    session.get(base + "/health", timeout=10)
    return session_cookie(session)


def session_cookie(session) -> str:
    """The Cookie header for the session as it is now (the CSRF secret is kept in it once a form was shown)."""
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def endpoints(base: str, session, built: dataset.Built, deep_page: int) -> list[Endpoint]:
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
    trust_lead, _ = sign_in(base, dataset.TRUST_LEAD_EMAIL)
    return [
        Endpoint(HEALTH, "/health"),
        Endpoint(QUEUE, "/concerns/"),
        Endpoint(
            f"Queue, filtered, page {deep_page}", f"/concerns/?status=all&category=abuse-neglect&page={deep_page}"
        ),
        Endpoint(CONCERN, f"/concerns/{built.typical_concern_id}"),
        Endpoint(HOT_CONCERN, f"/concerns/{built.hot_concern_id}"),
        Endpoint(CHILD_CHRONOLOGY, f"/pupils/{built.hot_pupil_id}"),
        Endpoint(CHILD_CHRONOLOGY_ALL, f"/pupils/{built.hot_pupil_id}?year=all"),
        Endpoint(LOGGING, "/concerns/new", "POST", log_body, form, (302, 303)),
        Endpoint(TRUST_DASHBOARD, "/trust/", session=trust_lead),
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


def bare_route(ours: str, bare: str) -> Target:
    """The bare Flask app's ``/health``, once it is seen to answer as Safeguard's does."""
    import requests

    theirs, mine = (requests.get(base + "/health", timeout=5) for base in (bare, ours))
    if theirs.json() != mine.json():
        raise RuntimeError(f"the bare route answers {theirs.text!r}, Safeguard's /health {mine.text!r}")
    return Target(bare, Endpoint(BARE, "/health"))


def probe(session, base: str, endpoint: Endpoint) -> str:
    """Why the endpoint cannot be measured (its one request, made as the signed-in DSL, failed), or ""."""
    # An endpoint signed in as someone else (the trust dashboard) brings its own session: sent through the DSL's, its
    # answer's cookie would replace the DSL's, and every endpoint after it would be sent as that person.
    response = (endpoint.session or session).request(
        endpoint.method,
        base + endpoint.path,
        data=endpoint.body.encode() or None,
        headers=endpoint.headers,
        allow_redirects=False,
    )
    if response.status_code == 404 and "terminology" in endpoint.path:
        return "route not present on this branch (404)"
    if response.status_code not in endpoint.expect:
        return f"probe answered {response.status_code}"
    return ""


def drive_endpoints(
    backend: str, bases: tuple[str, str], built: dataset.Built, deep: int, only: tuple[str, ...] = ()
) -> tuple[Measured, list[Measured]]:
    """Sign in on the served app and drive its endpoints (or ``only`` those named) in slices taken in turn with the
    bare route's and, unless ``only`` is given, with Safeguard's /health's.

    :param bases: the base URLs of Safeguard and of the bare Flask app.
    :returns: the bare route's row (merged from all its slices) and the endpoints' rows.
    """
    ours, theirs = bases
    session, _ = sign_in(ours, built.dsl_email)
    to_measure = endpoints(ours, session, built, deep)
    bare = bare_route(ours, theirs)
    health = Target(ours, to_measure[0], session)
    run_wrk(bare, seconds=2)  # the bare app's warm-up; each endpoint is warmed up in drive()
    measured: list[Measured] = []
    for endpoint in to_measure:
        if only and endpoint.name not in only:
            continue
        skipped = probe(session, ours, endpoint)
        if skipped:
            measured.append(Measured(endpoint.name, skipped=skipped))
            continue
        print(f"[{backend}] {endpoint.name}: {SECONDS} s with wrk in {ROUNDS} slices", file=sys.stderr)
        ceilings = {VS_BARE: bare}
        if not only and endpoint is not health.endpoint:
            ceilings[VS_HEALTH] = health
        measured.append(drive(Target(ours, endpoint, session), ceilings))
    bare_row = merged(BARE, [s for m in measured for s in m.ceiling_slices.get(VS_BARE, [])])
    return bare_row, measured


def count_queries_and_plans(url: str, built: dataset.Built, deep_page: int) -> tuple[dict[str, int], list, dict]:
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
        HEALTH: ("GET", "/health", None),
        QUEUE: ("GET", "/concerns/", None),
        f"Queue, filtered, page {deep_page}": (
            "GET",
            f"/concerns/?status=all&category=abuse-neglect&page={deep_page}",
            None,
        ),
        CONCERN: ("GET", f"/concerns/{built.typical_concern_id}", None),
        HOT_CONCERN: ("GET", f"/concerns/{built.hot_concern_id}", None),
        CHILD_CHRONOLOGY: ("GET", f"/pupils/{built.hot_pupil_id}", None),
        CHILD_CHRONOLOGY_ALL: ("GET", f"/pupils/{built.hot_pupil_id}?year=all", None),
        LOGGING: (
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
    dsl_client = app.test_client()
    dsl_client.post("/auth/sign-in", data={"email": built.dsl_email, "password": dataset.BENCH_PASSWORD})
    dsl_client.post("/auth/two-factor", data={"code": dataset.totp_code()})
    trust_client = app.test_client()
    trust_client.post("/auth/sign-in", data={"email": dataset.TRUST_LEAD_EMAIL, "password": dataset.BENCH_PASSWORD})
    trust_client.post("/auth/two-factor", data={"code": dataset.totp_code()})
    pages[TRUST_DASHBOARD] = ("GET", "/trust/", None)
    for name, (method, path, data) in pages.items():
        statements: list[tuple[str, object]] = []
        client = trust_client if name == TRUST_DASHBOARD else dsl_client

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
                    plan = served_plan(raw, statement, parameters)
                    for table in re.findall(r'"Node Type": "Seq Scan", [^}]*?"Relation Name": "(\w+)"', plan):
                        scans.add(table)
                raw.rollback()
            bad = scans & {"concerns", "concern_events", "concern_pupils", "concern_categories"}
            plans.append((name, ", ".join(sorted(scans)) or "none", not bad))
    return counts, plans, service


def served_plan(raw, statement: str, parameters: dict) -> str:
    """The plan PostgreSQL keeps for a statement a served page runs again and again, as JSON text.

    psycopg prepares a statement on its sixth run, and PostgreSQL then keeps a *generic* plan, made without the
    values: a condition whose value is bound cannot match a partial index there, even though ``EXPLAIN`` of the
    statement with its values (a plan made for those values) uses it. So the statement is prepared and its generic
    plan explained.
    """
    import psycopg

    names: list[str] = []

    def number(match: re.Match) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    prepared = re.sub(r"%\((\w+)\)s", number, statement).replace("%%", "%")
    with raw.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE bench_served AS {prepared}", prepare=False)
    arguments = f"({', '.join(['%s'] * len(names))})" if names else ""
    try:
        with psycopg.ClientCursor(raw) as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE bench_served{arguments}", [parameters[n] for n in names])
            return json.dumps(cursor.fetchone()[0])
    finally:
        with raw.cursor() as cursor:
            cursor.execute("DEALLOCATE bench_served")


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


def keep_logs(backend: str, instance: Path) -> list[str]:
    """Gather the gunicorn logs of one database into ``.data/gunicorn-<backend>.log``; return a note for each
    distinct error they hold."""
    notes, gathered = [], []
    for log in sorted(instance.glob("*.log")):
        text = log.read_text()
        gathered += [f"==> {log.name} <==", text]
        errors = sorted(
            {line.strip()[:160] for line in text.splitlines() if re.match(r"^\w+(\.\w+)*(Error|Exception):", line)}
        )
        notes += [f"gunicorn ({log.stem}) logged: `{error}`" for error in errors]
    DATA.mkdir(exist_ok=True)
    (DATA / f"gunicorn-{backend}.log").write_text("\n".join(gathered))
    return notes


def measure(backend: str, url: str, built: dataset.Built, load_seconds: float) -> BackendResult:
    """Check plans and query counts, then serve Safeguard and the bare Flask app and drive every endpoint; then, if
    BENCH_WORKER_MODELS is set, serve both in each worker model in turn."""
    deep = deep_page_for(url)
    print(f"[{backend}] counting queries and checking plans", file=sys.stderr)
    counts, plans, service = count_queries_and_plans(url, built, deep)
    instance = Path(tempfile.mkdtemp(prefix="safeguard-bench-"))
    notes: list[str] = []
    models: list[ModelResult] = []
    try:
        print(f"[{backend}] serving Safeguard and the bare Flask app: {MODEL}", file=sys.stderr)
        with serving(MODEL, url, instance, "main") as bases:
            bare, measured = drive_endpoints(backend, bases, built, deep)
        for model in WORKER_MODELS:
            print(f"[{backend}] worker model: {model}", file=sys.stderr)
            with serving(model, url, instance, model.label) as bases:
                models.append(ModelResult(model, *drive_endpoints(backend, bases, built, deep, MODEL_ENDPOINTS)))
    finally:
        notes += keep_logs(backend, instance)
        shutil.rmtree(instance, ignore_errors=True)
    return BackendResult(backend, built, load_seconds, bare, measured, counts, plans, notes, service, models)


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
    cached = DATA / f"trust-{factor}-shape{dataset.SHAPE}.sqlite"
    load_seconds = 0.0
    if not cached.exists():
        partial = cached.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        built = dataset.build(f"sqlite:///{partial}", factor, label="SQLite")
        partial.rename(cached)
        load_seconds = built.seconds
    work = DATA / f"trust-{factor}-shape{dataset.SHAPE}.work.sqlite"
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


@dataclass(frozen=True)
class Aim:
    """An aim of the issue for one endpoint, judged on PostgreSQL: a least share of the bare Flask route's req/s
    (measured in turn with it), a p95 to stay under, or both."""

    endpoint: str
    share: float | None = None  # percent of the bare route
    p95_ms: float | None = None

    def verdicts(self, measured: Measured) -> str:
        """Each part of the aim with what was measured, and met or NOT met."""
        parts = []
        if self.share is not None:
            share = measured.share(VS_BARE) or 0.0
            met = share >= self.share
            parts.append(f"{share:.0f}% of the bare route, aim ≥ {self.share:.0f}% — {'met' if met else 'NOT met'}")
        if self.p95_ms is not None:
            met = measured.p95_ms < self.p95_ms
            parts.append(f"p95 {measured.p95_ms:.1f} ms, aim < {self.p95_ms:.0f} ms — {'met' if met else 'NOT met'}")
        return "; ".join(parts)


AIMS = (
    Aim(HEALTH, share=40),
    Aim(QUEUE, share=15, p95_ms=40),
    Aim(CONCERN, share=8, p95_ms=60),
    Aim(HOT_CONCERN, share=8, p95_ms=60),
    Aim(CHILD_CHRONOLOGY, share=8, p95_ms=80),
    Aim(LOGGING, p95_ms=80),
    Aim(TRUST_DASHBOARD, p95_ms=100),
)


def _cells(m: Measured) -> str:
    """req/s, p50, p95 and p99 as table cells."""
    return f"{m.rps:,.0f} | {m.p50_ms:.1f} | {m.p95_ms:.1f} | {m.p99_ms:.1f}"


def _share(m: Measured, ceiling: str, with_rps: bool = False) -> str:
    """The endpoint's share of a ceiling as a table cell, with the ceiling's req/s beside it if asked."""
    share = m.share(ceiling)
    if share is None:
        return ""
    return f"{share:.0f}% ({m.beside[ceiling]:,.0f})" if with_rps else f"{share:.0f}%"


def _table(result: BackendResult) -> list[str]:
    """The database's table: the bare route first, then every endpoint."""
    lines = [
        "| Endpoint | req/s | p50 | p95 | p99 | vs bare Flask (its req/s) | vs /health | queries | one at a time "
        "| errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {BARE} | {_cells(result.bare)} | 100% |  |  |  | {result.bare.errors} |",
    ]
    for m in result.measured:
        if m.skipped:
            lines.append(f"| {m.name} | skipped: {m.skipped} | | | | | | | | |")
            continue
        queries = result.query_counts.get(m.name, "")
        alone = f"{result.service_ms[m.name]:.1f}" if m.name in result.service_ms else ""
        lines.append(
            f"| {m.name} | {_cells(m)} | {_share(m, VS_BARE, with_rps=True)} | {_share(m, VS_HEALTH)} | {queries} "
            f"| {alone} | {m.errors} |"
        )
    return [*lines, ""]


def _aims(result: BackendResult) -> list[str]:
    """Each aim, met or NOT met: judged on PostgreSQL, reported as a target on another database."""
    judged = result.backend == "postgresql"
    by_name = {m.name: m for m in result.measured if not m.skipped}
    lines = [
        "Aims (judged on PostgreSQL):"
        if judged
        else "Targets (the aims set for PostgreSQL, not judged on this database):",
        "",
    ]
    for aim in AIMS:
        measured = by_name.get(aim.endpoint)
        lines.append(f"- {aim.endpoint}: {aim.verdicts(measured) if measured else 'not measured'}")
    lines += ["- The PDF of a 200-concern child's file: see the PDF section below.", ""]
    return lines


def _models(result: BackendResult) -> list[str]:
    """The worker-model table, if that phase ran."""
    if not result.models:
        return []
    names = {HEALTH: "Safeguard's /health", QUEUE: "Queue, first page", CHILD_CHRONOLOGY: "A child's chronology"}
    lines = [
        "#### Worker model",
        "",
        "Safeguard and the bare Flask app served the same way, in each model in turn, after the measurements above "
        "(on their data, with the concerns logged there): compare the rows with each other. Each cell is the "
        "endpoint's share of the bare route measured in turn with it (the endpoint's req/s), then its p95 in ms.",
        "",
        "| Model | bare Flask req/s | " + " | ".join(names[n] for n in MODEL_ENDPOINTS) + " | errors |",
        "|---|---:|" + "---:|" * len(MODEL_ENDPOINTS) + "---:|",
    ]
    for model in result.models:
        by_name = {m.name: m for m in model.measured}
        cells = []
        for name in MODEL_ENDPOINTS:
            m = by_name.get(name)
            if m is None or m.skipped:
                cells.append(f"skipped: {m.skipped}" if m else "")
            else:
                cells.append(f"{_share(m, VS_BARE)} ({m.rps:,.0f}), p95 {m.p95_ms:.1f}")
        errors = model.bare.errors + sum(m.errors for m in model.measured)
        lines.append(f"| {model.model} | {model.bare.rps:,.0f} | " + " | ".join(cells) + f" | {errors} |")
    return [*lines, ""]


def report(results: list[BackendResult], factor: float) -> str:
    """The Markdown section for results.md."""
    lines = [
        "## Trust benchmark",
        "",
        f"Scale {factor} (1.0 = 50 schools, 50,000 pupils, 250,000 concerns, 1,000,000 events). gunicorn serves "
        f"Safeguard with {MODEL} on 127.0.0.1 and, beside it in the same way, a bare Flask app "
        "(`benchmarks/bare_app.py`) whose one route answers `/health` as Safeguard's does: the framework's own "
        f"ceiling. wrk 1 thread, {CONNECTIONS} connections, {SECONDS} s per endpoint in {ROUNDS} slices after a 2 s "
        "warm-up, signed in as a DSL of school 1. Before each slice the bare route and Safeguard's /health are driven "
        f"for a slice each ({CEILING_SECONDS} s of each in all), because the machine's speed drifts during a run: "
        "\"vs bare Flask\" is the endpoint's share of the bare route's req/s in those slices (that req/s beside it), "
        "\"vs /health\" its share of Safeguard's signed-in /health likewise; the bare route's row merges all its "
        'slices. p50/p95/p99 in milliseconds under that load, over all the slices; "queries" is the number of SQL '
        'statements the page runs; "one at a time" is the median of 15 sequential requests in process (test '
        "client, after 5 more): the service time without queueing.",
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
            *_table(result),
        ]
        if result.plans:
            lines += [
                "Query plans (EXPLAIN of the plan PostgreSQL keeps for each SELECT the page runs, prepared; "
                "sequential scans found):",
                "",
            ]
            for page, scans, ok in result.plans:
                lines.append(f"- {page}: {scans} — {'ok' if ok else 'SEQUENTIAL SCAN OF A CONCERN TABLE'}")
            lines.append("")
        lines += _aims(result)
        lines += _models(result)
        for note in result.notes:
            lines += [f"Note: {note}", ""]
    return "\n".join(lines)


def run(factor: float, backends: list[str]) -> str:
    """Run the trust benchmark on each database and return its Markdown section."""
    if shutil.which("wrk") is None:
        return "## Trust benchmark\n\nSkipped: wrk is not installed (`apt-get install -y wrk`).\n"
    results = [run_backend(backend, factor) for backend in backends]
    return report(results, factor)
