"""The simulated days: the default run's are fixed, --until-today's end yesterday."""

import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from period import START, simulated_period


def test_default_run_starts_on_the_fixed_monday():
    assert simulated_period(None, 30, False, date(2026, 12, 3)) == (date(2027, 1, 4), 30)
    assert START.weekday() == 0


def test_start_given_keeps_the_days_asked():
    assert simulated_period(date(2026, 3, 2), 45, False, date(2026, 12, 3)) == (date(2026, 3, 2), 45)


def test_until_today_runs_from_a_monday_three_months_ago_to_yesterday():
    start, days = simulated_period(None, 120, True, date(2026, 12, 3))  # a Thursday
    assert start == date(2026, 8, 31) and start.weekday() == 0
    assert days == 94
    assert date.fromordinal(start.toordinal() + days - 1) == date(2026, 12, 2)  # the last day: yesterday


def test_until_today_from_a_given_start():
    assert simulated_period(date(2026, 11, 30), 120, True, date(2026, 12, 3)) == (date(2026, 11, 30), 3)
    with pytest.raises(ValueError):
        simulated_period(date(2026, 12, 3), 120, True, date(2026, 12, 3))
