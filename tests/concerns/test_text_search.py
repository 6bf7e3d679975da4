"""Searching the words of the records: accounts, notes and actions, for DSLs and the head, every search audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from safeguard.audit.models import AuditEvent
from safeguard.audit.services import words_digest
from safeguard.concerns import services
from safeguard.core.extensions import db
from safeguard.core.formatting import excerpt
from tests import factories


def _search(client, words: str):
    """Search as the page does: the words are posted with the form's token, never put in the address."""
    return factories.submit_form(client, "/concerns/search", {"q": words})


def _audit_rows(kind: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.seq)))


def test_a_dsl_finds_words_in_an_account_a_note_and_an_action(client, school, sign_in):
    amira = factories.pupil(school.school, "Amira", "Haddad")
    jayden = factories.pupil(school.school, "Jayden", "Brooks")
    in_account = factories.concern(
        school.staff, [amira], account="Amira came in with bruises on both wrists and would not say how."
    )
    other = factories.concern(school.staff, [jayden], account="Jayden was tearful at lunch and ate nothing.")
    services.add_note(other, school.dsl, "Spoke to his aunt, who said the family were evicted last week.", None)
    db.session.commit()

    sign_in(school.dsl)
    page = _search(client, "bruised wrist").get_data(as_text=True)
    assert in_account.reference in page
    assert "Amira Haddad" in page
    assert "Account as logged" in page
    assert "<mark>bruises</mark>" in page
    assert other.reference not in page

    page = _search(client, "EVICTED").get_data(as_text=True)
    assert other.reference in page and "Jayden Brooks" in page
    assert "Note" in page and "<mark>evicted</mark>" in page
    assert in_account.reference not in page


def test_every_word_must_be_found_and_nothing_typed_is_query_syntax(client, school, sign_in):
    amira = factories.pupil(school.school, "Amira", "Haddad")
    made = factories.concern(school.staff, [amira], account="She said her uncle took her phone away.")
    sign_in(school.dsl)
    assert made.reference in _search(client, "uncle phone").get_data(as_text=True)
    assert made.reference not in _search(client, "uncle passport").get_data(as_text=True)
    # Quotes, brackets, stars and FTS operators are only words (or nothing) to the search: never an error.
    for hostile in ['"uncle', "uncle) OR (", "uncle*", "NEAR(uncle phone)", "phone -uncle", "uncle' --"]:
        response = _search(client, hostile)
        assert response.status_code == 200, hostile


def test_a_search_for_nothing_says_what_to_type(client, school, sign_in):
    sign_in(school.dsl)
    assert client.get("/concerns/search").status_code == 200
    for nothing in ("!! -", "   "):
        response = _search(client, nothing)
        assert response.status_code == 400
        assert "Type a word to search for" in response.get_data(as_text=True)
    assert _audit_rows("search.text") == []


def test_a_search_sees_only_its_own_school(client, school, other_school, sign_in):
    ours = factories.pupil(school.school, "Amira", "Haddad")
    theirs = factories.pupil(other_school.school, "Maya", "Okafor")
    mine = factories.concern(school.staff, [ours], account="A scooter accident near the canal.")
    elsewhere = factories.concern(other_school.staff, [theirs], account="A scooter was taken from the canal path.")
    sign_in(school.dsl)
    page = _search(client, "scooter canal").get_data(as_text=True)
    assert mine.reference in page
    assert elsewhere.reference not in page and "Okafor" not in page


@pytest.mark.parametrize("role, allowed", [("staff", False), ("admin", False), ("head", True), ("dsl", True)])
def test_only_dsls_and_the_head_may_search(client, school, sign_in, role, allowed):
    sign_in(school.user(role))
    assert client.get("/concerns/search").status_code == (200 if allowed else 403)
    if not allowed:
        token = factories.csrf_token(client, "/concerns/mine")
        assert client.post("/concerns/search", data={"q": "bruise", "csrf_token": token}).status_code == 403


def test_every_search_is_audited_without_its_words(client, school, sign_in):
    amira = factories.pupil(school.school, "Amira", "Haddad")
    made = factories.concern(school.staff, [amira], account="Amira said her stepfather locks her in her room.")
    sign_in(school.dsl)
    _search(client, "stepfather locks")
    _search(client, "nothing like this")
    found, none = _audit_rows("search.text")
    assert found.actor_id == school.dsl.id and found.school_id == school.school.id
    assert found.detail["concerns"] == [made.id] and found.detail["results"] == 1
    assert none.detail["concerns"] == [] and none.detail["results"] == 0
    # The words (often a child's name or what happened) are not in the log; a keyed digest of them is.
    for row in (found, none):
        assert "stepfather" not in str(row.detail) + row.summary
        assert "Amira" not in str(row.detail) + row.summary
    assert found.detail["words_digest"] == words_digest(["stepfather", "locks"])
    assert found.detail["words_digest"] != none.detail["words_digest"]


def test_many_matches_show_the_newest_and_say_there_are_more(client, school, sign_in, monkeypatch):
    from safeguard.concerns import store

    monkeypatch.setattr(store, "TEXT_SEARCH_LIMIT", 2)
    amira = factories.pupil(school.school, "Amira", "Haddad")
    made = [factories.concern(school.staff, [amira], account=f"Late again, the {n}th time.") for n in range(4)]
    sign_in(school.dsl)
    page = _search(client, "late").get_data(as_text=True)
    assert "Only the newest 2 are shown" in page
    assert made[-1].reference in page and made[0].reference not in page


def test_an_excerpt_is_cut_at_words_around_the_first_match():
    text = "Word " * 80 + "He had bruises on both arms. " + "Tail " * 80
    cut = excerpt(text, ["bruised"], room=60)
    assert cut.found == "bruises"
    assert cut.cut_before and cut.cut_after
    assert cut.before.endswith("He had ") and not cut.before.startswith("ord")
    assert len(cut.before + cut.found + cut.after) <= 80
    whole = excerpt("Nothing matches here.", ["bruise"])
    assert whole.found == "" and whole.after == "Nothing matches here." and not whole.cut_after


def test_postgresql_searches_through_the_text_indexes(app, school):
    from safeguard.concerns import store
    from safeguard.core.statements import transaction_connection

    connection = transaction_connection()
    if connection.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's text-search indexes")
    from safeguard.auth.permissions import viewer
    from safeguard.core.sqltypes import utcnow

    params = {"school_id": school.school.id, "words": "bruise", "limit": 51} | viewer(school.dsl, utcnow()).values()
    statement = store._text_search_statement("postgresql").params(**params)
    sql = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))
    # The planner may use an expression index only for the same expression: the search writes it as indexed.
    for index in ("ix_concerns_text_search", "ix_concern_events_text_search"):
        definition = connection.exec_driver_sql(f"SELECT pg_get_indexdef('{index}'::regclass)").scalar()
        expression = definition.split("USING gin (", 1)[1][:-1]
        assert expression in plan, (expression, plan)


def test_only_those_who_see_every_concern_may_search_them_all():
    from safeguard.auth.permissions import ROLE_CAPABILITIES, Capability

    for role, granted in ROLE_CAPABILITIES.items():
        if Capability.SEARCH_RECORDS in granted:
            assert Capability.VIEW_ALL_CONCERNS in granted, role
