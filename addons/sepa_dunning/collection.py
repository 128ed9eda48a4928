"""When a direct debit is collected, free of any Odoo import.

One rule gives the collection date of a receipt: the premium notice prints it
(it is the debtor's pre-notification) and the calendar cron prepares the batch
of that date. Both call :func:`debit_date`, and a batch takes a receipt only if
:func:`notice_in_time` says its notice went out early enough.

Collection dates are TARGET2 business days: every day but Saturdays, Sundays,
1 January, Good Friday, Easter Monday, 1 May, 25 and 26 December.
"""

from datetime import date, timedelta
from functools import lru_cache

from . import timeline
from .timeline import easter_sunday

# TARGET2 closing days at a fixed date, as (month, day).
FIXED_CLOSING_DAYS = ((1, 1), (5, 1), (12, 25), (12, 26))


@lru_cache(maxsize=64)
def target2_closing_days(year):
    """The weekdays and holidays on which TARGET2 settles nothing in ``year``, weekends aside."""
    easter = easter_sunday(year)
    fixed = {date(year, month, day) for month, day in FIXED_CLOSING_DAYS}
    return frozenset(fixed | {easter - timedelta(days=2), easter + timedelta(days=1)})


# The dunning ladder's business days with TARGET2's holidays instead of France's.
TARGET2_CLOSING_DAYS = timeline.YearlyHolidays(target2_closing_days)


def is_business_day(day):
    """Whether TARGET2 settles on ``day``."""
    return timeline.is_business_day(day, TARGET2_CLOSING_DAYS)


def next_business_day(day):
    """``day`` itself if it is a business day, else the first business day after it."""
    return timeline.next_business_day(day, TARGET2_CLOSING_DAYS)


def add_business_days(day, count):
    """The business day ``count`` business days after ``day`` (``day`` itself need not be one).

    With ``count`` 0 it is :func:`next_business_day`.
    """
    if count < 0:
        raise ValueError("A count of business days cannot be negative")
    day = next_business_day(day) if count == 0 else day
    for _step in range(count):
        day = next_business_day(day + timedelta(days=1))
    return day


# Why a debit is not pre-notified (the batch's exclusion reasons).
NOTICE_MISSING = "notice_missing"
NOTICE_LATE = "notice_late"


def notice_failure(notice_date, prenotification_days, collection_date):
    """Why a notice sent on ``notice_date`` does not pre-notify a debit collected on ``collection_date``, or None.

    :return: :data:`NOTICE_MISSING` (no notice sent), :data:`NOTICE_LATE` (sent
        less than ``prenotification_days`` days before) or None when it is in time
    """
    if not notice_date:
        return NOTICE_MISSING
    if notice_date + timedelta(days=prenotification_days) > collection_date:
        return NOTICE_LATE
    return None


def notice_in_time(notice_date, prenotification_days, collection_date):
    """Whether a notice sent on ``notice_date`` pre-notifies a debit collected on ``collection_date``."""
    return notice_failure(notice_date, prenotification_days, collection_date) is None


def debit_date(due_date, notice_date, prenotification_days, lead_days=None):
    """The collection date of a receipt falling due on ``due_date`` whose notice goes out on ``notice_date``.

    The first business day that is on or after the due date, late enough for
    the notice to be a pre-notification (:func:`notice_in_time`) and, where
    the calendar prepares the batches ``lead_days`` business days ahead, whose
    batch is prepared after the notice went out (whatever the order in which
    the two daily jobs run that day).

    :param lead_days: the calendar's lead time, or None when batches are made by hand
    """
    earliest = max(due_date, notice_date + timedelta(days=prenotification_days))
    if lead_days is not None:
        # The batch of collection_date_prepared_on(notice_date) may be made before the notice.
        earliest = max(earliest, add_business_days(collection_date_prepared_on(notice_date, lead_days), 1))
    return next_business_day(earliest)


def collection_date_prepared_on(today, lead_days):
    """The collection date whose batch is prepared on ``today``: ``lead_days`` business days ahead.

    Every business day is the answer of exactly one first day (the days of a
    weekend or holiday give the same answer as the business day before them).
    """
    return add_business_days(today, lead_days)
