"""Which days the simulation lives: from ``--start`` for ``--days``, or up to yesterday (``--until-today``)."""

import datetime as dt

START = dt.date(2027, 1, 4)  # the default first day: a Monday, after the machine's date (nothing in the past)
DEMO_WEEKS = 13  # --until-today without --start: from the Monday about three months ago


def simulated_period(start, days, until_today, today):
    """``(first day, number of days)`` of a run.

    :param start: the first day asked for, or None (then ``START``, or with
        ``until_today`` the Monday ``DEMO_WEEKS`` weeks before ``today``)
    :param days: the number of days asked for (ignored with ``until_today``)
    :param until_today: whether the last simulated day is the day before ``today``
    :param today: the machine's date, read before any clock is frozen
    :raise ValueError: ``until_today`` with a first day that is not before ``today``
    """
    if not until_today:
        return start or START, days
    if not start:
        start = today - dt.timedelta(weeks=DEMO_WEEKS)
        start -= dt.timedelta(days=start.weekday())
    if start >= today:
        raise ValueError(f"--until-today: --start {start} is not before today ({today})")
    return start, (today - start).days
