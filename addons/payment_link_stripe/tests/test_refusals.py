from odoo.tests import tagged

from .common import StripeLinkCommon

OTHER_SECRET = "whsec_test_other_brokerage_7Yq2"


@tagged("post_install", "-at_install")
class TestRefusedEvents(StripeLinkCommon):
    """An event is applied only to a checkout of the provider whose secret verified it,
    in its mode, for the amount and currency asked; anything else is refused, said, and
    the real event still posts the payment."""

    def setUp(self):
        super().setUp()
        self.session = self._checkout()
        self.stripe_session = self.stripe_http.settle(self.session.stripe_session_id)

    def _forged(self, event_id, **values):
        """The session's completed event with ``values`` changed, under another event id."""
        event = self._event("checkout.session.completed", dict(self.stripe_session, **values), event_id=event_id)
        return event

    def _stripe_lines(self):
        """[(account code, debit, credit)] of what the Stripe journal holds for the policyholder."""
        lines = self.env["account.move.line"].search(
            [("journal_id", "=", self.stripe_journal.id), ("parent_state", "=", "posted")]
        )
        return sorted((line.account_id.code, line.debit, line.credit, line.partner_id) for line in lines)

    def _assert_refused(self, event, reason, note=None):
        self.assertEqual(event.state, "refused")
        self.assertIn(reason, event.outcome)
        self.assertFalse(self.link.payment_ids, "nothing posted")
        self.assertFalse(self._stripe_lines())
        self.assertEqual(self.session.state, "open")
        self.assertEqual(self.case.state, "open")
        activity = self.case.activity_ids.filtered(lambda a: a.summary == "Stripe report refused")
        self.assertEqual(len(activity), 1, "an accountant is told")
        self.assertIn(note or reason, activity.note)

    def _assert_real_event_posts_one_payment(self):
        event = self._deliver(self._pay_event(self.session))
        self.assertEqual(event.state, "done", "the real payment is not 'already recorded'")
        outstanding = self.link.payment_ids._seek_for_lines()[0].account_id
        partner = self.policyholder.commercial_partner_id
        self.assertEqual(
            self._stripe_lines(),
            sorted(
                [
                    (outstanding.code, 550.0, 0.0, partner),
                    (self.receivable_account.code, 0.0, 550.0, partner),
                ]
            ),
        )
        self.assertEqual(self.receipts.mapped("amount_residual"), [0.0, 0.0])
        self.assertEqual(self.case.state, "closed")

    def test_event_verified_with_another_providers_secret_is_refused(self):
        other_company = self.env["res.company"].create({"name": "Autre Courtier", "arrears_test_company": True})
        other = self.env["payment.provider"].create(
            {
                "name": "Stripe (Autre Courtier)",
                "code": "stripe",
                "company_id": other_company.id,
                "state": "test",
                "stripe_secret_key": "sk_test_51OtherBrokerage",
                "stripe_publishable_key": "pk_test_51OtherBrokerage",
                "stripe_link_webhook_secret": OTHER_SECRET,
            }
        )
        # Whoever holds the other provider's secret signs an event naming our checkout.
        event = self._deliver(self._forged("evt_other_provider"), secret=OTHER_SECRET)
        self.assertEqual(event.provider_id, other)
        self.assertEqual(event.state, "refused")
        self.assertIn("a checkout of another provider", event.outcome)
        self.assertNotIn(self.session.reference, event.outcome, "the other company learns nothing of ours")
        self.assertFalse(event.session_id, "the other company's event is not linked to our checkout")
        self._assert_refused(event, "", note="not with that of")
        self._assert_real_event_posts_one_payment()

    def test_live_event_for_a_test_provider_is_refused(self):
        event = self._forged("evt_live", livemode=True)
        event["livemode"] = True
        self._assert_refused(self._deliver(event), "Stripe reports it in live mode")
        self._assert_real_event_posts_one_payment()

    def test_test_event_for_a_live_provider_is_refused(self):
        self.provider.state = "enabled"
        self._assert_refused(self._deliver(self._forged("evt_test_for_live")), "in test mode")
        live = self._pay_event(self.session)
        live["livemode"] = True
        self.assertEqual(self._deliver(live).state, "done")
        self.assertEqual(self.link.payment_ids.amount, 550.0)

    def test_test_mode_event_on_a_company_not_flagged_as_test_is_refused(self):
        self.company.arrears_test_company = False
        self._assert_refused(self._deliver(self._forged("evt_test_company")), "not flagged as a test company")
        self.company.arrears_test_company = True
        self._assert_real_event_posts_one_payment()

    def test_payment_of_another_amount_is_refused(self):
        event = self._deliver(self._forged("evt_one_cent", amount_total=1, amount_subtotal=1))
        self._assert_refused(event, "received for checkout")
        self.assertEqual(event.session_id, self.session, "listed on the checkout it named")
        self._assert_real_event_posts_one_payment()

    def test_payment_intent_of_another_amount_is_refused(self):
        intent = dict(self.stripe_http.objects[self.stripe_session["payment_intent"]], amount_received=1)
        self._assert_refused(self._deliver(self._event("payment_intent.succeeded", intent)), "received for checkout")
        self._assert_real_event_posts_one_payment()

    def test_payment_in_another_currency_is_refused(self):
        other = "jpy" if self.session.currency_id.name != "JPY" else "eur"
        self._assert_refused(self._deliver(self._forged("evt_currency", currency=other)), "an amount in")
        self._assert_real_event_posts_one_payment()

    def test_refused_events_tell_the_accountant_once(self):
        self._deliver(self._forged("evt_one_cent_1", amount_total=1))
        self._deliver(self._forged("evt_one_cent_2", amount_total=2))
        todo = self.case.activity_ids.filtered(lambda a: a.summary == "Stripe report refused")
        self.assertEqual(len(todo), 1, "one to-do, however many refused reports")
        self.assertEqual(
            self.env["stripe.event"].search([("stripe_event_id", "like", "evt_one_cent")]).mapped("state"),
            ["refused", "refused"],
        )
