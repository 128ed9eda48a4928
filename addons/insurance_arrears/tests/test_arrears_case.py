from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import InsuranceArrearsCommon


@tagged("post_install", "-at_install")
class TestArrearsCase(InsuranceArrearsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls._create_quarterly_contract()
        cls.receipts = cls.contract.receipt_ids.sorted("period_start")

    @freeze_time("2026-03-15")
    def test_overdue_receipt_opens_one_case(self):
        self.env["arrears.case"]._cron_sync()
        case = self.contract.case_ids
        self.assertEqual(len(case), 1)
        self.assertEqual(case.state, "open")
        self.assertEqual(case.stage, "new")
        self.assertEqual(case.open_receipt_ids, self.receipts[0], "the April receipt is not due yet")
        self.assertEqual(case.amount_due, 275.0)
        self.assertEqual(case.oldest_due_date, date(2026, 1, 1))
        self.assertEqual((case.days_overdue, case.ageing), (73, "61_90"))
        self.assertIn("Case opened", case.message_ids[0].body)
        # A second run changes nothing.
        self.env["arrears.case"]._cron_sync()
        self.assertEqual(len(self.contract.case_ids), 1)

    @freeze_time("2026-04-20")
    def test_later_receipts_join_the_open_case(self):
        self.env["arrears.case"]._cron_sync()
        case = self.contract.case_ids
        self.assertEqual(len(case), 1)
        self.assertEqual(case.open_receipt_ids, self.receipts)
        self.assertEqual(case.amount_due, 550.0)

    @freeze_time("2026-03-15")
    def test_payment_closes_the_case(self):
        self.env["arrears.case"]._cron_sync()
        case = self.contract.case_ids
        self.receipts[0]._register_payments(self.bank_journal)
        self.assertEqual(case.state, "closed")
        self.assertEqual(case.stage, "closed")
        self.assertEqual(case.amount_due, 0.0)
        self.assertEqual(case.date_closed, date(2026, 3, 15))

    @freeze_time("2026-03-15")
    def test_partial_payment_leaves_the_rest_due(self):
        self.env["arrears.case"]._cron_sync()
        case = self.contract.case_ids
        payment = (
            self.env["account.payment"]
            .with_context(force_payment_move=True)
            .create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": self.policyholder.id,
                    "amount": 100.0,
                    "journal_id": self.bank_journal.id,
                }
            )
        )
        payment.action_post()
        on_receivable = [("account_id", "=", self.receivable_account.id)]
        (
            self.receipts[0].move_id.line_ids.filtered_domain(on_receivable)
            + payment.move_id.line_ids.filtered_domain(on_receivable)
        ).reconcile()
        self.assertEqual(case.state, "open")
        self.assertEqual(case.amount_due, 175.0)

    @freeze_time("2026-03-15")
    def test_receipts_of_a_direct_insurer_open_no_case(self):
        direct = self._create_contract(insurer_id=self.insurer_direct.id)
        direct._generate_receipts(until=date(2026, 1, 1))
        self.env["arrears.case"]._cron_sync()
        self.assertFalse(direct.case_ids)
