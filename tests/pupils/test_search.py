"""Finding a pupil as people type names: without accents, apostrophes, hyphens or letter case, by any part of the
name or the preferred name, in the type-ahead, the "Find" button without JavaScript, the roll and the queue."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from safeguard.core.extensions import db as _db
from safeguard.core.names import search_key
from safeguard.pupils import services
from tests import factories

IMPORTED_ON = date(2026, 11, 24)
# What a member of staff types, and the pupil they mean.
SPELLINGS = [
    ("Siobhan", "Siobhán Murphy"),
    ("siobhan murphy", "Siobhán Murphy"),
    ("Zoe", "Zoë Kowalczyk"),
    ("Lukasz", "Łukasz Nowak"),
    ("LUKASZ NOW", "Łukasz Nowak"),
    ("oconnell", "Aoife O'Connell"),
    ("o'connell", "Aoife O'Connell"),
    ("O’Connell", "Aoife O'Connell"),  # a curly apostrophe, as phones type it
    ("connell", "Aoife O'Connell"),
    ("Mo Rahman", "Mohammed Rahman"),
    ("rahman mo", "Mohammed Rahman"),
    ("Jones", "Ella Smith-Jones"),
    ("smithjones", "Ella Smith-Jones"),
    ("smith jones", "Ella Smith-Jones"),
    ("Jess", "Jess Taylor (Jessica)"),  # the preferred name
    ("jessica tay", "Jess Taylor (Jessica)"),  # the legal name
]


@pytest.fixture
def roll(school):
    made = [
        factories.pupil(school.school, "Siobhán", "Murphy"),
        factories.pupil(school.school, "Zoë", "Kowalczyk"),
        factories.pupil(school.school, "Łukasz", "Nowak"),
        factories.pupil(school.school, "Aoife", "O'Connell"),
        factories.pupil(school.school, "Mohammed", "Rahman"),
        factories.pupil(school.school, "Ella", "Smith-Jones"),
        factories.pupil(school.school, "Jessica", "Taylor", preferred_name="Jess"),
        factories.pupil(school.school, "Morgan", "Hughes"),
    ]
    return made


def _type_ahead(client, q: str) -> list[str]:
    return [p["name"] for p in client.get("/pupils/api/search", query_string={"q": q}).get_json()["results"]]


@pytest.mark.parametrize(("typed", "meant"), SPELLINGS)
def test_the_type_ahead_finds_the_pupil_however_the_name_is_typed(client, school, roll, sign_in, typed, meant):
    sign_in(school.staff)
    assert _type_ahead(client, typed) == [meant]


def test_every_word_typed_must_match_and_a_part_is_enough(client, school, roll, sign_in):
    sign_in(school.staff)
    assert _type_ahead(client, "Mo") == ["Morgan Hughes", "Mohammed Rahman"]  # by surname, as on the roll
    assert _type_ahead(client, "Mo Hughes") == ["Morgan Hughes"]
    assert _type_ahead(client, "Zoe Nowak") == []
    assert _type_ahead(client, "--") == []  # no word at all: nobody, rather than everybody


def test_the_find_button_without_javascript_uses_the_same_search(client, school, roll, sign_in):
    sign_in(school.staff)
    page = factories.submit_form(client, "/concerns/new", {"pupil_search": "oconnell", "find_pupils": "Find"})
    assert page.status_code == 200
    found = re.findall(r'name="add_pupil" value="\d+"[^>]*>Add<span class="visually-hidden"> ([^<]+)<', page.text)
    assert found == ["Aoife O&#39;Connell"]


def test_the_roll_and_the_queue_search_without_accents(client, school, roll, sign_in, db):
    concern = factories.concern(school.staff, [roll[2]])  # about Łukasz Nowak
    factories.concern(school.staff, [roll[0]])
    sign_in(school.dsl)
    page = client.get("/pupils/", query_string={"q": "lukasz"}).get_data(as_text=True)
    assert "Łukasz Nowak" in page and "Siobhán" not in page
    page = client.get("/concerns/", query_string={"q": "lukasz nowak"}).get_data(as_text=True)
    assert re.findall(r'href="/concerns/\d+">(OAK-\d{4}-\d{4})<', page) == [concern.reference]


def test_another_schools_pupils_are_never_found(app, client, school, other_school, roll, sign_in):
    theirs = factories.pupil(other_school.school, "Siobhán", "Murphy")
    sign_in(school.staff)
    ours = client.get("/pupils/api/search", query_string={"q": "siobhan"}).get_json()["results"]
    assert [p["id"] for p in ours] == [roll[0].id]
    elsewhere = app.test_client()
    factories.sign_in(elsewhere, other_school.staff)
    assert [p["id"] for p in elsewhere.get("/pupils/api/search?q=siobhan").get_json()["results"]] == [theirs.id]


def test_an_import_that_changes_a_name_changes_what_finds_the_pupil(client, school, sign_in, db):
    header = "UPN,Legal Forename,Legal Surname,Preferred Forename,DOB\n"
    first = header + "A123456789012,Zoë,Kowalczyk,,12/04/2015\n"
    services.apply_import(school.school, first.encode(), IMPORTED_ON, school.dsl)
    db.session.commit()
    sign_in(school.staff)
    assert _type_ahead(client, "zoe") == ["Zoë Kowalczyk"]
    renamed = header + "A123456789012,Zoë,Kowalczyk-Brown,Zo,12/04/2015\n"
    services.apply_import(school.school, renamed.encode(), IMPORTED_ON, school.dsl)
    db.session.commit()
    assert _type_ahead(client, "brown") == ["Zo Kowalczyk-Brown (Zoë)"]
    assert _type_ahead(client, "zo kow") == ["Zo Kowalczyk-Brown (Zoë)"]


def test_the_migration_fills_the_key_of_every_pupil_already_there(app, school):
    """Revision 0009 adds the key to a roll imported before it: those pupils are found as new ones are."""
    school_id = school.school.id
    _db.session.remove()
    downgrade(revision="0008")
    with _db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO pupils (school_id, upn, legal_first_name, legal_last_name, preferred_name,"
                " date_of_birth, year_group, class_name, child_protection_plan, child_in_need, looked_after,"
                " previously_looked_after, send, created_at, updated_at)"
                " VALUES (:school, 'A123456789012', 'Siobhán', 'O''Connell', 'Shiv', '2015-04-12', 'Year 6', '6B',"
                " false, false, false, false, false, '2026-01-05 09:00:00', '2026-01-05 09:00:00')"
            ),
            {"school": school_id},
        )
    upgrade()
    with _db.engine.connect() as connection:
        key = connection.scalar(text("SELECT search_key FROM pupils WHERE upn = 'A123456789012'"))
    assert key == search_key("Siobhán", "O'Connell", "Shiv", "A123456789012")
    assert key == " siobhan oconnell o connell shiv a123456789012"
