"""Dates of the dunning ladder (sepa_dunning/timeline.py), without Odoo."""

from datetime import date

import pytest
from sepa_dunning import timeline
from sepa_dunning.timeline import (
    ANCHOR_DUE,
    ANCHOR_PREVIOUS,
    BUSINESS_DAYS,
    DAYS,
    MONTHS,
    Step,
)

FR_2026 = timeline.french_public_holidays(2026)
FR_2027 = timeline.french_public_holidays(2027)

# The shipped L113-3 ladder, as the Odoo side builds it.
L113_3 = [
    Step("reminder", 0, anchor=ANCHOR_DUE),
    Step("second_reminder", 10, on_business_day=True),
    Step("formal_notice", 10, on_business_day=True),
    Step("suspension", 31),
    Step("termination", 10),
    Step("collection", 15),
]


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),  # the latest possible date
        (2285, date(2285, 3, 22)),  # the earliest possible date
    ],
)
def test_easter_sunday_on_known_years(year, easter):
    assert timeline.easter_sunday(year) == easter


def test_french_public_holidays_2026():
    assert sorted(FR_2026) == [
        date(2026, 1, 1),
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),
        date(2026, 5, 8),
        date(2026, 5, 14),  # Ascension
        date(2026, 5, 25),  # Whit Monday
        date(2026, 7, 14),
        date(2026, 8, 15),
        date(2026, 11, 1),
        date(2026, 11, 11),
        date(2026, 12, 25),
    ]


@pytest.mark.parametrize(
    ("start", "delay", "expected"),
    [
        (date(2026, 1, 5), 10, date(2026, 1, 15)),
        (date(2026, 12, 25), 10, date(2027, 1, 4)),  # across the year end
        (date(2028, 2, 28), 1, date(2028, 2, 29)),  # 2028 is a leap year
        (date(2100, 2, 28), 1, date(2100, 3, 1)),  # 2100 is not
        (date(2026, 3, 1), 0, date(2026, 3, 1)),
    ],
)
def test_calendar_days(start, delay, expected):
    assert timeline.add_delay(start, delay, DAYS) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
    ],
)
def test_months_clamp_to_the_month_end(start, months, expected):
    assert timeline.add_delay(start, months, MONTHS) == expected


def test_one_business_day_after_a_friday_is_the_monday():
    assert timeline.add_delay(date(2026, 1, 9), 1, BUSINESS_DAYS) == date(2026, 1, 12)


def test_zero_business_days_is_the_start_even_on_a_weekend():
    assert timeline.add_delay(date(2026, 1, 10), 0, BUSINESS_DAYS) == date(2026, 1, 10)


def test_business_days_skip_french_holidays():
    # Thursday 30 April 2026 + 3 business days: Friday 1 May and the weekend do not count,
    # nor Friday 8 May: 4, 5, 6 May.
    assert timeline.add_delay(date(2026, 4, 30), 3, BUSINESS_DAYS, FR_2026) == date(2026, 5, 6)
    assert timeline.add_delay(date(2026, 5, 7), 1, BUSINESS_DAYS, FR_2026) == date(2026, 5, 11)


def test_business_days_without_holidays_count_every_weekday():
    assert timeline.add_delay(date(2026, 4, 30), 3, BUSINESS_DAYS) == date(2026, 5, 5)


def test_next_business_day_moves_saturday_to_monday_and_a_holiday_friday_to_monday():
    assert timeline.next_business_day(date(2026, 1, 10)) == date(2026, 1, 12)
    assert timeline.next_business_day(date(2026, 5, 8), FR_2026) == date(2026, 5, 11)
    assert timeline.next_business_day(date(2026, 5, 12), FR_2026) == date(2026, 5, 12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"delay": -1}, "negative"),
        ({"delay": 1, "unit": "weeks"}, "unit"),
        ({"delay": 1, "anchor": "notice"}, "anchor"),
    ],
)
def test_bad_steps_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Step("x", **kwargs)


def test_add_delay_refuses_bad_input():
    with pytest.raises(ValueError, match="negative"):
        timeline.add_delay(date(2026, 1, 1), -2)
    with pytest.raises(ValueError, match="unit"):
        timeline.add_delay(date(2026, 1, 1), 2, "fortnights")


def test_anchor_due_counts_from_the_first_unpaid_due_date():
    step = Step("x", 20, anchor=ANCHOR_DUE)
    assert timeline.step_date(step, date(2026, 1, 1), date(2026, 1, 5)) == date(2026, 1, 21)


def test_anchor_previous_counts_from_the_previous_level():
    step = Step("x", 20, anchor=ANCHOR_PREVIOUS)
    assert timeline.step_date(step, date(2026, 1, 1), date(2026, 1, 5)) == date(2026, 1, 25)


def test_first_level_with_anchor_previous_counts_from_the_due_date():
    assert timeline.step_date(Step("x", 3), date(2026, 1, 1), None) == date(2026, 1, 4)


def test_a_level_never_comes_before_the_previous_one():
    # 5 days after the due date, but the previous level was reached on the 20th.
    step = Step("x", 5, anchor=ANCHOR_DUE)
    assert timeline.step_date(step, date(2026, 1, 1), date(2026, 1, 20)) == date(2026, 1, 20)


def test_on_business_day_moves_a_sunday_to_monday():
    step = Step("x", 10, on_business_day=True)
    assert timeline.step_date(step, date(2026, 1, 1), date(2026, 1, 15)) == date(2026, 1, 26)


def test_next_step_at_the_start_in_the_middle_and_at_the_end():
    due = date(2026, 1, 1)
    assert timeline.next_step(L113_3, 0, due, None) == (0, L113_3[0], date(2026, 1, 1))
    assert timeline.next_step(L113_3, 1, due, date(2026, 1, 5)) == (1, L113_3[1], date(2026, 1, 15))
    assert timeline.next_step(L113_3, 3, due, date(2026, 1, 26)) == (3, L113_3[3], date(2026, 2, 26))
    assert timeline.next_step(L113_3, 6, due, date(2026, 3, 23)) is None


def test_projected_ladder_from_an_overdue_level():
    # The second reminder was due on the 15th; today is the 20th: it is assumed reached today.
    plan = timeline.projected(L113_3, 1, date(2026, 1, 1), date(2026, 1, 5), date(2026, 1, 20))
    assert [(step.key, day) for _index, step, day in plan] == [
        ("second_reminder", date(2026, 1, 20)),
        ("formal_notice", date(2026, 1, 30)),
        ("suspension", date(2026, 3, 2)),
        ("termination", date(2026, 3, 12)),
        ("collection", date(2026, 3, 27)),
    ]


def test_projected_ladder_is_empty_at_the_end():
    assert timeline.projected(L113_3, 6, date(2026, 1, 1), date(2026, 3, 23), date(2026, 4, 1)) == []


@pytest.mark.parametrize(
    ("sent", "suspension", "termination"),
    [
        (date(2026, 1, 26), date(2026, 2, 26), date(2026, 3, 8)),
        (date(2026, 1, 31), date(2026, 3, 3), date(2026, 3, 13)),  # across February
        (date(2028, 2, 1), date(2028, 3, 3), date(2028, 3, 13)),  # across a leap day
        (date(2026, 12, 15), date(2027, 1, 15), date(2027, 1, 25)),
    ],
)
def test_l113_3_deadlines(sent, suspension, termination):
    assert timeline.l113_3_deadlines(sent) == (suspension, termination)


def test_l113_3_ladder_suspends_on_the_first_day_without_cover():
    # The suspension level's delay (31 days) matches the legal reading.
    formal_notice = date(2026, 1, 26)
    _index, _step, suspension_day = timeline.next_step(L113_3, 3, date(2026, 1, 1), formal_notice)
    assert suspension_day == timeline.l113_3_deadlines(formal_notice)[0]


def test_due_steps_selects_only_what_is_due_today():
    other_policy = [Step("only", 5, anchor=ANCHOR_DUE)]
    cases = [
        ("new", "l113", 0, date(2026, 1, 1), None, False),  # first reminder due
        ("waiting", "l113", 1, date(2026, 1, 1), date(2026, 1, 10), False),  # second reminder on the 20th
        ("paused", "l113", 0, date(2026, 1, 1), None, True),
        ("finished", "l113", 6, date(2025, 1, 1), date(2025, 6, 1), False),
        ("other", "short", 0, date(2026, 1, 5), None, False),  # due on the 10th
        ("no_date", "l113", 0, None, None, False),
    ]
    due = timeline.due_steps(cases, {"l113": L113_3, "short": other_policy}, date(2026, 1, 12), FR_2026)
    assert [(key, index, day) for key, index, _step, day in due] == [
        ("new", 0, date(2026, 1, 1)),
        ("other", 0, date(2026, 1, 10)),
    ]


def test_due_steps_handles_a_large_batch():
    cases = [(i, "l113", i % 7, date(2026, 1, 1), date(2026, 1, 2) if i % 7 else None, False) for i in range(20000)]
    due = timeline.due_steps(cases, {"l113": L113_3}, date(2026, 6, 1), FR_2026)
    # Every case short of the end of its ladder has its next level due by June.
    assert len(due) == sum(1 for i in range(20000) if i % 7 < 6)


def test_holidays_of_2027_include_ascension_on_may_6():
    assert date(2027, 5, 6) in FR_2027
    assert date(2027, 3, 29) in FR_2027  # Easter Monday
