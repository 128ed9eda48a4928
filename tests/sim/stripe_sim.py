"""A simulated Stripe behind the official ``stripe`` library's HTTP seam.

``SimStripe`` is a ``stripe.HTTPClient``: everything above it (parameters,
retries, idempotency keys, errors, object parsing) is the real library; it
answers like Stripe with objects shaped like Stripe's own examples (the
fixtures of payment_link_stripe's tests). It holds what Stripe knows (sessions,
payment intents, charges, balance transactions, refunds, disputes) and the
events Stripe would send, each signed with Stripe's scheme for the webhook.
No ``odoo`` import.
"""

import copy
import hashlib
import hmac
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import stripe

FIXTURES = json.loads(
    (Path(__file__).resolve().parents[2] / "addons/payment_link_stripe/tests/fixtures/stripe_objects.json").read_text()
)
WEBHOOK_SECRET = "whsec_sim_5c1a7e0d9b2f4a6e8c0d2f4a6b8c0e2f"


def stripe_object(kind, **values):
    obj = copy.deepcopy(FIXTURES[kind])
    obj.update(values)
    return obj


def sign(payload, secret=WEBHOOK_SECRET, timestamp=None):
    """The Stripe-Signature header of ``payload``, computed with Stripe's scheme."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def _error(message, **values):
    return {"error": {"type": "invalid_request_error", "message": message, **values}}


class SimStripe(stripe.HTTPClient):
    name = "simulated"

    def __init__(self):
        super().__init__()
        self.objects = {}
        self.requests = 0
        self.down = False
        self._count = 0
        self.events = []  # (event dict) waiting to be delivered, in Stripe's order

    def _sleep_time_seconds(self, num_retries):
        return 0

    def request(self, method, url, headers, post_data=None):
        parts = urlsplit(url)
        encoded = post_data.decode() if isinstance(post_data, bytes) else (post_data or parts.query)
        params = parse_qsl(encoded, keep_blank_values=True)
        self.requests += 1
        if self.down:
            raise stripe.APIConnectionError("Stripe cannot be reached (simulation)", should_retry=True)
        status, body = self._answer(method.upper(), parts.path, params)
        return json.dumps(body), status, {"Request-Id": f"req_sim_{self.requests}"}

    def request_stream(self, method, url, headers, post_data=None):
        raise NotImplementedError

    def close(self):
        return None

    def _new_id(self, prefix):
        self._count += 1
        return f"{prefix}_sim{self._count:07d}"

    def _answer(self, method, path, params):
        single = dict(params)
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/checkout/sessions":
            session_id = self._new_id("cs")
            amount = int(single["line_items[0][price_data][unit_amount]"])
            session = stripe_object(
                "checkout.session",
                id=session_id,
                url=f"https://checkout.stripe.com/c/pay/{session_id}",
                amount_total=amount,
                amount_subtotal=amount,
                currency=single["line_items[0][price_data][currency]"],
                client_reference_id=single["client_reference_id"],
                metadata={"reference": single.get("metadata[reference]", single["client_reference_id"])},
                success_url=single["success_url"],
                cancel_url=single["cancel_url"],
                expires_at=int(single["expires_at"]),
                customer_details=None,
                customer_email=None,
                payment_intent=None,
                payment_status="unpaid",
                status="open",
            )
            self.objects[session_id] = session
            return 200, session
        if method == "POST" and parts[-1] == "expire" and parts[-2] in self.objects:
            session = self.objects[parts[-2]]
            if session["status"] != "open":
                return 400, _error("Only open sessions can be expired.")
            session["status"] = "expired"
            return 200, session
        if method == "GET" and parts[-1] in self.objects:
            return 200, self._expanded(self.objects[parts[-1]], params)
        if method == "GET" and parts[-1] in ("refunds", "disputes", "charges") and len(parts) == 2:
            return 200, self._list(parts[-1], single)
        return 404, _error("No such object", code="resource_missing")

    def _list(self, kind, filters):
        prefix = {"refunds": "re_", "disputes": "dp_", "charges": "ch_"}[kind]
        found = [
            copy.deepcopy(obj)
            for key, obj in self.objects.items()
            if key.startswith(prefix)
            and all(obj.get(k) == v for k, v in filters.items() if k in ("payment_intent", "charge"))
        ]
        return {"object": "list", "data": found, "has_more": False, "url": f"/v1/{kind}"}

    def _expanded(self, obj, params):
        obj = copy.deepcopy(obj)
        for key, value in params:
            if key.startswith("expand"):
                self._expand(obj, value.split("."))
        return obj

    def _expand(self, obj, path):
        if not path or not isinstance(obj, dict):
            return
        value = obj.get(path[0])
        if isinstance(value, str) and value in self.objects:
            obj[path[0]] = value = copy.deepcopy(self.objects[value])
        self._expand(value, path[1:])

    # ------------------------------------------------------------------
    # What the payer and the broker do at Stripe
    # ------------------------------------------------------------------

    def open_sessions(self):
        return [s for k, s in self.objects.items() if k.startswith("cs_") and s["status"] == "open"]

    def pay(self, session_id, fee_minor):
        """The payer pays the session: intent, charge and balance transaction, and their events."""
        session = self.objects[session_id]
        amount = session["amount_total"]
        intent_id, charge_id, txn_id = self._new_id("pi"), self._new_id("ch"), self._new_id("txn")
        currency = session["currency"]
        self.objects[txn_id] = stripe_object(
            "balance_transaction",
            id=txn_id,
            amount=amount,
            currency=currency,
            fee=fee_minor,
            net=amount - fee_minor,
            source=charge_id,
            fee_details=[{"amount": fee_minor, "currency": currency, "type": "stripe_fee"}],
        )
        self.objects[charge_id] = stripe_object(
            "charge",
            id=charge_id,
            amount=amount,
            amount_captured=amount,
            amount_refunded=0,
            refunded=False,
            currency=currency,
            balance_transaction=txn_id,
            payment_intent=intent_id,
            captured=True,
            billing_details={"address": {}, "email": None, "name": None, "phone": None},
            metadata={},
        )
        self.objects[intent_id] = stripe_object(
            "payment_intent",
            id=intent_id,
            amount=amount,
            amount_received=amount,
            currency=currency,
            latest_charge=charge_id,
            metadata={"reference": session["client_reference_id"]},
            status="succeeded",
            last_payment_error=None,
        )
        session.update(status="complete", payment_intent=intent_id, payment_status="paid")
        self._emit("checkout.session.completed", session)
        self._emit("payment_intent.succeeded", self.objects[intent_id])
        return charge_id

    def refund(self, charge_id, amount_minor):
        charge = self.objects[charge_id]
        refund_id = self._new_id("re")
        self.objects[refund_id] = stripe_object(
            "refund",
            id=refund_id,
            amount=amount_minor,
            charge=charge_id,
            payment_intent=charge["payment_intent"],
            currency=charge["currency"],
            status="succeeded",
        )
        charge["amount_refunded"] = charge.get("amount_refunded", 0) + amount_minor
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self._emit("charge.refunded", charge)
        return refund_id

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
