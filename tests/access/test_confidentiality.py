"""Restricted and sealed records, case teams, emergency access, who has seen this, and the quick exit."""

from __future__ import annotations

from datetime import timedelta

from safeguard.access import services
from safeguard.access.models import AccessLevel
from safeguard.auth import permissions
from safeguard.concerns import store
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.exports import services as exports
from tests import factories

SECRET_WORDS = "uncle shouts marmalade"


def _restricted(team, children, level=AccessLevel.RESTRICTED, people=None):
    concern = factories.concern(
        team.staff, [children[0]], account=f'Amira said "my {SECRET_WORDS} at me at home". She was tearful.'
    )
    people = people if people is not None else {team.lead.id, team.head.id}
    services.set_concern_access(
        concern, team.lead, services.AccessChange(level, frozenset(people), "A relative of a member of staff.")
    )
    db.session.commit()
    return concern


def _csrf(client, url="/"):
    return factories.csrf_token(client, url)


def test_a_restricted_concern_is_found_nowhere_by_the_deputy(team, children, browser_of):
    other = factories.concern(team.staff, [children[0]])
    concern = _restricted(team, children)
    deputy = browser_of(team.deputy)
    pages = {
        "queue": deputy.get("/concerns/?status=all").get_data(as_text=True),
        "queue search": deputy.get(f"/concerns/?status=all&q={concern.reference}").get_data(as_text=True),
        "child's page": deputy.get(f"/pupils/{children[0].id}?year=all").get_data(as_text=True),
        "alerts": deputy.get("/notifications/").get_data(as_text=True),
        "home": deputy.get("/").get_data(as_text=True),
        "oversight": deputy.get("/exports/oversight").get_data(as_text=True),
        "linked concern": deputy.get(f"/concerns/{other.id}").get_data(as_text=True),
    }
    token = _csrf(deputy, "/concerns/search")
    pages["search"] = deputy.post("/concerns/search", data={"q": "marmalade", "csrf_token": token}).get_data(
        as_text=True
    )
    for name, page in pages.items():
        # The searches show what was typed again; nothing else of the record shows anywhere.
        typed = {"queue search": concern.reference, "search": "marmalade"}.get(name, "")
        shown = page.replace(f'value="{typed}"', "") if typed else page
        assert concern.reference not in shown and "marmalade" not in shown, name
        assert f"/concerns/{concern.id}" not in page, name
    assert deputy.get(f"/concerns/{concern.id}").status_code == 404
    assert deputy.get(f"/exports/concern/{concern.id}").status_code == 404
    assert deputy.get(f"/concerns/{concern.id}/access").status_code == 404
    # Counted nowhere: the deputy's queue counts one open concern (the other one), the lead's two.
    now = utcnow()
    mine = store.queue(team.lead.school_id, store.QueueFilters(), now, viewer=permissions.viewer(team.deputy, now))
    theirs = store.queue(team.lead.school_id, store.QueueFilters(), now, viewer=permissions.viewer(team.lead, now))
    assert (mine.total, theirs.total) == (1, 2)
    # The child's file exported by the deputy leaves it out; by the lead, it is there.
    by_deputy = exports.child_file(children[0], False, viewer=permissions.viewer(team.deputy, now))
    by_lead = exports.child_file(children[0], False, viewer=permissions.viewer(team.lead, now))
    assert [c.reference for c in by_deputy.concerns] == [other.reference]
    assert {c.reference for c in by_lead.concerns} == {other.reference, concern.reference}


def test_the_lead_and_the_head_still_see_it_and_its_restriction_is_on_the_record(team, children, browser_of):
    concern = _restricted(team, children)
    for person in (team.lead, team.head):
        page = browser_of(person).get(f"/concerns/{concern.id}").get_data(as_text=True)
        assert "Restricted:" in page and SECRET_WORDS in page
    entry = next(e for e in store.events(concern, permissions.viewer(team.lead, utcnow())) if e.kind == "access")
    assert "Restricted" in entry.summary and entry.text == "A relative of a member of staff."


def test_widening_needs_the_lead_or_the_head(team, children, browser_of):
    concern = _restricted(team, children, people={team.lead.id, team.head.id, team.deputy.id})
    widen = services.AccessChange(AccessLevel.STANDARD, frozenset(), "Shared with the team again.")
    try:
        services.set_concern_access(concern, team.deputy, widen)
    except services.AccessError as error:
        assert "lead DSL or the head" in str(error)
    else:
        raise AssertionError("the deputy widened a restricted record")
    db.session.rollback()
    concern = store.concern(concern.school_id, concern.id)
    # The deputy may narrow it (sealed, themselves kept on it), and the lead may widen it again.
    services.set_concern_access(
        concern, team.deputy, services.AccessChange(AccessLevel.SEALED, frozenset({team.lead.id}), "Police asked.")
    )
    services.set_concern_access(concern, team.lead, widen)
    db.session.commit()
    assert store.concern(concern.school_id, concern.id).access_level == "standard"


def test_the_reporter_of_a_sealed_concern_sees_that_it_was_received_and_nothing_more(team, children, browser_of):
    concern = _restricted(team, children, level=AccessLevel.SEALED)
    reporter = browser_of(team.staff)
    page = reporter.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert "Received" in page and SECRET_WORDS not in page
    assert "Received" in reporter.get("/concerns/mine").get_data(as_text=True)
    # A restricted one: the reporter keeps their own account.
    other = _restricted(team, children)
    assert SECRET_WORDS in reporter.get(f"/concerns/{other.id}").get_data(as_text=True)


def test_a_case_team_member_reads_one_concern_until_the_end_date(team, children, browser_of):
    concern = _restricted(team, children)
    other = factories.concern(team.staff, [children[1]])
    today = utcnow().date()
    services.invite_to_case_team(concern, team.lead, team.pastoral.id, today, "Pastoral support at lunchtimes.")
    db.session.commit()
    pastoral = browser_of(team.pastoral)
    assert concern.reference in pastoral.get("/notifications/").get_data(as_text=True)
    page = pastoral.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert SECRET_WORDS in page and "case team" in page
    assert pastoral.get(f"/concerns/{other.id}").status_code == 404
    assert pastoral.get(f"/pupils/{children[0].id}").status_code == 403
    # They add information, as the invitation allows.
    token = _csrf(pastoral, f"/concerns/{concern.id}")
    added = pastoral.post(
        f"/concerns/{concern.id}/addendum", data={"addendum-text": "She ate lunch with us.", "csrf_token": token}
    )
    assert added.status_code == 302
    # On the day after the end date the access has gone.
    later = utcnow() + timedelta(days=2)
    assert not store.pupil_chronology(
        concern.school_id, children[0].id, viewer=permissions.Viewer(team.pastoral.id, False, later)
    )
    grant = next(g for g in services.store.concern_grants(concern.school_id, concern.id) if g.kind == "case_team")
    services.end_case_team_member(concern, team.lead, grant.id)
    db.session.commit()
    assert pastoral.get(f"/concerns/{concern.id}").status_code == 404


def test_breaking_the_glass_opens_the_record_alerts_its_people_and_shows_in_who_has_seen_it(
    team, children, browser_of, mailbox
):
    concern = _restricted(team, children)
    deputy = browser_of(team.deputy)
    token = _csrf(deputy, "/emergency-access")
    refused = deputy.post("/emergency-access", data={"reference": concern.reference, "reason": "", "csrf_token": token})
    assert refused.status_code == 400
    opened = deputy.post(
        "/emergency-access",
        data={"reference": concern.reference, "reason": "Police at reception asking now.", "csrf_token": token},
    )
    assert opened.status_code == 302
    page = deputy.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert SECRET_WORDS in page and "Police at reception asking now." in page
    lead = browser_of(team.lead)
    alerts = lead.get("/notifications/").get_data(as_text=True)
    assert "Emergency access opened by Tom Hughes" in alerts
    seen = lead.get(f"/concerns/{concern.id}/seen").get_data(as_text=True)
    assert "Tom Hughes" in seen and "Police at reception asking now." in seen
    # The deputy cannot read who has seen it; nor can anyone open a sealed record this way.
    assert deputy.get(f"/concerns/{concern.id}/seen").status_code == 404
    sealed = _restricted(team, children, level=AccessLevel.SEALED)
    answer = deputy.post(
        "/emergency-access", data={"reference": sealed.reference, "reason": "Need it.", "csrf_token": token}
    )
    assert answer.status_code == 400 and "No record you can open" in answer.get_data(as_text=True)


def test_a_restricted_childs_file_restricts_every_concern_about_the_child(team, children, browser_of):
    concern = factories.concern(team.staff, [children[0]])
    services.set_file_access(
        children[0],
        team.lead,
        services.AccessChange(AccessLevel.RESTRICTED, frozenset({team.head.id}), "Police asked for tight holding."),
    )
    db.session.commit()
    later = factories.concern(team.staff, [children[0], children[1]])
    deputy = browser_of(team.deputy)
    queue = deputy.get("/concerns/?status=all").get_data(as_text=True)
    assert concern.reference not in queue and later.reference not in queue
    assert deputy.get(f"/concerns/{later.id}").status_code == 404
    assert later.reference in browser_of(team.head).get("/concerns/?status=all").get_data(as_text=True)
    # Linking a concern about another child, or adding a child, never widens it.
    assert later.reference not in deputy.get(f"/pupils/{children[1].id}?year=all").get_data(as_text=True)


def test_the_quick_exit_signs_out_and_shows_a_neutral_page(team, browser_of):
    client = browser_of(team.staff)
    token = _csrf(client)
    response = client.post("/exit", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("/exit")
    neutral = client.get("/exit").get_data(as_text=True)
    assert "<title>Weather</title>" in neutral and "Safeguard" not in neutral
    assert client.get("/").status_code == 302  # the next visit needs the password


def test_a_link_never_names_a_record_the_reader_may_not_see(team, children):
    from safeguard.concerns import services as concern_services

    related = factories.concern(team.staff, [children[1]])
    concern = _restricted(team, children)
    concern_services.link_concerns(related, team.lead, concern.reference, related.version)
    db.session.commit()
    now = utcnow()
    deputy, lead = permissions.viewer(team.deputy, now), permissions.viewer(team.lead, now)
    as_deputy = exports.concern_info(related, viewer=deputy)
    as_lead = exports.concern_info(related, viewer=lead)
    assert not any(concern.reference in e.summary for e in as_deputy.events)
    assert any(concern.reference in e.summary for e in as_lead.events)
    assert not any(concern.reference in e.summary for e in store.events(related, deputy))
    assert store.linked(related, deputy) == [] and len(store.linked(related, lead)) == 1
    # The deputy cannot link to it either: it answers as a reference that does not exist.
    try:
        concern_services.link_concerns(related, team.deputy, concern.reference, None)
    except concern_services.ConcernError as error:
        assert "No concern in this school has that reference" in str(error)
    else:
        raise AssertionError("the deputy linked a record they may not see")


def test_escalation_and_a_new_concern_about_a_restricted_file_alert_only_its_people(runner, team, children, mailbox):
    from sqlalchemy import select

    from safeguard.notifications.models import Notification, OutboxMessage

    concern = factories.concern(team.staff, [children[0]], immediate_danger=True, now=utcnow() - timedelta(minutes=16))
    services.set_concern_access(
        concern,
        team.lead,
        services.AccessChange(AccessLevel.RESTRICTED, frozenset({team.head.id}), "Held to the lead and the head."),
    )
    db.session.commit()
    assert "escalated 1" in runner.invoke(args=["escalate"]).output
    escalated = select(Notification.user_id).where(Notification.message.like("Escalated: %"))
    assert set(db.session.scalars(escalated)) == {team.lead.id, team.head.id}
    # A child's restricted file: a new concern about them alerts its people only, in the app and by e-mail.
    services.set_file_access(
        children[1],
        team.lead,
        services.AccessChange(AccessLevel.RESTRICTED, frozenset(), "Police asked for tight holding."),
    )
    db.session.commit()
    newer = factories.concern(team.staff, [children[1]])
    alerted = select(Notification.user_id).where(Notification.concern_id == newer.id)
    assert set(db.session.scalars(alerted)) == {team.lead.id}
    mails = select(OutboxMessage.to_address).where(OutboxMessage.subject.like(f"%{newer.reference}%"))
    assert list(db.session.scalars(mails)) == [team.lead.email]
    # The reporter is told what was done: one DSL alerted.
    from safeguard.concerns import services as concern_services

    told = concern_services.Routing.of(store.logged_detail(newer))
    assert told is not None and (told.dsls, told.heads) == (1, 0)


def test_the_lead_dsl_is_one_active_dsl_chosen_in_the_schools_settings(team, browser_of, school):
    from safeguard.auth import services as auth_services

    assert auth_services.lead_dsl(school.school.id) == team.lead
    try:
        auth_services.set_lead_dsl(school.school, team.staff.id, actor=school.admin)
    except auth_services.AccountError as error:
        assert "active DSLs" in str(error)
    else:
        raise AssertionError("a member of staff became the lead DSL")
    admin = browser_of(school.admin)
    page = admin.get("/admin/school").get_data(as_text=True)
    assert "Lead DSL" in page and f'value="{team.lead.id}" selected' in page


def test_a_sealed_childs_file_cannot_be_opened_in_an_emergency(team, children):
    concern = factories.concern(team.staff, [children[0]])
    services.set_file_access(
        children[0], team.lead, services.AccessChange(AccessLevel.SEALED, frozenset(), "Police asked.")
    )
    db.session.commit()
    try:
        services.break_glass(team.deputy, concern.reference, "Need it now.")
    except services.AccessError as error:
        assert str(error) == services.NOT_FOUND
    else:
        raise AssertionError("a concern about a child with a sealed file was opened in an emergency")


def test_a_transfer_by_someone_off_a_records_list_tells_its_people_and_not_the_sender(team, children, browser_of):
    from sqlalchemy import select

    from safeguard.notifications.models import Notification, OutboxMessage

    other = factories.concern(team.staff, [children[0]])
    concern = _restricted(team, children, people={team.head.id})  # the lead set it; the head is listed with them
    sealed = _restricted(team, children, level=AccessLevel.SEALED, people={team.lead.id})
    deputy = browser_of(team.deputy)
    token = _csrf(deputy, f"/exports/transfer/{children[0].id}")
    sending = {"to_school": "Riverside Academy", "method": "Secure e-mail to the DSL", "reason": "Moving school"}
    answer = deputy.post(f"/exports/transfer/{children[0].id}", data={**sending, "csrf_token": token})
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    db.session.expire_all()

    def alerted(record):
        rows = select(Notification.user_id).where(
            Notification.concern_id == record.id, Notification.message.contains(services.LEFT_OUT_HEADLINE)
        )
        return list(db.session.scalars(rows))

    # Each record left out reaches the people who may see it, so that the receiving school gets the whole file.
    assert set(alerted(concern)) == {team.lead.id, team.head.id}
    assert set(alerted(sealed)) == {team.lead.id}
    mails = select(OutboxMessage.to_address, OutboxMessage.body).where(
        OutboxMessage.subject.contains(concern.reference), OutboxMessage.subject.contains(services.LEFT_OUT_HEADLINE)
    )
    sent = dict(db.session.execute(mails).all())
    assert set(sent) == {team.lead.email, team.head.email}
    assert all(SECRET_WORDS not in body and "Amira" not in body for body in sent.values())
    # The sender learns nothing of them: no alert, and nothing on their pages.
    assert team.deputy.id not in alerted(concern) + alerted(sealed)
    for page in ("/notifications/", f"/pupils/{children[0].id}?year=all", "/"):
        shown = deputy.get(page).get_data(as_text=True)
        assert concern.reference not in shown and sealed.reference not in shown, page
    # The concern the deputy may see is in the file and alerts nobody; the lead's own transfer leaves nothing out.
    assert alerted(other) == []
    now = utcnow()
    exports.export_transfer(children[0], team.lead, "Riverside Academy", "Secure e-mail to the DSL")
    db.session.commit()
    assert len(alerted(concern)) == 2 and len(alerted(sealed)) == 1
    by_lead = exports.child_file(children[0], False, viewer=permissions.viewer(team.lead, now))
    assert {c.reference for c in by_lead.concerns} == {other.reference, concern.reference, sealed.reference}


def test_a_concern_left_out_that_nobody_active_may_see_goes_to_the_lead_dsl(team, children):
    from sqlalchemy import select

    from safeguard.notifications.models import Notification

    concern = factories.concern(team.staff, [children[0]])
    services.set_concern_access(
        concern, team.head, services.AccessChange(AccessLevel.RESTRICTED, frozenset({team.head.id}), "Head only.")
    )
    team.head.active = False
    db.session.commit()
    exports.export_transfer(children[0], team.deputy, "Riverside Academy", "Secure e-mail to the DSL")
    db.session.commit()
    told = select(Notification.user_id).where(
        Notification.concern_id == concern.id, Notification.message.contains(services.LEFT_OUT_HEADLINE)
    )
    # The lead DSL, who can widen its list, is told; the deputy who sent the file is not.
    assert list(db.session.scalars(told)) == [team.lead.id]
