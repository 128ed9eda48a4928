"""Delays and instalment plans asked for by a debtor: the rules and the schedule.

Plain Python (no Odoo): the link page and the accountant's queue call these
functions with plain values. Amounts are ``Decimal``; a plan's instalments add
up to the amount due to the cent.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

DELAY = "delay"
PLAN = "plan"

# Stages of a case after which the broker's rules no longer grant anything at once.
LATE_STAGES = ("formal_notice", "suspended", "terminated", "collection")

# What a debtor may ask for where no rule applies (everything then goes to an accountant).
DEFAULT_MAX_DELAY_DAYS = 60
DEFAULT_MAX_INSTALMENTS = 6


@dataclass(frozen=True)
class Rules:
    """What the broker grants without an accountant looking at it."""

    max_amount: Decimal
    max_delay_days: int
    max_instalments: int
    spacing_days: int
    one_per_year: bool = True
    after_formal_notice: bool = False


@dataclass(frozen=True)
class Request:
    kind: str  # DELAY or PLAN
    amount: Decimal
    today: date
    stage: str
    delay_until: date | None = None
    instalments: int | None = None
    last_plan_date: date | None = None  # the contract's last granted delay or plan


def limits(rules: Rules | None) -> tuple:
    """The longest delay (days) and the most instalments a debtor may ask for: the rules' maximum.

    The link page offers nothing beyond, and nothing beyond is recorded: a request
    is always one an accountant could grant as it stands.

    :return: ``(max_delay_days, max_instalments)``
    """
    if rules is None:
        return DEFAULT_MAX_DELAY_DAYS, DEFAULT_MAX_INSTALMENTS
    return max(rules.max_delay_days, 1), max(rules.max_instalments, 2)


def check(rules: Rules | None, request: Request) -> list:
    """Why the rules do not grant ``request`` at once; an empty list means they do.

    Each reason is a short code the Odoo side turns into a sentence:
    ``amount``, ``once_a_year``, ``formal_notice``, ``no_rule`` (``rules`` is None:
    everything is reviewed). A request that cannot be recorded at all gets one
    reason alone: ``bad_request`` (no date after today, fewer than two instalments,
    nothing due) or ``out_of_bounds`` (beyond ``limits(rules)``).
    """
    max_delay_days, max_instalments = limits(rules)
    if request.amount <= 0:
        return ["bad_request"]
    if request.kind == DELAY:
        if not request.delay_until or request.delay_until <= request.today:
            return ["bad_request"]
        if (request.delay_until - request.today).days > max_delay_days:
            return ["out_of_bounds"]
    elif request.kind == PLAN:
        if not request.instalments or request.instalments < 2:
            return ["bad_request"]
        if request.instalments > max_instalments:
            return ["out_of_bounds"]
    else:
        return ["bad_request"]
    if rules is None:
        return ["no_rule"]
    reasons = []
    if request.amount > rules.max_amount:
        reasons.append("amount")
    if rules.one_per_year and request.last_plan_date and request.today - request.last_plan_date < timedelta(days=365):
        reasons.append("once_a_year")
    if not rules.after_formal_notice and request.stage in LATE_STAGES:
        reasons.append("formal_notice")
    return reasons


def instalments(total: Decimal, count: int, first_date: date, spacing_days: int) -> list:
    """``count`` instalments of ``total``, every ``spacing_days`` from ``first_date``.

    Equal amounts rounded down to the cent; the first instalment takes the
    remaining cents, so that the sum is exactly ``total``.

    :return: ``[(due_date, amount), ...]``
    """
    if count < 1:
        raise ValueError("at least one instalment")
    total = Decimal(total).quantize(Decimal("0.01"))
    share = (total / count).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    amounts = [share] * count
    amounts[0] += total - share * count
    return [(first_date + timedelta(days=spacing_days * index), amount) for index, amount in enumerate(amounts)]


def missed(schedule: list, paid: Decimal, today: date, grace_days: int = 3) -> bool:
    """Whether the debtor is behind ``schedule``: less paid than what fell due ``grace_days`` ago."""
    due = sum((amount for day, amount in schedule if day + timedelta(days=grace_days) < today), Decimal(0))
    return Decimal(paid) < due


def owed_so_far(scheduled, paid, *ceilings) -> Decimal:
    """What a plan asks now: the instalments ``scheduled`` so far less what is ``paid``.

    Never below zero, nor above any of ``ceilings`` (what is still due, the
    instalment's own amount...).
    """
    owed = sum((_decimal(amount) for amount in scheduled), Decimal(0)) - _decimal(paid)
    return max(min([owed, *(_decimal(ceiling) for ceiling in ceilings)]), Decimal(0))


def _decimal(amount) -> Decimal:
    # A float given by mistake counts as it prints (0.1 is 0.1), not as its binary value.
    return amount if isinstance(amount, Decimal) else Decimal(str(amount))


def amount_to_ask(schedule: list, paid: Decimal, today: date, amount_due: Decimal) -> Decimal:
    """What the payment page asks of a debtor under a granted plan.

    The instalments fallen due by ``today`` and those of the next due date, less
    what is paid, never more than ``amount_due``: the debtor may pay the coming
    instalment early, not the whole plan. Instalments the broker collects itself
    (a direct debit) are not asked for on the page.

    :param schedule: ``[(due_date, amount, asked_on_page), ...]`` in the plan's order
    """
    upcoming = next((day for day, _amount, _on_page in schedule if day > today), None)
    asked = [amount for day, amount, on_page in schedule if on_page and (day <= today or day == upcoming)]
    return owed_so_far(asked, paid, amount_due)


def amount_to_collect(schedule: list, sequence: int, amount: Decimal, paid: Decimal, residual: Decimal) -> Decimal:
    """What the direct debit of instalment ``sequence`` takes: its ``amount``, less what was paid ahead.

    Never more than the plan's instalments up to this one less what is paid,
    nor more than the ``residual`` still unpaid of the plan.

    :param schedule: ``[(sequence, amount), ...]``, every instalment of the plan
    """
    scheduled = [instalment_amount for number, instalment_amount in schedule if number <= sequence]
    return owed_so_far(scheduled, paid, amount, residual)
