"""`flask --app safeguard mis sync` against a local server answering recorded pages in Wonde's shape (no network)."""

from __future__ import annotations

import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from safeguard.auth.models import Role, User
from safeguard.core.extensions import db
from safeguard.mis import store as mis_store
from safeguard.pupils.models import Pupil

PAGES = Path(__file__).parents[1] / "data" / "wonde"
SCHOOL_AT_WONDE = "A1930499544"


class Broker:
    """A local server answering Wonde's paths with the recorded pages; it keeps each request's query."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.tokens: set[str] = set()
        broker = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parsed.query)
                resource = parsed.path.rstrip("/").rsplit("/", 1)[-1]
                broker.requests.append((resource, query))
                broker.tokens.add(self.headers.get("Authorization", ""))
                page = PAGES / f"{resource}-{query.get('page', ['1'])[0]}.json"
                if not parsed.path.startswith(f"/v1.0/schools/{SCHOOL_AT_WONDE}/") or not page.exists():
                    self.send_response(404)
                    self.end_headers()
                    return
                body = page.read_text().replace("{base}", broker.base).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}/v1.0"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def broker(app):
    served = Broker()
    app.config.update(WONDE_BASE_URL=served.base, WONDE_SCHOOL_ID=SCHOOL_AT_WONDE, WONDE_TOKEN="wonde-test-token")
    yield served
    served.stop()


def test_a_pull_reads_every_page_and_applies_pupils_contacts_and_staff(runner, school, broker):
    result = runner.invoke(args=["mis", "sync", "--school", "OAK"])
    assert result.exit_code == 0, result.output
    assert "pupils 2 added" in result.output and "staff 1 added" in result.output and "1 deactivated" in result.output
    assert broker.tokens == {"Bearer wonde-test-token"}
    assert [r for r, _ in broker.requests] == ["contacts", "students", "students", "employees"]
    db.session.expire_all()
    jess = db.session.scalar(select(Pupil).where(Pupil.upn == "H801200001001"))
    assert (jess.legal_first_name, jess.preferred_name, jess.year_group, jess.class_name) == (
        "Jessica",
        "Jess",
        "Year 7",
        "7K",
    )
    assert jess.sen_status == "ehc_plan" and jess.previously_looked_after and not jess.looked_after
    assert jess.email == "jokafor@pupils.oakfield.example.org" and jess.username == "jokafor"
    tobi = db.session.scalar(select(Pupil).where(Pupil.upn == "H801200001002"))
    assert str(tobi.left_on) == "2026-07-22" and tobi.destination_school == "Riverside Academy"
    assert [s.name for s in mis_store.siblings(school.school.id, jess.id)] == ["Tobi Okafor"]
    mother = mis_store.contacts(school.school.id, tobi.id)[0]
    assert (mother.name, mother.parental_responsibility, mother.phone) == ("Ms Grace Okafor", True, "07700 900456")
    made = db.session.scalar(select(User).where(User.email == "a.hughes@oakfield.example"))
    assert made.roles == {Role.STAFF}
    assert db.session.get(User, school.staff.id).active is False


def test_the_next_pull_asks_only_for_changes_since_the_last(runner, school, broker):
    assert runner.invoke(args=["mis", "sync", "--school", "OAK"]).exit_code == 0
    broker.requests.clear()
    again = runner.invoke(args=["mis", "sync", "--school", "OAK"])
    assert again.exit_code == 0, again.output
    students = [query for resource, query in broker.requests if resource == "students"]
    assert "updated_after" in students[0]
    assert "pupils 0 added, 0 changed" in again.output


def test_a_broker_that_cannot_be_read_changes_nothing(runner, school, broker, app):
    app.config["WONDE_SCHOOL_ID"] = "ZZZ"
    result = runner.invoke(args=["mis", "sync", "--school", "OAK"])
    assert result.exit_code == 3 and "Wonde answered 404" in result.output
    assert db.session.scalar(select(Pupil)) is None


def test_without_the_brokers_settings_it_says_what_to_set(runner, school, app):
    app.config.update(WONDE_SCHOOL_ID=None, WONDE_TOKEN=None)
    result = runner.invoke(args=["mis", "sync", "--school", "OAK"])
    assert result.exit_code == 2 and "WONDE_TOKEN" in result.output


def test_the_childs_page_shows_contacts_and_siblings_from_the_mis(runner, school, broker, client, sign_in):
    assert runner.invoke(args=["mis", "sync", "--school", "OAK"]).exit_code == 0
    jess = db.session.scalar(select(Pupil).where(Pupil.upn == "H801200001001"))
    sign_in(school.dsl)
    page = client.get(f"/pupils/{jess.id}").get_data(as_text=True)
    assert "Ms Grace Okafor (Mother) — <strong>parental responsibility</strong>" in page
    assert "Tobi Okafor</a> (left)" in page and "EHC plan" in page
