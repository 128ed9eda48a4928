"""Premium schedule arithmetic, free of any Odoo import.

A contract's year runs from its anniversary date; the split cuts that year into
equal periods (12, 6, 3 or 1 month long). Premiums are payable in advance: a
period's receipt falls due on the first day the period covers. A contract that
starts or ends inside a period pays that period pro rata of the days covered.

Everything here takes and returns plain values (``date``, ``Decimal``) so that it
can be tested in milliseconds and reused by the dunning and SEPA parts.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

SPLIT_MONTHS = {
    "annual": 12,
    "semiannual": 6,
    "quarterly": 3,
    "monthly": 1,
}

CENT = Decimal("0.01")

AGEING_BUCKETS = (
    # (code, first day overdue, last day overdue or None)
    ("0_30", 0, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("90_plus", 91, None),
)


@dataclass(frozen=True)
class Period:
    """One premium period: the days it covers and the share of a full period."""

    start: date  # first day covered, also the due date
    end: date  # last day covered (inclusive)
    full_start: date  # first day of the full period it belongs to
    full_end: date  # last day of that full period
    fraction: Decimal  # covered days / days of the full period, 1 for a full period

    @property
    def is_prorata(self):
        return self.fraction != 1


def add_months(day, months):
    """Return ``day`` moved by ``months``, clamped to the end of the month.

    >>> add_months(date(2024, 1, 31), 1)
    datetime.date(2024, 2, 29)
    """
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day))


def _boundary(anchor, months, index):
    """First day of the period number ``index`` counted from ``anchor``.

    Always computed from the anchor, never by repeated addition, so that a
    31 January anchor gives 28/29 February and then 31 March again.
    """
    return add_months(anchor, months * index)


def _period_index(anchor, months, day):
    """Index of the period that contains ``day``."""
    index = ((day.year - anchor.year) * 12 + day.month - anchor.month) // months
    # The month arithmetic may be off by one around the anchor's day of month.
    while _boundary(anchor, months, index) > day:
        index -= 1
    while _boundary(anchor, months, index + 1) <= day:
        index += 1
    return index


def periods(anniversary, split, start, until, end=None, after=None):
    """List the periods of a contract that fall due on or before ``until``.

    :param anniversary: any anniversary date of the contract (its day and month
        fix the period boundaries)
    :param split: one of :data:`SPLIT_MONTHS`
    :param start: first day of cover
    :param until: last due date to include (today plus the generation horizon)
    :param end: last day of cover (termination), or None
    :param after: skip the periods that start on or before this day (the end of
        the last receipt already issued), or None
    :return: a list of :class:`Period`, in date order
    """
    if split not in SPLIT_MONTHS:
        raise ValueError(f"Unknown split {split!r}")
    if end is not None and end < start:
        raise ValueError("The cover cannot end before it starts")
    months = SPLIT_MONTHS[split]
    result = []
    index = _period_index(anniversary, months, start)
    while True:
        full_start = _boundary(anniversary, months, index)
        full_end = _boundary(anniversary, months, index + 1) - timedelta(days=1)
        period_start = max(full_start, start)
        period_end = min(full_end, end) if end else full_end
        if period_start > until or (end and period_start > end):
            break
        if after is None or period_start > after:
            full_days = (full_end - full_start).days + 1
            covered_days = (period_end - period_start).days + 1
            fraction = Decimal(covered_days) / Decimal(full_days)
            if covered_days == full_days:
                fraction = Decimal(1)
            result.append(Period(period_start, period_end, full_start, full_end, fraction))
        index += 1
    return result


def to_cents(amount):
    """Round a Decimal to cents, half up, as premiums are rounded."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def period_amounts(annual_parts, split, fraction=Decimal(1)):
    """Split annual premium parts into one period's amounts.

    :param annual_parts: mapping of part name to its annual amount (Decimal or str)
    :param split: one of :data:`SPLIT_MONTHS`
    :param fraction: share of the full period covered (pro rata)
    :return: mapping of part name to the period amount, rounded to cents
    """
    per_year = Decimal(12 // SPLIT_MONTHS[split])
    return {part: to_cents(Decimal(str(amount)) / per_year * fraction) for part, amount in annual_parts.items()}


def commission(net_premium, rate_percent):
    """The broker's commission on a net premium, rounded to cents."""
    return to_cents(Decimal(str(net_premium)) * Decimal(str(rate_percent)) / Decimal(100))


def collection_split(net, tax, fee, rate_percent, collects_for_insurer=True):
    """Who gets what from one receipt.

    Under a collection mandate the client owes the whole premium; the insurer
    is owed the premium less the broker's commission (taxes and policy fees are
    the insurer's); the commission is the broker's revenue. Without a mandate the
    client pays the insurer directly and the broker only books its commission.

    :return: dict with ``client`` (owed by the client to the broker),
        ``insurer`` (owed by the broker to the insurer) and ``commission``
    """
    net, tax, fee = (to_cents(Decimal(str(v))) for v in (net, tax, fee))
    broker = commission(net, rate_percent)
    if not collects_for_insurer:
        return {"client": Decimal(0), "insurer": Decimal(0), "commission": broker}
    total = net + tax + fee
    return {"client": total, "insurer": total - broker, "commission": broker}


def ageing_bucket(due_date, today):
    """Code of the ageing bucket of an amount due since ``due_date``."""
    days = (today - due_date).days
    for code, low, high in AGEING_BUCKETS:
        if days >= low and (high is None or days <= high):
            return code
    return AGEING_BUCKETS[0][0]  # not yet due counts with the freshest bucket


def notice_send_date(reference_date, notice_days):
    """The day the premium notice of a receipt goes out.

    :param reference_date: the day the premium is debited (direct debit) or due
    :param notice_days: how many days ahead the notice is sent
    """
    return reference_date - timedelta(days=notice_days)
