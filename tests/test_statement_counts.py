"""The pages and exports a DSL uses run as many statements for a child with 12 concerns as for one with 2.

Each test builds a child's records with 2 concerns, counts the statements one request (or command) runs, then
grows the records to 12 concerns with more events on every one and counts again. A statement run once per concern
or per event (an N+1) makes the second count larger and fails the test.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import event, select

from safeguard.auth.models import User
from safeguard.bodymap.services import NewMark
from safeguard.concerns import services
from safeguard.concerns.models import Concern
from safeguard.core.extensions import db
from safeguard.exports import services as exports
from safeguard.pupils.models import Pupil
from tests import factories


@dataclass
class Records:
    """A child, the concerns about them, and who logged and handles them."""

    people: factories.SchoolWithStaff
    reporter: User
    dsl: User
    child: Pupil
    witness: Pupil
    concerns: list[Concern] = field(default_factory=list)

    @property
    def first(self) -> Concern:
        """The child's first concern: the one whose page and report are measured."""
        return self.concerns[0]


def _log(records: Records, number: int) -> Concern:
    concern = factories.concern(
        records.reporter,
        [(records.child, "subject"), (records.witness, "witness")],
        categories=["online-sharing-nudes", "abuse-emotional"],
        account=f'Concern {number}: Amira said "they keep sharing a picture of me". Oliver saw it on a phone.',
    )
    services.acknowledge(concern, records.dsl, None)
    return concern


def _add_events(records: Records, concern: Concern, count: int) -> None:
    """Notes, an action with a follow-up date, an addendum, a body map mark and guided-response answers: every kind a
    report reads."""
    steps = iter([("imagery-secured", "done"), ("adult-involved", "no-adult"), ("coercion", "not-coerced")])
    for n in range(count):
        services.add_note(concern, records.dsl, f"Spoke with Amira again ({n}).", None)
        services.record_action(
            concern,
            records.dsl,
            services.ActionInput(kind="other", details=f"Checked in at lunch ({n})", follow_up_on=date.today()),
            None,
        )
        services.add_addendum(concern, records.reporter, f"Amira added something at home time ({n}).")
        services.add_marks(
            concern, records.reporter, [NewMark(region_id="forearm", side="left", kind="bruise", length_cm="2")]
        )
        step = next(steps, None)
        if step:
            services.answer_protocol_step(concern, records.dsl, services.ProtocolAnswer("sharing-nudes", *step), None)


def _grow(records: Records, total: int, events_each: int) -> None:
    """Bring the child's concerns up to ``total``, and add ``events_each`` rounds of events to every one."""
    while len(records.concerns) < total:
        records.concerns.append(_log(records, len(records.concerns) + 1))
    for concern in records.concerns:
        _add_events(records, concern, events_each)
    db.session.commit()


@pytest.fixture
def records(school) -> Records:
    """A child with 2 concerns, one event of each kind on each."""
    made = Records(
        people=school,
        reporter=school.staff,
        dsl=school.dsl,
        child=factories.pupil(school.school, "Amira", "Haddad", child_in_need=True),
        witness=factories.pupil(school.school, "Oliver", "Bennett"),
    )
    _grow(made, total=2, events_each=1)
    return made


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def _post(client, url: str, data: dict):
    token = factories.csrf_token(client, url)
    return lambda: client.post(url, data={**data, "csrf_token": token})


@dataclass(frozen=True)
class Target:
    """One page or export: who uses it, how to ask for it, and what a user sees once the child has 12 concerns."""

    role: str
    request: Callable  # (client, records, tmp_path) -> a function that makes the request or command
    shows_all: Callable  # (response, records) -> whether what came back reflects all the child's concerns


def _export_pupil(client, records, _tmp):
    return _post(client, f"/exports/pupil/{records.child.id}", {"reason": "Referral to children's social care"})


def _export_transfer(client, records, _tmp):
    data = {"to_school": "Riverside Academy", "method": "Secure e-mail to the DSL", "reason": "Transfer"}
    return _post(client, f"/exports/transfer/{records.child.id}", data)


def _export_summary(client, _records, _tmp):
    today = date.today()
    data = {"period_from": (today - timedelta(days=7)).isoformat(), "period_to": today.isoformat(), "reason": "Gov"}
    return _post(client, "/exports/summary", data)


def _verify(change: bool):
    def request(client, records, tmp):
        exported = exports.export_child_file(records.child, records.dsl, "Police request", False)
        if change:
            services.add_note(records.first, records.dsl, "A note made after the export.", None)
        db.session.commit()
        path = tmp / "file.pdf"
        path.write_bytes(exported.pdf)
        runner = client.application.test_cli_runner()
        return lambda: runner.invoke(args=["verify-pdf", str(path)])

    return request


def _subject_access_page(client, records: Records):
    from safeguard.core.sqltypes import utcnow
    from safeguard.sar import services as sar

    request = sar.log_request(
        records.dsl.school,
        records.dsl,
        sar.NewRequest(records.child.id, "Mrs Parent", "parent", "", date.today()),
        utcnow(),
    )
    db.session.commit()
    return lambda: client.get(f"/sar/{request.id}/redact")


def _newest_reference(records: Records) -> str:
    return records.concerns[-1].reference


def _child_file_holds_all(response, records) -> bool:
    return f"Concerns in this file {len(records.concerns)}" in _pdf_text(response.data)


TARGETS = {
    "queue": Target(
        "dsl",
        lambda client, _r, _t: lambda: client.get("/concerns/"),
        lambda response, r: _newest_reference(r) in response.get_data(as_text=True),
    ),
    "concern page": Target(
        "dsl",
        lambda client, r, _t: lambda: client.get(f"/concerns/{r.first.id}"),
        # The page holds the child's whole chronology: the newest concern is in it.
        lambda response, r: _newest_reference(r) in response.get_data(as_text=True),
    ),
    "child's page": Target(
        "dsl",
        lambda client, r, _t: lambda: client.get(f"/pupils/{r.child.id}"),
        lambda response, r: _newest_reference(r) in response.get_data(as_text=True),
    ),
    "my concerns": Target(
        "staff",
        lambda client, _r, _t: lambda: client.get("/concerns/mine"),
        lambda response, r: _newest_reference(r) in response.get_data(as_text=True),
    ),
    "concern report": Target(
        "dsl",
        lambda client, r, _t: _post(client, f"/exports/concern/{r.first.id}", {"reason": "LADO referral"}),
        # Its first round of events and the two added since.
        lambda response, _r: _pdf_text(response.data).count("Spoke with Amira again") == 3,
    ),
    "child's file": Target("dsl", _export_pupil, _child_file_holds_all),
    "transfer record": Target("dsl", _export_transfer, _child_file_holds_all),
    "period summary": Target(
        "head",
        _export_summary,
        lambda response, r: f"Concerns logged {len(r.concerns)}" in _pdf_text(response.data),
    ),
    "text search": Target(
        "dsl",
        lambda client, _r, _t: _post(client, "/concerns/search", {"q": "sharing picture"}),
        lambda response, r: _newest_reference(r) in response.get_data(as_text=True),
    ),
    "oversight page": Target(
        "head",
        lambda client, _r, _t: lambda: client.get("/exports/oversight"),
        lambda response, r: (
            f'Concerns logged</span><span class="h3 mb-0 d-block">{len(r.concerns)}' in response.get_data(as_text=True)
        ),
    ),
    "verify-pdf, unchanged": Target(
        "dsl", _verify(change=False), lambda result, _r: "matches the record as held now" in result.output
    ),
    "subject access redaction page": Target(
        "dsl",
        lambda client, r, _t: _subject_access_page(client, r),
        lambda response, r: _newest_reference(r) in response.get_data(as_text=True),
    ),
    "verify-pdf, changed since": Target(
        "dsl", _verify(change=True), lambda result, _r: "the record has changed since: it diverged on" in result.output
    ),
    "who has seen a concern": Target(
        "head",
        lambda client, r, _t: lambda: client.get(f"/concerns/{r.first.id}/seen"),
        lambda response, r: f"Who has seen {r.first.reference}" in response.get_data(as_text=True),
    ),
    "who may see a concern": Target(
        "dsl",
        lambda client, r, _t: lambda: client.get(f"/concerns/{r.first.id}/access"),
        lambda response, r: r.first.reference in response.get_data(as_text=True),
    ),
}


def _measure(target: Target, client, records: Records, tmp_path, count_statements) -> tuple[list[str], object]:
    request = target.request(client, records, tmp_path)
    request()  # once unmeasured, so that both counts are of a page or command already visited
    request = target.request(client, records, tmp_path)
    with count_statements() as seen:
        response = request()
    return seen, response


def _succeeded(response) -> bool:
    return getattr(response, "status_code", None) == 200 or getattr(response, "exit_code", None) in (0, 1)


@pytest.mark.parametrize("name", list(TARGETS))
def test_statements_do_not_grow_with_the_number_of_concerns(name, client, records, sign_in, tmp_path, count_statements):
    target = TARGETS[name]
    sign_in(records.people.user(target.role))
    few, response = _measure(target, client, records, tmp_path, count_statements)
    assert _succeeded(response)
    _grow(records, total=12, events_each=2)
    many, response = _measure(target, client, records, tmp_path, count_statements)
    assert _succeeded(response) and target.shows_all(response, records), name
    extra = [statement for statement in many if statement not in few or many.count(statement) > few.count(statement)]
    assert len(many) == len(few), (
        f"{name}: {len(few)} statements for 2 concerns, {len(many)} for 12; repeated: {sorted(set(extra))[:3]}"
    )


def test_a_health_check_while_signed_in_reads_only_the_workers_heartbeat(client, school, sign_in, count_statements):
    # The fixed cost of every request: a route that needs nobody (a load balancer's check, say) does not load the
    # signed-in person or check their password; it reads one row, the worker's heartbeat, for its readiness field.
    sign_in(school.dsl)
    with count_statements() as seen:
        response = client.get("/health")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"
    assert len(seen) == 1 and "worker_heartbeats" in seen[0]


def test_a_person_who_must_change_their_password_is_still_sent_to_change_it(client, school, db, sign_in):
    school.dsl.must_change_password = True
    db.session.commit()
    sign_in(school.dsl)
    response = client.get("/concerns/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/password")
    assert client.get("/health").status_code == 200  # a public route stays open


def test_the_retention_queue_and_the_subject_access_list_do_not_grow_with_their_rows(
    client, school, sign_in, count_statements
):
    from safeguard.core.sqltypes import utcnow
    from safeguard.retention import services as retention
    from safeguard.sar import services as sar

    def add(count: int, start: int) -> None:
        today = date.today()
        for number in range(start, start + count):
            pupil = factories.pupil(school.school, "Former", f"Pupil{number}", born=f"{today.year - 30}-01-01")
            factories.concern(school.staff, [pupil])
            sar.log_request(
                school.school, school.dsl, sar.NewRequest(pupil.id, "A parent", "parent", "", today), utcnow()
            )
        retention.open_due_reviews(school.school, utcnow())
        db.session.commit()

    sign_in(school.dsl)
    counts = []
    for count, start in ((2, 0), (6, 2)):
        add(count, start)
        for url in ("/retention/", "/sar/"):
            client.get(url)
            with count_statements() as seen:
                assert client.get(url).status_code == 200
            counts.append((url, len(seen)))
    assert counts[:2] == [(url, n) for (url, _), (_, n) in zip(counts[:2], counts[2:], strict=True)], counts


def test_the_transfers_and_calendar_pages_do_not_grow_with_their_rows(app, client, school, sign_in, count_statements):
    from safeguard.calendar import services as calendar_services
    from safeguard.transfers import services as transfers

    children = [factories.pupil(school.school, "Amira", f"Haddad{n}") for n in range(12)]
    for child in children:
        factories.concern(school.staff, [child])

    def add(first: int, last: int) -> None:
        for n in range(first, last):
            transfers.make_link(children[n], school.dsl, f"School {n}", 3)
            calendar_services.add_period(
                school.school.id, None, "closure", f"Closed {n}", date(2027, 1, n + 1), date(2027, 1, n + 1)
            )
        db.session.commit()

    sign_in(school.dsl)
    add(0, 2)
    with count_statements() as few:
        assert client.get("/transfers/").status_code == 200
    add(2, 12)
    with count_statements() as many:
        page = client.get("/transfers/")
    assert page.status_code == 200 and page.get_data(as_text=True).count("One-time link") == 12
    assert len(many) == len(few)
    administrator = app.test_client()
    factories.sign_in(administrator, school.admin)
    with count_statements() as calendar_page:
        page = administrator.get("/calendar/")
    assert page.get_data(as_text=True).count('row">Closed ') == 12
    assert len([s for s in calendar_page if "calendar_periods" in s]) == 1


def test_the_account_approvals_page_runs_as_many_statements_for_five_requests_as_for_one(
    client, school, db, sign_in, count_statements
):
    from safeguard.auth import approvals
    from safeguard.auth.models import Role

    def propose(n: int) -> None:
        person = factories.user(school.school, Role.STAFF, email=f"teacher{n}@oak.example", name=f"Teacher {n}")
        approvals.change_roles(person, {Role.STAFF, Role.DSL}, actor=school.admin)
        db.session.commit()

    propose(0)
    sign_in(school.head)
    client.get("/admin/requests")
    with count_statements() as few:
        assert "Teacher 0" in client.get("/admin/requests").get_data(as_text=True)
    for n in range(1, 5):
        propose(n)
    with count_statements() as many:
        assert "Teacher 4" in client.get("/admin/requests").get_data(as_text=True)
    assert len(many) == len(few)


@pytest.mark.parametrize("page", ["list", "case", "summary"])
def test_concerns_about_adults_do_not_grow_with_their_number(page, client, school, sign_in, count_statements):
    """The case managers' list, a case page (with the adult's log) and the LADO summary: as many statements for 12
    concerns about an adult, each with its entries and children, as for 2."""
    from safeguard.adults import services as adults
    from safeguard.core.sqltypes import utcnow

    colleague = factories.user(school.school, "staff", email="colleague@oak.example", name="Hannah Lewis")
    children = [factories.pupil(school.school, "Amira", "Haddad"), factories.pupil(school.school, "Oliver", "Bennett")]
    db.session.commit()
    raised: list = []

    def grow(total: int) -> None:
        while len(raised) < total:
            raised.append(
                adults.raise_concern(
                    school.staff,
                    adults.NewAdultConcern(
                        subject_user_id=colleague.id,
                        subject_name="",
                        subject_relation="staff",
                        subject_role="Teacher",
                        account=f"Concern {len(raised)}: the adult shouted at and grabbed a child in the corridor.",
                        happened_at=utcnow() - timedelta(hours=1),
                        location="Corridor",
                        threshold="no" if len(raised) % 2 else "yes",
                        pupil_ids=[c.id for c in children],
                    ),
                )
            )
        db.session.commit()

    def request():
        first = raised[0].id
        if page == "list":
            return client.get("/adults/")
        if page == "case":
            return client.get(f"/adults/{first}")
        token = factories.csrf_token(client, f"/adults/{first}")
        return client.post(f"/adults/{first}/summary", data={"csrf_token": token, "reason": "LADO"})

    grow(2)
    sign_in(school.head)
    request()
    with count_statements() as few:
        assert request().status_code == 200
    grow(12)
    request()
    with count_statements() as many:
        response = request()
    assert response.status_code == 200
    if page != "summary":
        assert raised[-1].reference in response.get_data(as_text=True)
    assert len(many) == len(few), f"{page}: {len(few)} statements for 2 concerns, {len(many)} for 12"


def test_the_trust_dashboard_runs_as_many_statements_for_six_schools_as_for_two(
    client, school, other_school, sign_in, count_statements
):
    # One statement per kind of number for every school of the trust at once, never one per school.
    from safeguard.core.sqltypes import utcnow
    from safeguard.schools import services as school_services
    from safeguard.trusts import store as trust_store

    trust_id = trust_store.add_trust("Riverside Learning Trust", utcnow())
    for member in (school, other_school):
        trust_store.set_trust(member.school.id, trust_id)
        factories.concern(member.staff, [factories.pupil(member.school, "Amira", "Hassan")])
    db.session.commit()
    sign_in(school.trust_lead)
    with count_statements() as few:
        assert client.get("/trust/").status_code == 200
    for code in ("ASH", "BIRCH", "CEDAR", "DALE"):
        added = school_services.create_school(f"{code.title()} School", code)
        trust_store.set_trust(added.id, trust_id)
        staff = factories.user(added, "staff")
        factories.concern(staff, [factories.pupil(added, "Bilal", "Hassan")])
    db.session.commit()
    with count_statements() as many:
        page = client.get("/trust/").get_data(as_text=True)
    assert "Dale School" in page
    assert len(many) == len(few), f"{len(few)} statements for 2 schools, {len(many)} for 6"
    # Every number of every school, both periods and now, is one statement.
    from zoneinfo import ZoneInfo

    from safeguard.trusts import services as trust_services

    # Outside a request the reader's roles are loaded when first asked (the signed-in person comes with them).
    trust_services.dashboard(school.trust_lead, utcnow(), 28, ZoneInfo("Europe/London"))
    with count_statements() as numbers:
        board = trust_services.dashboard(school.trust_lead, utcnow(), 28, ZoneInfo("Europe/London"))
    assert len(board.schools) == 6
    assert len(numbers) == 1, numbers


@pytest.mark.parametrize("page", ["/monitoring/", "/monitoring/unmatched"])
def test_the_monitoring_lists_run_as_many_statements_for_12_alerts_as_for_2(
    page, client, school, sign_in, count_statements
):
    from safeguard.monitoring import services as monitoring
    from safeguard.monitoring.schemas import AlertIn

    factories.pupil(school.school, "Jamie", "Smith", username="jsmith15")

    def receive(first: int, last: int) -> None:
        for n in range(first, last):
            sent = {
                "vendor": "Smoothwall",
                "event_id": f"e{n}",
                "occurred_at": "2026-11-30T10:15:00Z",
                "username": "jsmith15" if n % 2 else "unknown",
                "category": "Self-harm",
                "severity": 3 + n % 3,
                "excerpt": "text",
                "link": "https://console.example/1",
            }
            monitoring.receive_alert(school.school, None, AlertIn.model_validate(sent))
        db.session.commit()

    sign_in(school.dsl)
    receive(0, 4)
    client.get(page)
    with count_statements() as few:
        assert client.get(page).status_code == 200
    receive(4, 24)
    with count_statements() as many:
        response = client.get(page)
    assert response.get_data(as_text=True).count("/monitoring/alerts/") == 12
    assert len(many) == len(few), f"{page}: {len(few)} statements for 2 alerts, {len(many)} for 12"


def _mis_pupils(first: int, last: int, form_group: str) -> list[dict]:
    """Pupils ``first`` to ``last - 1`` as the MIS sends them: two contacts each, one shared with the next pupil (so
    that the sync derives siblings), and every tenth a leaver."""
    return [
        {
            "upn": f"B{n:012d}",
            "legal_first_name": f"Child{n}",
            "legal_last_name": "Okafor",
            "date_of_birth": "2015-04-02",
            "year_group": "Year 6",
            "form_group": form_group,
            "username": f"pupil{n}",
            "email": f"pupil{n}@pupils.oakfield.example",
            "contacts": [
                {
                    "contact_id": f"C{n // 2}",
                    "name": f"Parent {n // 2}",
                    "parental_responsibility": True,
                    "priority": 1,
                },
                {"contact_id": f"D{n}", "name": f"Carer {n}", "relationship": form_group, "priority": 2},
            ],
            "leaving": {"left_on": "2026-07-20", "destination": "Oakfield High"} if n % 10 == 9 else None,
        }
        for n in range(first, last)
    ]


def test_the_mis_sync_runs_as_many_statements_for_200_pupils_as_for_10(client, school):
    # One statement per table for the whole batch: never one per pupil or contact, nor one per slice of a few
    # hundred. An executemany counts once per row (the server runs each), a batch of insertmanyvalues once.
    from safeguard.api import services as api
    from safeguard.api.scopes import Scope
    from safeguard.mis import store as mis_store

    token = api.create_token(school.school, "MIS", [Scope.PUPILS_WRITE], 30, None).token
    db.session.commit()

    def sync(first: int, last: int, form_group: str) -> tuple[dict, int]:
        run = [0]

        def note(_connection, _cursor, _statement, parameters, _context, executemany) -> None:
            rows = executemany and isinstance(parameters, list | tuple) and parameters
            run[0] += len(parameters) if rows and isinstance(parameters[0], dict | list | tuple) else 1

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            answer = client.put(
                "/api/v1/pupils",
                json={"records": _mis_pupils(first, last, form_group)},
                headers={"Authorization": f"Bearer {token}"},
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json(), run[0]

    few_new, few_new_count = sync(0, 10, "6A")
    many_new, many_new_count = sync(10, 210, "6A")
    few_changed, few_changed_count = sync(0, 10, "6B")
    many_changed, many_changed_count = sync(10, 210, "6B")
    assert (few_new["created"], many_new["created"], few_new["left"], many_new["left"]) == (10, 200, 1, 20)
    assert (few_changed["updated"], many_changed["updated"]) == (10, 200)
    assert few_new_count == many_new_count, f"new pupils: {few_new_count} statements for 10, {many_new_count} for 200"
    assert few_changed_count == many_changed_count, (
        f"changed pupils: {few_changed_count} statements for 10, {many_changed_count} for 200"
    )
    # What a user would notice: the batch was applied whole, contacts replaced, siblings derived across batches.
    pupils = {p.upn: p for p in db.session.scalars(select(Pupil).where(Pupil.school_id == school.school.id))}
    assert len(pupils) == 210 and all(p.class_name == "6B" for p in pupils.values())
    assert pupils["B000000000009"].left_on == date(2026, 7, 20)
    tenth = pupils["B000000000010"]
    assert [c.relationship for c in mis_store.contacts(school.school.id, tenth.id)] == ["", "6B"]
    # Pupils 10 and 11 share contact C5; pupil 9 (of the first batch) shares C4 with pupil 8 only.
    assert [s.name for s in mis_store.siblings(school.school.id, tenth.id)] == ["Child11 Okafor"]
