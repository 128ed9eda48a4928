from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import StripeLinkCommon


@tagged("post_install", "-at_install")
class TestPolling(StripeLinkCommon):
    def setUp(self):
        super().setUp()
        self.session = self._checkout()
        self.Session = self.env["stripe.checkout.session"]

    def _later(self, minutes):
        """Run as if ``minutes`` had passed since the checkout was created."""
        return freeze_time(self.session.create_date + timedelta(minutes=minutes))

    def test_polling_finds_a_payment_whose_event_never_came(self):
        self.stripe_http.settle(self.session.stripe_session_id, fee_minor=1025)
        with self._later(2):
            self.Session._cron_poll()
        self.assertFalse(self.link.payment_ids, "too early: the webhook is given its chance first")
        with self._later(20):
            self.Session._cron_poll()
        self.assertEqual(self.link.payment_ids.amount, 550.0)
        self.assertEqual(self.session.state, "paid")
        self.assertEqual(self.session.fee_move_id.amount_total, 10.25)
        self.assertEqual(self.case.state, "closed")
        retrieve = self.stripe_http.requests[1]
        self.assertEqual(retrieve["method"], "GET")
        self.assertIn(f"/v1/checkout/sessions/{self.session.stripe_session_id}", retrieve["url"])
        # The event arrives at last: nothing more.
        self._deliver(self._pay_event(self.session))
        self.assertEqual(len(self.link.payment_ids), 1)

    def test_webhook_then_polling_on_the_same_payment_gives_one_payment(self):
        self.stripe_http.settle(self.session.stripe_session_id)
        self._deliver(self._pay_event(self.session))
        self.session.state = "open"  # as if the poll read the row before the event's commit
        with self._later(20):
            self.Session._cron_poll()
        self.assertEqual(len(self.link.payment_ids), 1)

    def test_expired_session_is_marked_expired(self):
        self.stripe_http.objects[self.session.stripe_session_id]["status"] = "expired"
        with self._later(90):
            self.Session._cron_poll()
        self.assertEqual(self.session.state, "expired")
        self.assertFalse(self.link.payment_ids)
        self.assertEqual(self.case.state, "open")

    @mute_logger("odoo.addons.payment_link_stripe.models.stripe_checkout_session")
    def test_stripe_down_during_polling_loses_nothing(self):
        self.stripe_http.settle(self.session.stripe_session_id)
        self.stripe_http.down = True
        with self._later(20):
            self.Session._cron_poll()
        self.assertEqual(self.session.state, "open")
        self.assertFalse(self.link.payment_ids)
        self.stripe_http.down = False
        with self._later(35):
            self.Session._cron_poll()
        self.assertEqual(len(self.link.payment_ids), 1, "found on the next run")


@tagged("post_install", "-at_install")
class TestPollingMoneyBack(StripeLinkCommon):
    """Money given back is found by the safety net even when no webhook comes."""

    def setUp(self):
        super().setUp()
        self.session = self._checkout()
        self.Session = self.env["stripe.checkout.session"]

    def _pay(self):
        self.stripe_http.settle(self.session.stripe_session_id)
        self._deliver(self._pay_event(self.session))
        self.assertEqual(self.session.state, "paid")
        return self.link.payment_ids

    def _poll_on(self, day):
        """Run the safety net as its cron does, ``day`` days after the payment."""
        with freeze_time(self.session.date_paid + timedelta(days=day, minutes=1)):
            self.Session._cron_poll()

    def _reversal_lines(self):
        return sorted(
            (line.account_id.code, line.debit, line.credit)
            for line in self.session.reversal_move_ids.filtered(lambda m: m.state == "posted").line_ids
        )

    def test_refund_whose_webhook_was_lost_is_found_and_reversed_once(self):
        payment = self._pay()
        self.stripe_http.refund(self.session.stripe_session_id, 55000)
        self._poll_on(3)
        outstanding = payment._seek_for_lines()[0].account_id
        self.assertEqual(
            self._reversal_lines(), sorted([(outstanding.code, 0.0, 550.0), (self.receivable_account.code, 550.0, 0.0)])
        )
        self.assertEqual(self.receipts.mapped("amount_residual"), [275.0, 275.0])
        self.assertEqual(self.receipts.case_id.state, "open", "the money given back is due again")
        refunds_read = [r for r in self.stripe_http.requests if r["path"].startswith("/v1/payment_intents/")]
        self.assertTrue(refunds_read, "read at Stripe: the payment's charge and its refunds")
        # The next runs read it again and add nothing; the webhook arriving at last adds nothing either.
        self._poll_on(5)
        self._poll_on(30)
        self.assertEqual(len(self.session.reversal_move_ids), 1)
        charge = self.stripe_http.objects[self.session.stripe_charge_id]
        self._deliver(self._event("charge.refunded", charge, event_id="evt_refund_late"))
        self.assertEqual(len(self.session.reversal_move_ids), 1)
        self.assertEqual(self.receipts.mapped("amount_residual"), [275.0, 275.0])

    def test_lost_dispute_whose_webhooks_were_lost_is_found_and_reversed_once(self):
        self._pay()
        self.stripe_http.dispute(self.session.stripe_session_id, status="needs_response", fee_minor=1500)
        self._poll_on(40)
        self.assertEqual(self.session.dispute_state, "open")
        self.assertIn("Stripe dispute to answer", self.case.activity_ids.mapped("summary"))
        self.assertFalse(self.session.reversal_move_ids, "nothing reversed while the dispute is open")
        fee_account = self.provider._stripe_fee_account()
        fee_lines = self.session.dispute_fee_move_ids.line_ids.filtered(lambda line: line.account_id == fee_account)
        self.assertEqual((fee_lines.debit, fee_lines.credit), (15.0, 0.0), "Stripe's dispute fee booked")
        self.stripe_http.dispute(self.session.stripe_session_id, status="lost", fee_minor=1500)
        self._poll_on(80)
        self.assertEqual(self.session.dispute_state, "lost")
        self.assertEqual(
            sorted(line[0] for line in self._reversal_lines()),
            sorted([self.link.payment_ids._seek_for_lines()[0].account_id.code, self.receivable_account.code]),
        )
        self.assertEqual(self.receipts.mapped("amount_residual"), [275.0, 275.0])
        self._poll_on(100)
        self.assertEqual(len(self.session.reversal_move_ids), 1, "lost once, reversed once")
        self.assertEqual(len(self.session.dispute_fee_move_ids), 1, "its fee booked once")

    def test_dispute_open_at_the_end_of_the_window_is_followed_until_it_closes(self):
        self._pay()
        self.stripe_http.dispute(self.session.stripe_session_id, status="needs_response")
        self._poll_on(110)
        self.assertEqual(self.session.dispute_state, "open")
        self.stripe_http.dispute(self.session.stripe_session_id, status="under_review")
        self._poll_on(140)
        self.stripe_http.dispute(self.session.stripe_session_id, status="lost")
        self._poll_on(170)
        self.assertEqual(self.session.dispute_state, "lost")
        self.assertEqual(len(self.session.reversal_move_ids), 1)
        self.assertEqual(self.receipts.mapped("amount_residual"), [275.0, 275.0])

    def test_paid_checkout_is_read_once_a_day_and_no_more_after_the_dispute_window(self):
        self._pay()
        before = len(self.stripe_http.requests)
        self._poll_on(1)
        count = len(self.stripe_http.requests)
        self.assertEqual(count - before, 1, "one read of the charge; its disputes only once it is disputed")
        with freeze_time(self.session.date_paid + timedelta(days=1, hours=2)):
            self.Session._cron_poll()
        self.assertEqual(len(self.stripe_http.requests), count, "read again the next day, not at every run")
        self._poll_on(125)
        self.assertEqual(len(self.stripe_http.requests), count, "past 120 days nothing comes back")

    def test_session_expired_here_that_stripe_says_paid_gets_its_payment(self):
        expiry = self.session.expires_at
        # Past its time Stripe still says open (the payer is in the middle of paying): expired here.
        with freeze_time(expiry + timedelta(minutes=10)):
            self.Session._cron_poll()
        self.assertEqual(self.session.state, "expired")
        self.assertTrue(self.session.expiry_unconfirmed)
        # The payment made just before the expiry completes at Stripe; no webhook comes.
        self.stripe_http.settle(self.session.stripe_session_id)
        with freeze_time(expiry + timedelta(minutes=30)):
            self.Session._cron_poll()
        self.assertEqual(self.session.state, "paid")
        self.assertEqual(self.link.payment_ids.amount, 550.0)
        self.assertFalse(self.session.expiry_unconfirmed)
        self.assertEqual(self.receipts.mapped("amount_residual"), [0.0, 0.0])

    def test_session_expired_here_that_stripe_expired_is_let_go(self):
        expiry = self.session.expires_at
        with freeze_time(expiry + timedelta(minutes=10)):
            self.Session._cron_poll()
        self.stripe_http.objects[self.session.stripe_session_id]["status"] = "expired"
        with freeze_time(expiry + timedelta(minutes=30)):
            self.Session._cron_poll()
        self.assertEqual(self.session.state, "expired")
        self.assertFalse(self.session.expiry_unconfirmed, "confirmed at Stripe: not read again")
        count = len(self.stripe_http.requests)
        with freeze_time(expiry + timedelta(minutes=50)):
            self.Session._cron_poll()
        self.assertEqual(len(self.stripe_http.requests), count)
        self.assertFalse(self.link.payment_ids)
