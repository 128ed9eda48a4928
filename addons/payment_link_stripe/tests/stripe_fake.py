"""A Stripe behind the official ``stripe`` library's HTTP seam, shared by this addon's tests and the simulation.

``StripeFake`` is a ``stripe.HTTPClient``: everything above it (parameter
encoding, retries, idempotency keys, errors, object parsing) is the real
library; it answers like Stripe with Stripe's own example objects
(``fixtures/stripe_objects.json``). It holds what Stripe knows by id
(``objects``), records each request (``requests``), and ``down`` makes every
call a connection error.

A plain module: it imports ``stripe`` only, never ``odoo``, so that the
simulation and the benchmarks (``tests/sim``, ``tests/bench``) import it by
path; its name does not start with ``test_``, so Odoo's test loader does not
take it for a test module.
"""

import copy
import hashlib
import hmac
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import stripe

FIXTURES = json.loads((Path(__file__).resolve().parent / "fixtures" / "stripe_objects.json").read_text())


def stripe_object(kind, **values):
    """One of Stripe's own example objects, with ``values`` on top."""
    obj = copy.deepcopy(FIXTURES[kind])
    obj.update(values)
    return obj


def sign(payload, secret, timestamp=None):
    """The Stripe-Signature header of ``payload``, computed with Stripe's scheme."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def _error(message, **values):
    return {"error": {"type": "invalid_request_error", "message": message, **values}}


class StripeFake(stripe.HTTPClient):
    """Checkout sessions (create, expire), objects by id (with ``expand``), disputes listed by payment intent."""

    name = "fake"
    id_tag = "fake"  # in the ids this Stripe makes: cs_<tag>0000001

    def __init__(self):
        super().__init__()
        self.requests = []
        self.objects = {}
        self.down = False
        self._count = 0

    def _sleep_time_seconds(self, num_retries):
        return 0  # the library's back-off, without the wait

    def request(self, method, url, headers, post_data=None):
        parts = urlsplit(url)
        encoded = post_data.decode() if isinstance(post_data, bytes) else (post_data or parts.query)
        params = parse_qsl(encoded, keep_blank_values=True)
        self.requests.append(
            {"method": method.upper(), "url": url, "path": parts.path, "params": params, "headers": dict(headers)}
        )
        if self.down:
            raise stripe.APIConnectionError("Stripe cannot be reached (fake)", should_retry=True)
        status, body = self._answer(method.upper(), parts.path, params)
        return json.dumps(body), status, {"Request-Id": f"req_{self.id_tag}_{len(self.requests)}"}

    def request_stream(self, method, url, headers, post_data=None):
        raise NotImplementedError

    def close(self):
        return None

    def _new_id(self, prefix):
        self._count += 1
        return f"{prefix}_{self.id_tag}{self._count:07d}"

    def _session_id(self, params):
        """The id of a new Checkout Session created with ``params``."""
        return self._new_id("cs")

    def _answer(self, method, path, params):
        single = dict(params)
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/checkout/sessions":
            session_id = self._session_id(single)
            amount = int(single["line_items[0][price_data][unit_amount]"])
            session = stripe_object(
                "checkout.session",
                id=session_id,
                url=f"https://checkout.stripe.com/c/pay/{session_id}",
                amount_total=amount,
                amount_subtotal=amount,
                currency=single["line_items[0][price_data][currency]"],
                client_reference_id=single["client_reference_id"],
                metadata={"reference": single["metadata[reference]"]},
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
        if method == "GET" and path in ("/v1/disputes", "/v1/refunds"):
            return 200, self._list(path, single)
        return 404, _error("No such object", code="resource_missing")

    def _list(self, path, params):
        """A list endpoint filtered by ``payment_intent``, newest first, as Stripe pages it."""
        kind = {"/v1/disputes": "dispute", "/v1/refunds": "refund"}[path]
        found = [
            copy.deepcopy(obj)
            for obj in self.objects.values()
            if obj.get("object") == kind
            and ("payment_intent" not in params or obj.get("payment_intent") == params["payment_intent"])
        ]
        found.sort(key=lambda obj: obj.get("created") or 0, reverse=True)
        limit = int(params.get("limit") or 10)
        return {"object": "list", "url": path, "has_more": len(found) > limit, "data": found[:limit]}

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

    # What Stripe holds once the payer paid, or the broker refunded ---------------

    def _paid(self, session, ids, amount, fee_minor, async_pending=False):
        """Make ``session`` complete: its payment intent, charge and balance transaction, ids ``(pi, ch, txn)``."""
        intent_id, charge_id, txn_id = ids
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
            currency=currency,
            balance_transaction=txn_id,
            payment_intent=intent_id,
            captured=True,
            billing_details={"address": {}, "email": None, "name": None, "phone": None},
            description=None,
        )
        self.objects[intent_id] = stripe_object(
            "payment_intent",
            id=intent_id,
            amount=amount,
            amount_received=0 if async_pending else amount,
            currency=currency,
            latest_charge=charge_id,
            metadata={"reference": session["client_reference_id"]},
            status="processing" if async_pending else "succeeded",
            last_payment_error=None,
        )
        session.update(
            amount_total=amount,
            status="complete",
            payment_intent=intent_id,
            payment_status="unpaid" if async_pending else "paid",
        )
        return session

    def _refunded(self, charge, amount_minor, **values):
        """A refund of ``amount_minor`` on ``charge`` at Stripe, and the charge's running total."""
        refund_id = self._new_id("re")
        self.objects[refund_id] = stripe_object(
            "refund",
            id=refund_id,
            amount=amount_minor,
            charge=charge["id"],
            payment_intent=charge["payment_intent"],
            currency=charge["currency"],
            status="succeeded",
            **values,
        )
        charge["amount_refunded"] += amount_minor
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return self.objects[refund_id]
