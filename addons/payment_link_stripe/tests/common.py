import copy
import json
import time
from unittest.mock import patch

from odoo.addons.insurance_arrears.tests.common import InsuranceArrearsCommon
from odoo.addons.payment_link_stripe import utils

from .stripe_fake import StripeFake, sign, stripe_object

WEBHOOK_SECRET = "whsec_test_4eC39HqLyjWDarjtT1zdp7dc"


class FakeStripeHTTP(StripeFake):
    """The ``stripe`` library's HTTP layer, replaced (stripe_fake.py), with what a test makes happen at Stripe."""

    id_tag = "test"

    def _session_id(self, params):
        self._count += 1
        return f"cs_test_{self._count:04d}{params['client_reference_id'][-8:]}"

    # What Stripe would hold after the payer paid ------------------------------

    def settle(self, session_id, amount_minor=None, fee_minor=0, async_pending=False):
        """Make Stripe's session paid (or completed, awaiting an async payment)."""
        session = self.objects[session_id]
        amount = session["amount_total"] if amount_minor is None else amount_minor
        suffix = session_id[-12:]
        ids = (f"pi_test_{suffix}", f"ch_test_{suffix}", f"txn_test_{suffix}")
        return self._paid(session, ids, amount, fee_minor, async_pending=async_pending)

    def refund(self, session_id, amount_minor):
        """Refund ``amount_minor`` of a paid session's charge at Stripe (a refund, the charge's running total)."""
        intent = self.objects[self.objects[session_id]["payment_intent"]]
        charge = self.objects[intent["latest_charge"]]
        return self._refunded(charge, amount_minor, created=int(time.time()) + self._count + 1)

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
        cls.contract = cls._create_contract_in_arrears()
        cls.receipts = cls.contract.receipt_ids.sorted("period_start")
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
        return sign(payload, secret, timestamp)

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
