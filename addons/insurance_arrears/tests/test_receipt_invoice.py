from datetime import date

from odoo.tests import tagged

from .common import InsuranceArrearsCommon

# What two invoices of the same receipt may not share: their own identity and number.
OWN_FIELDS = {"id", "create_date", "write_date", "name", "sequence_number", "move_id", "move_name"}


@tagged("post_install", "-at_install")
class TestReceiptInvoice(InsuranceArrearsCommon):
    """The invoices the receipts cron makes whole are those Odoo's own synchronisation makes."""

    def _stored_values(self, record):
        return {
            name: record[name].ids if field.relational else record[name]
            for name, field in record._fields.items()
            if field.store and field.type != "binary" and name not in OWN_FIELDS and not field.type.endswith("2many")
        }

    def _odoo_invoice(self, receipt):
        """The invoice of ``receipt`` as Odoo makes it from invoice lines (its synchronisation)."""
        move = self.env["account.move"].create(receipt._prepare_move_vals())
        move.action_post()
        return move

    def _assert_same_invoice(self, ours, odoo):
        self.assertEqual(self._stored_values(ours), self._stored_values(odoo), "the invoices")
        order = lambda move: move.line_ids.sorted(lambda line: (line.display_type, line.account_id.code))  # noqa: E731
        self.assertEqual(len(ours.line_ids), len(odoo.line_ids))
        for line, odoo_line in zip(order(ours), order(odoo), strict=True):
            self.assertEqual(self._stored_values(line), self._stored_values(odoo_line), line.display_type)

    def test_every_split_gives_the_invoice_odoo_would_make(self):
        for split in ("annual", "semiannual", "quarterly", "monthly"):
            for insurer in (self.insurer, self.insurer_direct):
                with self.subTest(split=split, collects=insurer.insurer_collection_mandate):
                    # From mid-period: the first receipt is a share of a period.
                    contract = self._create_contract(split=split, insurer_id=insurer.id, date_start="2026-02-10")
                    receipts = contract._generate_receipts(until=contract.date_start)
                    self.assertTrue(receipts.move_id, "posted")
                    for receipt in receipts:
                        self._assert_same_invoice(receipt.move_id, self._odoo_invoice(receipt))

    def test_commission_only_and_premium_only_invoices_match_too(self):
        cases = {
            "no commission": self._create_contract(commission_rate=0.0),
            "no premium": self._create_contract(insurer_id=self.insurer_direct.id, premium_fee=0.0),
        }
        for label, contract in cases.items():
            with self.subTest(label):
                (receipt,) = contract._generate_receipts(until=contract.date_start)
                self.assertEqual(len(receipt.move_id.invoice_line_ids), 1)
                self._assert_same_invoice(receipt.move_id, self._odoo_invoice(receipt))

    def test_numbers_follow_the_journal_without_gap(self):
        contracts = self._create_contract() | self._create_contract() | self._create_contract()
        receipts = contracts._generate_receipts(until=contracts[0].date_start)
        first = receipts.move_id
        by_hand = self._odoo_invoice(receipts[0])  # a number taken the usual way in between
        second = self._create_contract()._generate_receipts(until=contracts[0].date_start).move_id
        moves = (first | by_hand | second).sorted("id")
        numbers = moves.mapped("sequence_number")
        self.assertEqual(numbers, list(range(numbers[0], numbers[0] + len(moves))), moves.mapped("name"))
        self.assertEqual(len(set(moves.mapped("sequence_prefix"))), 1)
        self.assertFalse(any(moves.mapped("made_sequence_gap")))

    def test_the_invoice_is_paid_and_credited_as_any_other(self):
        (receipt,) = self._create_contract()._generate_receipts(until=date(2026, 1, 1))
        invoice = receipt.move_id
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {"amount": 100.0, "journal_id": self.bank_journal.id}
        )._create_payments()
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("partial", 175.0))
        self.assertEqual(receipt.amount_residual, 175.0)
        credit = invoice._reverse_moves([{"ref": "Correction"}])
        credit.action_post()
        self.assertEqual(credit.amount_total, invoice.amount_total)
        self.assertEqual(self._lines_by_account(credit)[self.receivable_account][1], 275.0)

    def test_an_analytic_distribution_model_applies_as_on_any_invoice(self):
        plan = self.env["account.analytic.plan"].sudo().create({"name": "Brokerage"})
        analytic = self.env["account.analytic.account"].sudo().create({"name": "Commissions", "plan_id": plan.id})
        self.env["account.analytic.distribution.model"].sudo().create(
            {"account_prefix": self.commission_account.code, "analytic_distribution": {str(analytic.id): 100}}
        )
        (receipt,) = self._create_contract()._generate_receipts(until=date(2026, 1, 1))
        commission = receipt.move_id.line_ids.filtered(lambda line: line.account_id == self.commission_account)
        self.assertEqual(commission.analytic_distribution, {str(analytic.id): 100})
        self.assertEqual(commission.analytic_line_ids.amount, commission.credit, "posted to the analytic account")
        self._assert_same_invoice(receipt.move_id, self._odoo_invoice(receipt))
