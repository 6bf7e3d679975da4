"""Categories the guidance says must reach the DSL at once make a concern urgent, whatever the reporter answered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from safeguard.core.sqltypes import utcnow
from safeguard.terminology import get_vocabulary
from tests import factories

# The terminology facts and UKCIS: sharing nudes and semi-nudes (between children too), child sexual abuse
# material, grooming and FGM go to the DSL at once; "immediate danger" is the form's own question.
AT_ONCE = (
    "online-sharing-nudes",
    "child-on-child-sharing-nudes",
    "online-csam",
    "online-grooming",
    "honour-based-abuse-fgm",
)


def _queue_references(client) -> list[str]:
    page = client.get("/concerns/").get_data(as_text=True)
    return re.findall(r'href="/concerns/\d+">(OAK-\d{4}-\d{4})<', page)


def test_the_vocabulary_marks_every_at_once_category_urgent():
    vocabulary = get_vocabulary()
    assert [c for c in AT_ONCE if not vocabulary.category(c).urgent_by_default] == []


@pytest.mark.parametrize("category", AT_ONCE)
def test_a_teacher_answering_no_danger_still_puts_it_first_in_the_queue(app, client, school, pupils, sign_in, category):
    now = utcnow()
    # Already waiting: a routine concern whose acknowledgement is overdue, and a newer routine one.
    overdue = factories.concern(
        school.staff, [pupils[1]], now=now - timedelta(days=4), observed_at=now - timedelta(days=4)
    )
    routine = factories.concern(school.staff, [pupils[2]], now=now - timedelta(hours=2))
    sign_in(school.staff)
    form = {
        "immediate_danger": "no",
        "observed_at": (now - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M"),
        "location": "Year 9 form room",
        "categories": [category],
        "account": "Amira told me at break that something is being passed round a group chat. She was upset.",
        "pupils-0-pupil_id": str(pupils[0].id),
        "pupils-0-part": "subject",
    }
    response = factories.submit_form(client, "/concerns/new", form, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "This concern is marked urgent." in page
    assert "The DSL team: 1 person, by e-mail and in the app." in page
    reference = re.search(r"OAK-\d{4}-\d{4}", page).group()

    dsl = app.test_client()
    factories.sign_in(dsl, school.dsl)
    assert _queue_references(dsl) == [reference, overdue.reference, routine.reference]
