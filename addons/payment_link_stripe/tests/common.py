import copy
import hashlib
import hmac
import json
import time
from datetime import date
from pathlib import Path
from unittest.mock import patch
from urllib.parse import parse_qsl, urlsplit

import stripe
from freezegun import freeze_time

from odoo.addons.insurance_arrears.tests.common import InsuranceArrearsCommon
from odoo.addons.payment_link_stripe import utils

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "stripe_objects.json").read_text())
WEBHOOK_SECRET = "whsec_test_4eC39HqLyjWDarjtT1zdp7dc"


def stripe_object(kind, **values):
    """One of Stripe's own example objects (tests/fixtures), with ``values`` on top."""
    obj = copy.deepcopy(FIXTURES[kind])
    obj.update(values)
    return obj


class FakeStripeHTTP(stripe.HTTPClient):
    """The ``stripe`` library's HTTP layer, replaced: records each request, answers like Stripe.

    Everything above it (parameter encoding, retries, idempotency keys,
    errors, object parsing) is the real library. ``objects`` holds what
    Stripe "knows" (sessions, payment intents) by id; ``down`` makes every
    call a connection error.
    """

    name = "fake"

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
            raise stripe.APIConnectionError("Stripe cannot be reached (test)", should_retry=True)
        status, body = self._answer(method.upper(), parts.path, dict(params))
        return json.dumps(body), status, {"Request-Id": f"req_test_{len(self.requests)}"}

    def request_stream(self, method, url, headers, post_data=None):
        raise NotImplementedError

    def close(self):
        return None

    def _answer(self, method, path, params):
        if method == "POST" and path == "/v1/checkout/sessions":
            self._count += 1
            session_id = f"cs_test_{self._count:04d}{params['client_reference_id'][-8:]}"
            session = stripe_object(
                "checkout.session",
                id=session_id,
                url=f"https://checkout.stripe.com/c/pay/{session_id}",
                amount_total=int(params["line_items[0][price_data][unit_amount]"]),
                amount_subtotal=int(params["line_items[0][price_data][unit_amount]"]),
                currency=params["line_items[0][price_data][currency]"],
                client_reference_id=params["client_reference_id"],
                metadata={"reference": params["metadata[reference]"]},
                success_url=params["success_url"],
                cancel_url=params["cancel_url"],
                expires_at=int(params["expires_at"]),
                customer_details=None,
                customer_email=None,
                payment_intent=None,
                payment_status="unpaid",
                status="open",
            )
            self.objects[session_id] = session
            return 200, session
        parts = path.strip("/").split("/")
        object_id = parts[-1]
        if method == "POST" and parts[-1] == "expire" and parts[-2] in self.objects:
            session = self.objects[parts[-2]]
            if session["status"] != "open":
                error = {"error": {"type": "invalid_request_error", "message": "Only open sessions can be expired."}}
                return 400, error
            session["status"] = "expired"
            return 200, session
        if method == "GET" and object_id in self.objects:
            return 200, self._expanded(self.objects[object_id], params)
        if method == "GET" and path in ("/v1/disputes", "/v1/refunds"):
            return 200, self._list(path, params)
        error = {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such object"}}
        return 404, error

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
        for key, value in params.items():
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

    # What Stripe would hold after the payer paid ------------------------------

    def settle(self, session_id, amount_minor=None, fee_minor=0, async_pending=False):
        """Make Stripe's session paid (or completed, awaiting an async payment)."""
        session = self.objects[session_id]
        amount = session["amount_total"] if amount_minor is None else amount_minor
        suffix = session_id[-12:]
        intent_id, charge_id, txn_id = f"pi_test_{suffix}", f"ch_test_{suffix}", f"txn_test_{suffix}"
        self.objects[txn_id] = stripe_object(
            "balance_transaction",
            id=txn_id,
            amount=amount,
            currency=session["currency"],
            fee=fee_minor,
            net=amount - fee_minor,
            source=charge_id,
            fee_details=[{"amount": fee_minor, "currency": session["currency"], "type": "stripe_fee"}],
        )
        self.objects[charge_id] = stripe_object(
            "charge",
            id=charge_id,
            amount=amount,
            amount_captured=amount,
            currency=session["currency"],
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
            currency=session["currency"],
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

    def refund(self, session_id, amount_minor):
        """Refund ``amount_minor`` of a paid session's charge at Stripe (a refund, the charge's running total)."""
        intent = self.objects[self.objects[session_id]["payment_intent"]]
        charge = self.objects[intent["latest_charge"]]
        self._count += 1
        refund_id = f"re_test_{self._count:04d}"
        self.objects[refund_id] = stripe_object(
            "refund",
            id=refund_id,
            amount=amount_minor,
            charge=charge["id"],
            payment_intent=intent["id"],
            currency=charge["currency"],
            created=int(time.time()) + self._count,
            status="succeeded",
        )
        charge["amount_refunded"] += amount_minor
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return self.objects[refund_id]

    def dispute(self, session_id, status="needs_response", fee_minor=None, dispute_id=None):
        """A dispute on a paid session's charge at Stripe (or its new status), as Stripe lists it."""
        intent = self.objects[self.objects[session_id]["payment_intent"]]
        charge = self.objects[intent["latest_charge"]]
        dispute_id = dispute_id or f"dp_test_{charge['id'][-12:]}"
        transactions = []
        if fee_minor is not None:
            transactions.append(
                stripe_object(
                    "balance_transaction",
                    id=f"txn_{dispute_id}",
                    amount=-charge["amount"],
                    fee=fee_minor,
                    net=-charge["amount"] - fee_minor,
                    currency=charge["currency"],
                    type="adjustment",
                )
            )
        dispute = self.objects.get(dispute_id) or stripe_object(
            "dispute",
            id=dispute_id,
            amount=charge["amount"],
            charge=charge["id"],
            payment_intent=intent["id"],
            currency=charge["currency"],
            created=int(time.time()),
            balance_transactions=transactions,
        )
        dispute["status"] = status
        self.objects[dispute_id] = dispute
        charge["disputed"] = True
        return dispute


class StripeLinkCommon(InsuranceArrearsCommon):
    """A contract with two overdue receipts (550.00 due), its case and link, and a Stripe provider.

    The provider is in test mode (Stripe's test keys), so the company is a test company.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"arrears_test_company": True, "arrears_demo_payment": False})
        cls.stripe_journal = cls.env["account.journal"].create(
            {"name": "Stripe", "code": "STRP", "type": "bank", "company_id": cls.company.id}
        )
        # Each company gets its copy of Odoo's Stripe provider record: take this company's.
        cls.provider = (
            cls.env["payment.provider"]
            .sudo()
            .search([("code", "=", "stripe"), ("company_id", "=", cls.company.id)], limit=1)
        )
        cls.provider.write(
            {
                "state": "test",
                "company_id": cls.company.id,
                "stripe_secret_key": "sk_test_51ArrearsPlatformTest",
                "stripe_publishable_key": "pk_test_51ArrearsPlatformTest",
                "stripe_link_webhook_secret": WEBHOOK_SECRET,
                "journal_id": cls.stripe_journal.id,
            }
        )
        cls.contract = cls._create_contract(split="quarterly")
        with freeze_time("2026-04-20"):
            cls.receipts = cls.contract._generate_receipts(until=date(2026, 4, 1)).sorted("period_start")
            cls.env["arrears.case"]._cron_sync()
        cls.case = cls.contract.case_ids
        cls.link = cls.case._ensure_payment_links()

    def setUp(self):
        super().setUp()
        self.stripe_http = FakeStripeHTTP()
        patcher = patch.object(utils, "_http_client", lambda: self.stripe_http)
        patcher.start()
        self.addCleanup(patcher.stop)

    # Helpers ------------------------------------------------------------------

    def _checkout(self, link=None):
        """The payer clicks Pay: a Checkout Session at Stripe, and ours."""
        link = link or self.link
        link._checkout_url()
        return link.stripe_session_ids.sorted("id")[-1:]

    def _event(self, event_type, obj, event_id=None):
        """A Stripe event object around ``obj``, as Stripe delivers it."""
        return stripe_object(
            "event",
            id=event_id or f"evt_test_{event_type.replace('.', '_')}_{obj['id']}",
            type=event_type,
            created=int(time.time()),
            data={"object": copy.deepcopy(obj)},
            api_version="2025-09-30.clover",
        )

    def _sign(self, payload, secret=WEBHOOK_SECRET, timestamp=None):
        """The Stripe-Signature header, computed with Stripe's scheme."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        signed = f"{timestamp}.{payload}".encode()
        signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={signature}"

    def _deliver(self, event, secret=WEBHOOK_SECRET):
        """Sign an event with ``secret``, verify and record it as the webhook does, then run the processing cron.

        The webhook tries the secret of every provider with a payment-links
        endpoint; the event is recorded for the one whose secret verified it.
        """
        payload = json.dumps(event)
        providers = self.env["payment.provider"]._stripe_link_providers_with_webhook()
        verified, index = utils.verify_event(
            payload.encode(), self._sign(payload, secret=secret), [utils.get_webhook_secret(p) for p in providers]
        )
        self.env["stripe.event"]._record(providers[index], verified)
        self.env["stripe.event"]._cron_process()
        return self.env["stripe.event"].search([("stripe_event_id", "=", event["id"])])

    def _pay_event(self, session, event_type="checkout.session.completed"):
        stripe_session = self.stripe_http.objects[session.stripe_session_id]
        if event_type.startswith("payment_intent"):
            return self._event(event_type, self.stripe_http.objects[stripe_session["payment_intent"]])
        return self._event(event_type, stripe_session)

    def _lines(self, move):
        """[(account code, debit, credit)] of a move, sorted, as an accountant reads it."""
        return sorted((line.account_id.code, line.debit, line.credit) for line in move.line_ids)
