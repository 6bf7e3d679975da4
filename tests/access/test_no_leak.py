"""No page shows a record to someone outside its list: every route walked by an outsider, and a property test over
random access lists, roles and pages."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeguard.access import services
from safeguard.access.models import AccessLevel
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from tests import factories

_STATIC = {"static", "bootstrap.static"}
SECRET = "tangerine"


def _log(team, child, text=SECRET):
    return factories.concern(team.staff, [child], account=f'Amira said "{text} at home". She was quiet all day.')


def _restrict(concern, actor, level, people, reason="Held tightly at the police's request."):
    services.set_concern_access(concern, actor, services.AccessChange(level, frozenset(people), reason))
    db.session.commit()


def _walk_url(rule, concern_id: int, pupil_id: int) -> str:
    def value(match):
        name = match.group(1)
        if name == "concern_id":
            return str(concern_id)
        if name == "pupil_id":
            return str(pupil_id)
        return "1" if "id" in name else "x"

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", value, rule.rule)


def test_an_outsider_walking_every_route_never_meets_the_record(app, team, children, browser_of):
    related = _log(team, children[0], "an ordinary concern")
    concern = _log(team, children[0])
    _restrict(concern, team.lead, AccessLevel.SEALED, {team.lead.id, team.head.id})
    # A link and a second child never widen it.
    from safeguard.concerns import services as concern_services

    concern_services.link_concerns(related, team.lead, concern.reference, related.version)
    db.session.commit()
    # The reporter (staff) is not an outsider: they see that their own concern was received.
    for outsider in (team.deputy, team.pastoral):
        client = browser_of(outsider)
        problems = []
        extra = [
            f"/concerns/?status=all&pupil={children[0].id}",
            f"/concerns/?status=all&q={children[0].legal_last_name}",
            f"/pupils/{children[0].id}?year=all&concern={concern.id}",
            f"/pupils/?q={children[0].legal_last_name}",
            f"/pupils/api/search?q={children[0].legal_last_name}",
            f"/concerns/{related.id}",
        ]
        urls = [
            _walk_url(rule, concern.id, children[0].id)
            for rule in app.url_map.iter_rules()
            if rule.endpoint not in _STATIC and "GET" in rule.methods and rule.endpoint != "access.quick_exit"
        ]
        for url in urls + extra:
            response = client.get(url)
            page = response.get_data(as_text=True)
            if response.status_code >= 500:
                problems.append(f"{url}: {response.status_code}")
            if concern.reference in page or SECRET in page:
                problems.append(f"{url}: shows the sealed record")
            if f"/concerns/{concern.id}" in url and response.status_code not in (403, 404):
                problems.append(f"{url}: answered {response.status_code} (expected 404, or 403 by role)")
        # Its existence: the queue counts the one concern they may see (the related one).
        if outsider is team.deputy:
            queue = client.get("/concerns/?status=all").get_data(as_text=True)
            assert "1 concern" in queue, queue
        assert problems == [], (outsider.email, problems)


# The people of a property example, by name; the reporter (staff) is left out: they see their own records.
VIEWERS = ["lead", "deputy", "head", "pastoral"]
TEAM = ["lead", "deputy", "head"]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    records=st.lists(
        st.tuples(
            st.sampled_from(list(AccessLevel)),
            st.sets(st.sampled_from(TEAM)),
            st.booleans(),  # the pastoral lead invited into its case team
        ),
        min_size=1,
        max_size=3,
    ),
    viewer=st.sampled_from(VIEWERS),
)
def test_no_page_shows_a_record_to_someone_outside_its_list(app, team, children, browser_of, records, viewer):
    people = {name: getattr(team, name) for name in VIEWERS}
    made = []
    for level, listed, invited in records:
        concern = _log(team, children[0], f"{SECRET} example")
        if level != AccessLevel.STANDARD:
            actor = people[sorted(listed)[0]] if listed else team.lead
            _restrict(concern, actor, level, {people[name].id for name in listed})
            listed = set(listed) | {next(n for n in TEAM if people[n].id == actor.id)}
        if invited:
            services.invite_to_case_team(concern, team.lead, team.pastoral.id, utcnow().date(), "Pastoral support.")
            db.session.commit()
        may_see = (viewer == "pastoral" and invited) or (
            viewer in TEAM and (level == AccessLevel.STANDARD or viewer in listed)
        )
        made.append((concern, may_see))
    client = browser_of(people[viewer])
    pages = [
        client.get("/notifications/").get_data(as_text=True),
        client.get("/concerns/?status=all").get_data(as_text=True),
        client.get(f"/concerns/?status=all&pupil={children[0].id}").get_data(as_text=True),
        client.get(f"/pupils/{children[0].id}?year=all").get_data(as_text=True),
        client.get("/").get_data(as_text=True),
    ]
    if viewer in TEAM:
        token = factories.csrf_token(client, "/concerns/search")
        pages.append(client.post("/concerns/search", data={"q": "example", "csrf_token": token}).get_data(as_text=True))
    everything = "\n".join(pages)
    for concern, may_see in made:
        page = client.get(f"/concerns/{concern.id}")
        assert (page.status_code == 200) == may_see, (viewer, concern.access_level)
        if not may_see:
            assert concern.reference not in everything, (viewer, concern.access_level)
        elif viewer in TEAM:
            assert concern.reference in everything, (viewer, concern.access_level)


def test_a_closed_sealed_record_is_neither_listed_nor_counted_among_closed_concerns(team, children, browser_of):
    from safeguard.concerns import services as concern_services

    ordinary, sealed = _log(team, children[0], "an ordinary concern"), _log(team, children[1])
    for concern in (ordinary, sealed):
        concern_services.acknowledge(concern, team.lead, None)
        concern_services.change_status(
            concern,
            team.lead,
            concern_services.StatusChange("closed", outcome="No further action", rationale="Resolved with support."),
            None,
        )
    db.session.commit()
    _restrict(sealed, team.lead, AccessLevel.SEALED, {team.lead.id})
    for view in ("?status=closed", "?status=all"):
        deputy = browser_of(team.deputy).get(f"/concerns/{view}").get_data(as_text=True)
        assert "Closed: 1" in deputy and ordinary.reference in deputy and sealed.reference not in deputy, view
        lead = browser_of(team.lead).get(f"/concerns/{view}").get_data(as_text=True)
        assert "Closed: 2" in lead and sealed.reference in lead, view
