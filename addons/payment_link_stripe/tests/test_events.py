import uuid

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import StripeLinkCommon, stripe_object


@tagged("post_install", "-at_install")
class TestEvents(StripeLinkCommon):
    def setUp(self):
        super().setUp()
        self.session = self._checkout()

    def _settle(self, **kwargs):
        return self.stripe_http.settle(self.session.stripe_session_id, **kwargs)

    def _receivable(self, move):
        return move.line_ids.filtered(lambda line: line.account_id == self.receivable_account)

    # Payment ------------------------------------------------------------------

    def test_completed_paid_session_posts_one_reconciled_payment(self):
        self._settle(fee_minor=1025)
        self._deliver(self._pay_event(self.session))
        payment = self.link.payment_ids
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.amount, 550.0)
        self.assertEqual(payment.journal_id, self.stripe_journal)
        self.assertEqual(payment.memo, self.session.reference)
        self.assertEqual(self.session.payment_id, payment)
        self.assertEqual(self.session.state, "paid")
        self.assertEqual(self.receipts.mapped("amount_residual"), [0.0, 0.0])
        self.assertEqual(self.case.state, "closed", "dunning stops: the case is settled")
        self.assertEqual(self.link.state, "paid")

    def test_payment_reinstates_a_suspended_cover(self):
        self.contract.action_suspend()
        self._settle()
        self._deliver(self._pay_event(self.session))
        self.assertEqual(self.contract.state, "active")

    def test_completed_then_intent_succeeded_gives_one_payment(self):
        self._settle()
        self._deliver(self._pay_event(self.session))
        self._deliver(self._pay_event(self.session, "payment_intent.succeeded"))
        self.assertEqual(len(self.link.payment_ids), 1)
        self.assertEqual(self.session.event_ids.mapped("state"), ["done", "done"])

    def test_intent_succeeded_before_completed_gives_one_payment(self):
        self._settle()
        # The payment intent's event comes first: it finds the checkout by its reference.
        self._deliver(self._pay_event(self.session, "payment_intent.succeeded"))
        self.assertEqual(len(self.link.payment_ids), 1)
        self._deliver(self._pay_event(self.session))
        self.assertEqual(len(self.link.payment_ids), 1)
        self.assertEqual(self.session.stripe_payment_intent_id, self._settle()["payment_intent"])

    def test_replayed_event_ten_times_gives_one_payment(self):
        self._settle()
        event = self._pay_event(self.session)
        for _delivery in range(10):
            self._deliver(event)
        self.assertEqual(len(self.env["stripe.event"].search([("stripe_event_id", "=", event["id"])])), 1)
        self.assertEqual(len(self.link.payment_ids), 1)

    def test_async_payment_waits_then_succeeds(self):
        self._settle(async_pending=True)
        self._deliver(self._pay_event(self.session))
        self.assertFalse(self.link.payment_ids, "completed but unpaid: the money is not there yet")
        self.assertTrue(self.session.waiting_async)
        self._settle()
        self._deliver(self._pay_event(self.session, "checkout.session.async_payment_succeeded"))
        self.assertEqual(self.link.payment_ids.amount, 550.0)

    def test_async_payment_failed_leaves_the_case_untouched(self):
        self._settle(async_pending=True)
        self._deliver(self._pay_event(self.session))
        self._deliver(self._pay_event(self.session, "checkout.session.async_payment_failed"))
        self.assertEqual(self.session.state, "failed")
        self.assertFalse(self.link.payment_ids)
        self.assertEqual(self.case.state, "open")
        self.assertEqual(self.case.amount_due, 550.0)
        self.assertIn("failed: nothing was received", "".join(self.case.message_ids.mapped("body")))

    def test_declined_attempt_is_noted_and_the_session_stays_open(self):
        self._settle()
        intent = dict(self.stripe_http.objects[self._settle()["payment_intent"]])
        intent.update(status="requires_payment_method", last_payment_error={"code": "card_declined"})
        self._deliver(self._event("payment_intent.payment_failed", intent))
        self.assertEqual(self.session.state, "open", "the payer may try another card in the same session")
        self.assertIn("card_declined", "".join(self.case.message_ids.mapped("body")))

    def test_payment_for_a_case_settled_meanwhile_by_sepa_is_flagged_for_refund(self):
        self._settle()
        # The direct debit of the same receipts went through before the card payment was announced.
        self.receipts._register_payments(self.bank_journal)
        self.assertEqual(self.case.state, "closed")
        self._deliver(self._pay_event(self.session))
        payment = self.link.payment_ids
        self.assertEqual(payment.amount, 550.0, "the money is recorded, never lost")
        self.assertEqual(self._receivable(payment.move_id).amount_residual, -550.0)
        self.assertTrue(self.link.overpaid)
        self.assertIn("Overpayment to refund", self.case.activity_ids.mapped("summary"))

    def test_event_of_another_integration_is_ignored(self):
        intent = stripe_object("payment_intent", id="pi_webshop_1", status="succeeded", amount_received=1099)
        self._deliver(self._event("payment_intent.succeeded", intent))
        event = self.env["stripe.event"].search([("stripe_event_id", "like", "pi_webshop_1")])
        self.assertEqual(event.state, "ignored")
        self.assertFalse(self.link.payment_ids)

    # Fee ----------------------------------------------------------------------

    def test_fee_is_booked_from_the_balance_transaction(self):
        self._settle(fee_minor=1025)
        self._deliver(self._pay_event(self.session))
        payment = self.link.payment_ids
        outstanding = payment._seek_for_lines()[0].account_id
        fee_account = self.provider.stripe_fee_account_id
        self.assertEqual(fee_account.code, "627100")
        self.assertEqual(fee_account.account_type, "expense")
        fee_move = self.session.fee_move_id
        self.assertEqual(fee_move.state, "posted")
        self.assertEqual(fee_move.journal_id, self.stripe_journal)
        self.assertEqual(
            sorted((line.account_id, line.debit, line.credit) for line in fee_move.line_ids),
            sorted([(fee_account, 10.25, 0.0), (outstanding, 0.0, 10.25)]),
        )
        self.assertEqual(self.session.amount_fee, 10.25)
        self.assertFalse(self.session.fee_pending)
        # The Stripe journal's outstanding receipts now hold the net payout.
        lines = self.env["account.move.line"].search(
            [("journal_id", "=", self.stripe_journal.id), ("account_id", "=", outstanding.id)]
        )
        self.assertAlmostEqual(sum(lines.mapped("balance")), 539.75)
        payment_lines = sorted((line.account_id, line.debit, line.credit) for line in payment.move_id.line_ids)
        self.assertEqual(payment_lines, sorted([(outstanding, 550.0, 0.0), (self.receivable_account, 0.0, 550.0)]))

    @mute_logger("odoo.addons.payment_link_stripe.models.stripe_checkout_session")
    def test_fee_waits_when_stripe_is_down_and_is_booked_later(self):
        self._settle(fee_minor=1025)
        event = self._pay_event(self.session)
        self.stripe_http.down = True
        self._deliver(event)
        self.assertEqual(len(self.link.payment_ids), 1, "the payment does not wait for the fee")
        self.assertTrue(self.session.fee_pending)
        self.assertFalse(self.session.fee_move_id)
        self.stripe_http.down = False
        self.env["stripe.checkout.session"]._cron_poll()
        self.assertEqual(self.session.fee_move_id.amount_total, 10.25)
        self.assertFalse(self.session.fee_pending)

    # Refund and dispute ---------------------------------------------------------

    def _charge_event(self, event_type, **values):
        stripe_session = self._settle()
        charge = dict(
            self.stripe_http.objects[self.stripe_http.objects[stripe_session["payment_intent"]]["latest_charge"]]
        )
        charge.update(values)
        return self._event(event_type, charge, event_id=f"evt_test_{uuid.uuid4().hex}")

    def test_full_refund_reverses_the_payment_and_reopens_the_case(self):
        self._settle(fee_minor=1025)
        self._deliver(self._pay_event(self.session))
        payment = self.link.payment_ids
        self.assertEqual(self.case.state, "closed")
        self._deliver(self._charge_event("charge.refunded", amount_refunded=55000, refunded=True))
        reversal = self.session.reversal_move_ids
        self.assertEqual(len(reversal), 1)
        self.assertEqual(reversal.state, "posted")
        self.assertEqual(payment.move_id.state, "posted", "nothing deleted, nothing unposted")
        outstanding = payment._seek_for_lines()[0].account_id
        self.assertEqual(
            sorted((line.account_id, line.debit, line.credit) for line in reversal.line_ids),
            sorted([(outstanding, 0.0, 550.0), (self.receivable_account, 550.0, 0.0)]),
        )
        self.assertEqual(self.receipts.mapped("amount_residual"), [275.0, 275.0])
        new_case = self.receipts.case_id
        self.assertEqual(len(new_case), 1)
        self.assertEqual(new_case.state, "open")
        self.assertEqual(new_case.amount_due, 550.0)
        self.assertEqual(self.session.amount_refunded, 550.0)

    def test_partial_refund_reopens_the_newest_receipt(self):
        self._settle()
        self._deliver(self._pay_event(self.session))
        self._deliver(self._charge_event("charge.refunded", amount_refunded=20000))
        self.assertEqual(self.receipts[0].amount_residual, 0.0, "the oldest stays paid")
        self.assertEqual(self.receipts[1].amount_residual, 200.0)
        self.assertEqual(self.receipts[1].case_id.state, "open")
        # The same running total delivered again adds nothing; a second refund adds the difference.
        self._deliver(self._charge_event("charge.refunded", amount_refunded=20000))
        self.assertEqual(len(self.session.reversal_move_ids), 1)
        self._deliver(self._charge_event("charge.refunded", amount_refunded=30000))
        self.assertEqual(len(self.session.reversal_move_ids), 2)
        self.assertEqual(self.receipts[1].amount_residual, 275.0)
        self.assertEqual(self.receipts[0].amount_residual, 25.0)

    def test_refund_of_an_overpayment_reopens_nothing_and_clears_the_flag(self):
        self._settle()
        # The direct debit settled the receipts first: the card payment is all credit.
        self.receipts._register_payments(self.bank_journal)
        self._deliver(self._pay_event(self.session))
        self.assertTrue(self.link.overpaid)
        self._deliver(self._charge_event("charge.refunded", amount_refunded=55000, refunded=True))
        self.assertEqual(self.receipts.mapped("amount_residual"), [0.0, 0.0])
        self.assertFalse(self.link.overpaid)

    def test_refund_before_the_payment_is_recorded_waits(self):
        self._settle()
        self._deliver(self._charge_event("charge.refunded", amount_refunded=55000))
        event = self.env["stripe.event"].search([("event_type", "=", "charge.refunded")])
        self.assertEqual(event.state, "pending", "tried again once the payment is known")
        self._deliver(self._pay_event(self.session))
        self.env["stripe.event"]._cron_process()
        self.assertEqual(event.state, "done")
        self.assertEqual(self.receipts.mapped("amount_residual"), [275.0, 275.0])

    def test_dispute_created_asks_the_accountant(self):
        self._settle()
        self._deliver(self._pay_event(self.session))
        charge_id = self.session.stripe_charge_id
        dispute = stripe_object("dispute", id="dp_test_1", charge=charge_id, payment_intent=None, amount=55000)
        self._deliver(self._event("charge.dispute.created", dispute))
        self.assertEqual(self.session.dispute_state, "open")
        self.assertIn("Stripe dispute to answer", self.case.activity_ids.mapped("summary"))
        self.assertIn("disputes", "".join(self.case.message_ids.mapped("body")))
        self.assertEqual(self.case.state, "closed", "nothing reversed while the dispute is open")

    def test_lost_dispute_reverses_the_payment(self):
        self._settle()
        self._deliver(self._pay_event(self.session))
        intent_id = self.session.stripe_payment_intent_id
        dispute = stripe_object("dispute", id="dp_test_2", charge="ch_unknown", payment_intent=intent_id, amount=55000)
        self._deliver(self._event("charge.dispute.created", dispute))
        lost = dict(dispute, status="lost")
        self._deliver(self._event("charge.dispute.closed", lost))
        self.assertEqual(self.session.dispute_state, "lost")
        self.assertEqual(self.receipts.mapped("amount_residual"), [275.0, 275.0])
        self.assertEqual(self.receipts.case_id.state, "open")
        self._deliver(self._event("charge.dispute.closed", lost, event_id="evt_again"))
        self.assertEqual(len(self.session.reversal_move_ids), 1, "lost once, reversed once")

    def test_dispute_fee_is_booked_and_given_back_when_won(self):
        self._settle()
        self._deliver(self._pay_event(self.session))
        fee_account = self.provider._stripe_fee_account()
        withdrawal = stripe_object(
            "balance_transaction", id="txn_dp_1", amount=-55000, fee=1500, net=-56500, currency="eur", type="adjustment"
        )
        # The fee is in the account's settlement currency (EUR), the dispute in the charge's.
        dispute = stripe_object(
            "dispute",
            id="dp_test_4",
            payment_intent=self.session.stripe_payment_intent_id,
            amount=55000,
            currency=self.session.currency_id.name.lower(),
            balance_transactions=[withdrawal],
        )
        self._deliver(self._event("charge.dispute.created", dispute))
        booked = self.session.dispute_fee_move_ids
        self.assertEqual(len(booked), 1)
        lines = self._lines_by_account(booked)
        self.assertEqual(lines[fee_account][:2], (15.0, 0.0), "Stripe's dispute fee is an expense")
        self._deliver(self._event("charge.dispute.created", dispute, event_id="evt_dp_again"))
        self.assertEqual(len(self.session.dispute_fee_move_ids), 1, "a replay books nothing more")
        reinstated = stripe_object(
            "balance_transaction", id="txn_dp_2", amount=55000, fee=-1500, net=56500, currency="eur", type="adjustment"
        )
        won = dict(dispute, status="won", balance_transactions=[withdrawal, reinstated])
        self._deliver(self._event("charge.dispute.closed", won))
        returned = self.session.dispute_fee_move_ids - booked
        self.assertEqual(self._lines_by_account(returned)[fee_account][:2], (0.0, 15.0), "the fee given back")
        self.assertFalse(self.session.reversal_move_ids, "a won dispute reverses no payment")

    def test_won_dispute_changes_nothing_in_the_accounts(self):
        self._settle()
        self._deliver(self._pay_event(self.session))
        dispute = stripe_object(
            "dispute", id="dp_test_3", payment_intent=self.session.stripe_payment_intent_id, status="won"
        )
        self._deliver(self._event("charge.dispute.closed", dispute))
        self.assertEqual(self.session.dispute_state, "won")
        self.assertFalse(self.session.reversal_move_ids)
        self.assertEqual(self.case.state, "closed")
