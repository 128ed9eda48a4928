"""Dates of the dunning ladder (sepa_dunning/timeline.py), without Odoo."""

from datetime import date, timedelta

import pytest
from sepa_dunning import timeline
from sepa_dunning.timeline import ANCHOR_DUE, ANCHOR_PREVIOUS, BUSINESS_DAYS, DAYS, MONTHS, Step

FR_2026 = timeline.french_public_holidays(2026)
FR_2027 = timeline.french_public_holidays(2027)
FR_2026_2027 = FR_2026 | FR_2027

# The shipped L113-3 ladder (data/dunning_policy_data.xml), as the Odoo side builds it.
L113_3 = [
    Step("reminder", 0, anchor=ANCHOR_DUE),
    Step("second_reminder", 10, on_business_day=True),
    Step("formal_notice", 10, on_business_day=True),
    Step("suspension", 31),
    Step("termination", 10),
    Step("collection", 15),
]
SHORT = [
    Step("letter", 5, anchor=ANCHOR_DUE),
    Step("call", 2, BUSINESS_DAYS),
]
POLICIES = {"l113": L113_3, "short": SHORT}

# Monday 15 February 2027, the day of the run in the due_steps tests.
RUN_DAY = date(2027, 2, 15)


# Easter and the French public holidays


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (1954, date(1954, 4, 18)),  # the two exceptions of the lunar correction
        (1981, date(1981, 4, 19)),
        (2000, date(2000, 4, 23)),
        (2008, date(2008, 3, 23)),
        (2011, date(2011, 4, 24)),
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),  # the latest possible date
        (2049, date(2049, 4, 18)),  # the two exceptions again
        (2076, date(2076, 4, 19)),
        (2285, date(2285, 3, 22)),  # the earliest possible date
    ],
)
def test_easter_sunday_on_known_years(year, easter):
    assert timeline.easter_sunday(year) == easter


def test_french_public_holidays_2027():
    assert sorted(FR_2027) == [
        date(2027, 1, 1),
        date(2027, 3, 29),  # Easter Monday
        date(2027, 5, 1),
        date(2027, 5, 6),  # Ascension
        date(2027, 5, 8),
        date(2027, 5, 17),  # Whit Monday
        date(2027, 7, 14),
        date(2027, 8, 15),
        date(2027, 11, 1),
        date(2027, 11, 11),
        date(2027, 12, 25),
    ]


def test_french_public_holidays_merge_ascension_with_may_day_in_2008():
    holidays = timeline.french_public_holidays(2008)
    assert len(holidays) == 10
    assert date(2008, 5, 1) in holidays
    assert date(2008, 5, 12) in holidays  # Whit Monday


# Business days


@pytest.mark.parametrize(
    ("day", "holidays", "expected"),
    [
        (date(2027, 5, 5), FR_2027, True),  # Wednesday
        (date(2027, 5, 6), FR_2027, False),  # Ascension Thursday
        (date(2027, 5, 6), frozenset(), True),  # the same Thursday, no holidays given
        (date(2027, 5, 8), frozenset(), False),  # Saturday
        (date(2027, 5, 9), frozenset(), False),  # Sunday
    ],
)
def test_is_business_day(day, holidays, expected):
    assert timeline.is_business_day(day, holidays) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 1, 16), date(2027, 1, 18)),  # Saturday to Monday
        (date(2027, 1, 17), date(2027, 1, 18)),  # Sunday to Monday
        (date(2027, 1, 1), date(2027, 1, 4)),  # New Year's Day, a Friday, to Monday
        (date(2027, 5, 15), date(2027, 5, 18)),  # Saturday, then Whit Monday: Tuesday
        (date(2027, 5, 5), date(2027, 5, 5)),  # a business day stays
    ],
)
def test_next_business_day(day, expected):
    assert timeline.next_business_day(day, FR_2027) == expected


# add_delay


@pytest.mark.parametrize(
    ("start", "delay", "expected"),
    [
        (date(2027, 1, 5), 10, date(2027, 1, 15)),
        (date(2026, 12, 25), 10, date(2027, 1, 4)),  # across the year end
        (date(2027, 1, 16), 2, date(2027, 1, 18)),  # weekends count
        (date(2027, 5, 5), 1, date(2027, 5, 6)),  # holidays count
        (date(2027, 2, 28), 1, date(2027, 3, 1)),
        (date(2028, 2, 28), 1, date(2028, 2, 29)),  # 2028 is a leap year
        (date(2100, 2, 28), 1, date(2100, 3, 1)),  # 2100 is not
        (date(2000, 2, 28), 1, date(2000, 2, 29)),  # 2000 is
        (date(2027, 3, 1), 0, date(2027, 3, 1)),
    ],
)
def test_add_calendar_days(start, delay, expected):
    assert timeline.add_delay(start, delay, DAYS, FR_2027) == expected


def test_add_delay_counts_calendar_days_by_default():
    assert timeline.add_delay(date(2027, 1, 30), 3) == date(2027, 2, 2)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2100, 1, 31), 1, date(2100, 2, 28)),  # not a leap year
        (date(2027, 8, 31), 1, date(2027, 9, 30)),
        (date(2027, 12, 31), 1, date(2028, 1, 31)),  # across the year end
        (date(2028, 2, 29), 1, date(2028, 3, 29)),
        (date(2027, 2, 28), 1, date(2027, 3, 28)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 3, 31), 0, date(2027, 3, 31)),
    ],
)
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert timeline.add_delay(start, months, MONTHS) == expected


@pytest.mark.parametrize(
    ("start", "delay", "expected"),
    [
        (date(2027, 1, 15), 1, date(2027, 1, 18)),  # Friday + 1: Monday
        (date(2027, 1, 16), 1, date(2027, 1, 18)),  # Saturday + 1: Monday
        (date(2027, 1, 13), 5, date(2027, 1, 20)),  # a full week
        (date(2027, 1, 16), 0, date(2027, 1, 16)),  # zero: the start, even a Saturday
    ],
)
def test_add_business_days_skips_weekends(start, delay, expected):
    assert timeline.add_delay(start, delay, BUSINESS_DAYS) == expected


@pytest.mark.parametrize(
    ("start", "delay", "expected"),
    [
        (date(2027, 5, 5), 1, date(2027, 5, 7)),  # over Ascension Thursday
        (date(2027, 5, 14), 1, date(2027, 5, 18)),  # over the weekend and Whit Monday
        (date(2027, 4, 29), 5, date(2027, 5, 7)),  # over Ascension: 30 April, 3, 4, 5, 7 May
        (date(2027, 3, 26), 1, date(2027, 3, 30)),  # over Easter Monday
        (date(2026, 12, 24), 2, date(2026, 12, 29)),  # over Christmas, a Friday
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # over New Year's Day, into the next year
    ],
)
def test_add_business_days_skips_french_holidays(start, delay, expected):
    assert timeline.add_delay(start, delay, BUSINESS_DAYS, FR_2026_2027) == expected


def test_add_business_days_without_holidays_counts_every_weekday():
    assert timeline.add_delay(date(2027, 4, 29), 5, BUSINESS_DAYS) == date(2027, 5, 6)


@pytest.mark.parametrize("unit", [DAYS, BUSINESS_DAYS, MONTHS])
def test_add_delay_refuses_a_negative_delay(unit):
    with pytest.raises(ValueError, match="negative delay"):
        timeline.add_delay(date(2027, 1, 1), -1, unit)


def test_add_delay_refuses_an_unknown_unit():
    with pytest.raises(ValueError, match="unknown delay unit"):
        timeline.add_delay(date(2027, 1, 1), 2, "weeks")


# Steps


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"delay": -1}, "negative delay"),
        ({"delay": 1, "unit": "weeks"}, "unknown delay unit"),
        ({"delay": 1, "anchor": "notice"}, "unknown anchor"),
    ],
)
def test_a_bad_step_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Step("x", **kwargs)


def test_a_step_defaults_to_calendar_days_after_the_previous_level():
    step = Step("x", 3)
    assert (step.unit, step.anchor, step.on_business_day) == (DAYS, ANCHOR_PREVIOUS, False)


def test_anchor_due_counts_from_the_first_unpaid_due_date():
    step = Step("x", 20, anchor=ANCHOR_DUE)
    assert timeline.step_date(step, date(2027, 1, 1), date(2027, 1, 5)) == date(2027, 1, 21)


def test_anchor_previous_counts_from_the_previous_level():
    step = Step("x", 20, anchor=ANCHOR_PREVIOUS)
    assert timeline.step_date(step, date(2027, 1, 1), date(2027, 1, 5)) == date(2027, 1, 25)


def test_anchor_previous_without_a_previous_level_counts_from_the_due_date():
    assert timeline.step_date(Step("x", 3), date(2027, 1, 1), None) == date(2027, 1, 4)


def test_a_level_never_comes_before_the_previous_one():
    # Five days after the due date is the 6th, but the previous level was reached on the 20th.
    step = Step("x", 5, anchor=ANCHOR_DUE)
    assert timeline.step_date(step, date(2027, 1, 1), date(2027, 1, 20)) == date(2027, 1, 20)


def test_step_date_counts_the_step_unit():
    # Friday 14 May 2027 + 2 business days: not the weekend, not Whit Monday.
    step = Step("x", 2, BUSINESS_DAYS)
    assert timeline.step_date(step, date(2027, 5, 1), date(2027, 5, 14), FR_2027) == date(2027, 5, 19)


def test_on_business_day_moves_a_saturday_to_monday():
    step = Step("x", 10, on_business_day=True)
    assert timeline.step_date(step, date(2027, 1, 1), date(2027, 1, 6), FR_2027) == date(2027, 1, 18)


def test_on_business_day_moves_a_holiday_friday_to_monday():
    # 22 December 2026 + 10 days is Friday 1 January 2027.
    step = Step("x", 10, on_business_day=True)
    assert timeline.step_date(step, date(2026, 12, 1), date(2026, 12, 22), FR_2026_2027) == date(2027, 1, 4)


def test_without_on_business_day_a_saturday_stays():
    assert timeline.step_date(Step("x", 10), date(2027, 1, 1), date(2027, 1, 6), FR_2027) == date(2027, 1, 16)


def test_a_level_caught_up_with_a_saturday_one_still_moves_to_a_business_day():
    # Due on the 6th, but the previous level was reached on Saturday the 9th.
    step = Step("x", 5, anchor=ANCHOR_DUE, on_business_day=True)
    assert timeline.step_date(step, date(2027, 1, 1), date(2027, 1, 9), FR_2027) == date(2027, 1, 11)


# next_step


def test_next_step_of_a_new_case_is_the_first_level():
    assert timeline.next_step(L113_3, 0, date(2027, 2, 1), None, FR_2027) == (0, L113_3[0], date(2027, 2, 1))


def test_next_step_of_a_new_case_ignores_a_stray_last_date():
    found = timeline.next_step(L113_3, 0, date(2027, 2, 1), date(2027, 3, 1), FR_2027)
    assert found == (0, L113_3[0], date(2027, 2, 1))


def test_next_step_in_the_middle_of_the_ladder():
    # Formal notice sent on Monday 1 March 2027: cover is suspended on 1 April.
    found = timeline.next_step(L113_3, 3, date(2027, 2, 1), date(2027, 3, 1), FR_2027)
    assert found == (3, L113_3[3], date(2027, 4, 1))


def test_next_step_is_the_next_level_even_when_later_ones_are_overdue_too():
    # Reminder reached on 1 February 2025: every level is long overdue, only the second reminder comes.
    holidays = timeline.french_public_holidays(2025)
    found = timeline.next_step(L113_3, 1, date(2025, 2, 1), date(2025, 2, 1), holidays)
    assert found == (1, L113_3[1], date(2025, 2, 11))


def test_next_step_without_a_last_date_counts_from_the_first_due_date():
    found = timeline.next_step(L113_3, 2, date(2027, 2, 1), None, FR_2027)
    assert found == (2, L113_3[2], date(2027, 2, 11))


@pytest.mark.parametrize("reached", [6, 7])  # 7: a level was removed from the policy since
def test_next_step_at_the_end_of_the_ladder_is_none(reached):
    assert timeline.next_step(L113_3, reached, date(2027, 2, 1), date(2027, 4, 26), FR_2027) is None


def test_the_l113_3_ladder_suspends_on_the_first_day_without_cover():
    formal_notice = date(2027, 3, 1)
    _index, _step, suspension = timeline.next_step(L113_3, 3, date(2027, 2, 1), formal_notice, FR_2027)
    assert suspension == timeline.l113_3_deadlines(formal_notice)[0]


# projected


def test_projected_ladder_when_nothing_is_overdue():
    plan = timeline.projected(L113_3, 1, date(2027, 2, 1), date(2027, 2, 1), date(2027, 2, 5), FR_2027)
    assert [(index, step.key, day) for index, step, day in plan] == [
        (1, "second_reminder", date(2027, 2, 11)),
        (2, "formal_notice", date(2027, 2, 22)),  # the 21st is a Sunday
        (3, "suspension", date(2027, 3, 25)),
        (4, "termination", date(2027, 4, 4)),
        (5, "collection", date(2027, 4, 19)),
    ]


def test_projected_ladder_assumes_an_overdue_level_reached_today():
    # The second reminder was due on the 11th; today is the 15th.
    plan = timeline.projected(L113_3, 1, date(2027, 2, 1), date(2027, 2, 1), date(2027, 2, 15), FR_2027)
    assert [(index, step.key, day) for index, step, day in plan] == [
        (1, "second_reminder", date(2027, 2, 15)),
        (2, "formal_notice", date(2027, 2, 25)),
        (3, "suspension", date(2027, 3, 28)),
        (4, "termination", date(2027, 4, 7)),
        (5, "collection", date(2027, 4, 22)),
    ]


def test_projected_ladder_of_a_new_case_starts_at_the_first_level():
    plan = timeline.projected(SHORT, 0, date(2027, 4, 30), None, date(2027, 4, 20), FR_2027)
    # 30 April + 5 days is Wednesday 5 May; the 2 business days after it skip Ascension and the weekend.
    assert [(index, step.key, day) for index, step, day in plan] == [
        (0, "letter", date(2027, 5, 5)),
        (1, "call", date(2027, 5, 10)),
    ]


def test_projected_ladder_is_empty_at_the_end():
    assert timeline.projected(L113_3, 6, date(2027, 2, 1), date(2027, 4, 26), date(2027, 5, 1)) == []


@pytest.mark.parametrize(
    "call",
    [
        lambda: timeline.next_step(L113_3, -1, date(2027, 2, 1), None),
        lambda: timeline.projected(L113_3, -1, date(2027, 2, 1), None, RUN_DAY),
        lambda: timeline.due_steps([("c", "l113", -1, date(2027, 2, 1), None, False)], POLICIES, RUN_DAY),
    ],
    ids=["next_step", "projected", "due_steps"],
)
def test_a_negative_number_of_levels_reached_is_refused(call):
    with pytest.raises(ValueError, match="negative number of levels"):
        call()


# Article L113-3


@pytest.mark.parametrize(
    ("sent", "suspension", "termination"),
    [
        (date(2027, 3, 1), date(2027, 4, 1), date(2027, 4, 11)),
        (date(2027, 1, 31), date(2027, 3, 3), date(2027, 3, 13)),  # across a 28-day February
        (date(2028, 1, 31), date(2028, 3, 2), date(2028, 3, 12)),  # across a leap day
        (date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 10)),  # sent on a leap day
        (date(2027, 12, 15), date(2028, 1, 15), date(2028, 1, 25)),  # across the year end
        (date(2027, 3, 25), date(2027, 4, 25), date(2027, 5, 5)),  # Sundays and holidays are not skipped
    ],
)
def test_l113_3_deadlines(sent, suspension, termination):
    assert timeline.l113_3_deadlines(sent) == (suspension, termination)


# due_steps


def _case(key, reached=0, first_due=date(2027, 2, 1), last_date=None, paused=False, policy="l113"):
    return (key, policy, reached, first_due, last_date, paused)


def _due(cases):
    return [
        (key, index, step.key, day)
        for key, index, step, day in timeline.due_steps(cases, POLICIES, RUN_DAY, dict.fromkeys(POLICIES, FR_2027))
    ]


def test_due_steps_returns_a_case_whose_next_level_is_due():
    assert _due([_case("new")]) == [("new", 0, "reminder", date(2027, 2, 1))]


def test_due_steps_leaves_out_a_paused_case():
    assert _due([_case("paused", paused=True)]) == []


def test_due_steps_leaves_out_a_finished_ladder():
    assert _due([_case("finished", reached=6, last_date=date(2027, 1, 4))]) == []


def test_due_steps_leaves_out_a_level_not_yet_due():
    # Reminder on the 10th: the second reminder falls on Saturday the 20th, moved to Monday the 22nd.
    assert _due([_case("waiting", reached=1, last_date=date(2027, 2, 10))]) == []


def test_due_steps_includes_a_level_due_today():
    assert _due([_case("today", reached=1, last_date=date(2027, 2, 5))]) == [
        ("today", 1, "second_reminder", date(2027, 2, 15))
    ]


def test_due_steps_leaves_out_a_case_without_a_due_date_or_a_known_policy():
    assert _due([_case("no_date", first_due=None), _case("no_policy", policy=False)]) == []


def test_due_steps_follows_each_case_policy():
    cases = [
        _case("l113_new"),
        _case("short_new", first_due=date(2027, 2, 12), policy="short"),  # letter on the 17th
        _case("short_letter_sent", reached=1, last_date=date(2027, 2, 11), policy="short"),  # call on the 15th
        _case("short_finished", reached=2, last_date=date(2027, 2, 1), policy="short"),
    ]
    assert _due(cases) == [
        ("l113_new", 0, "reminder", date(2027, 2, 1)),
        ("short_letter_sent", 1, "call", date(2027, 2, 15)),
    ]


# A daily run over 100,000 cases on three ladders, one of them counting long business-day delays.
BIG_POLICIES = {
    **POLICIES,
    "business": [
        Step("letter", 20, BUSINESS_DAYS),
        Step("notice", 40, BUSINESS_DAYS, on_business_day=True),
        Step("call", 2, MONTHS, anchor=ANCHOR_DUE, on_business_day=True),
    ],
}
BIG_RUN_DAY = date(2026, 12, 1)
BIG_HOLIDAYS = FR_2026_2027 | timeline.french_public_holidays(2028)


@pytest.fixture(scope="module")
def big_batch():
    first_dues = [date(2026, 1, 1) + timedelta(days=n) for n in range(400)]
    cases = []
    for n in range(100_000):
        policy = ("short", "l113", "business")[n % 3]
        reached = n % (len(BIG_POLICIES[policy]) + 1)
        first_due = first_dues[n % 400]
        last_date = first_due + timedelta(days=n % 45) if reached else None
        cases.append((n, policy, reached, first_due, last_date, n % 11 == 0))
    return cases


def test_due_steps_on_a_large_batch_gives_the_dates_of_next_step(big_batch):
    expected = []
    for case_key, policy, reached, first_due, last_date, paused in big_batch:
        found = timeline.next_step(BIG_POLICIES[policy], reached, first_due, last_date, BIG_HOLIDAYS)
        if not paused and found and found[2] <= BIG_RUN_DAY:
            expected.append((case_key, *found))
    assert len(expected) > 50_000
    assert (
        timeline.due_steps(big_batch, BIG_POLICIES, BIG_RUN_DAY, dict.fromkeys(BIG_POLICIES, BIG_HOLIDAYS)) == expected
    )


def test_due_steps_gives_each_policy_its_own_holidays_as_next_step_does():
    """A policy counting no holidays, run in the same chunk as one that does, keeps its own dates."""
    ladder = [Step("call", 1, BUSINESS_DAYS)]
    policies = {"fr": ladder, "none": ladder}
    # Due Wednesday 5 May 2027: a business day later is Thursday 6 May, Ascension Day in France.
    cases = [_case("fr", 0, date(2027, 5, 5), policy="fr"), _case("none", 0, date(2027, 5, 5), policy="none")]
    holidays = {"fr": FR_2027}
    due = timeline.due_steps(cases, policies, date(2027, 5, 31), holidays)
    assert [(key, day) for key, _index, _step, day in due] == [("fr", date(2027, 5, 7)), ("none", date(2027, 5, 6))]
    for key, _index, _step, day in due:
        assert timeline.next_step(policies[key], 0, date(2027, 5, 5), None, holidays.get(key, frozenset()))[2] == day


def test_french_public_holidays_of_every_year_answer_for_any_day():
    """The policy's calendar: no range of years to choose, so none to choose wrong."""
    holidays = timeline.FRENCH_PUBLIC_HOLIDAYS
    assert date(2027, 5, 6) in holidays  # Ascension Day 2027
    assert date(2041, 7, 14) in holidays
    assert date(1999, 4, 5) in holidays  # Easter Monday 1999
    assert date(2027, 5, 7) not in holidays
    assert all(day in holidays for day in FR_2026_2027)


def test_next_steps_gives_the_dates_of_next_step_for_each_case(big_batch):
    expected = [
        (case_key, *found)
        for case_key, policy, reached, first_due, last_date, paused in big_batch[:5000]
        if not paused
        and (found := timeline.next_step(BIG_POLICIES[policy], reached, first_due, last_date, BIG_HOLIDAYS))
    ]
    assert timeline.next_steps(big_batch[:5000], BIG_POLICIES, dict.fromkeys(BIG_POLICIES, BIG_HOLIDAYS)) == expected


def test_due_steps_are_the_next_steps_due_by_the_day_of_the_run(big_batch):
    """The daily run reaches a level on the day the case form shows for it, never on another."""
    holidays = dict.fromkeys(BIG_POLICIES, timeline.FRENCH_PUBLIC_HOLIDAYS)
    upcoming = timeline.next_steps(big_batch, BIG_POLICIES, holidays)
    for run_day in (BIG_RUN_DAY - timedelta(days=90), BIG_RUN_DAY, BIG_RUN_DAY + timedelta(days=400)):
        due = timeline.due_steps(big_batch, BIG_POLICIES, run_day, holidays)
        assert due == [row for row in upcoming if row[3] <= run_day]


def test_next_steps_give_cases_of_one_policy_years_apart_each_their_year_s_holidays():
    """Holidays once picked for the years around the first case missed those of a case years later."""
    ladder = {"fr": [Step("call", 1, BUSINESS_DAYS)]}
    # Both due the day before Ascension Day: 5 May 2027 and 28 May 2030.
    cases = [_case("early", 0, date(2027, 5, 5), policy="fr"), _case("late", 0, date(2030, 5, 29), policy="fr")]
    found = timeline.next_steps(cases, ladder, {"fr": timeline.FRENCH_PUBLIC_HOLIDAYS})
    assert [(key, day) for key, _index, _step, day in found] == [
        ("early", date(2027, 5, 7)),
        ("late", date(2030, 5, 31)),
    ]


def test_next_steps_leave_out_paused_finished_and_policy_less_cases():
    cases = [
        _case("paused", 0, date(2027, 1, 4), policy="short", paused=True),
        _case("finished", len(SHORT), date(2027, 1, 4), date(2027, 1, 20), policy="short"),
        _case("no_policy", 0, date(2027, 1, 4), policy=None),
        _case("no_start", 0, None, policy="short"),
        _case("open", 0, date(2027, 1, 4), policy="short"),
    ]
    assert [row[0] for row in timeline.next_steps(cases, POLICIES)] == ["open"]


def test_the_ladder_adds_months_as_the_premium_schedule_does():
    from insurance_arrears import schedule

    assert timeline.add_months is schedule.add_months
