"""The DSL's queue: urgent and overdue first, filters, search, counts and pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from safeguard.auth import permissions
from safeguard.concerns import services, store
from safeguard.core.sqltypes import utcnow
from tests import factories


def _refs(client, query=""):
    page = client.get(f"/concerns/{query}").get_data(as_text=True)
    import re

    return re.findall(r'href="/concerns/\d+">(OAK-\d{4}-\d{4})<', page)


def _close(concern, dsl) -> None:
    """Close an acknowledged concern with its outcome and rationale, as a DSL would."""
    services.change_status(
        concern,
        dsl,
        services.StatusChange("closed", outcome="No further action", rationale="Pastoral support in place; resolved."),
        None,
    )


def test_urgent_tops_the_queue_then_overdue_then_oldest(client, school, pupils, sign_in, db):
    now = utcnow()
    old = factories.concern(school.staff, [pupils[0]], now=now - timedelta(days=5), observed_at=now - timedelta(days=5))
    services.acknowledge(old, school.dsl, None)
    overdue = factories.concern(
        school.staff, [pupils[1]], now=now - timedelta(days=4), observed_at=now - timedelta(days=4)
    )
    recent = factories.concern(
        school.staff, [pupils[2]], now=now - timedelta(hours=1), observed_at=now - timedelta(hours=1)
    )
    urgent = factories.concern(school.staff, [pupils[0]], immediate_danger=True)
    db.session.commit()
    sign_in(school.dsl)
    assert _refs(client) == [urgent.reference, overdue.reference, old.reference, recent.reference]
    page = client.get("/concerns/").get_data(as_text=True)
    assert "Overdue" in page and "Urgent" in page


def test_filters_and_search(client, school, pupils, sign_in, db):
    a = factories.concern(school.staff, [pupils[0]], categories=["abuse-neglect"])
    b = factories.concern(school.staff, [pupils[1]], categories=["online-cyberbullying"])
    services.acknowledge(b, school.dsl, None)
    db.session.commit()
    sign_in(school.dsl)
    assert _refs(client, "?category=online-cyberbullying") == [b.reference]
    assert _refs(client, "?status=new") == [a.reference]
    assert _refs(client, "?q=bennett") == [b.reference]
    assert _refs(client, f"?q={a.reference.lower()}") == [a.reference]
    assert _refs(client, f"?pupil={pupils[0].id}") == [a.reference]
    assert _refs(client, f"?assignee={school.dsl.id}") == [b.reference]
    assert _refs(client, "?assignee=none") == [a.reference]
    assert _refs(client, "?from=2000-01-01&to=2000-01-02") == []
    page = client.get("/concerns/").get_data(as_text=True)
    assert "New: 1" in page and "Acknowledged: 1" in page


def test_bad_filter_values_are_ignored_not_errors(client, school, sign_in):
    sign_in(school.dsl)
    for query in ("?page=-4", "?page=abc", "?from=31/02/2026", "?assignee=x", "?status=<script>", "?pupil=1e9"):
        assert client.get(f"/concerns/{query}").status_code == 200


def test_pagination(app, school, pupils, db):
    for _ in range(store.PAGE_SIZE + 3):
        factories.concern(school.staff, [pupils[0]])
    first = store.queue(school.school.id, store.QueueFilters(), utcnow())
    second = store.queue(school.school.id, store.QueueFilters(page=2), utcnow())
    assert (first.total, first.pages, len(first.concerns), len(second.concerns)) == (28, 2, 25, 3)
    assert not {c.id for c in first.concerns} & {c.id for c in second.concerns}


def test_overdue_follow_ups_surface_in_the_queue(client, school, pupils, sign_in, db):
    concern = factories.concern(school.staff, [pupils[0]])
    services.record_action(
        concern,
        school.dsl,
        services.ActionInput(
            kind="referral", target="police", follow_up_on=utcnow().date(), follow_up_what="Chase police"
        ),
        None,
    )
    db.session.commit()
    # The follow-up falls due: move its date back, as time passing would.
    from safeguard.concerns.models import FollowUp

    follow_up = db.session.scalar(db.select(FollowUp))
    follow_up.due_on = follow_up.due_on - timedelta(days=2)
    db.session.commit()
    sign_in(school.dsl)
    page = client.get("/concerns/").get_data(as_text=True)
    assert "Follow-ups overdue" in page and "Chase police" in page and "Follow-up due" in page


def test_child_chronology_shows_each_childs_own_part(app, school, pupils, db):
    factories.concern(school.staff, [(pupils[0], "subject"), (pupils[1], "harmed")])
    factories.concern(school.staff, [(pupils[1], "subject")], now=datetime(2025, 1, 10, 9, tzinfo=UTC))
    viewer = permissions.viewer(school.dsl, utcnow())
    entries = store.pupil_chronology(school.school.id, pupils[1].id, viewer=viewer)
    assert {e.part for e in entries} == {"harmed", "subject"}
    assert entries[0].at >= entries[-1].at  # newest first, across years
    assert {e.part for e in store.pupil_chronology(school.school.id, pupils[0].id, viewer=viewer)} == {"subject"}


def test_closed_concerns_are_counted_on_the_views_that_show_them(client, school, pupils, sign_in, db):
    open_one = factories.concern(school.staff, [pupils[0]])
    closed = [factories.concern(school.staff, [pupils[1]]) for _ in range(2)]
    for concern in closed:
        services.acknowledge(concern, school.dsl, None)
        _close(concern, school.dsl)
    db.session.commit()
    sign_in(school.dsl)
    page = client.get("/concerns/").get_data(as_text=True)
    # The open queue does not count the school's whole history: its "Closed" link has no number.
    assert "New: 1" in page and ">Closed</a>" in page and "Closed:" not in page
    assert _refs(client) == [open_one.reference]
    page = client.get("/concerns/?status=new").get_data(as_text=True)
    assert "New: 1" in page and ">Closed</a>" in page
    page = client.get("/concerns/?status=closed").get_data(as_text=True)
    assert "Closed: 2" in page and "2 concerns" in page
    assert sorted(_refs(client, "?status=closed")) == sorted(c.reference for c in closed)
    page = client.get("/concerns/?status=all").get_data(as_text=True)
    assert "Closed: 2" in page and "3 concerns" in page


def test_rows_and_what_surrounds_them_are_the_schools_own_and_in_order(
    client, school, other_school, pupils, sign_in, db
):
    from safeguard.auth.models import Role
    from safeguard.concerns.models import FollowUp
    from safeguard.terminology import get_vocabulary

    labels = {c.id: c.label for g in get_vocabulary().groups for c in g.children}
    concern = factories.concern(
        school.staff,
        [(pupils[2], "subject"), (pupils[0], "harmed")],
        categories=["online-cyberbullying", "abuse-neglect"],
    )
    factories.user(school.school, Role.DSL, "aaliyah@oak.example", "Aaliyah Begum")
    # The other school has a DSL, an overdue follow-up and a file sent without confirmed receipt: none of them
    # may show on the first school's queue.
    elsewhere_pupil = factories.pupil(other_school.school, "Noah", "Clarke")
    elsewhere = factories.concern(other_school.staff, [elsewhere_pupil])
    services.record_action(
        elsewhere,
        other_school.dsl,
        services.ActionInput(
            kind="referral", target="police", follow_up_on=utcnow().date(), follow_up_what="Chase ELM"
        ),
        None,
    )
    elsewhere_pupil.transfer_to = "Hillside School"
    elsewhere_pupil.transfer_sent_at = utcnow() - timedelta(days=10)
    db.session.commit()
    for follow_up in db.session.scalars(db.select(FollowUp)):
        follow_up.due_on -= timedelta(days=2)
    db.session.commit()

    sign_in(school.dsl)
    page = client.get("/concerns/").get_data(as_text=True)
    row = page[page.index(concern.reference) :]
    row = row[: row.index("</tr>")]
    # The child the concern is about first, then the other child with their part; the categories in the order the
    # reporter chose them.
    assert row.index("Zoë Kowalczyk") < row.index("Amira Haddad")
    assert "(a child who may have caused harm)" in row
    assert f"{labels['online-cyberbullying']}; {labels['abuse-neglect']}" in row
    assignee = page[page.index('id="f-assignee"') :]
    assignee = assignee[: assignee.index("</select>")]
    assert assignee.index("Aaliyah Begum") < assignee.index(school.dsl.display_name)
    assert other_school.dsl.display_name not in page
    assert "Chase ELM" not in page and "Follow-ups overdue" not in page
    assert "Hillside School" not in page and "without confirmation of receipt" not in page


def test_open_queue_pages_follow_the_priority_order_across_tiers(app, school, pupils, db):
    # The open queue is read tier by tier (urgent new, overdue new, the rest); its pages must hold exactly what
    # sorting every open concern by (priority, logged time, id) gives, tiers crossing page boundaries included.
    now = utcnow()
    made = []
    for i in range(70):
        when = now - timedelta(days=40 - i // 2)  # two concerns at each time: the id decides between them
        concern = factories.concern(
            school.staff,
            [pupils[i % len(pupils)]],
            immediate_danger=i % 7 == 0,
            now=when,
            observed_at=when,
        )
        if i % 3 == 1:
            services.acknowledge(concern, school.dsl, None, now=when + timedelta(minutes=5))
        if i % 9 == 4:
            _close(concern, school.dsl)
        made.append(concern)
    # New concerns not yet due for acknowledgement, logged a moment ago.
    for pupil in pupils[:3]:
        made.append(factories.concern(school.staff, [pupil]))
    db.session.commit()

    def priority(c):
        if c.status == "new" and c.urgent:
            return 0
        if c.status == "new" and c.ack_due_at < now:
            return 1
        return 2

    expected = [
        c.reference
        for c in sorted((c for c in made if c.status != "closed"), key=lambda c: (priority(c), c.logged_at, c.id))
    ]
    assert {priority(c) for c in made if c.status != "closed"} == {0, 1, 2}
    shown = []
    page = 1
    while True:
        result = store.queue(school.school.id, store.QueueFilters(page=page), now)
        shown += [row.reference for row in result.concerns]
        if page == result.pages:
            break
        page += 1
    assert result.total == len(expected) and result.pages == 3
    assert shown == expected
    # The same order as the view over every status gives to the open ones.
    every_status = store.QueueFilters(status="all")
    pages = store.queue(school.school.id, every_status, now).pages
    everything = []
    for page in range(1, pages + 1):
        every_status.page = page
        everything += [r.reference for r in store.queue(school.school.id, every_status, now).concerns]
    assert [ref for ref in everything if ref in set(expected)] == expected


def test_every_value_in_a_queue_row_is_escaped(client, school, pupils, sign_in, db):
    # Names are typed by people: markup in a reporter's name or a pupil's is shown as text, never run.
    reporter = factories.user(
        school.school, "staff", email="sam@oak.example", name='Sam <img src=x onerror="alert(1)">'
    )
    child = factories.pupil(school.school, "<b>Zoe</b>", "O'Neil & Co")
    made = factories.concern(reporter, [child])
    sign_in(school.dsl)
    page = client.get("/concerns/").get_data(as_text=True)
    assert "<img src=x" not in page and "<b>Zoe</b>" not in page
    assert "<td>Sam &lt;img src=x onerror=&#34;alert(1)&#34;&gt;</td>" in page
    assert "&lt;b&gt;Zoe&lt;/b&gt; O&#39;Neil &amp; Co" in page
    assert f'href="/concerns/{made.id}">{made.reference}</a>' in page
