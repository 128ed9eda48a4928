import base64
from datetime import date, timedelta

from freezegun import freeze_time

from odoo.addons.sepa_dunning.iso20022 import returns
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SepaCommon


@tagged("post_install", "-at_install")
class TestPlanDebit(SepaCommon):
    """A debtor paying by direct debit gets a plan: its instalments are debited, not its receipts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["arrears.plan.rule"].search([]).unlink()
        cls.env["arrears.plan.rule"].create(
            {"name": "Standard", "max_amount": 1000.0, "max_instalments": 3, "spacing_days": 30}
        )
        cls.contract = cls._create_debit_contract(split="quarterly")
        with freeze_time("2026-04-20"):
            # Notices went out in time, their debit dates passed without a debit: in arrears (without a
            # plan, the next batch would debit them).
            cls.receipts = cls._issue(cls.contract, until=date(2026, 4, 1)).sorted("period_start")
            cls.env["arrears.case"]._cron_sync()
        cls.case = cls.contract.case_ids
        cls.link = cls.case._ensure_payment_links()
        cls.today = date.today()

    def _collect(self, days):
        return self._confirmed_batch(collection_date=self.today + timedelta(days=days))

    def test_instalments_are_debited_and_settle_the_receipts_oldest_first(self):
        request = self.link._ask_plan("plan", instalment_count=2)
        first, second = request.instalment_ids
        self.assertEqual(request.instalment_ids.mapped("collection"), ["sepa_dd", "sepa_dd"])
        self.assertEqual(self.link._amount_to_ask(), 0.0, "the page does not ask for what the bank will debit")
        with self.assertRaisesRegex(UserError, "collected by direct debit"):
            self.link._checkout_url()
        mail = request.message_ids.filtered(lambda m: m.partner_ids == self.policyholder)
        self.assertIn("taken from your account on their date", mail.body)

        batch = self._collect(30)
        self.assertEqual(
            batch.excluded_line_ids.mapped("exclusion_reason"), ["under_plan", "under_plan"], "the receipts wait"
        )
        debit = batch.collect_line_ids
        self.assertEqual((debit.instalment_id, debit.amount, debit.sequence_type), (first, 275.0, "RCUR"))
        self.assertEqual(debit.end_to_end_id, f"{batch.name}-P{first.id}")
        self.assertEqual(debit.receipt_id, self.receipts[0])
        content = batch.file_id.raw.decode()
        self.assertIn("Instalment 1/2 contract", content)
        self.assertIn('<InstdAmt Ccy="EUR">275.00</InstdAmt>', content)
        lines = self._lines_by_account(batch.move_ids)
        self.assertEqual(lines[self.receivable_account], (0.0, 275.0, self.policyholder))
        self.assertEqual(self.receipts.mapped("amount_residual"), [0.0, 275.0])
        self.assertEqual(request.amount_paid, 275.0)
        self.assertEqual((request.state, self.case.state, self.case.dunning_pause), ("granted", "open", "plan"))

        with self.assertRaises(UserError):
            self._batch(collection_date=self.today + timedelta(days=45)).action_prepare()

        second_batch = self._collect(60)
        self.assertEqual(second_batch.collect_line_ids.instalment_id, second)
        self.assertEqual(self.receipts.mapped("amount_residual"), [0.0, 0.0])
        self.assertEqual(self.case.state, "closed")
        self.env["arrears.plan.request"]._cron_follow()
        self.assertEqual(request.state, "kept")

    def test_batch_run_after_the_date_does_not_break_the_plan(self):
        request = self.link._ask_plan("plan", instalment_count=2)
        with freeze_time(self.today + timedelta(days=40)):
            self.env["arrears.plan.request"]._cron_follow()
        self.assertEqual(request.state, "granted", "the debit is the broker's to present")
        self._collect(41)
        self.assertEqual(request.amount_paid, 275.0)

    def test_paid_ahead_through_the_link_the_debit_takes_only_the_rest(self):
        request = self.link._ask_plan("plan", instalment_count=2)
        self.link._register_payment(100.0, journal=self.bank_journal)
        batch = self._collect(30)
        self.assertEqual(batch.collect_line_ids.amount, 175.0)
        self.assertEqual(request.amount_paid, 275.0)

    def test_blocked_mandate_instalments_go_through_the_link(self):
        self.contract.mandate_id.action_block("Account closed")
        request = self.link._ask_plan("plan", instalment_count=2)
        self.assertEqual(request.instalment_ids.mapped("collection"), ["link", "link"])
        self.assertEqual(self.link._amount_to_ask(), 275.0)
        batch = self._batch(collection_date=self.today + timedelta(days=30))
        with self.assertRaises(UserError):
            batch.action_prepare()

    def test_schedule_sent_late_is_no_pre_notification(self):
        self.link._ask_plan("plan", instalment_count=2)
        first = self.case.plan_request_ids.instalment_ids[0]
        first.date_due = self.today + timedelta(days=5)
        batch = self._batch(collection_date=self.today + timedelta(days=5))
        with self.assertRaises(UserError):
            batch.action_prepare()

    def test_rejected_instalment_breaks_the_plan_and_reopens_the_receipt(self):
        request = self.link._ask_plan("plan", instalment_count=2)
        batch = self._collect(30)
        rejection = self.env["sepa.return.import"]._import_simulated_rejections(batch, ["AM04"])
        self.assertEqual(rejection.line_ids.match_state, "matched")
        self.assertEqual(self.receipts.mapped("amount_residual"), [275.0, 275.0], "the debit is undone")
        self.assertEqual(request.state, "broken")
        self.assertFalse(self.case.dunning_pause, "the dunning resumes")
        self.assertEqual(batch.collect_line_ids.state, "rejected")
        # The plan is over: the next batch presents the receipts themselves again.
        next_batch = self._batch(collection_date=self.today + timedelta(days=60))
        next_batch.action_prepare()
        self.assertEqual(next_batch.collect_line_ids.receipt_id, self.receipts)
        self.assertFalse(next_batch.collect_line_ids.instalment_id)

    def _plan_over_fees_only(self):
        """The premiums paid by transfer, the case's fees left: a plan of two instalments of 30.00 over them."""
        (fee,) = self.case._charge_fees(
            [(self.case, 60.0, "Bank rejection fees", self.commission_account, self.today)], ref="Fees"
        )
        self.receipts._register_payments(self.bank_journal)
        self.assertEqual((self.case.state, self.case.amount_due), ("open", 60.0))
        request = self.link._ask_plan("plan", instalment_count=2)
        self.assertFalse(request.receipt_ids, "a plan over fees only")
        return fee, request

    def test_plan_over_fees_only_is_debited_with_the_other_receipts(self):
        fee, request = self._plan_over_fees_only()
        self.assertEqual(request.instalment_ids.mapped("collection"), ["sepa_dd", "sepa_dd"])
        other = self.env["res.partner"].create({"name": "Autre Assure", "country_id": self.env.ref("base.fr").id})
        other_contract = self._create_debit_contract(partner=other)
        other_receipts = self._issue(other_contract)

        batch = self._collect(30)
        by_instalment = batch.collect_line_ids.grouped("instalment_id")
        debit = by_instalment[request.instalment_ids[0]]
        self.assertEqual(
            (debit.receipt_id, debit.contract_id, debit.partner_id, debit.mandate_id, debit.amount),
            (self.env["insurance.premium.receipt"], self.contract, self.policyholder, self.contract.mandate_id, 30.0),
        )
        self.assertEqual(by_instalment[self.env["arrears.plan.instalment"]].receipt_id, other_receipts)
        content = batch.file_id.raw.decode()
        after = content.split(f"<EndToEndId>{debit.end_to_end_id}</EndToEndId>")[1]
        instalment_debit = after.split("</DrctDbtTxInf>")[0]
        self.assertIn('<InstdAmt Ccy="EUR">30.00</InstdAmt>', instalment_debit)
        self.assertIn(f"<MndtId>{self.contract.mandate_id.name}</MndtId>", instalment_debit)
        self.assertIn("<Nm>Jeanne Dupont</Nm>", instalment_debit)
        self.assertIn("Instalment 1/2 contract", instalment_debit)
        self.assertIn("<Nm>Autre Assure</Nm>", content)
        self.assertEqual((fee.amount_residual, request.amount_paid, self.case.amount_due), (30.0, 30.0, 30.0))
        self.assertEqual(debit.move_line_id.partner_id, self.policyholder)

        report = returns.status_report(
            batch.name, [(f"{batch.name}-RCUR", debit.end_to_end_id, 30.0, "AM04")], batch.collection_date
        )
        rejection = self.env["sepa.return.import"].create({"file": base64.b64encode(report), "filename": "r.xml"})
        rejection.action_parse()
        rejection.action_confirm()
        self.assertEqual((rejection.line_ids.match_state, debit.state), ("matched", "rejected"))
        self.assertEqual(rejection.line_ids.contract_id, self.contract)
        self.assertEqual((fee.amount_residual, request.state), (60.0, "broken"), "the fees are due again")
        case = fee.arrears_fee_case_id
        self.assertEqual((case.state, case.contract_id, case.amount_due), ("open", self.contract, 60.0))
        self.assertIn("Direct debit rejected by the bank", case.message_ids[0].body)

    def test_bad_receipt_is_left_out_and_the_batch_made(self):
        other_contract = self._create_debit_contract()
        good, bad = self._issue(other_contract, until=date(2026, 4, 1)).sorted("date_due")
        Batch = type(self.env["sepa.debit.batch"])
        reason = Batch._exclusion_reason
        receipt_vals = Batch._receipt_debit_vals

        def failing_reason(batch, receipt, mandate):
            if receipt == good:
                raise ValueError("unreadable receipt")
            return reason(batch, receipt, mandate)

        def bad_vals(batch, receipt, under_plan, first_debit):
            vals = receipt_vals(batch, receipt, under_plan, first_debit)
            return {**vals, "sequence_type": "XXXX"} if receipt == bad else vals

        self.patch(Batch, "_exclusion_reason", failing_reason)
        self.patch(Batch, "_receipt_debit_vals", bad_vals)
        request = self.link._ask_plan("plan", instalment_count=2)
        batch = self._batch(collection_date=self.today + timedelta(days=30))
        batch.action_prepare()
        self.assertEqual(batch.collect_line_ids.instalment_id, request.instalment_ids[0])
        errors = batch.excluded_line_ids.filtered(lambda line: line.exclusion_reason == "error")
        self.assertEqual(errors.receipt_id, good | bad)
        self.assertIn(good.name, batch.message_ids[0].body)
        self.assertIn("unreadable receipt", batch.message_ids[0].body)
        self.assertIn(bad.name, batch.message_ids[0].body)
