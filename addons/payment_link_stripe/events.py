"""What a Stripe event (or a session read back from Stripe) means for a checkout.

Plain Python: it reads Stripe's JSON and answers with an ``Outcome``; the
models apply it. Webhook events and the safety-net polling go through the
same reading, so both land in the same accounting.
"""

from dataclasses import dataclass, replace

from . import const

PAY = "pay"  # money received: post the payment
WAIT = "wait"  # completed, the money comes later (asynchronous method)
FAIL = "fail"  # the asynchronous payment failed: nothing received
DECLINED = "declined"  # one attempt refused; the payer may try again in the same session
EXPIRE = "expire"  # the session expired unpaid
REFUND = "refund"  # money given back (amount is Stripe's running total)
DISPUTE_OPEN = "dispute_open"
DISPUTE_LOST = "dispute_lost"
DISPUTE_WON = "dispute_won"
NOTHING = "nothing"  # nothing to do (still open, or an event we do not act on)

# Outcomes whose Stripe object may name only a payment intent (no reference of ours).
NEEDS_INTENT_LOOKUP = frozenset({REFUND, DISPUTE_OPEN, DISPUTE_LOST, DISPUTE_WON})


@dataclass(frozen=True)
class Outcome:
    """What to do, and with which Stripe ids to find our checkout."""

    kind: str
    amount_minor: int = 0
    currency: str = ""
    session_id: str = ""
    payment_intent_id: str = ""
    charge_id: str = ""
    reference: str = ""
    detail: str = ""
    # Disputes: Stripe's fees so far over the dispute's balance transactions (None: not given).
    fee_minor: int | None = None
    fee_currency: str = ""
    # Whether Stripe says it happened in live mode (None: not said, e.g. an expiry seen locally).
    livemode: bool | None = None


# Why an outcome is refused for the checkout it names (see ``refusal``).
REFUSED_PROVIDER = "provider"  # verified with another provider's secret than the checkout's
REFUSED_MODE = "mode"  # live event for a test provider, or the other way round
REFUSED_TEST_COMPANY = "test_company"  # a test-mode payment for a company not flagged as a test company
REFUSED_CURRENCY = "currency"  # not the currency asked
REFUSED_AMOUNT = "amount"  # a payment of another amount than asked


def refusal(outcome, *, same_provider, provider_live, test_allowed, asked_minor, asked_currency):
    """Why ``outcome`` must not be applied to the checkout it names, or None when it fits.

    An outcome is applied only to a checkout of the provider whose secret
    verified it (``same_provider``), in the provider's mode (a live provider
    takes live events, a test provider test events), a test-mode one only
    where the company is a test company (``test_allowed``), in the currency
    asked and, for a payment, for the amount asked: a Checkout Session cannot
    be paid for another amount, so any other is not the payment we asked for.
    """
    if not same_provider:
        return REFUSED_PROVIDER
    if outcome.livemode is not None:
        if outcome.livemode != bool(provider_live):
            return REFUSED_MODE
        if not outcome.livemode and not test_allowed:
            return REFUSED_TEST_COMPANY
    if outcome.currency and outcome.currency.upper() != asked_currency.upper():
        return REFUSED_CURRENCY
    if outcome.kind == PAY and outcome.amount_minor != asked_minor:
        return REFUSED_AMOUNT
    return None


# Who paid and with what: Stripe sends it in sessions, charges, intents and disputes;
# none of it is needed to post the payment, and none of it is kept (data minimisation,
# no card data in the ERP).
PERSONAL_KEYS = frozenset(
    {
        "address",
        "billing_details",
        "card",
        "collected_information",
        "customer_details",
        "customer_email",
        "email",
        "evidence",
        "exp_month",
        "exp_year",
        "fingerprint",
        "last4",
        "name",
        "payment_method_details",
        "phone",
        "receipt_email",
        "shipping",
        "shipping_details",
    }
)


def minimise(value):
    """A copy of a Stripe object without the payer's personal and card details, at any depth."""
    if isinstance(value, dict):
        return {key: minimise(item) for key, item in value.items() if key not in PERSONAL_KEYS}
    if isinstance(value, list):
        return [minimise(item) for item in value]
    return value


def _id(value):
    """A Stripe reference field is an id, or the object itself when expanded."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _metadata_reference(obj):
    return (obj.get("metadata") or {}).get("reference") or ""


def read_session(session):
    """Outcome of a Checkout Session object (from an event or from polling)."""
    keys = {
        "session_id": session.get("id") or "",
        "payment_intent_id": _id(session.get("payment_intent")),
        "reference": session.get("client_reference_id") or _metadata_reference(session),
        "currency": (session.get("currency") or "").upper(),
    }
    intent = session.get("payment_intent")
    if isinstance(intent, dict):
        keys["charge_id"] = _id(intent.get("latest_charge"))
    if "livemode" in session:
        keys["livemode"] = bool(session["livemode"])
    status, payment_status = session.get("status"), session.get("payment_status")
    if payment_status == "paid":
        return Outcome(PAY, amount_minor=int(session.get("amount_total") or 0), **keys)
    if status == "expired":
        return Outcome(EXPIRE, **keys)
    if status == "complete" and payment_status == "unpaid":
        # Completed but unpaid: an asynchronous method (SEPA debit...) is under way,
        # unless the payment intent already says it failed.
        if isinstance(intent, dict) and intent.get("status") in ("requires_payment_method", "canceled"):
            return Outcome(FAIL, detail=_decline_code(intent), **keys)
        return Outcome(WAIT, **keys)
    return Outcome(NOTHING, **keys)


def _decline_code(intent):
    error = intent.get("last_payment_error") or {}
    return error.get("decline_code") or error.get("code") or ""


def read_event(event):
    """Outcome of a webhook event (a dict shaped like Stripe's ``event`` object).

    Its mode is the event's ``livemode``, whatever the object inside says.
    """
    outcome = _read_event(event)
    if outcome.kind == NOTHING:
        return outcome
    return replace(outcome, livemode=bool(event.get("livemode")))


def _read_event(event):
    event_type = event.get("type") or ""
    obj = (event.get("data") or {}).get("object") or {}
    if event_type not in const.HANDLED_EVENTS:
        return Outcome(NOTHING)
    if event_type.startswith("checkout.session."):
        outcome = read_session(obj)
        if event_type == "checkout.session.async_payment_failed":
            return Outcome(FAIL, **_keys_of(outcome))
        if event_type == "checkout.session.async_payment_succeeded" and outcome.kind != PAY:
            return Outcome(PAY, amount_minor=int(obj.get("amount_total") or 0), **_keys_of(outcome))
        return outcome
    if event_type.startswith("payment_intent."):
        keys = {
            "payment_intent_id": obj.get("id") or "",
            "charge_id": _id(obj.get("latest_charge")),
            "reference": _metadata_reference(obj),
            "currency": (obj.get("currency") or "").upper(),
        }
        if event_type == "payment_intent.succeeded":
            return Outcome(PAY, amount_minor=int(obj.get("amount_received") or 0), **keys)
        return Outcome(DECLINED, detail=_decline_code(obj), **keys)
    if event_type == "charge.refunded":
        return read_charge_refunds(obj)
    # charge.dispute.*
    if event_type == "charge.dispute.created":
        return replace(read_dispute(obj), kind=DISPUTE_OPEN)
    if obj.get("status") == "lost":
        return replace(read_dispute(obj), kind=DISPUTE_LOST)
    return replace(read_dispute(obj), kind=DISPUTE_WON)


def read_charge_refunds(charge):
    """Outcome of what a charge says was refunded (Stripe's running total on the charge).

    The same reading for a ``charge.refunded`` event and for the safety net
    reading the charge back: nothing refunded is ``NOTHING``.
    """
    refunded = int(charge.get("amount_refunded") or 0)
    keys = {
        "payment_intent_id": _id(charge.get("payment_intent")),
        "charge_id": charge.get("id") or "",
        "reference": _metadata_reference(charge),
        "currency": (charge.get("currency") or "").upper(),
    }
    if "livemode" in charge:
        keys["livemode"] = bool(charge["livemode"])
    return Outcome(REFUND if refunded > 0 else NOTHING, amount_minor=refunded, **keys)


# Dispute statuses (docs.stripe.com/api/disputes/object#dispute_object-status): an
# inquiry closed without a chargeback ends like a dispute won.
DISPUTE_LOST_STATUSES = frozenset({"lost"})
DISPUTE_WON_STATUSES = frozenset({"won", "warning_closed"})


def read_dispute(dispute):
    """Outcome of a dispute object by its status: open, won or lost (events and the safety net)."""
    keys = {
        "payment_intent_id": _id(dispute.get("payment_intent")),
        "charge_id": _id(dispute.get("charge")),
        "currency": (dispute.get("currency") or "").upper(),
        "detail": dispute.get("reason") or "",
        "amount_minor": int(dispute.get("amount") or 0),
    }
    if "livemode" in dispute:
        keys["livemode"] = bool(dispute["livemode"])
    fee = dispute_fee_of(dispute)
    if fee is not None:
        keys["fee_minor"], keys["fee_currency"] = fee
    status = dispute.get("status") or ""
    if status in DISPUTE_LOST_STATUSES:
        return Outcome(DISPUTE_LOST, **keys)
    if status in DISPUTE_WON_STATUSES:
        return Outcome(DISPUTE_WON, **keys)
    return Outcome(DISPUTE_OPEN, **keys)


def _keys_of(outcome):
    return {
        "session_id": outcome.session_id,
        "payment_intent_id": outcome.payment_intent_id,
        "charge_id": outcome.charge_id,
        "reference": outcome.reference,
        "currency": outcome.currency,
    }


def fee_of(balance_transaction):
    """Stripe's fee (minor units, currency) from an expanded balance transaction, or None.

    None while Stripe has not settled the charge yet (no balance transaction),
    or when only its id is known: the fee is then booked later.
    """
    if not isinstance(balance_transaction, dict):
        return None
    return int(balance_transaction.get("fee") or 0), (balance_transaction.get("currency") or "").upper()


def dispute_fee_of(dispute):
    """Stripe's dispute fees so far (minor units, currency), or None when the dispute lists none.

    A dispute carries its balance transactions: the withdrawal of the disputed
    amount with Stripe's fee, then, if the dispute is won, the reinstatement
    (whose negative fee gives the fee back where Stripe does). Their sum is what
    the dispute cost at this point.
    """
    transactions = [bt for bt in dispute.get("balance_transactions") or [] if isinstance(bt, dict)]
    if not transactions:
        return None
    return sum(int(bt.get("fee") or 0) for bt in transactions), (transactions[0].get("currency") or "").upper()


def balance_transaction_of(intent):
    """The balance transaction of a payment intent expanded down to its latest charge."""
    if not isinstance(intent, dict):
        return None
    charge = intent.get("latest_charge")
    if not isinstance(charge, dict):
        return None
    return charge.get("balance_transaction")
