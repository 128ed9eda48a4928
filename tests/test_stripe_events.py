"""Pure tier: the webhook's signature check (Stripe's real scheme) and the reading of events."""

import hashlib
import hmac
import json
import time

import pytest
from payment_link_stripe import events, utils

SECRET = "whsec_test_pure"


def _sign(payload, secret=SECRET, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _event(event_type, obj, event_id="evt_1"):
    return {"id": event_id, "object": "event", "type": event_type, "created": 1, "data": {"object": obj}}


SESSION = {
    "id": "cs_test_1",
    "object": "checkout.session",
    "client_reference_id": "arl_ref",
    "metadata": {"reference": "arl_ref"},
    "amount_total": 55000,
    "currency": "eur",
    "payment_intent": "pi_1",
    "status": "complete",
    "payment_status": "paid",
}


def test_genuine_event_verifies_with_the_matching_secret():
    payload = json.dumps(_event("checkout.session.completed", SESSION))
    event, index = utils.verify_event(payload.encode(), _sign(payload), ["whsec_other", SECRET])
    assert index == 1
    assert event["id"] == "evt_1"
    assert event["data"]["object"]["amount_total"] == 55000


@pytest.mark.parametrize(
    "header",
    [
        lambda p: _sign(p, secret="whsec_forged"),
        lambda p: _sign(p, timestamp=int(time.time()) - 301),
        lambda p: "",
        lambda p: "t=1,v1=00",
    ],
    ids=["forged", "stale", "missing", "garbage"],
)
def test_forged_stale_or_missing_signature_is_refused(header):
    payload = json.dumps(_event("checkout.session.completed", SESSION))
    with pytest.raises(utils.WebhookRefused):
        utils.verify_event(payload.encode(), header(payload), [SECRET])


def test_tampered_body_is_refused():
    payload = json.dumps(_event("checkout.session.completed", SESSION))
    with pytest.raises(utils.WebhookRefused):
        utils.verify_event(payload.replace("55000", "1").encode(), _sign(payload), [SECRET])


def test_signed_garbage_is_refused():
    with pytest.raises(utils.WebhookRefused):
        utils.verify_event(b"{not json", _sign("{not json"), [SECRET])
    with pytest.raises(utils.WebhookRefused):
        utils.verify_event(b'{"object": "event"}', _sign('{"object": "event"}'), [SECRET])


def test_paid_session_is_a_payment_of_its_total():
    outcome = events.read_event(_event("checkout.session.completed", SESSION))
    assert outcome.kind == events.PAY
    assert (outcome.amount_minor, outcome.session_id, outcome.payment_intent_id) == (55000, "cs_test_1", "pi_1")
    assert outcome.reference == "arl_ref"


def test_unpaid_completed_session_waits_for_the_async_payment():
    session = dict(SESSION, payment_status="unpaid")
    assert events.read_event(_event("checkout.session.completed", session)).kind == events.WAIT
    assert events.read_event(_event("checkout.session.async_payment_failed", session)).kind == events.FAIL
    succeeded = events.read_event(_event("checkout.session.async_payment_succeeded", session))
    assert (succeeded.kind, succeeded.amount_minor) == (events.PAY, 55000)


def test_intent_events_carry_the_reference_of_their_checkout():
    intent = {"id": "pi_1", "amount_received": 55000, "metadata": {"reference": "arl_ref"}, "latest_charge": "ch_1"}
    outcome = events.read_event(_event("payment_intent.succeeded", intent))
    assert (outcome.kind, outcome.reference, outcome.charge_id) == (events.PAY, "arl_ref", "ch_1")
    declined = dict(intent, last_payment_error={"code": "card_declined", "decline_code": "insufficient_funds"})
    outcome = events.read_event(_event("payment_intent.payment_failed", declined))
    assert (outcome.kind, outcome.detail) == (events.DECLINED, "insufficient_funds")


def test_refund_and_disputes():
    charge = {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 20000, "currency": "eur"}
    refund = events.read_event(_event("charge.refunded", charge))
    assert (refund.kind, refund.amount_minor, refund.payment_intent_id) == (events.REFUND, 20000, "pi_1")
    dispute = {"id": "dp_1", "charge": "ch_1", "payment_intent": "pi_1", "amount": 55000, "reason": "fraudulent"}
    assert events.read_event(_event("charge.dispute.created", dispute)).kind == events.DISPUTE_OPEN
    lost = events.read_event(_event("charge.dispute.closed", dict(dispute, status="lost")))
    assert (lost.kind, lost.amount_minor) == (events.DISPUTE_LOST, 55000)
    assert events.read_event(_event("charge.dispute.closed", dict(dispute, status="won"))).kind == events.DISPUTE_WON


def test_dispute_fee_is_the_sum_over_its_balance_transactions():
    dispute = {"id": "dp_1", "payment_intent": "pi_1", "amount": 55000, "balance_transactions": []}
    opened = events.read_event(_event("charge.dispute.created", dispute))
    assert opened.fee_minor is None, "no balance transaction yet: nothing to book"
    withdrawal = {"id": "txn_1", "amount": -55000, "fee": 1500, "currency": "eur"}
    opened = events.read_event(_event("charge.dispute.created", dict(dispute, balance_transactions=[withdrawal])))
    assert (opened.fee_minor, opened.fee_currency) == (1500, "EUR")
    reinstated = {"id": "txn_2", "amount": 55000, "fee": -1500, "currency": "eur"}
    won = dict(dispute, status="won", balance_transactions=[withdrawal, reinstated])
    assert events.read_event(_event("charge.dispute.closed", won)).fee_minor == 0
    # Only ids (not expanded): unknown, not zero.
    assert events.dispute_fee_of({"balance_transactions": ["txn_1"]}) is None


def test_minimised_event_keeps_nothing_of_the_payer_and_reads_the_same():
    charge = {
        "id": "ch_1",
        "payment_intent": "pi_1",
        "amount_refunded": 20000,
        "currency": "eur",
        "billing_details": {"name": "Jeanne Dupont", "email": "jeanne@example.com", "phone": "+33600000000"},
        "payment_method_details": {"card": {"brand": "visa", "last4": "4242", "exp_month": 12, "fingerprint": "x"}},
        "receipt_email": "jeanne@example.com",
    }
    session = dict(SESSION, customer_details={"email": "jeanne@example.com", "name": "Jeanne Dupont"})
    for event in (_event("charge.refunded", charge), _event("checkout.session.completed", session)):
        kept = events.minimise(event)
        text = json.dumps(kept)
        for personal in ("Jeanne", "jeanne@example.com", "4242", "+33600000000", "visa"):
            assert personal not in text
        assert events.read_event(kept) == events.read_event(event)


def test_other_events_mean_nothing():
    assert events.read_event(_event("customer.created", {"id": "cus_1"})).kind == events.NOTHING


def test_polled_session_states():
    assert events.read_session(dict(SESSION, status="open", payment_status="unpaid")).kind == events.NOTHING
    assert events.read_session(dict(SESSION, status="expired", payment_status="unpaid")).kind == events.EXPIRE
    failed = dict(SESSION, payment_status="unpaid", payment_intent={"id": "pi_1", "status": "requires_payment_method"})
    assert events.read_session(failed).kind == events.FAIL


def test_fee_from_an_expanded_balance_transaction_only():
    intent = {"latest_charge": {"id": "ch_1", "balance_transaction": {"fee": 1025, "currency": "eur"}}}
    assert events.fee_of(events.balance_transaction_of(intent)) == (1025, "EUR")
    assert events.fee_of(events.balance_transaction_of({"latest_charge": {"balance_transaction": "txn_1"}})) is None
    assert events.fee_of(events.balance_transaction_of({"latest_charge": {"balance_transaction": None}})) is None


# Does an outcome belong to the checkout it names? ------------------------------------


def _fits(outcome, **kwargs):
    values = {
        "same_provider": True,
        "provider_live": False,
        "test_allowed": True,
        "asked_minor": 55000,
        "asked_currency": "EUR",
    }
    values.update(kwargs)
    return events.refusal(outcome, **values)


PAID = events.read_event(_event("checkout.session.completed", SESSION))


def test_the_payment_asked_fits():
    assert PAID.livemode is False, "the event's mode is read"
    assert _fits(PAID) is None


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"same_provider": False}, events.REFUSED_PROVIDER),
        ({"provider_live": True}, events.REFUSED_MODE),
        ({"test_allowed": False}, events.REFUSED_TEST_COMPANY),
        ({"asked_currency": "USD"}, events.REFUSED_CURRENCY),
        ({"asked_minor": 1}, events.REFUSED_AMOUNT),
    ],
    ids=["other-provider", "test-event-live-provider", "test-on-live-company", "currency", "amount"],
)
def test_an_outcome_that_does_not_belong_is_refused(kwargs, reason):
    assert _fits(PAID, **kwargs) == reason


def test_a_live_event_for_a_test_provider_is_refused():
    live = events.read_event(dict(_event("checkout.session.completed", SESSION), livemode=True))
    assert _fits(live) == events.REFUSED_MODE
    assert _fits(live, provider_live=True, test_allowed=False) is None, "live never needs a test company"


def test_a_refund_is_not_a_payment_of_the_amount_asked():
    charge = {"id": "ch_1", "object": "charge", "amount_refunded": 100, "currency": "eur", "payment_intent": "pi_1"}
    refund = events.read_event(_event("charge.refunded", charge))
    assert (refund.kind, refund.amount_minor) == (events.REFUND, 100)
    assert _fits(refund) is None


def test_an_outcome_without_a_mode_is_only_checked_for_provider_and_money():
    expiry = events.Outcome(events.EXPIRE)
    assert _fits(expiry, provider_live=True, test_allowed=False) is None


# What the safety net reads back -------------------------------------------------------


def test_a_charge_read_back_gives_its_running_total_refunded():
    charge = {"id": "ch_1", "amount_refunded": 20000, "currency": "eur", "payment_intent": "pi_1", "livemode": True}
    outcome = events.read_charge_refunds(charge)
    assert (outcome.kind, outcome.amount_minor, outcome.charge_id, outcome.livemode) == (
        events.REFUND,
        20000,
        "ch_1",
        True,
    )
    assert events.read_charge_refunds(dict(charge, amount_refunded=0)).kind == events.NOTHING


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("warning_needs_response", events.DISPUTE_OPEN),
        ("needs_response", events.DISPUTE_OPEN),
        ("under_review", events.DISPUTE_OPEN),
        ("won", events.DISPUTE_WON),
        ("warning_closed", events.DISPUTE_WON),
        ("lost", events.DISPUTE_LOST),
    ],
)
def test_a_dispute_read_back_is_read_by_its_status(status, kind):
    dispute = {"id": "dp_1", "amount": 55000, "currency": "eur", "payment_intent": "pi_1", "status": status}
    outcome = events.read_dispute(dispute)
    assert (outcome.kind, outcome.amount_minor, outcome.payment_intent_id) == (kind, 55000, "pi_1")


def test_dispute_events_read_as_before():
    dispute = {"id": "dp_1", "amount": 100, "currency": "eur", "charge": "ch_1", "status": "needs_response"}
    assert events.read_event(_event("charge.dispute.created", dispute)).kind == events.DISPUTE_OPEN
    closed = dict(dispute, status="lost")
    assert events.read_event(_event("charge.dispute.closed", closed)).kind == events.DISPUTE_LOST
    assert events.read_event(_event("charge.dispute.closed", dict(dispute, status="won"))).kind == events.DISPUTE_WON
