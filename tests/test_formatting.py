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


def test_the_oversight_and_trust_charts_write_and_scale_their_numbers_alike():
    from safeguard.exports.services import chart
    from safeguard.trusts.services import BAR_ROOM, _pair_chart

    counts = chart("logged", "Concerns logged", "Concerns", [("Sept", 4), ("Oct", None), ("Nov", 8)])
    assert [(b.shown, b.fraction) for b in counts.bars] == [("4", 0.5), ("0", 0.0), ("8", 1.0)]
    pairs = _pair_chart("ack", "Median time to acknowledge", [("OAK", 30, None), ("ELM", 150, 60)], minutes=True)
    assert [(b.current_shown, b.previous_shown) for b in pairs.bars] == [
        ("30 minutes", "—"),
        ("2.5 hours", "60 minutes"),
    ]
    assert [b.current_length for b in pairs.bars] == [f"{30 / 150 * BAR_ROOM:.1f}", f"{BAR_ROOM:.1f}"]
    # A chart of nothing draws no bar, and says 0 or "—", rather than failing.
    empty = chart("referrals", "Referrals", "Referrals", [("Sept", None), ("Oct", 0)])
    assert [(b.shown, b.fraction) for b in empty.bars] == [("0", 0.0), ("0", 0.0)]
