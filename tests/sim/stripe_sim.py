"""A simulated Stripe behind the official ``stripe`` library's HTTP seam.

``SimStripe`` is the ``StripeFake`` of payment_link_stripe's tests
(``addons/payment_link_stripe/tests/stripe_fake.py``, a plain module imported
here by path): everything above it (parameters, retries, idempotency keys,
errors, object parsing) is the real library; it answers like Stripe with
objects shaped like Stripe's own examples. It holds what Stripe knows
(sessions, payment intents, charges, balance transactions, refunds, disputes)
and the events Stripe would send, each signed with Stripe's scheme for the
webhook. No ``odoo`` import.
"""

import copy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "addons" / "payment_link_stripe" / "tests"))

from stripe_fake import StripeFake, sign, stripe_object

__all__ = ["WEBHOOK_SECRET", "SimStripe", "sign"]
WEBHOOK_SECRET = "whsec_sim_5c1a7e0d9b2f4a6e8c0d2f4a6b8c0e2f"


class SimStripe(StripeFake):
    name = "simulated"
    id_tag = "sim"

    def __init__(self):
        super().__init__()
        self.events = []  # (event dict) waiting to be delivered, in Stripe's order

    # ------------------------------------------------------------------
    # What the payer and the broker do at Stripe
    # ------------------------------------------------------------------

    def open_sessions(self):
        return [s for k, s in self.objects.items() if k.startswith("cs_") and s["status"] == "open"]

    def pay(self, session_id, fee_minor):
        """The payer pays the session: intent, charge and balance transaction, and their events."""
        session = self.objects[session_id]
        ids = (self._new_id("pi"), self._new_id("ch"), self._new_id("txn"))
        self._paid(session, ids, session["amount_total"], fee_minor)
        self._emit("checkout.session.completed", session)
        self._emit("payment_intent.succeeded", self.objects[ids[0]])
        return ids[1]

    def refund(self, charge_id, amount_minor):
        refund = self._refunded(self.objects[charge_id], amount_minor)
        self._emit("charge.refunded", self.objects[charge_id])
        return refund["id"]

    def dispute(self, charge_id, fee_minor=1500):
        charge = self.objects[charge_id]
        dispute_id, txn_id = self._new_id("dp"), self._new_id("txn")
        self.objects[txn_id] = stripe_object(
            "balance_transaction",
            id=txn_id,
            amount=-charge["amount"],
            currency=charge["currency"],
            fee=fee_minor,
            net=-charge["amount"] - fee_minor,
            source=dispute_id,
            fee_details=[{"amount": fee_minor, "currency": charge["currency"], "type": "stripe_fee"}],
        )
        self.objects[dispute_id] = stripe_object(
            "dispute",
            id=dispute_id,
            amount=charge["amount"],
            charge=charge_id,
            payment_intent=charge["payment_intent"],
            currency=charge["currency"],
            status="needs_response",
            reason="fraudulent",
            balance_transactions=[copy.deepcopy(self.objects[txn_id])],
            evidence={},
        )
        charge["disputed"] = True
        self._emit("charge.dispute.created", self.objects[dispute_id])
        return dispute_id

    def close_dispute(self, dispute_id, won):
        dispute = self.objects[dispute_id]
        dispute["status"] = "won" if won else "lost"
        if won:
            back = copy.deepcopy(dispute["balance_transactions"][0])
            back.update(id=self._new_id("txn"), amount=dispute["amount"], fee=0, net=dispute["amount"])
            dispute["balance_transactions"].append(back)
        self._emit("charge.dispute.closed", dispute)

    def _emit(self, event_type, obj):
        self.events.append(
            stripe_object(
                "event",
                id=self._new_id("evt"),
                type=event_type,
                created=int(time.time()),
                data={"object": copy.deepcopy(obj)},
                api_version="2025-09-30.clover",
                livemode=False,
            )
        )

    def take_events(self):
        events, self.events = self.events, []
        return events
