import itertools
from datetime import date
from decimal import Decimal

import pytest
from insurance_arrears import schedule


def test_add_months_clamps_to_month_end_and_comes_back():
    anchor = date(2023, 1, 31)
    assert schedule.add_months(anchor, 1) == date(2023, 2, 28)
    assert schedule.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert schedule.add_months(anchor, 2) == date(2023, 3, 31)
    assert schedule.add_months(anchor, -2) == date(2022, 11, 30)


@pytest.mark.parametrize(("split", "count"), [("annual", 1), ("semiannual", 2), ("quarterly", 4), ("monthly", 12)])
def test_one_year_gives_one_full_period_per_split(split, count):
    periods = schedule.periods(date(2026, 1, 1), split, date(2026, 1, 1), until=date(2026, 12, 31))
    assert len(periods) == count
    assert all(p.fraction == 1 for p in periods)
    assert periods[0].start == date(2026, 1, 1)
    assert periods[-1].end == date(2026, 12, 31)
    # Periods follow one another without gap or overlap.
    for previous, following in itertools.pairwise(periods):
        assert (following.start - previous.end).days == 1


def test_quarters_follow_the_anniversary_not_the_calendar():
    periods = schedule.periods(date(2025, 4, 15), "quarterly", date(2026, 4, 15), until=date(2026, 12, 31))
    assert [(p.start, p.end) for p in periods] == [
        (date(2026, 4, 15), date(2026, 7, 14)),
        (date(2026, 7, 15), date(2026, 10, 14)),
        (date(2026, 10, 15), date(2027, 1, 14)),
    ]


def test_start_inside_a_period_is_charged_pro_rata():
    # Anniversary 1 January, monthly, cover from 21 February 2026 (28-day month): 8 days of 28.
    first = schedule.periods(date(2026, 1, 1), "monthly", date(2026, 2, 21), until=date(2026, 2, 28))
    assert len(first) == 1
    assert first[0].start == date(2026, 2, 21)
    assert first[0].end == date(2026, 2, 28)
    assert first[0].fraction == Decimal(8) / Decimal(28)
    assert first[0].is_prorata


def test_termination_cuts_the_last_period_and_stops_the_schedule():
    periods = schedule.periods(
        date(2026, 1, 1), "quarterly", date(2026, 1, 1), until=date(2027, 12, 31), end=date(2026, 5, 15)
    )
    assert [(p.start, p.end) for p in periods] == [
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 5, 15)),
    ]
    assert periods[1].fraction == Decimal(45) / Decimal(91)


def test_after_skips_periods_already_issued():
    periods = schedule.periods(
        date(2026, 1, 1), "monthly", date(2026, 1, 1), until=date(2026, 6, 30), after=date(2026, 3, 31)
    )
    assert [p.start for p in periods] == [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)]


def test_until_limits_to_periods_falling_due():
    periods = schedule.periods(date(2026, 1, 1), "monthly", date(2026, 1, 1), until=date(2026, 3, 1))
    assert [p.start for p in periods] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]


def test_month_end_anniversary_in_a_leap_year():
    periods = schedule.periods(date(2024, 1, 31), "monthly", date(2024, 1, 31), until=date(2024, 4, 30))
    assert [(p.start, p.end) for p in periods] == [
        (date(2024, 1, 31), date(2024, 2, 28)),
        (date(2024, 2, 29), date(2024, 3, 30)),
        (date(2024, 3, 31), date(2024, 4, 29)),
        (date(2024, 4, 30), date(2024, 5, 30)),
    ]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="Unknown split"):
        schedule.periods(date(2026, 1, 1), "weekly", date(2026, 1, 1), until=date(2026, 2, 1))
    with pytest.raises(ValueError, match="cannot end before"):
        schedule.periods(date(2026, 1, 1), "monthly", date(2026, 3, 1), until=date(2026, 4, 1), end=date(2026, 2, 1))


def test_period_amounts_round_each_part_to_cents():
    amounts = schedule.period_amounts(
        {"net": Decimal("1000.00"), "tax": Decimal("90.00"), "fee": Decimal("10.00")}, "monthly"
    )
    assert amounts == {"net": Decimal("83.33"), "tax": Decimal("7.50"), "fee": Decimal("0.83")}
    prorata = schedule.period_amounts({"net": Decimal("1200")}, "monthly", Decimal(8) / Decimal(28))
    assert prorata == {"net": Decimal("28.57")}


def test_collection_split_under_mandate_and_without():
    shares = schedule.collection_split(Decimal("250"), Decimal("22.50"), Decimal("5"), 15)
    assert shares == {
        "client": Decimal("277.50"),
        "insurer": Decimal("240.00"),
        "commission": Decimal("37.50"),
    }
    assert shares["client"] == shares["insurer"] + shares["commission"]
    direct = schedule.collection_split(Decimal("250"), Decimal("22.50"), Decimal("5"), 15, collects_for_insurer=False)
    assert direct == {"client": Decimal(0), "insurer": Decimal(0), "commission": Decimal("37.50")}


@pytest.mark.parametrize(
    ("due", "bucket"),
    [
        (date(2026, 11, 22), "0_30"),
        (date(2026, 10, 23), "0_30"),
        (date(2026, 10, 22), "31_60"),
        (date(2026, 9, 22), "61_90"),
        (date(2026, 8, 24), "61_90"),
        (date(2026, 8, 23), "90_plus"),
        (date(2026, 12, 1), "0_30"),
    ],
)
def test_ageing_bucket_boundaries(due, bucket):
    assert schedule.ageing_bucket(due, date(2026, 11, 22)) == bucket
