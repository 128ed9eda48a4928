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
