"""Times are shown in the school's zone, the way a UK school writes them."""

from datetime import UTC, date, datetime

from safeguard.core.formatting import local_date, local_datetime


def test_a_summer_time_is_shown_in_british_summer_time():
    # 13:05 UTC on 5 July is 14:05 in London.
    assert local_datetime(datetime(2026, 7, 5, 13, 5, tzinfo=UTC)) == "05 Jul 2026, 14:05"


def test_a_winter_time_is_shown_as_it_is_in_utc_and_near_midnight_keeps_the_local_date():
    assert local_datetime(datetime(2026, 12, 3, 9, 0, tzinfo=UTC)) == "03 Dec 2026, 09:00"
    # 23:30 UTC on 30 June is already 1 July in London.
    assert local_datetime(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "01 Jul 2026, 00:30"


def test_another_format_and_dates_and_nothing_recorded():
    assert local_datetime(datetime(2026, 3, 1, 8, 0, tzinfo=UTC), "%H:%M on %d/%m/%Y") == "08:00 on 01/03/2026"
    assert local_date(date(2026, 11, 23)) == "23 Nov 2026"
    assert local_datetime(None) == "" and local_date(None) == ""
