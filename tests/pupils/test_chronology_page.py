"""A child's page: their whole chronology, newest first, in the school's time, with the child's part in each."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from safeguard.audit.models import AuditEvent
from tests import factories


def test_the_childs_page_shows_every_entry_newest_first_with_their_part(client, school, other_school, db, sign_in):
    amira = factories.pupil(school.school, "Amira", "Khan")
    ben = factories.pupil(school.school, "Ben", "Cole")
    # Logged in British Summer Time, then in winter: the page shows each in the school's local time.
    summer = factories.concern(
        school.staff,
        [amira],
        now=datetime(2026, 7, 5, 13, 5, tzinfo=UTC),
        observed_at=datetime(2026, 7, 5, 13, 0, tzinfo=UTC),
    )
    winter = factories.concern(
        school.staff,
        [(ben, "subject"), (amira, "witness")],
        account="In the corridor Ben was pushed against the wall by two older pupils; Amira saw it.",
        now=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        observed_at=datetime(2026, 11, 20, 9, 25, tzinfo=UTC),
    )
    # Another school's concern about its own pupil never appears, whatever the ids.
    elsewhere = factories.pupil(other_school.school, "Amira", "Khan")
    theirs = factories.concern(other_school.staff, [elsewhere])

    sign_in(school.dsl)
    html = client.get(f"/pupils/{amira.id}").get_data(as_text=True)

    lines = re.findall(r'<div class="small text-body-secondary">(.*?)</div>', html)
    assert len(lines) == 2
    assert "20 Nov 2026, 09:30" in lines[0] and winter.reference in lines[0]
    assert "this child was a witness" in lines[0]
    assert "05 Jul 2026, 14:05" in lines[1] and summer.reference in lines[1]
    assert "about this child" in lines[1]
    assert theirs.reference not in html
    assert f'href="/concerns/{winter.id}"' in html

    viewed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.kind == "pupil.viewed", AuditEvent.subject_id == amira.id)
    ).all()
    assert [(e.school_id, e.actor_id) for e in viewed] == [(school.school.id, school.dsl.id)]


def test_every_value_in_a_chronology_line_is_escaped(client, school, db, sign_in):
    # An entry's summary carries names typed by people (here the reporter's): markup in them is shown as text.
    reporter = factories.user(
        school.school, "staff", email="sam@oak.example", name='Sam <script>alert("x")</script> O\'Brien & Co'
    )
    amira = factories.pupil(school.school, "Amira", "Khan")
    logged = factories.concern(reporter, [amira])

    sign_in(school.dsl)
    html = client.get(f"/pupils/{amira.id}").get_data(as_text=True)

    assert "<script>alert" not in html
    line = re.search(r'<div class="small text-body-secondary">.*?</div>\n    <div>(.*?)</div>', html).group(1)
    assert line.startswith(
        "Concern logged by Sam &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; O&#39;Brien &amp; Co;"
    )
    assert f">{logged.reference}</a>" in html
