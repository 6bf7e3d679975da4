"""The school calendar: terms and closures entered by hand or imported, and the clocks that count with them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from safeguard.calendar import services as calendar_services
from safeguard.core.extensions import db
from safeguard.core.schooldays import (
    WEEKDAYS,
    Term,
    add_school_days,
    calendar_of,
    school_days_between,
    term_of,
)
from tests import factories

SPRING = ("term", "Spring term 2027", date(2027, 1, 4), date(2027, 3, 26))
HALF_TERM = ("closure", "February half-term", date(2027, 2, 15), date(2027, 2, 19))

ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test LA//Term dates//EN
BEGIN:VEVENT
UID:1@example
DTSTAMP:20260901T000000Z
SUMMARY:Spring Term 2027
DTSTART;VALUE=DATE:20270104
DTEND;VALUE=DATE:20270327
END:VEVENT
BEGIN:VEVENT
UID:2@example
DTSTAMP:20260901T000000Z
SUMMARY:February Half Term
DTSTART;VALUE=DATE:20270215
DTEND;VALUE=DATE:20270220
END:VEVENT
BEGIN:VEVENT
UID:3@example
DTSTAMP:20260901T000000Z
SUMMARY:Parents' evening
DTSTART:20270128T160000Z
DTEND:20270128T190000Z
END:VEVENT
END:VCALENDAR
"""


def _spring() -> object:
    return calendar_of([Term(SPRING[1], SPRING[2], SPRING[3])], [(HALF_TERM[2], HALF_TERM[3])])


def test_a_deadline_skips_the_half_term_week():
    friday = datetime(2027, 2, 12, 15, 0, tzinfo=UTC)
    assert add_school_days(friday, 1, "Europe/London", _spring()) == datetime(2027, 2, 22, 15, 0, tzinfo=UTC)
    # Without a calendar, weekdays only, as before.
    assert add_school_days(friday, 1, "Europe/London") == datetime(2027, 2, 15, 15, 0, tzinfo=UTC)


def test_logged_in_a_holiday_counts_from_the_first_morning_back():
    holiday = datetime(2027, 2, 16, 10, 0, tzinfo=UTC)
    assert add_school_days(holiday, 1, "Europe/London", _spring()) == datetime(2027, 2, 23, 8, 0, tzinfo=UTC)


def test_the_transfer_window_counts_school_days_only():
    assert school_days_between(date(2027, 2, 12), date(2027, 2, 26), _spring()) == 5
    assert school_days_between(date(2027, 2, 12), date(2027, 2, 26), WEEKDAYS) == 10


def test_term_of_follows_the_calendar_and_falls_back_to_months():
    calendar = calendar_of(
        [Term("Spring", date(2027, 1, 4), date(2027, 3, 26)), Term("Summer", date(2027, 4, 12), date(2027, 7, 21))], []
    )
    # The Easter holiday counts with the term before it; no gap, no overlap.
    assert term_of(date(2027, 4, 2), calendar) == Term("Spring", date(2027, 1, 4), date(2027, 4, 11))
    assert term_of(date(2027, 5, 2), calendar).name == "Summer"
    assert term_of(date(2027, 11, 2), calendar).name == "Autumn term 2027"


def test_an_administrator_enters_the_dates_and_the_page_says_what_counts(client, school, sign_in):
    sign_in(school.admin)
    page = client.get("/calendar/").get_data(as_text=True)
    assert "No term dates have been entered" in page
    for kind, name, first, last in (SPRING, HALF_TERM):
        response = factories.submit_form(
            client,
            "/calendar/",
            {"kind": kind, "name": name, "first_day": first.isoformat(), "last_day": last.isoformat()},
        )
        assert response.status_code == 302
    page = client.get("/calendar/").get_data(as_text=True)
    assert "No term dates have been entered" not in page
    assert "February half-term" in page and "Spring term 2027" in page
    assert calendar_services.calendar(school.school.id).is_school_day(date(2027, 2, 16)) is False


def test_a_period_ending_before_it_starts_is_refused(client, school, sign_in):
    sign_in(school.admin)
    response = factories.submit_form(
        client, "/calendar/", {"kind": "term", "name": "Autumn", "first_day": "2026-12-18", "last_day": "2026-09-02"}
    )
    assert response.status_code == 400
    assert "The last day is before the first day." in response.get_data(as_text=True)
    assert calendar_services.calendar(school.school.id).known is False


def test_an_ics_file_is_imported_and_an_import_replaces_the_last(client, school, sign_in):
    import io

    sign_in(school.admin)
    for _ in range(2):
        token = factories.csrf_token(client, "/calendar/")
        response = client.post(
            "/calendar/import",
            data={"csrf_token": token, "ics": (io.BytesIO(ICS), "terms.ics")},
            follow_redirects=True,
        )
        page = response.get_data(as_text=True)
        assert "Imported 1 terms and 1 closures." in page
        assert "Parents&#39; evening" in page or "Parents' evening" in page
    calendar = calendar_services.calendar(school.school.id)
    assert len(calendar.terms) == 1 and calendar.closures == ((date(2027, 2, 15), date(2027, 2, 19)),)


def test_a_file_that_is_not_a_calendar_is_refused(client, school, sign_in):
    import io

    sign_in(school.admin)
    token = factories.csrf_token(client, "/calendar/")
    response = client.post(
        "/calendar/import", data={"csrf_token": token, "ics": (io.BytesIO(b"%PDF-1.4 nothing"), "terms.ics")}
    )
    assert response.status_code == 400
    assert "not an iCalendar" in response.get_data(as_text=True)


def test_the_queue_shows_a_concern_logged_before_half_term_due_after_it(client, school, sign_in):
    calendar_services.add_period(school.school.id, None, *SPRING)
    calendar_services.add_period(school.school.id, None, *HALF_TERM)
    db.session.commit()
    amira = factories.pupil(school.school, "Amira", "Haddad")
    friday = datetime(2027, 2, 12, 15, 0, tzinfo=UTC)
    made = factories.concern(school.staff, [amira], now=friday, observed_at=friday)
    concern = made.concern if hasattr(made, "concern") else made
    assert concern.ack_due_at == datetime(2027, 2, 22, 15, 0, tzinfo=UTC)
    sign_in(school.dsl)
    page = client.get("/concerns/").get_data(as_text=True)
    assert "Acknowledge by 22 Feb 2027, 15:00" in page


@pytest.mark.parametrize("with_calendar", [False, True])
def test_the_safety_check_warns_of_a_school_without_a_calendar(school, with_calendar):
    from safeguard.safety import services as safety

    if with_calendar:
        calendar_services.add_period(school.school.id, None, "term", "Far term", date(2090, 1, 6), date(2090, 3, 28))
    check = next(c for c in safety.school_checks(school.school) if c.name == "School calendar")
    assert check.status == (safety.Status.OK if with_calendar else safety.Status.WARNING)
