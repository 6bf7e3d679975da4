"""One account in several schools, the trust dashboard, the trust lead's access to a school, and concerns linked
across the schools of a trust."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from safeguard.audit.models import AuditEvent
from safeguard.auth.models import Role
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.trusts.models import TrustAccessGrant, TrustConcernLink
from tests import factories

# The zone of the trust's schools.
LONDON = ZoneInfo("Europe/London")


def _switch(client, school_id: int, follow: bool = True):
    return factories.submit_form(client, "/auth/school", {"school_id": str(school_id)}, follow_redirects=follow)


def _audit(kind: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)))


def test_a_dsl_of_two_schools_chooses_one_after_sign_in_and_sees_only_its_records(client, trust, sign_in):
    page = sign_in(trust.shared_dsl).get_data(as_text=True)
    assert "Choose the school to work in" in page
    assert "Oakfield Primary School" in page and "Elmwood Academy" in page

    _switch(client, trust.elm.school.id)
    queue = client.get("/concerns/").get_data(as_text=True)
    assert trust.elm_concern.reference in queue
    assert trust.oak_concern.reference not in queue
    assert client.get(f"/concerns/{trust.oak_concern.id}").status_code == 404
    assert client.get(f"/concerns/{trust.elm_concern.id}").status_code == 200
    assert "ELM" in client.get("/").get_data(as_text=True)

    _switch(client, trust.oak.school.id)
    queue = client.get("/concerns/").get_data(as_text=True)
    assert trust.oak_concern.reference in queue
    assert trust.elm_concern.reference not in queue
    assert client.get(f"/concerns/{trust.elm_concern.id}").status_code == 404

    # Each switch is in the audit log of the school left and of the school entered.
    entered = _audit("auth.school_entered")
    assert [event.school_id for event in entered] == [trust.elm.school.id, trust.oak.school.id]
    assert [event.school_id for event in _audit("auth.school_left")] == [trust.oak.school.id, trust.elm.school.id]
    # The account's own school is unchanged in the database.
    db.session.expire_all()
    assert trust.shared_dsl.school_id == trust.oak.school.id


def test_a_school_the_person_holds_no_role_in_cannot_be_chosen(app, client, school, other_school, sign_in):
    sign_in(school.dsl)
    assert _switch(client, other_school.school.id, follow=False).status_code == 404
    assert _switch(client, 999999, follow=False).status_code == 404
    assert client.get("/").status_code == 200
    assert "OAK" in client.get("/").get_data(as_text=True)


def test_roles_are_those_of_the_school_worked_in(client, trust, sign_in):
    from safeguard.auth import services as auth_services

    supply = factories.user(trust.oak.school, Role.STAFF, email="supply@oak.example", name="Supply Teacher")
    auth_services.set_school_roles(supply, trust.elm.school, {Role.STAFF}, actor=None)
    auth_services.set_school_roles(trust.oak.staff, trust.elm.school, {Role.DSL}, actor=None)
    # A DSL anywhere needs a second factor.
    trust.oak.staff.totp_secret = factories.TOTP_SECRET
    trust.oak.staff.totp_enabled_at = utcnow()
    db.session.commit()
    sign_in(supply)
    _switch(client, trust.elm.school.id)
    assert client.get("/concerns/").status_code == 403
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    # A staff member at Oakfield is a DSL at Elmwood: the DSL's pages only while working at Elmwood.
    sign_in(trust.oak.staff)
    assert client.get("/concerns/").status_code == 403
    _switch(client, trust.elm.school.id)
    assert client.get("/concerns/").status_code == 200


def test_alerts_of_the_second_school_reach_its_member_dsl(app, trust):
    from safeguard.auth import store as auth_store

    dsls = [person.id for person in auth_store.school_dsls(trust.elm.school.id)]
    assert trust.shared_dsl.id in dsls
    assert trust.elm.dsl.id in dsls


def test_the_trust_dashboard_shows_numbers_per_school_and_no_child(client, trust, sign_in):
    sign_in(trust.oak.trust_lead)
    response = client.get("/trust/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Riverside Learning Trust" in page
    assert "Oakfield Primary School" in page and "Elmwood Academy" in page
    assert "<svg" in page and "Concerns logged" in page
    for name in ("Amira", "Bilal", "Hassan", "belt", trust.oak_concern.reference):
        assert name not in page
    rows = re.findall(r"<tr[^>]*>\s*<th scope=\"row\">(.*?)</tr>", page, re.S)
    oak_row = next(row for row in rows if "Oakfield" in row)
    assert re.search(r">1 <span", oak_row), "one concern logged at Oakfield this period"
    assert client.get("/trust/?days=365").status_code == 200
    assert client.get("/trust/?days=x").status_code == 200


def test_only_a_trust_lead_sees_the_dashboard(client, trust, sign_in):
    sign_in(trust.oak.dsl)
    assert client.get("/trust/").status_code == 403


def test_a_trust_lead_reads_a_school_only_while_it_grants_access(app, client, trust, sign_in):
    lead = trust.oak.trust_lead
    sign_in(lead)
    assert client.get(f"/concerns/{trust.elm_concern.id}").status_code == 404
    response = factories.submit_form(
        client,
        "/trust/access",
        {"school_id": str(trust.elm.school.id), "purpose": "A review of neglect concerns this term.", "days": "7"},
    )
    assert response.status_code == 302
    grant = db.session.scalar(select(TrustAccessGrant))
    assert grant.status == "requested"
    # Not yet granted: the school cannot be chosen.
    assert _switch(client, trust.elm.school.id, follow=False).status_code == 404

    dsl_client = app.test_client()
    factories.sign_in(dsl_client, trust.elm.dsl)
    page = dsl_client.get("/trust/school-access").get_data(as_text=True)
    assert "A review of neglect concerns this term." in page
    assert (
        factories.submit_form(
            dsl_client, f"/trust/school-access/{grant.id}/grant", {}, form_url="/trust/school-access"
        ).status_code
        == 302
    )

    _switch(client, trust.elm.school.id)
    assert client.get(f"/concerns/{trust.elm_concern.id}").status_code == 200
    assert client.get("/concerns/").status_code == 200
    # Read, never act.
    token = factories.csrf_token(client, "/")
    assert client.post(f"/concerns/{trust.elm_concern.id}/acknowledge", data={"csrf_token": token}).status_code in (
        403,
        404,
        405,
    )
    viewed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.actor_id == lead.id, AuditEvent.school_id == trust.elm.school.id)
    ).all()
    assert any(event.subject_id == trust.elm_concern.id for event in viewed)
    assert [e.kind for e in _audit("trust.access_granted")] == ["trust.access_granted"]

    # A week later the access has ended: back in the trust lead's own school.
    db.session.refresh(grant)
    db.session.execute(
        update(TrustAccessGrant).values(
            starts_at=grant.starts_at - timedelta(days=8), ends_at=grant.ends_at - timedelta(days=8)
        )
    )
    db.session.commit()
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "no longer work in Elmwood Academy" in home
    assert client.get(f"/concerns/{trust.elm_concern.id}").status_code == 404
    assert _switch(client, trust.elm.school.id, follow=False).status_code == 404


def test_a_school_can_refuse_and_end_access(app, client, trust, sign_in):
    from safeguard.trusts import services

    ask = services.request_access
    first = ask(trust.oak.trust_lead, trust.elm.school.id, "A review of neglect concerns this term.", 3)
    second = ask(trust.oak.trust_lead, trust.elm.school.id, "Cover while the DSL is on a course.", 2)
    db.session.commit()
    sign_in(trust.elm.dsl)
    factories.submit_form(client, f"/trust/school-access/{first}/refuse", {}, form_url="/trust/school-access")
    factories.submit_form(client, f"/trust/school-access/{second}/grant", {}, form_url="/trust/school-access")
    factories.submit_form(client, f"/trust/school-access/{second}/end", {}, form_url="/trust/school-access")
    statuses = dict(db.session.execute(select(TrustAccessGrant.id, TrustAccessGrant.status)).all())
    assert statuses == {first: "refused", second: "ended"}
    # Another school's DSL cannot decide on Elmwood's requests.
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    sign_in(trust.oak.dsl)
    token = factories.csrf_token(client, "/")
    assert client.post(f"/trust/school-access/{first}/grant", data={"csrf_token": token}).status_code == 404


def test_a_request_needs_a_purpose_and_a_school_of_the_trust(client, trust, sign_in):
    sign_in(trust.oak.trust_lead)
    for data in (
        {"school_id": str(trust.elm.school.id), "purpose": "", "days": "7"},
        {"school_id": "999", "purpose": "A review of neglect concerns this term.", "days": "7"},
        {"school_id": str(trust.elm.school.id), "purpose": "A review of neglect concerns this term.", "days": "90"},
        {"school_id": "١", "purpose": "A review of neglect concerns this term.", "days": "7"},
    ):
        assert factories.submit_form(client, "/trust/access", data).status_code == 400
    assert db.session.scalar(select(TrustAccessGrant)) is None


def test_a_dsl_of_both_schools_links_concerns_across_them(client, trust, sign_in):
    sign_in(trust.shared_dsl)
    _switch(client, trust.oak.school.id)
    response = factories.submit_form(
        client,
        "/trust/links",
        {
            "reference": trust.oak_concern.reference,
            "other_school_id": str(trust.elm.school.id),
            "other_reference": trust.elm_concern.reference,
            "reason": "The children are siblings.",
        },
        form_url="/trust/school-access",
    )
    assert response.status_code == 302
    links = db.session.scalars(select(TrustConcernLink)).all()
    assert {(link.school_id, link.concern_id) for link in links} == {
        (trust.oak.school.id, trust.oak_concern.id),
        (trust.elm.school.id, trust.elm_concern.id),
    }
    assert trust.elm_concern.reference in client.get("/trust/school-access").get_data(as_text=True)
    assert len(_audit("concern.linked_across_schools")) == 2


def test_a_dsl_of_one_school_cannot_link_to_another(client, trust, sign_in):
    sign_in(trust.oak.dsl)
    response = factories.submit_form(
        client,
        "/trust/links",
        {
            "reference": trust.oak_concern.reference,
            "other_school_id": str(trust.elm.school.id),
            "other_reference": trust.elm_concern.reference,
            "reason": "The children are siblings.",
        },
        form_url="/trust/school-access",
    )
    assert response.status_code == 400
    assert db.session.scalar(select(TrustConcernLink)) is None


def test_the_command_line_makes_trusts_and_memberships(runner, school, other_school):
    assert runner.invoke(args=["trust", "create", "Riverside Learning Trust"]).exit_code == 0
    result = runner.invoke(args=["trust", "add-school", "--trust", "Riverside Learning Trust", "--school", "OAK"])
    assert result.exit_code == 0 and "OAK is in Riverside Learning Trust" in result.output
    member = ["trust", "member", "--email", "dsl@oak.example", "--school", "ELM", "--role", "dsl"]
    # The DSL role takes two people, as on the accounts pages: alone, only with --break-glass and a reason.
    result = runner.invoke(args=member)
    assert result.exit_code != 0 and "two people" in result.output
    result = runner.invoke(args=[*member, "--break-glass", "--reason", "Covering Elm while its DSL is on leave."])
    assert result.exit_code == 0, result.output
    assert "dsl" in result.output
    staff = ["trust", "member", "--email", "staff@oak.example", "--school", "ELM", "--role", "staff"]
    result = runner.invoke(args=staff)  # the staff role needs no second person
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["trust", "member", "--email", "dsl@oak.example", "--school", "OAK", "--role", "dsl"])
    assert result.exit_code != 0 and "own school" in result.output
    assert runner.invoke(args=["trust", "create", "Riverside Learning Trust"]).exit_code != 0
    result = runner.invoke(args=["trust", "add-school", "--trust", "Nowhere", "--school", "OAK"])
    assert result.exit_code != 0


def test_the_dashboard_reads_the_median_and_90th_percentile_from_the_database(app, trust):
    from safeguard.concerns.models import Concern
    from safeguard.trusts import services

    now = utcnow()
    pupil = factories.pupil(trust.elm.school, "Chloe", "Evans")
    made = [factories.concern(trust.elm.staff, [pupil], now=now - timedelta(hours=5)) for _ in range(3)]
    elm_ids = [trust.elm_concern.id] + [c.id for c in made]
    # When each was logged is a recorded fact (the database refuses to change it): each is acknowledged so many
    # minutes after its own logging.
    for concern_id, minutes in zip(elm_ids, (10, 20, 30, 40), strict=True):
        logged_at = db.session.get(Concern, concern_id).logged_at
        db.session.execute(
            update(Concern)
            .where(Concern.id == concern_id)
            .values(acknowledged_at=logged_at + timedelta(minutes=minutes))
        )
    db.session.commit()
    board = services.dashboard(trust.oak.trust_lead, now, 28, LONDON)
    elm = next(row for row in board.schools if row.code == "ELM")
    assert (elm.current.logged, elm.current.acknowledged) == (4, 4)
    # julianday() on SQLite is a floating-point day: the minutes are exact to well under a second.
    assert elm.current.ack_median_minutes == pytest.approx(25, abs=0.01)
    assert elm.current.ack_p90_minutes == pytest.approx(40, abs=0.01)
    oak = next(row for row in board.schools if row.code == "OAK")
    assert (oak.current.logged, oak.current.acknowledged, oak.current.ack_median_minutes) == (1, 0, None)
    assert board.totals.current.logged == 5


def test_the_dashboard_counts_restricted_records_and_names_none(app, trust):
    """A restricted and a sealed concern at one school are counted on the trust dashboard; neither's reference
    appears there."""
    from safeguard.access import services as access
    from safeguard.access.models import AccessLevel
    from safeguard.trusts import services

    elm = trust.elm
    pupil = factories.pupil(elm.school, "Chloe", "Evans")
    made = [factories.concern(elm.staff, [pupil]) for _ in range(2)]
    for concern, level in zip(made, (AccessLevel.RESTRICTED, AccessLevel.SEALED), strict=True):
        change = access.AccessChange(level, frozenset({elm.dsl.id, elm.head.id}), "Police asked for this to be held.")
        access.set_concern_access(concern, elm.dsl, change)
    db.session.commit()
    board = services.dashboard(trust.oak.trust_lead, utcnow(), 28, LONDON)
    counts = {row.code: row.restricted for row in board.schools}
    assert counts == {"ELM": 2, "OAK": 0}
    assert board.totals.restricted == 2
    rendered = repr(board)
    assert all(concern.reference not in rendered for concern in made)


def test_the_90th_percentile_is_the_same_place_on_either_database(app, trust):
    """Seven waits: the nearest rank of 90% is the 6th (0.9 × 6 + 0.5 = 5.9). A cast of 5.9 to an integer rounds up
    on PostgreSQL and down on SQLite, which once made the database and Python read different places (a 500)."""
    from safeguard.concerns.models import Concern
    from safeguard.trusts import services

    now = utcnow()
    pupil = factories.pupil(trust.elm.school, "Chloe", "Evans")
    made = [factories.concern(trust.elm.staff, [pupil], now=now - timedelta(hours=5)) for _ in range(6)]
    for concern_id, minutes in zip([trust.elm_concern.id] + [c.id for c in made], range(10, 80, 10), strict=True):
        logged_at = db.session.get(Concern, concern_id).logged_at
        db.session.execute(
            update(Concern)
            .where(Concern.id == concern_id)
            .values(acknowledged_at=logged_at + timedelta(minutes=minutes))
        )
    db.session.commit()
    board = services.dashboard(trust.oak.trust_lead, now, 28, LONDON)
    elm = next(row for row in board.schools if row.code == "ELM")
    assert elm.current.acknowledged == 7
    assert elm.current.ack_median_minutes == pytest.approx(40, abs=0.01)
    assert elm.current.ack_p90_minutes == pytest.approx(60, abs=0.01)


def test_the_dashboard_counts_each_number_of_each_school_in_each_period(app, trust):
    """Each number of the dashboard, for each school, this period and the one before: what a trust lead reads."""
    from safeguard.concerns import services as concern_services
    from safeguard.core.formatting import local_today, zone_named
    from safeguard.trusts import services

    now = utcnow()
    elm = trust.elm
    chloe = factories.pupil(elm.school, "Chloe", "Evans")
    # Elmwood, this period: one acknowledged after 20 minutes and referred, with a follow-up; the fixture's own
    # concern is not acknowledged yet.
    logged = now - timedelta(hours=3)
    recent = factories.concern(elm.staff, [chloe], now=logged)
    concern_services.acknowledge(recent, elm.dsl, None, now=logged + timedelta(minutes=20))
    concern_services.record_action(
        recent,
        elm.dsl,
        concern_services.ActionInput(
            kind="referral",
            details="Referred.",
            target="childrens-social-care",
            follow_up_on=local_today(zone_named(elm.school.timezone), logged + timedelta(hours=1)),
            follow_up_what="Ask for the outcome",
        ),
        None,
        now=logged + timedelta(hours=1),
    )
    # Elmwood, the period before: one acknowledged after 15 minutes and referred.
    earlier = now - timedelta(days=30)
    old = factories.concern(elm.staff, [chloe], now=earlier)
    concern_services.acknowledge(old, elm.dsl, None, now=earlier + timedelta(minutes=15))
    concern_services.record_action(
        old,
        elm.dsl,
        concern_services.ActionInput(kind="referral", details="Referred.", target="police"),
        None,
        now=earlier + timedelta(hours=1),
    )
    # Oakfield: a child's file sent to another school, not yet received.
    leaving = factories.pupil(trust.oak.school, "Jayden", "Brooks")
    leaving.transfer_sent_at, leaving.transfer_to = now, "Elmwood Academy"
    db.session.commit()

    # Five days on, the follow-up is past its date and both concerns never acknowledged are past their time.
    board = services.dashboard(trust.oak.trust_lead, now + timedelta(days=5), 28, LONDON)
    figures = {
        row.code: (
            (row.current.logged, row.current.acknowledged, row.current.referrals),
            (row.previous.logged, row.previous.acknowledged, row.previous.referrals),
            (row.overdue, row.follow_ups_overdue, row.awaiting_receipt, row.restricted),
        )
        for row in (*board.schools, board.totals)
    }
    assert figures == {
        "ELM": ((2, 1, 1), (1, 1, 1), (1, 1, 0, 0)),
        "OAK": ((1, 0, 0), (0, 0, 0), (1, 0, 1, 0)),
        "": ((3, 1, 1), (1, 1, 1), (2, 1, 1, 0)),
    }
    elm_row = next(row for row in board.schools if row.code == "ELM")
    assert elm_row.current.ack_median_minutes == pytest.approx(20, abs=0.01)
    assert elm_row.current.ack_p90_minutes == pytest.approx(20, abs=0.01)
    assert elm_row.previous.ack_median_minutes == pytest.approx(15, abs=0.01)
    assert elm_row.previous.ack_p90_minutes == pytest.approx(15, abs=0.01)
    oak_row = next(row for row in board.schools if row.code == "OAK")
    assert oak_row.previous.ack_median_minutes is None and oak_row.previous.ack_p90_minutes is None


def test_the_median_and_90th_percentile_are_read_at_the_same_places_for_every_count(app, trust):
    """From one wait to eleven, in no order: the database reads the median (the mean of the middle one or two) and the
    90th percentile (the wait at ``ninetieth_place``) that Python reads from the same waits."""
    import statistics

    from safeguard.concerns import services as concern_services
    from safeguard.trusts import services, store

    now = utcnow()
    pupil = factories.pupil(trust.elm.school, "Chloe", "Evans")
    waits: list[int] = []
    for n, minutes in enumerate((70, 10, 110, 40, 20, 90, 30, 100, 50, 80, 60), start=1):
        logged = now - timedelta(hours=n)
        concern = factories.concern(trust.elm.staff, [pupil], now=logged)
        concern_services.acknowledge(concern, trust.elm.dsl, None, now=logged + timedelta(minutes=minutes))
        db.session.commit()
        waits.append(minutes)
        ordered = sorted(waits)
        elm = next(
            row for row in services.dashboard(trust.oak.trust_lead, now, 28, LONDON).schools if row.code == "ELM"
        )
        assert elm.current.acknowledged == n
        assert elm.current.ack_median_minutes == pytest.approx(statistics.median(waits), abs=0.01), n
        assert elm.current.ack_p90_minutes == pytest.approx(ordered[store.ninetieth_place(n) - 1], abs=0.01), n
