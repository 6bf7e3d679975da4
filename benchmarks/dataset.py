"""A realistic trust, built fast: 50 schools, 50,000 pupils, 250,000 concerns and 1,000,000 events at scale 1.

The schema is built by the migrations (``flask db upgrade``), then rows go in by bulk: PostgreSQL ``COPY`` through
psycopg 3, SQLite ``executemany`` in large transactions with the journal off. The data is deterministic (seeded),
skewed as real records are (most children have no or few concerns, a few have very many; one child per school has
about 200) and consistent with the app's rules (unique references per school, sequences set past the last number).
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from safeguard.core.names import search_key

# Full scale: a trust of 50 schools.
SCHOOLS = 50
PUPILS = 50_000
CONCERNS = 250_000
EVENTS = 1_000_000
HOT_CHILD_CONCERNS = 200
STAFF_PER_SCHOOL = 6
BENCH_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ"  # noqa: S105 - second factor of the throwaway data set
BENCH_PASSWORD = "bench-dsl-password-2026"  # noqa: S105 - the known password of every data set user (a throwaway data set)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).replace(tzinfo=None)  # fixed, so that runs are comparable
YEARS = 5

CATEGORIES = {
    "abuse-physical": "Physical abuse",
    "abuse-emotional": "Emotional abuse",
    "abuse-sexual": "Sexual abuse",
    "abuse-neglect": "Neglect",
    "abuse-domestic": "Domestic abuse",
    "child-on-child-bullying": "Bullying (child-on-child)",
    "online-sharing-nudes": "Sharing nudes and semi-nudes",
    "online-grooming": "Online grooming",
    "online-cyberbullying": "Cyberbullying",
    "exploitation-cce": "Child criminal exploitation",
    "welfare-self-harm": "Self-harm",
    "welfare-mental-health": "Mental health",
    "attendance-family-missing-education": "Child missing education",
}
# How often each category is chosen (neglect, emotional abuse and mental health are the most common in practice).
CATEGORY_WEIGHTS = [8, 10, 3, 12, 7, 8, 3, 2, 5, 2, 5, 10, 4]
# Changed whenever the data set's shape changes, so that a cached copy of an older shape is built again.
SHAPE = 2
STATUSES = (["closed"] * 70) + (["in_progress"] * 12) + (["referred"] * 6) + (["acknowledged"] * 5) + (["new"] * 7)
# No concern stays unacknowledged for long in a school running Safeguard: an unacknowledged one escalates on a clock of
# minutes to hours, to the deputies, the head and beyond. Only concerns of the last fortnight may still be new (most
# of them overdue); drawn as new before then, a concern has been acknowledged. Until shape 2, 7% of five years'
# concerns stayed new forever (about 390 a school, some five years old): no school has that queue, and it made the
# queue's first page and the trust dashboard's overdue count measure a backlog no school would have.
STILL_NEW_WITHIN = timedelta(days=14)
# Events after "logged", in the order a DSL records them.
LATER_KINDS = ["acknowledged", "assigned", "level_of_need", "note", "action", "referral", "note", "decision", "status"]
FIRST_NAMES = ["Amara", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hassan", "Isla", "Jay", "Kofi", "Lily"]
LAST_NAMES = ["Ahmed", "Brown", "Clarke", "Davies", "Evans", "Fraser", "Green", "Hughes", "Iqbal", "Jones", "Khan"]
ACCOUNTS = [
    'During break {name} said "my dad hit me with a belt last night" and showed a bruise on the left forearm.',
    "{name} arrived without a coat for the third day this week, hungry, and asked for food at breakfast club.",
    'A pupil reported that {name} was sent messages asking for images; {name} said "he told me not to tell".',
    "{name} was crying in the toilets and said they did not want to go home because of shouting at home.",
    "{name} has missed eleven days this half term; the family did not answer calls or a home visit.",
]


@dataclass
class Scale:
    """The sizes of a data set at a given scale (1.0 is the trust of the issue)."""

    factor: float
    schools: int = field(init=False)
    pupils_per_school: int = field(init=False)
    concerns_per_school: int = field(init=False)
    events_per_concern: float = field(init=False)

    def __post_init__(self) -> None:
        self.schools = max(2, round(SCHOOLS * self.factor)) if self.factor < 1 else SCHOOLS
        self.pupils_per_school = max(50, round(PUPILS * self.factor / self.schools))
        self.concerns_per_school = max(HOT_CHILD_CONCERNS + 50, round(CONCERNS * self.factor / self.schools))
        self.events_per_concern = EVENTS / CONCERNS


# The trust lead who signs in for the trust dashboard.
TRUST_LEAD_EMAIL = "trust.lead@taa.bench.example"


@dataclass
class Built:
    """What the load produced, and the ids a benchmark needs."""

    counts: dict[str, int]
    dsl_email: str
    school_id: int
    hot_pupil_id: int
    hot_concern_id: int
    typical_concern_id: int
    seconds: float


class Progress:
    """A one-line progress bar on stderr (no dependency)."""

    def __init__(self, label: str, total: int, enabled: bool = True) -> None:
        self.label, self.total, self.done, self.enabled = label, max(1, total), 0, enabled
        self.started = time.perf_counter()
        self._last = 0.0

    def add(self, n: int) -> None:
        """Count ``n`` more rows and redraw at most ten times a second."""
        self.done += n
        now = time.perf_counter()
        if self.enabled and (now - self._last > 0.1 or self.done >= self.total):
            self._last = now
            width = 30
            filled = int(width * min(1.0, self.done / self.total))
            rate = self.done / max(1e-6, now - self.started)
            sys.stderr.write(
                f"\r  {self.label:<12} [{'#' * filled}{'.' * (width - filled)}] "
                f"{self.done:>9,}/{self.total:,} rows  {rate:,.0f}/s"
            )
            sys.stderr.flush()

    def close(self) -> None:
        """End the line."""
        if self.enabled:
            sys.stderr.write("\n")


def school_code(index: int) -> str:
    """A unique code of 3 capital letters for the school with this 0-based index."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "T" + letters[index // 26 % 26] + letters[index % 26]


def _events_for(rng: random.Random, mean: float) -> int:
    """1 to 12 events: most concerns have a few, some long-running ones many (mean about ``mean``)."""
    n = 1 + int(rng.expovariate(1 / (mean - 0.35)))
    return min(12, n)


def generate(scale: Scale, password_hash: str, seed: int = 2026) -> Iterator[tuple[str, list[str], list[tuple]]]:
    """Yield (table, columns, rows) batches for the whole data set, school by school, parents first."""
    rng = random.Random(seed)
    created = NOW - timedelta(days=365 * YEARS + 30)
    yield (
        "schools",
        [
            "id",
            "code",
            "name",
            "protective_marking",
            "dsl_contact",
            "timezone",
            "urgent_ack_minutes",
            "routine_ack_school_days",
            "levels_of_need",
            "created_at",
        ],
        [
            (
                s + 1,
                school_code(s),
                f"Trust School {s + 1}",
                "OFFICIAL-SENSITIVE",
                "dsl@example.org",
                "Europe/London",
                15,
                1,
                "Universal\nEarly help\nChild in need\nChild protection",
                created,
            )
            for s in range(scale.schools)
        ],
    )
    users, roles = [], []
    user_id = 0
    staff_of: dict[int, list[int]] = {}
    dsls_of: dict[int, list[int]] = {}
    for s in range(scale.schools):
        school_id = s + 1
        code = school_code(s).lower()
        staff_of[school_id], dsls_of[school_id] = [], []
        for kind, count in (("staff", STAFF_PER_SCHOOL), ("dsl", 2), ("head", 1)):
            for k in range(count):
                user_id += 1
                users.append(
                    (
                        user_id,
                        school_id,
                        f"{kind}{k + 1}@{code}.bench.example",
                        f"{kind.title()} {k + 1}",
                        password_hash,
                        True,
                        False,
                        created,
                        None,
                        BENCH_TOTP_SECRET if kind != "staff" else None,
                        created if kind != "staff" else None,
                    )
                )
                roles.append((user_id, kind))
                (dsls_of if kind == "dsl" else staff_of)[school_id].append(user_id)
                if kind == "dsl":
                    roles.append((user_id, "staff"))
    # The trust's safeguarding lead, an account of the first school: the trust dashboard covers every school.
    user_id += 1
    users.append(
        (
            user_id,
            1,
            TRUST_LEAD_EMAIL,
            "Trust Lead",
            password_hash,
            True,
            False,
            created,
            None,
            BENCH_TOTP_SECRET,
            created,
        )
    )
    roles.append((user_id, "trust_lead"))
    yield (
        "users",
        [
            "id",
            "school_id",
            "email",
            "display_name",
            "password_hash",
            "active",
            "must_change_password",
            "created_at",
            "last_login_at",
            "totp_secret",
            "totp_enabled_at",
        ],
        users,
    )
    yield ("user_roles", ["user_id", "role"], roles)
    yield ("trusts", ["id", "name", "created_at"], [(1, "Bench Learning Trust", created)])
    yield ("trust_schools", ["school_id", "trust_id"], [(s + 1, 1) for s in range(scale.schools)])

    pupil_id = concern_id = event_id = follow_up_id = 0
    categories = list(CATEGORIES)
    for s in range(scale.schools):
        school_id = s + 1
        code = school_code(s)
        pupils = []
        first_pupil = pupil_id + 1
        for p in range(scale.pupils_per_school):
            pupil_id += 1
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            born = date(2010, 9, 1) + timedelta(days=rng.randrange(365 * 12))
            pupils.append(
                (
                    pupil_id,
                    school_id,
                    f"B{school_id:03d}{p:09d}",
                    first,
                    last,
                    None,
                    born,
                    f"Year {rng.randint(1, 11)}",
                    f"{rng.choice('ABCD')}",
                    rng.random() < 0.02,
                    rng.random() < 0.04,
                    rng.random() < 0.01,
                    rng.random() < 0.005,
                    rng.random() < 0.15,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    created,
                    created,
                    search_key(first, last, None, f"B{school_id:03d}{p:09d}"),
                )
            )
        yield (
            "pupils",
            [
                "id",
                "school_id",
                "upn",
                "legal_first_name",
                "legal_last_name",
                "preferred_name",
                "date_of_birth",
                "year_group",
                "class_name",
                "child_protection_plan",
                "child_in_need",
                "looked_after",
                "previously_looked_after",
                "send",
                "left_on",
                "destination_school",
                "transfer_to",
                "transfer_method",
                "transfer_sent_at",
                "transfer_confirmed_at",
                "created_at",
                "updated_at",
                "search_key",
            ],
            pupils,
        )
        names = {row[0]: row[3] for row in pupils}

        # Skew: the first pupil of the school has HOT_CHILD_CONCERNS concerns; the rest follow a Pareto law, so
        # that most children have none or one and a few have dozens.
        n = scale.concerns_per_school
        weights = [rng.paretovariate(1.1) for _ in range(scale.pupils_per_school - 1)]
        subjects = [first_pupil] * HOT_CHILD_CONCERNS + rng.choices(
            range(first_pupil + 1, first_pupil + scale.pupils_per_school), weights=weights, k=n - HOT_CHILD_CONCERNS
        )
        times = sorted(NOW - timedelta(seconds=rng.randrange(365 * YEARS * 86400)) for _ in range(n))
        rng.shuffle(subjects)
        concerns, links, cats, events, follow_ups = [], [], [], [], []
        sequence: dict[int, int] = {}
        for i in range(n):
            concern_id += 1
            logged = times[i]
            year = logged.year
            sequence[year] = sequence.get(year, 0) + 1
            subject = subjects[i]
            reporter = rng.choice(staff_of[school_id])
            dsl = rng.choice(dsls_of[school_id])
            status = rng.choice(STATUSES)
            if logged > NOW - timedelta(days=60) and status == "closed":
                status = rng.choice(["new", "acknowledged", "in_progress"])
            if status == "new" and logged < NOW - STILL_NEW_WITHIN:
                status = "acknowledged"
            urgent = rng.random() < 0.05
            ack_due = logged + (timedelta(minutes=15) if urgent else timedelta(days=1))
            acknowledged = status != "new"
            closed_at = logged + timedelta(days=rng.randint(1, 90)) if status == "closed" else None
            concerns.append(
                (
                    concern_id,
                    school_id,
                    f"{code}-{year}-{sequence[year]:04d}",
                    reporter,
                    logged - timedelta(minutes=rng.randint(5, 600)),
                    logged,
                    rng.choice(["Playground", "Classroom", "Online"]),
                    rng.choice(ACCOUNTS).format(name=names[subject]),
                    "",
                    urgent,
                    urgent and rng.random() < 0.3,
                    "1.0",
                    None,
                    status,
                    dsl if acknowledged else None,
                    rng.choice(["Universal", "Early help", "Child in need"]) if acknowledged else None,
                    "Closed: no further action" if closed_at else None,
                    "Needs met by early help." if closed_at else None,
                    ack_due,
                    logged + timedelta(minutes=30) if acknowledged else None,
                    dsl if acknowledged else None,
                    None,
                    closed_at,
                    closed_at or logged,
                    1,
                )
            )
            links.append((concern_id, subject, school_id, "subject", 0))
            if rng.random() < 0.15:
                other = rng.randrange(first_pupil, first_pupil + scale.pupils_per_school)
                if other != subject:
                    links.append((concern_id, other, school_id, rng.choice(["witness", "harmed"]), 1))
            for position, cat in enumerate(
                dict.fromkeys(rng.choices(categories, weights=CATEGORY_WEIGHTS, k=1 if rng.random() < 0.7 else 2))
            ):
                cats.append((concern_id, cat, school_id, CATEGORIES[cat], position))
            at = logged
            event_id += 1
            events.append(
                (event_id, school_id, concern_id, at, reporter, "logged", "Concern logged by Staff", None, "{}", True)
            )
            for k in range(_events_for(rng, scale.events_per_concern) - 1):
                kind = LATER_KINDS[k % len(LATER_KINDS)] if acknowledged else "addendum"
                at = at + timedelta(minutes=rng.randint(10, 60 * 24 * 5))
                event_id += 1
                events.append(
                    (
                        event_id,
                        school_id,
                        concern_id,
                        at,
                        dsl if kind != "addendum" else reporter,
                        kind,
                        f"{kind.replace('_', ' ').capitalize()} recorded",
                        "Discussed with the class teacher." if kind == "note" else None,
                        "{}",
                        kind in {"acknowledged", "addendum"},
                    )
                )
                if kind == "action" and rng.random() < 0.3:
                    follow_up_id += 1
                    due = (at + timedelta(days=14)).date()
                    done = closed_at if closed_at else None
                    follow_ups.append(
                        (
                            follow_up_id,
                            school_id,
                            concern_id,
                            event_id,
                            due,
                            "Chase the referral outcome",
                            done,
                            dsl if done else None,
                        )
                    )
        yield (
            "concerns",
            [
                "id",
                "school_id",
                "reference",
                "reporter_id",
                "observed_at",
                "logged_at",
                "location",
                "account",
                "already_done",
                "urgent",
                "immediate_danger",
                "vocabulary_version",
                "wording_kept_reason",
                "status",
                "assignee_id",
                "level_of_need",
                "outcome",
                "outcome_rationale",
                "ack_due_at",
                "acknowledged_at",
                "acknowledged_by_id",
                "escalated_at",
                "closed_at",
                "updated_at",
                "version",
            ],
            concerns,
        )
        yield ("concern_pupils", ["concern_id", "pupil_id", "school_id", "part", "position"], links)
        yield ("concern_categories", ["concern_id", "category_id", "school_id", "label", "position"], cats)
        yield (
            "concern_events",
            [
                "id",
                "school_id",
                "concern_id",
                "at",
                "actor_id",
                "kind",
                "summary",
                "text",
                "detail",
                "visible_to_reporter",
            ],
            events,
        )
        yield (
            "follow_ups",
            ["id", "school_id", "concern_id", "event_id", "due_on", "what", "done_at", "done_by_id"],
            follow_ups,
        )
        yield (
            "concern_sequences",
            ["school_id", "year", "last_number"],
            [(school_id, year, last) for year, last in sorted(sequence.items())],
        )


def expected_rows(scale: Scale) -> int:
    """Roughly how many rows the load writes (for the progress bar)."""
    concerns = scale.schools * scale.concerns_per_school
    return int(concerns * (1 + 1.15 + 1.3 + scale.events_per_concern) + scale.schools * scale.pupils_per_school)


def migrate(url: str) -> None:
    """Build the schema with the migrations, as ``flask db upgrade`` does."""
    from flask_migrate import upgrade

    from safeguard import create_app
    from safeguard.core.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        # No connection of the migration may stay open: it would hold back the VACUUM after the load.
        db.engine.dispose()


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _load_sqlite(path: str, batches, progress: Progress) -> None:
    connection = sqlite3.connect(path)
    # For the load only: the app's own connections use the defaults.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    try:
        for table, columns, rows in batches:
            if not rows:
                continue
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 (our own table names)
            connection.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows))
            progress.add(len(rows))
            if table == "concern_sequences":
                connection.commit()
        connection.commit()
        connection.execute("ANALYZE")
        connection.execute("PRAGMA synchronous=FULL")
    finally:
        connection.close()


def _load_postgresql(url: str, batches, progress: Progress) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        with connection.cursor() as cursor:
            for table, columns, rows in batches:
                if not rows:
                    continue
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                progress.add(len(rows))
            # The ids were given explicitly: move the sequences past them so that the app can insert.
            for table in ("schools", "users", "pupils", "concerns", "concern_events", "follow_ups"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 (our own table names)
                )
            # The throwaway server commits asynchronously (synchronous_commit off, as in CI), and VACUUM cannot mark
            # a page all-visible while the commit of its rows is unflushed: this one commit waits for its WAL.
            cursor.execute("SET LOCAL synchronous_commit = on")
        connection.commit()
    # A fresh connection once the load has committed, as autovacuum would come by on a live server: the pages are
    # marked all-visible, so index-only scans read the index alone. Twice, and committing synchronously: the load's
    # foreign-key checks locked every referenced row (concerns, pupils) in its own transaction; the first pass
    # settles those locks (its commit must be flushed for the next to see it) and only the second can mark the
    # pages. One asynchronous pass left relallvisible at 0 for concerns and pupils.
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        connection.execute("SET synchronous_commit = on")
        connection.execute("VACUUM (ANALYZE)")
        connection.execute("VACUUM")
        visible = connection.execute(
            "SELECT relallvisible::float / greatest(relpages, 1) FROM pg_class WHERE relname = 'concerns'"
        ).fetchone()[0]
        if visible < 0.99:
            print(f"warning: only {visible:.0%} of the concerns table is all-visible after VACUUM", file=sys.stderr)


def build(url: str, factor: float, *, progress: bool = True, label: str = "") -> Built:
    """Migrate an empty database at ``url`` and load the trust at ``factor`` scale into it."""
    from safeguard.auth.passwords import hash_password

    started = time.perf_counter()
    scale = Scale(factor)
    migrate(url)
    password_hash = hash_password(BENCH_PASSWORD)  # hashed once and shared: Argon2 is slow on purpose
    counts: dict[str, int] = {}

    def counted():
        for table, columns, rows in generate(scale, password_hash):
            counts[table] = counts.get(table, 0) + len(rows)
            yield table, columns, rows

    bar = Progress(label or url.split(":")[0], expected_rows(scale), enabled=progress)
    if url.startswith("sqlite"):
        _load_sqlite(url.split("///", 1)[1], counted(), bar)
    else:
        _load_postgresql(url, counted(), bar)
    bar.close()
    return built_info(url, counts, time.perf_counter() - started)


def built_info(url: str, counts: dict[str, int], seconds: float) -> Built:
    """Find the ids a benchmark uses: the first school's DSL, its child with most concerns, two concerns."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        hot = connection.execute(
            text(
                "SELECT pupil_id, count(*) AS n FROM concern_pupils WHERE school_id = 1 "
                "GROUP BY pupil_id ORDER BY n DESC LIMIT 1"
            )
        ).one()
        hot_concern = connection.execute(
            text(
                "SELECT cp.concern_id FROM concern_pupils cp WHERE cp.school_id = 1 AND cp.pupil_id = :p "
                "AND (SELECT count(*) FROM concern_pupils o WHERE o.concern_id = cp.concern_id) = 1 "
                "ORDER BY cp.concern_id DESC LIMIT 1"
            ),
            {"p": hot.pupil_id},
        ).scalar_one()
        typical = connection.execute(
            text(
                "SELECT cp.concern_id FROM concern_pupils cp WHERE cp.school_id = 1 AND cp.pupil_id IN ("
                " SELECT pupil_id FROM concern_pupils WHERE school_id = 1 GROUP BY pupil_id HAVING count(*) = 3 LIMIT 1)"
                " ORDER BY cp.concern_id DESC LIMIT 1"
            )
        ).scalar()
        if not counts:
            for table in ("schools", "users", "pupils", "concerns", "concern_pupils", "concern_events"):
                counts[table] = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608 (our own table names)
    engine.dispose()
    return Built(counts, "dsl1@taa.bench.example", 1, hot.pupil_id, hot_concern, typical or hot_concern, seconds)


def concern_counts_per_pupil(url: str) -> list[int]:
    """How many concerns each child who has any is linked to, most first (to check the skew)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        rows = (
            connection.execute(text("SELECT count(*) AS n FROM concern_pupils GROUP BY pupil_id ORDER BY n DESC"))
            .scalars()
            .all()
        )
    engine.dispose()
    return list(rows)


ProgressFactory = Callable[[str, int], Progress]


_last_step = {"step": -1}


def totp_code() -> str:
    """A second-factor code for the data set's DSLs that has not been used yet (each code is accepted once)."""
    import pyotp

    totp = pyotp.TOTP(BENCH_TOTP_SECRET)
    current = int(time.time() // totp.interval)
    step = max(current, _last_step["step"] + 1)
    if step > current + 1:
        time.sleep((step - 1) * totp.interval - time.time() + 0.2)
    _last_step["step"] = step
    return totp.at(step * totp.interval)
