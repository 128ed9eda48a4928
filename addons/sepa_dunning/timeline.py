"""Dates of a dunning ladder: when each level falls due.

Plain Python (no Odoo): the daily run and the case form call these functions
with plain values. A ladder is an ordered list of steps; a case has reached the
first ``reached`` of them, the last one on ``last_date``. Levels are reached one
at a time: a run late by a week reaches the next level, never two at once, so
that no notice is skipped and the legal delays after a formal notice run from
the day it was actually sent.

Holidays are passed in by the caller as anything that answers ``day in
holidays``: a ``frozenset`` of dates, or a :class:`YearlyHolidays` calendar
(:data:`FRENCH_PUBLIC_HOLIDAYS`) that covers every year without the caller
choosing which.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

try:  # under Odoo, the base addon is a package of odoo.addons
    from odoo.addons.insurance_arrears.schedule import add_months
except ModuleNotFoundError:  # the pure test tier puts each addon on its own (tests/conftest.py)
    from insurance_arrears.schedule import add_months

DAYS = "days"
BUSINESS_DAYS = "business_days"
MONTHS = "months"
UNITS = (DAYS, BUSINESS_DAYS, MONTHS)

ANCHOR_DUE = "due"  # delay counted from the first unpaid due date of the case
ANCHOR_PREVIOUS = "previous"  # delay counted from the day the previous level was reached
ANCHORS = (ANCHOR_DUE, ANCHOR_PREVIOUS)

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Step:
    """One level of a ladder, as far as dates go.

    Refuses, with ValueError, a negative delay, an unknown unit or an unknown
    anchor: a bad level is reported when the ladder is built, not on the day a
    case reaches it.
    """

    key: object  # the caller's id for the level
    delay: int
    unit: str = DAYS
    anchor: str = ANCHOR_PREVIOUS
    on_business_day: bool = False  # a date on a weekend or holiday moves to the next business day

    def __post_init__(self):
        if self.delay < 0:
            raise ValueError(f"negative delay: {self.delay}")
        if self.unit not in UNITS:
            raise ValueError(f"unknown delay unit: {self.unit!r}")
        if self.anchor not in ANCHORS:
            raise ValueError(f"unknown anchor: {self.anchor!r}")


def easter_sunday(year: int) -> date:
    """Easter Sunday of ``year`` in the Gregorian calendar.

    The anonymous Gregorian computus (Meeus/Jones/Butcher), valid for any year
    from 1583 on.
    """
    golden = year % 19  # position in the 19-year Metonic cycle
    century, year_in_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    moon_shift = (century - (century + 8) // 25 + 1) // 3  # the lunar correction
    epact = (19 * golden + century - leap_centuries - moon_shift + 15) % 30
    leap_years, year_rest = divmod(year_in_century, 4)
    to_sunday = (32 + 2 * century_rest + 2 * leap_years - epact - year_rest) % 7
    late_full_moon = (golden + 11 * epact + 22 * to_sunday) // 451
    month, day = divmod(epact + to_sunday - 7 * late_full_moon + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def french_public_holidays(year: int) -> frozenset[date]:
    """The eleven public holidays of metropolitan France in ``year``.

    Alsace-Moselle's two extra days (Good Friday, 26 December) are not included.
    """
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


class YearlyHolidays:
    """Holidays of every year, as a set of dates one can only ask ``day in`` of.

    Each year's holidays come from ``of_year(year)`` when a day of that year is
    first looked up (``of_year`` caches them), so that no caller has to guess
    the years a business-day walk will cross: a range picked from one case's
    dates was wrong for the next case's, and the run and the form picked
    different ranges.
    """

    __slots__ = ("_of_year",)

    def __init__(self, of_year):
        self._of_year = of_year

    def __contains__(self, day) -> bool:
        return day in self._of_year(day.year)


FRENCH_PUBLIC_HOLIDAYS = YearlyHolidays(french_public_holidays)


def is_business_day(day: date, holidays=frozenset()) -> bool:
    """True from Monday to Friday, unless ``day`` is in ``holidays``."""
    return day.weekday() < 5 and day not in holidays


def next_business_day(day: date, holidays=frozenset()) -> date:
    """``day`` itself when it is a business day, else the first business day after it."""
    while day.weekday() >= 5 or day in holidays:
        day += ONE_DAY
    return day


def add_delay(start: date, delay: int, unit: str = DAYS, holidays=frozenset()) -> date:
    """``start`` plus ``delay`` counted in ``unit``.

    - ``DAYS``: calendar days.
    - ``BUSINESS_DAYS``: only Monday to Friday outside ``holidays`` count; one
      business day after a Friday is the Monday. ``start`` itself never counts,
      so zero business days is ``start``, unchanged even on a weekend.
    - ``MONTHS``: calendar months, clamped to the end of a shorter month
      (31 January + 1 month is 28 or 29 February).

    Raises ValueError on a negative delay or an unknown unit.
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
            day = next_business_day(day + ONE_DAY, holidays)
        return day
    raise ValueError(f"unknown delay unit: {unit!r}")


def _anchor_date(step: Step, first_due: date, previous_date: date | None) -> date:
    """The day ``step``'s delay is counted from."""
    if step.anchor == ANCHOR_DUE or previous_date is None:
        return first_due
    return previous_date


def _settle(step: Step, day: date, previous_date: date | None, holidays) -> date:
    """``day`` no earlier than ``previous_date``, then on a business day if ``step`` asks for it."""
    # Catching up with the previous level first and moving to a business day
    # after keeps both promises: the other way round, a previous level reached
    # on a Saturday would put this one on that Saturday.
    if previous_date is not None and day < previous_date:
        day = previous_date
    if step.on_business_day:
        day = next_business_day(day, holidays)
    return day


def step_date(step: Step, first_due: date, previous_date: date | None, holidays=frozenset()) -> date:
    """The day ``step`` falls due.

    The delay is counted from ``first_due`` (``ANCHOR_DUE``, or the first level,
    which has no ``previous_date``) or else from ``previous_date``, the day the
    previous level was reached. The result is never before ``previous_date`` (an
    ``ANCHOR_DUE`` level reached late pushes the next one) and, when the step
    asks for it, is a business day.
    """
    start = _anchor_date(step, first_due, previous_date)
    return _settle(step, add_delay(start, step.delay, step.unit, holidays), previous_date, holidays)


def _check_reached(reached: int):
    if reached < 0:
        raise ValueError(f"negative number of levels reached: {reached}")


def next_step(
    steps: Sequence[Step], reached: int, first_due: date, last_date: date | None, holidays=frozenset()
) -> tuple[int, Step, date] | None:
    """The next level of one case, as ``(index, step, due date)``: :func:`next_steps` for a single case.

    :param steps: the ladder, in order
    :param reached: how many levels the case has reached; at or past the end of
        the ladder (levels removed since) there is no next level
    :param last_date: the day the last reached level was reached; ignored when
        ``reached`` is 0; when missing otherwise, delays count from ``first_due``
    :return: the one next level (none is ever skipped), or None when the ladder
        is finished
    """
    found = next_steps([(None, None, reached, first_due, last_date, False)], {None: steps}, {None: holidays})
    return found[0][1:] if found else None


def projected(
    steps: Sequence[Step],
    reached: int,
    first_due: date,
    last_date: date | None,
    today: date,
    holidays=frozenset(),
) -> list[tuple[int, Step, date]]:
    """The rest of the ladder, as ``[(index, step, planned date), ...]``.

    Each remaining level is assumed reached on its due date, except one already
    overdue, assumed reached ``today`` (the day's run has not been yet); the
    levels after it count from that day. Empty when the ladder is finished.
    """
    _check_reached(reached)
    plan = []
    previous = last_date if reached else None
    for index in range(reached, len(steps)):
        day = max(step_date(steps[index], first_due, previous, holidays), today)
        plan.append((index, steps[index], day))
        previous = day
    return plan


def l113_3_deadlines(formal_notice_sent: date) -> tuple[date, date]:
    """Article L113-3 of the French Insurance Code, from the day a formal notice is sent.

    Cover may be suspended thirty days after the formal notice is sent, and the
    contract terminated ten days after those thirty days have run. Read here as
    full days, the day of sending not counted: the thirty days run out at the
    end of the 30th day after sending, so the first day without cover is
    ``formal_notice_sent`` + 31 days; the ten days are that first day without
    cover and the nine after it, so the first day the contract may be
    terminated is the suspension date + 10 days.

    :return: ``(suspension_date, termination_date)``: the first day without
        cover and the first day the contract may be terminated
    """
    suspension = formal_notice_sent + timedelta(days=31)
    return suspension, suspension + timedelta(days=10)


def next_steps(
    cases: Iterable[tuple],
    steps_by_policy: dict,
    holidays_by_policy=None,
) -> list[tuple[object, int, Step, date]]:
    """The next level of each case and the day it falls due: what the case form shows.

    The daily run asks :func:`due_steps`, which is this list cut at its day, so
    that the run reaches a level on the day the form announced it.

    :param cases: ``(case_key, policy_key, reached, first_due, last_date, paused)``
        tuples; paused cases, cases without a first due date, cases whose policy
        is not in ``steps_by_policy`` and cases at the end of their ladder are left out
    :param steps_by_policy: ``{policy_key: [Step, ...]}``, each ladder in order
    :param holidays_by_policy: ``{policy_key: holidays}``, each policy's own
        (none for a policy not in it)
    :return: ``[(case_key, index, step, due_date), ...]`` in the order of ``cases``
    """
    holidays_by_policy = holidays_by_policy or {}
    found = []
    # Cases of one run share few distinct dates: the delay from a given day is
    # counted once per level (business days walk day by day), then reused.
    delayed = {}
    for case_key, policy_key, reached, first_due, last_date, paused in cases:
        if paused or first_due is None:
            continue
        _check_reached(reached)
        steps = steps_by_policy.get(policy_key, ())
        if reached >= len(steps):
            continue
        step = steps[reached]
        previous = last_date if reached else None
        start = _anchor_date(step, first_due, previous)
        holidays = holidays_by_policy.get(policy_key, frozenset())
        cache_key = (policy_key, reached, start)
        day = delayed.get(cache_key)
        if day is None:
            day = delayed[cache_key] = add_delay(start, step.delay, step.unit, holidays)
        found.append((case_key, reached, step, _settle(step, day, previous, holidays)))
    return found


def due_steps(
    cases: Iterable[tuple],
    steps_by_policy: dict,
    today: date,
    holidays_by_policy=None,
) -> list[tuple[object, int, Step, date]]:
    """The cases whose next level is due on or before ``today``, for the daily run.

    :return: the rows of :func:`next_steps` (same arguments) due by ``today``
    """
    return [row for row in next_steps(cases, steps_by_policy, holidays_by_policy) if row[3] <= today]


# -----------------------------------------------------------------------------
# A rejected direct debit presented again (insufficient funds, AM04) comes before
# any reminder: the ladder waits for the next batch's outcome, and then counts from
# the first rejection, not from the day the re-presentation failed.
# -----------------------------------------------------------------------------

TO_COLLECT = "to_collect"  # in a batch, not posted yet
COLLECTED = "collected"
REJECTED = "rejected"


# Why a rejected debit is not presented again (the batch's exclusion reasons).
NOT_REPRESENTED = "rejected"  # the last rejection's reason does not present it again
LIMIT_REACHED = "represent_limit"  # presented again as many times as allowed already


def not_presented_again(rejections: int, last_represents: bool, limit: int) -> str | None:
    """Why a receipt whose debits were rejected may not go into a batch again, or None when it may.

    :param rejections: how many of its debits were rejected so far (0: none, nothing stops it)
    :param last_represents: the last rejection's reason presents the debit again (AM04)
    :param limit: how many times a rejected debit may be presented again
    :return: :data:`NOT_REPRESENTED`, :data:`LIMIT_REACHED` or None
    """
    if not rejections:
        return None
    if not last_represents:
        return NOT_REPRESENTED
    if rejections > limit:
        return LIMIT_REACHED
    return None


def presented_again(rejections: int, last_represents: bool, limit: int, can_present: bool = True) -> bool:
    """Whether a receipt whose last debit was rejected goes into the next batch again.

    :param rejections: how many of its debits were rejected so far
    :param last_represents: the last rejection's reason presents the debit again (AM04)
    :param limit: how many times a rejected debit may be presented again
    :param can_present: the receipt can still be debited (its mandate is active)
    """
    return bool(rejections) and can_present and not not_presented_again(rejections, last_represents, limit)


def representation_pending(debits: Sequence[tuple[str, bool]], limit: int, can_present: bool = True) -> bool:
    """Whether a receipt waits for a re-presentation of its rejected debit: no reminder meanwhile.

    :param debits: the receipt's debits, oldest first, as ``(state, represents)``:
        ``state`` one of :data:`TO_COLLECT`, :data:`COLLECTED`, :data:`REJECTED`
        (the caller leaves out excluded and cancelled ones), ``represents`` whether
        a rejected debit's reason presents it again
    :return: True while the debit presented again is in a batch not posted yet, or
        the last rejection will be presented again (:func:`presented_again`); False
        once collected, or rejected for good
    """
    rejected = [represents for state, represents in debits if state == REJECTED]
    if not rejected:
        return False
    last_state, last_represents = debits[-1]
    if last_state == TO_COLLECT:
        return True
    if last_state == REJECTED:
        return presented_again(len(rejected), last_represents, limit, can_present)
    return False


def ladder_start(first_due: date, first_rejection: date | None) -> date:
    """The day a receipt's ladder counts from: its due date, or the day its debit first failed, if later.

    A receipt collected by direct debit is not late before the bank rejects the
    debit; a re-presentation that fails again does not move this day.
    """
    if first_rejection is None or first_rejection < first_due:
        return first_due
    return first_rejection
