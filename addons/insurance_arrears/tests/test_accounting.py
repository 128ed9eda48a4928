from datetime import date

from odoo.tests import tagged

from .common import InsuranceArrearsCommon


@tagged("post_install", "-at_install")
class TestBrokerAccounting(InsuranceArrearsCommon):
    def test_collection_mandate_entries_for_each_split(self):
        # split: (net, tax, fee) of one period for 1000 / 90 / 10 a year, commission 15%
        expected = {
            "annual": (1000.0, 90.0, 10.0, 150.0),
            "semiannual": (500.0, 45.0, 5.0, 75.0),
            "quarterly": (250.0, 22.5, 2.5, 37.5),
            "monthly": (83.33, 7.5, 0.83, 12.5),
        }
        for split, (net, tax, fee, commission) in expected.items():
            with self.subTest(split=split):
                contract = self._create_contract(split=split)
                receipt = contract._generate_receipts(until=date(2026, 1, 1))
                self.assertEqual(len(receipt), 1)
                total = round(net + tax + fee, 2)
                lines = self._lines_by_account(receipt.move_id)
                self.assertEqual(lines[self.receivable_account], (total, 0.0, self.policyholder))
                self.assertEqual(lines[self.insurer_account][:2], (0.0, round(total - commission, 2)))
                insurer_line = receipt._insurer_lines()
                self.assertIn(self.insurer.name, insurer_line.name)
                self.assertEqual(lines[self.commission_account][:2], (0.0, commission))
                self.assertEqual(len(lines), 3, "no tax line: brokerage commission carries no VAT")
                self.assertEqual(receipt.move_id.state, "posted")
                self.assertEqual(receipt.move_id.journal_id, self.company.insurance_receipt_journal_id)

    def test_without_mandate_only_the_commission_is_booked(self):
        contract = self._create_contract(insurer_id=self.insurer_direct.id, split="quarterly")
        receipt = contract._generate_receipts(until=date(2026, 1, 1))
        self.assertFalse(receipt.collects_for_insurer)
        self.assertEqual(receipt.commission_amount, 25.0)  # 10% of 250
        move = receipt.move_id
        self.assertEqual(move.partner_id, self.insurer_direct)
        lines = self._lines_by_account(move)
        self.assertEqual(lines[self.receivable_account], (25.0, 0.0, self.insurer_direct))
        self.assertEqual(lines[self.commission_account][:2], (0.0, 25.0))
        self.assertNotIn(self.insurer_account, lines)

    def test_payment_reconciles_the_receipts_in_one_plan(self):
        contract = self._create_contract(split="monthly")
        receipts = contract._generate_receipts(until=date(2026, 3, 1))
        payments = receipts._register_payments(self.bank_journal, date=date(2026, 3, 5))
        self.assertEqual(len(payments), 1, "one payment per client")
        self.assertAlmostEqual(payments.amount, sum(receipts.mapped("amount_total")))
        self.assertEqual(set(receipts.mapped("state")), {"paid"})
        self.assertTrue(all(r.amount_residual == 0 for r in receipts))
        receivable = receipts.move_id.line_ids.filtered(lambda line: line.account_id == self.receivable_account)
        self.assertTrue(all(receivable.mapped("reconciled")))
