"""Dates of a dunning ladder: when each level falls due.

Plain Python (no Odoo): the daily run and the case form call these functions
with plain values. A ladder is a list of steps; a case has reached the first
``reached`` of them, the last one on ``last_date``. Levels are reached one at a
time: a run late by a week reaches the next level, never two at once, so that
no notice is skipped and the legal delays after a formal notice run from the
day it was actually sent.
"""

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

DAYS = "days"
BUSINESS_DAYS = "business_days"
MONTHS = "months"
UNITS = (DAYS, BUSINESS_DAYS, MONTHS)

ANCHOR_DUE = "due"
ANCHOR_PREVIOUS = "previous"
ANCHORS = (ANCHOR_DUE, ANCHOR_PREVIOUS)


@dataclass(frozen=True)
class Step:
    """One level of a ladder, as far as dates go."""

    key: object
    delay: int
    unit: str = DAYS
    anchor: str = ANCHOR_PREVIOUS
    on_business_day: bool = False

    def __post_init__(self):
        if self.delay < 0:
            raise ValueError(f"negative delay: {self.delay}")
        if self.unit not in UNITS:
            raise ValueError(f"unknown delay unit: {self.unit!r}")
        if self.anchor not in ANCHORS:
            raise ValueError(f"unknown anchor: {self.anchor!r}")


def easter_sunday(year: int) -> date:
    """Easter Sunday of ``year`` in the Gregorian calendar (anonymous Gregorian computus)."""
    golden = year % 19
    century, year_in_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    correction = (century + 8) // 25
    moon_correction = (century - correction + 1) // 3
    epact = (19 * golden + century - leap_centuries - moon_correction + 15) % 30
    quarter, year_rest = divmod(year_in_century, 4)
    weekday = (32 + 2 * century_rest + 2 * quarter - epact - year_rest) % 7
    shift = (golden + 11 * epact + 22 * weekday) // 451
    month, day = divmod(epact + weekday - 7 * shift + 114, 31)
    return date(year, month, day + 1)


def french_public_holidays(year: int) -> frozenset:
    """The eleven public holidays of metropolitan France in ``year``."""
    easter = easter_sunday(year)
    return frozenset(
        {
            date(year, 1, 1),
            easter + timedelta(days=1),  # Easter Monday
            date(year, 5, 1),
            date(year, 5, 8),
            easter + timedelta(days=39),  # Ascension Thursday
            easter + timedelta(days=50),  # Whit Monday
            date(year, 7, 14),
            date(year, 8, 15),
            date(year, 11, 1),
            date(year, 11, 11),
            date(year, 12, 25),
        }
    )


def is_business_day(day: date, holidays=frozenset()) -> bool:
    """Monday to Friday, and not a holiday."""
    return day.weekday() < 5 and day not in holidays


def next_business_day(day: date, holidays=frozenset()) -> date:
    """``day`` itself when it is a business day, else the first one after it."""
    while not is_business_day(day, holidays):
        day += timedelta(days=1)
    return day


def add_months(start: date, months: int) -> date:
    """``start`` plus calendar months, clamped to the end of a shorter month (Jan 31 + 1 = Feb 28/29)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_delay(start: date, delay: int, unit: str = DAYS, holidays=frozenset()) -> date:
    """``start`` plus ``delay`` in ``unit``.

    Business days count Monday to Friday outside ``holidays``: one business day
    after a Friday is the Monday; zero business days is ``start`` itself.
    """
    if delay < 0:
        raise ValueError(f"negative delay: {delay}")
    if unit == DAYS:
        return start + timedelta(days=delay)
    if unit == MONTHS:
        return add_months(start, delay)
    if unit == BUSINESS_DAYS:
        day = start
        for _counted in range(delay):
            day = next_business_day(day + timedelta(days=1), holidays)
        return day
    raise ValueError(f"unknown delay unit: {unit!r}")


def step_date(step: Step, first_due: date, previous_date: date | None, holidays=frozenset()) -> date:
    """The day ``step`` falls due.

    Counted from the first unpaid due date (``ANCHOR_DUE``, or the first step)
    or from the day the previous step was reached; moved to a business day when
    the step asks for it; never before the previous step.
    """
    anchor = first_due if step.anchor == ANCHOR_DUE or previous_date is None else previous_date
    day = add_delay(anchor, step.delay, step.unit, holidays)
    if previous_date is not None and day < previous_date:
        day = previous_date
    if step.on_business_day:
        day = next_business_day(day, holidays)
    return day


def next_step(steps: Sequence[Step], reached: int, first_due: date, last_date: date | None, holidays=frozenset()):
    """The next step of a case and its due date, as ``(index, step, date)``; None at the end of the ladder."""
    if reached >= len(steps):
        return None
    step = steps[reached]
    return reached, step, step_date(step, first_due, last_date if reached else None, holidays)


def projected(
    steps: Sequence[Step], reached: int, first_due: date, last_date: date | None, today: date, holidays=frozenset()
):
    """The rest of the ladder, each step assumed reached on its due date (today when already overdue)."""
    plan = []
    previous = last_date if reached else None
    for index in range(reached, len(steps)):
        day = max(step_date(steps[index], first_due, previous, holidays), today)
        plan.append((index, steps[index], day))
        previous = day
    return plan


def l113_3_deadlines(formal_notice_sent: date) -> tuple:
    """Article L113-3 of the French Insurance Code, from the day a formal notice is sent.

    Cover is suspended thirty days after the formal notice is sent, and the
    insurer may terminate the contract ten days after those thirty days have
    run. Read conservatively, never early: the first day without cover is the
    31st day after sending (the thirty full days have run), and the first day
    the contract may be terminated is ten days after that.

    :return: ``(suspension_date, termination_date)``
    """
    suspension = formal_notice_sent + timedelta(days=31)
    return suspension, suspension + timedelta(days=10)


def due_steps(cases: Iterable, steps_by_policy: dict, today: date, holidays=frozenset()):
    """The cases whose next step is due on or before ``today``.

    :param cases: ``(case_key, policy_key, reached, first_due, last_date, paused)`` tuples
    :param steps_by_policy: ``{policy_key: [Step, ...]}`` in ladder order
    :return: ``[(case_key, index, step, due_date), ...]`` for the cases not paused
    """
    due = []
    for case_key, policy_key, reached, first_due, last_date, paused in cases:
        if paused or first_due is None:
            continue
        found = next_step(steps_by_policy.get(policy_key, ()), reached, first_due, last_date, holidays)
        if found and found[2] <= today:
            due.append((case_key, *found))
    return due
