from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _arrears_open_receivables(self):
        """Unreconciled receivable items of these moves: what a payment of the debtor settles."""
        return self.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )

    def _invoice_paid_hook(self):
        # Whatever the route of the payment, a case with nothing left due closes now.
        res = super()._invoice_paid_hook()
        receipts = self.env["insurance.premium.receipt"].search([("move_id", "in", self.ids)])
        fee_cases = self.env["arrears.case"].search([("fee_move_ids", "in", self.ids), ("state", "=", "open")])
        (receipts.case_id | fee_cases).filtered(lambda c: c.state == "open")._refresh()
        return res
