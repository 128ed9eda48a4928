"""When a direct debit is collected, free of any Odoo import.

One rule gives the collection date of a receipt: the premium notice prints it
(it is the debtor's pre-notification) and the calendar cron prepares the batch
of that date. Both call :func:`debit_date`, and a batch takes a receipt only if
:func:`notice_in_time` says its notice went out early enough.

Which receipt or instalment a batch debits, and with which sequence type, is
decided here too (:func:`exclusion_reason`, :func:`sequence_type`): the batch
only reads the values.

Collection dates are TARGET2 business days: every day but Saturdays, Sundays,
1 January, Good Friday, Easter Monday, 1 May, 25 and 26 December.
"""

from dataclasses import dataclass
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


# TARGET2 business days after its collection date within which the debtor's bank may still return a
# Core direct debit (the return, R-transaction "return"); the debtor's own refund right (8 weeks) aside.
RETURN_BUSINESS_DAYS = 5


def last_settled_collection_date(today, days=RETURN_BUSINESS_DAYS):
    """The latest collection date whose debits are past the banks' return window on ``today``:
    a debit of that date or before that no bank rejected is collected, its payment receipt due."""
    day = today
    while add_business_days(day, days) > today:
        day -= timedelta(days=1)
    return day


# Why a debit is not pre-notified (the batch's exclusion reasons).
NOTICE_MISSING = "notice_missing"
NOTICE_LATE = "notice_late"
# A notice sent before the mandate was signed gave no mandate reference: it pre-notifies nothing.
NOTICE_BEFORE_MANDATE = "notice_before_mandate"


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


# -----------------------------------------------------------------------------
# Which receipt or instalment a batch debits, and with which sequence type.
# -----------------------------------------------------------------------------

# Why a debit is not made (the batch's exclusion reasons, besides the notice's and
# timeline's rejection reasons).
ZERO_AMOUNT = "zero_amount"
NO_MANDATE = "no_mandate"
MANDATE_INACTIVE = "mandate_inactive"
MANDATE_AFTER_DATE = "mandate_after_date"
UNDER_PLAN = "under_plan"  # a receipt of a granted plan: its instalments are debited instead

# The mandate's state in which it carries debits.
MANDATE_ACTIVE = "active"

# Sequence types of a debit (pain.008 SeqTp).
FIRST = "FRST"
RECURRENT = "RCUR"
ONE_OFF = "OOFF"
FINAL = "FNAL"


@dataclass(frozen=True)
class Mandate:
    """What a batch reads of the mandate of a debit."""

    state: str
    signature_date: date | None
    one_off: bool = False
    # It carried a debit already: one sent in an earlier batch, or one earlier in this batch.
    debited_before: bool = False


def mandate_exclusion(mandate, collection_date):
    """Why ``mandate`` (a :class:`Mandate`, None for none) carries no debit on ``collection_date``, or None."""
    if mandate is None:
        return NO_MANDATE
    if mandate.state != MANDATE_ACTIVE:
        return MANDATE_INACTIVE
    if mandate.signature_date > collection_date:
        return MANDATE_AFTER_DATE
    return None


def exclusion_reason(
    amount,
    mandate,
    collection_date,
    notice_date,
    prenotification_days,
    rejections=0,
    last_represents=False,
    max_representations=0,
):
    """Why a receipt or an instalment is not debited on ``collection_date``, or None when it is.

    In this order: nothing to collect, the mandate (:func:`mandate_exclusion`),
    earlier rejections (:func:`timeline.not_presented_again`, the rule that also
    pauses the dunning meanwhile), then the pre-notification (:func:`notice_failure`,
    the rule the notice's debit date is built on).

    :param amount: what the debit would take
    :param mandate: a :class:`Mandate`, or None
    :param notice_date: the day the debtor was pre-notified (the premium notice,
        or the plan's grant), None if never
    :param rejections: how many of its earlier debits the bank rejected
    :param last_represents: the last rejection's reason presents the debit again
        (AM04); an instalment is never presented again (its rejection breaks the plan)
    :param max_representations: how many times a rejected debit may be presented again
    """
    if amount <= 0:
        return ZERO_AMOUNT
    return (
        mandate_exclusion(mandate, collection_date)
        or timeline.not_presented_again(rejections, last_represents, max_representations)
        or notice_failure(notice_date, prenotification_days, collection_date)
        or (NOTICE_BEFORE_MANDATE if notice_date < mandate.signature_date else None)
    )


def sequence_type(mandate, first_as_frst, period_end=None, contract_end=None):
    """The sequence type of a debit on ``mandate`` (a :class:`Mandate`).

    One-off for a one-off mandate; final for the receipt of the contract's last
    period (``period_end`` on or after ``contract_end``; an instalment gives no
    period); first for a mandate's first debit where the creditor's bank still
    wants FRST (``first_as_frst``); recurrent otherwise. A mandate amended to
    another debtor bank (SMNDA) is not a first debit again: the SDD rulebook no
    longer asks for FRST there since November 2016, the amendment says it.
    """
    if mandate.one_off:
        return ONE_OFF
    if period_end and contract_end and period_end >= contract_end:
        return FINAL
    if first_as_frst and not mandate.debited_before:
        return FIRST
    return RECURRENT
