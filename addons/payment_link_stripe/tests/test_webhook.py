import copy
import json
import time

from odoo import sql_db
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import StripeLinkCommon

WEBHOOK = "/arrears/stripe/webhook"


@tagged("post_install", "-at_install")
class TestWebhook(StripeLinkCommon, HttpCase):
    def setUp(self):
        super().setUp()
        self.session = self._checkout()
        self.stripe_http.settle(self.session.stripe_session_id, fee_minor=1025)
        self.event = self._pay_event(self.session)
        self.payload = json.dumps(self.event)

    def _post(self, payload, signature):
        headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
        return self.url_open(WEBHOOK, data=payload, headers=headers)

    def _events(self):
        return self.env["stripe.event"].search([("stripe_event_id", "=", self.event["id"])])

    def test_signed_event_is_recorded_once_and_answered_at_once(self):
        response = self._post(self.payload, self._sign(self.payload))
        self.assertEqual(response.status_code, 200)
        event = self._events()
        self.assertEqual(event.state, "pending", "the accounting waits for the processing cron")
        self.assertEqual(event.event_type, "checkout.session.completed")
        self.assertEqual(event.provider_id, self.provider)
        self.assertFalse(self.link.payment_ids, "nothing posted in the webhook's request")
        cron = self.env.ref("payment_link_stripe.ir_cron_process_stripe_events")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]), "processing triggered")

    def test_payer_details_sent_by_stripe_are_not_kept(self):
        event = copy.deepcopy(self.event)
        event["data"]["object"]["customer_details"] = {
            "email": "jeanne.dupont@example.com",
            "name": "Jeanne Dupont",
            "address": {"line1": "12 rue de la Paix", "city": "Paris"},
        }
        payload = json.dumps(event)
        self.assertEqual(self._post(payload, self._sign(payload)).status_code, 200)
        stored = self._events().payload
        for personal in ("jeanne.dupont@example.com", "Jeanne Dupont", "rue de la Paix"):
            self.assertNotIn(personal, stored)
        self.env["stripe.event"]._cron_process()
        self.assertEqual(self._events().state, "done", "what is kept is enough to post the payment")
        self.assertEqual(self.link.payment_ids.amount, 550.0)

    def test_replayed_event_ten_times_gives_one_payment(self):
        for _delivery in range(10):
            self.assertEqual(self._post(self.payload, self._sign(self.payload)).status_code, 200)
        self.assertEqual(len(self._events()), 1)
        self.env["stripe.event"]._cron_process()
        self.assertEqual(len(self.link.payment_ids), 1)
        self.assertEqual(self.link.payment_ids.amount, 550.0)
        self.assertEqual(self._events().state, "done")

    def _commit_elsewhere(self, query, params):
        """What another request's transaction commits while this one runs (cleaned up by the caller)."""
        with sql_db.db_connect(self.env.cr.dbname).cursor() as other:
            other.execute(query, params)
            other.commit()

    def test_delivery_recorded_at_the_same_moment_by_another_request_is_answered_and_recorded_once(self):
        # Stripe delivers an event twice at once: the other request recorded it and committed after
        # this request's transaction began, so this one cannot see it, only collide with it.
        event = dict(self.event, id="evt_test_delivered_twice_at_once")
        payload = json.dumps(event)
        self._commit_elsewhere(
            "INSERT INTO stripe_event (stripe_event_id, event_type, state) VALUES (%s, %s, 'pending')",
            [event["id"], event["type"]],
        )
        self.addCleanup(self._commit_elsewhere, "DELETE FROM stripe_event WHERE stripe_event_id = %s", [event["id"]])
        response = self._post(payload, self._sign(payload))
        self.assertEqual(response.status_code, 200, "a genuine delivery: Stripe must not send it again")
        self.assertFalse(self.env["stripe.event"].search([("stripe_event_id", "=", event["id"])]), "not twice")
        self.env["stripe.event"]._cron_process()
        self.assertFalse(self.link.payment_ids, "the other request's record pays it, once")
        self.assertEqual(self.receipts.mapped("amount_residual"), [275.0, 275.0])

    @mute_logger("odoo.addons.payment_link_stripe.controllers.main")
    def test_forged_signature_is_refused_and_changes_nothing(self):
        forged = self._sign(self.payload, secret="whsec_not_the_right_one")
        self.assertEqual(self._post(self.payload, forged).status_code, 400)
        tampered = self.payload.replace("55000", "1")
        self.assertEqual(self._post(tampered, self._sign(self.payload)).status_code, 400)
        self.assertEqual(self._post(self.payload, "").status_code, 400)
        unsigned = self.url_open(WEBHOOK, data=self.payload, headers={"Content-Type": "application/json"})
        self.assertEqual(unsigned.status_code, 400, "no Stripe-Signature header at all")
        self.assertFalse(self.env["stripe.event"].search([]))

    @mute_logger("odoo.addons.payment_link_stripe.controllers.main")
    def test_stale_timestamp_is_refused(self):
        stale = self._sign(self.payload, timestamp=int(time.time()) - 301)
        self.assertEqual(self._post(self.payload, stale).status_code, 400)
        self.assertFalse(self.env["stripe.event"].search([]))

    @mute_logger("odoo.addons.payment_link_stripe.controllers.main")
    def test_bad_json_is_refused_even_when_signed(self):
        payload = "{not json"
        self.assertEqual(self._post(payload, self._sign(payload)).status_code, 400)
        self.assertFalse(self.env["stripe.event"].search([]))

    def test_unhandled_event_type_is_recorded_as_ignored(self):
        event = self._event("customer.created", {"id": "cus_test_1", "object": "customer"})
        payload = json.dumps(event)
        self.assertEqual(self._post(payload, self._sign(payload)).status_code, 200)
        recorded = self.env["stripe.event"].search([("stripe_event_id", "=", event["id"])])
        self.assertEqual(recorded.state, "ignored")

    def test_test_mode_event_for_a_company_not_flagged_as_test_is_recorded_as_refused(self):
        self.company.arrears_test_company = False
        response = self._post(self.payload, self._sign(self.payload))
        self.assertEqual(response.status_code, 200, "a genuine delivery: Stripe must not send it again")
        self.env["stripe.event"]._cron_process()
        event = self._events()
        self.assertEqual(event.state, "refused")
        self.assertIn("not flagged as a test company", event.outcome)
        self.assertFalse(self.link.payment_ids)
        self.assertEqual(self.receipts.mapped("amount_residual"), [275.0, 275.0])
        self.assertIn("Stripe report refused", self.case.activity_ids.mapped("summary"))

    def test_event_signed_with_another_providers_secret_applies_nothing_here(self):
        other_company = self.env["res.company"].create({"name": "Autre Courtier", "arrears_test_company": True})
        other_secret = "whsec_test_other_brokerage_http"
        self.env["payment.provider"].create(
            {
                "name": "Stripe (Autre Courtier)",
                "code": "stripe",
                "company_id": other_company.id,
                "state": "test",
                "stripe_secret_key": "sk_test_51OtherBrokerage",
                "stripe_publishable_key": "pk_test_51OtherBrokerage",
                "stripe_link_webhook_secret": other_secret,
            }
        )
        self.assertEqual(self._post(self.payload, self._sign(self.payload, secret=other_secret)).status_code, 200)
        self.env["stripe.event"]._cron_process()
        self.assertEqual(self._events().state, "refused")
        self.assertFalse(self.link.payment_ids)
        self.assertEqual(self.case.state, "open")
