"""Delay and instalment plan rules and schedules (insurance_arrears/plans.py), without Odoo."""

from datetime import date
from decimal import Decimal

import pytest
from insurance_arrears import plans

RULES = plans.Rules(max_amount=Decimal("1000"), max_delay_days=30, max_instalments=3, spacing_days=30)
TODAY = date(2026, 3, 10)


def ask(**values):
    base = {"kind": plans.PLAN, "amount": Decimal("600"), "today": TODAY, "stage": "reminder", "instalments": 3}
    return plans.Request(**{**base, **values})


def test_plan_within_the_rules_is_granted():
    assert plans.check(RULES, ask()) == []


def test_delay_within_the_rules_is_granted():
    assert plans.check(RULES, ask(kind=plans.DELAY, delay_until=date(2026, 4, 9), instalments=None)) == []


@pytest.mark.parametrize(
    ("values", "reasons"),
    [
        ({"amount": Decimal("1000.01")}, ["amount"]),
        ({"last_plan_date": date(2025, 3, 20)}, ["once_a_year"]),
        ({"stage": "formal_notice"}, ["formal_notice"]),
        ({"stage": "suspended", "amount": Decimal("5000")}, ["amount", "formal_notice"]),
    ],
)
def test_what_the_rules_do_not_grant_at_once(values, reasons):
    assert plans.check(RULES, ask(**values)) == reasons


@pytest.mark.parametrize(
    "values",
    [
        {"instalments": 4},
        {"instalments": 10**20},
        {"kind": plans.DELAY, "delay_until": date(2026, 4, 10), "instalments": None},
        {"kind": plans.DELAY, "delay_until": date(9999, 12, 31), "instalments": None},
        {"instalments": 4, "amount": Decimal("5000"), "stage": "formal_notice"},
    ],
)
def test_nothing_beyond_the_rules_maximum_can_be_asked(values):
    assert plans.check(RULES, ask(**values)) == ["out_of_bounds"]


def test_the_limits_are_the_rules_maximum_or_the_defaults_without_rule():
    assert plans.limits(RULES) == (30, 3)
    assert plans.limits(plans.Rules(Decimal("1000"), 0, 1, 30)) == (1, 2), "at least one day and two instalments"
    assert plans.limits(None) == (plans.DEFAULT_MAX_DELAY_DAYS, plans.DEFAULT_MAX_INSTALMENTS)


def test_without_rule_a_bounded_request_is_reviewed():
    assert plans.check(None, ask(instalments=6)) == ["no_rule"]
    assert plans.check(None, ask(instalments=7)) == ["out_of_bounds"]
    assert plans.check(None, ask(instalments=1)) == ["bad_request"]


def test_a_plan_granted_over_a_year_ago_does_not_count():
    assert plans.check(RULES, ask(last_plan_date=date(2025, 3, 9))) == []


def test_once_a_year_can_be_switched_off():
    rules = plans.Rules(Decimal("1000"), 30, 3, 30, one_per_year=False)
    assert plans.check(rules, ask(last_plan_date=date(2026, 3, 1))) == []


def test_formal_notice_can_be_allowed():
    rules = plans.Rules(Decimal("1000"), 30, 3, 30, after_formal_notice=True)
    assert plans.check(rules, ask(stage="formal_notice")) == []


@pytest.mark.parametrize(
    "values",
    [
        {"kind": plans.DELAY, "delay_until": None, "instalments": None},
        {"kind": plans.DELAY, "delay_until": TODAY, "instalments": None},
        {"instalments": 1},
        {"instalments": None},
        {"kind": "holiday"},
        {"amount": Decimal("0")},
    ],
)
def test_requests_that_make_no_sense(values):
    assert plans.check(RULES, ask(**values)) == ["bad_request"]


def test_instalments_add_up_to_the_cent():
    schedule = plans.instalments(Decimal("100.00"), 3, date(2026, 4, 1), 30)
    assert schedule == [
        (date(2026, 4, 1), Decimal("33.34")),
        (date(2026, 5, 1), Decimal("33.33")),
        (date(2026, 5, 31), Decimal("33.33")),
    ]
    assert sum(amount for _day, amount in schedule) == Decimal("100.00")


def test_one_instalment_is_the_whole_amount():
    assert plans.instalments(Decimal("275.5"), 1, date(2026, 4, 1), 30) == [(date(2026, 4, 1), Decimal("275.50"))]


def test_no_instalment_is_an_error():
    with pytest.raises(ValueError):
        plans.instalments(Decimal("10"), 0, date(2026, 4, 1), 30)


def test_missed_after_the_grace_days():
    schedule = plans.instalments(Decimal("300"), 3, date(2026, 4, 1), 30)
    assert not plans.missed(schedule, Decimal("0"), date(2026, 4, 4))  # within 3 days of grace
    assert plans.missed(schedule, Decimal("0"), date(2026, 4, 5))
    assert not plans.missed(schedule, Decimal("100"), date(2026, 4, 5))
    assert plans.missed(schedule, Decimal("199.99"), date(2026, 5, 5))
    assert not plans.missed(schedule, Decimal("300"), date(2026, 12, 31))


# What a granted plan asks now: on the payment page, and of the instalment's direct debit.

D = Decimal


def test_owed_so_far_is_what_is_scheduled_less_what_is_paid():
    assert plans.owed_so_far([D("100.00"), D("100.00")], D("30.00")) == D("170.00")


def test_owed_so_far_never_goes_below_zero_nor_above_a_ceiling():
    assert plans.owed_so_far([D("100.00")], D("150.00")) == 0
    assert plans.owed_so_far([D("100.00"), D("100.00")], D("0"), D("120.00"), D("150.00")) == D("120.00")
    assert plans.owed_so_far([D("100.00")], D("0"), D("-5.00")) == 0


def test_owed_so_far_counts_floats_as_they_print():
    assert plans.owed_so_far([0.1, 0.2], 0) == D("0.3")


# A plan of three link instalments of 100 on 1 March, 1 April and 1 May 2027.
LINK_PLAN = [
    (date(2027, 3, 1), D("100.00"), True),
    (date(2027, 4, 1), D("100.00"), True),
    (date(2027, 5, 1), D("100.00"), True),
]


def test_page_asks_the_instalments_fallen_due_and_the_next_one():
    assert plans.amount_to_ask(LINK_PLAN, D("0"), date(2027, 3, 15), D("300.00")) == D("200.00")


def test_page_asks_the_first_instalment_before_it_falls_due():
    assert plans.amount_to_ask(LINK_PLAN, D("0"), date(2027, 2, 1), D("300.00")) == D("100.00")


def test_page_asks_less_what_is_paid_and_nothing_once_ahead():
    assert plans.amount_to_ask(LINK_PLAN, D("150.00"), date(2027, 3, 15), D("150.00")) == D("50.00")
    assert plans.amount_to_ask(LINK_PLAN, D("250.00"), date(2027, 3, 15), D("50.00")) == 0


def test_page_never_asks_more_than_the_case_owes():
    assert plans.amount_to_ask(LINK_PLAN, D("0"), date(2027, 6, 1), D("240.00")) == D("240.00")


def test_page_does_not_ask_the_instalments_debited_by_the_broker():
    schedule = [(date(2027, 3, 1), D("100.00"), False), (date(2027, 4, 1), D("100.00"), True)]
    assert plans.amount_to_ask(schedule, D("0"), date(2027, 3, 15), D("200.00")) == D("100.00")


def test_page_asks_every_instalment_of_the_next_due_date():
    schedule = [(date(2027, 4, 1), D("60.00"), True), (date(2027, 4, 1), D("40.00"), True)]
    schedule += [(date(2027, 5, 1), D("100.00"), True)]
    assert plans.amount_to_ask(schedule, D("0"), date(2027, 3, 15), D("200.00")) == D("100.00")


# Three instalments of a plan collected by direct debit, by sequence.
DEBIT_PLAN = [(1, D("100.00")), (2, D("100.00")), (3, D("100.00"))]


def test_debit_takes_the_instalment_s_amount():
    assert plans.amount_to_collect(DEBIT_PLAN, 2, D("100.00"), D("100.00"), D("200.00")) == D("100.00")


def test_debit_takes_less_what_the_debtor_paid_ahead():
    assert plans.amount_to_collect(DEBIT_PLAN, 2, D("100.00"), D("130.00"), D("170.00")) == D("70.00")
    assert plans.amount_to_collect(DEBIT_PLAN, 2, D("100.00"), D("200.00"), D("100.00")) == 0


def test_debit_never_takes_more_than_is_unpaid_of_the_plan():
    assert plans.amount_to_collect(DEBIT_PLAN, 3, D("100.00"), D("0"), D("40.00")) == D("40.00")
