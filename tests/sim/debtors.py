"""Simulated debtors: what each policyholder does, decided once from the seed.

Plain Python, no ``odoo`` import. A debtor is drawn with a behaviour; the
simulation asks it, day by day, what it does (pay by link now, ask a plan, let
a debit fail...). Every draw goes through the simulation's ``random.Random``,
so the same seed gives the same year.
"""

import random
from dataclasses import dataclass, field

# Behaviours and their weights, by how the contract is paid.
SEPA_BEHAVIOURS = {
    "on_time": 55,  # every debit goes through
    "am04_once": 10,  # one debit fails for insufficient funds, then goes through again
    "am04_always": 3,  # insufficient funds every time: re-presentation limit, then dunning
    "close_account": 4,  # AC04 on a debit, then pays by link
    "no_mandate": 2,  # MD01 (the bank knows no mandate), then pays by link
    "refused": 3,  # MS03 / MS02 / AC06: refused, then pays by link late
    "refund_md06": 5,  # the debit goes through, then the debtor claims it back within 8 weeks
    "pay_twice": 4,  # pays by card while the debit is on its way
    "change_iban": 6,  # changes bank account (mandate amendment), debits keep going
    "never_pay": 3,  # rejected, then nothing: to termination and hand-over
    "plan_keep": 3,  # rejected, asks a plan, keeps it
    "plan_break": 2,  # rejected, asks a plan, breaks it
}
LINK_BEHAVIOURS = {
    "on_time": 35,  # pays by transfer on the due date
    "late_link": 25,  # pays by link some days after the case opened
    "link_at_once": 10,  # pays by link the day the case opens
    "abandons_checkout": 5,  # opens Stripe's page, leaves, pays days later
    "delay_keep": 6,  # asks a delay, pays by its date
    "plan_keep": 6,  # asks an instalment plan, pays each instalment by link
    "plan_break": 4,  # asks a plan, pays the first instalment only
    "refund": 4,  # pays by link, then the broker refunds at Stripe
    "dispute": 3,  # pays by link, then disputes the charge (won or lost)
    "never_pay": 2,  # nothing: to termination and hand-over
}
# Why a debit fails, by behaviour.
REJECT_REASONS = {
    "am04_once": "AM04",
    "am04_always": "AM04",
    "close_account": "AC04",
    "no_mandate": "MD01",
    "never_pay": "AM04",
    "plan_keep": "AM04",
    "plan_break": "AM04",
}


def forced_behaviours():
    """``(method, behaviour)`` for the first debtors of a portfolio: each behaviour once, by each route."""
    return [("sepa_dd", b) for b in SEPA_BEHAVIOURS] + [
        (method, b) for b in LINK_BEHAVIOURS for method in ("transfer", "card") if b != "on_time" or method == "card"
    ]


def _draw(rng, weights):
    names = list(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


@dataclass
class Debtor:
    """One policyholder's behaviour and memory."""

    index: int
    method: str  # sepa_dd or transfer/card (paid through the link)
    behaviour: str
    pay_after_days: int  # days after a case opens before paying by link
    has_email: bool = True
    lang: str = "fr_FR"
    failed_debits: int = 0
    refund_claimed: bool = False
    asked_plan: bool = False
    plan_instalments: int = 3
    paid_twice: bool = False
    iban_changed: bool = False
    events: dict = field(default_factory=dict)

    # -- SEPA: what happens to a debit presented on this debtor's account ----------

    def debit_fate(self, rng):
        """``(reason, refund_after_days)`` for a debit the bank presents: reason "" when it goes through."""
        behaviour = self.behaviour
        if behaviour == "refused" and not self.failed_debits:
            self.failed_debits += 1
            return rng.choice(["MS03", "MS02", "AC06"]), None
        if behaviour in ("am04_always", "never_pay") or (
            behaviour in REJECT_REASONS and behaviour != "am04_always" and not self.failed_debits
        ):
            self.failed_debits += 1
            return REJECT_REASONS[behaviour], None
        if behaviour == "refund_md06" and not self.refund_claimed:
            self.refund_claimed = True
            return "", rng.randint(3, 50)  # within the 8 weeks of the Core rulebook
        return "", None

    # -- Payment link ---------------------------------------------------------------

    def pays_link_on(self, days_open):
        """Whether the debtor pays the whole amount due by link ``days_open`` days after its case opened."""
        behaviour = self.behaviour
        if behaviour in ("never_pay", "am04_once", "on_time", "refund_md06", "change_iban", "pay_twice"):
            return False
        if behaviour in ("delay_keep", "plan_keep", "plan_break"):
            return False  # they pay by the plan
        if behaviour == "link_at_once":
            return days_open >= 0
        return days_open >= self.pay_after_days

    def wants_plan(self, days_open):
        """``None`` or ``("delay"|"plan", instalments)`` asked from the link page on that day."""
        if self.asked_plan or self.behaviour not in ("delay_keep", "plan_keep", "plan_break"):
            return None
        if days_open < 2:
            return None
        self.asked_plan = True
        if self.behaviour == "delay_keep":
            return ("delay", 1)
        return ("plan", self.plan_instalments)

    def pays_instalment(self, number):
        """Whether the debtor pays instalment ``number`` (1-based) of a granted plan."""
        if self.behaviour == "plan_break":
            return number == 1
        return True


def draw_debtor(rng: random.Random, index, method, behaviour=None):
    """A debtor paying by ``method``; ``behaviour`` forced (every one shows up in a small portfolio) or drawn."""
    behaviours = SEPA_BEHAVIOURS if method == "sepa_dd" else LINK_BEHAVIOURS
    behaviour = behaviour or _draw(rng, behaviours)
    return Debtor(
        index=index,
        method=method,
        behaviour=behaviour,
        # Who pays back or disputes pays early, so that it happens within a short run.
        pay_after_days=rng.randint(1, 5) if behaviour in ("refund", "dispute") else rng.randint(3, 35),
        has_email=rng.random() < 0.93,
        lang="fr_FR" if rng.random() < 0.8 else "en_US",
        plan_instalments=rng.choice([2, 3, 4]),
    )
