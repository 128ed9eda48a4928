from collections import defaultdict

from odoo import api, fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    arrears_fee_case_id = fields.Many2one(
        "arrears.case",
        string="Fee of Arrears Case",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="This receivable item is a fee charged to the debtor in this case (bank rejection, dunning).",
    )

    def _arrears_settled_receipts(self):
        """What these credit items (a payment's, a debit's) settled, receipt by receipt:
        ``[(receipt, amount)]``, by due date; fees are left out."""
        applied = defaultdict(float)
        for partial in self.matched_debit_ids:
            applied[partial.debit_move_id.move_id.id] += partial.amount
        receipts = self.env["insurance.premium.receipt"].search([("move_id", "in", list(applied))])
        return [(receipt, applied[receipt.move_id.id]) for receipt in receipts.sorted("date_due")]

    @api.model
    def _arrears_reconcile(self, plan):
        """Reconcile each group of items of ``plan`` (thousands at once: a batch, a bank file).

        Each group reads its fields along with all the others (a group made by
        adding records prefetches only itself: a query per group in Odoo's
        reconciliation), and no tracking message is written per invoice paid:
        the entries and the invoices' payment widgets keep the trail.
        """
        every_line = self.union(*plan)
        # Odoo's synchronisation of the entries reads their lines' taxes entry by entry.
        every_line.move_id.line_ids.fetch(["tax_ids"])
        return self.with_context(tracking_disable=True)._reconcile_plan(
            [group.with_prefetch(every_line._prefetch_ids) for group in plan]
        )

    def _reconcile_post_hook(self, data):
        # A fee is a receivable item, not an invoice of its own: its payment closes
        # the case here, as a receipt's does through the invoice paid hook.
        res = super()._reconcile_post_hook(data)
        # sudo: the accountant reconciling may have no arrears rights (see _invoice_paid_hook).
        self.sudo().arrears_fee_case_id.filtered(lambda case: case.state == "open")._refresh()
        return res
