from odoo import fields, models


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

    def _reconcile_post_hook(self, data):
        # A fee is a receivable item, not an invoice of its own: its payment closes
        # the case here, as a receipt's does through the invoice paid hook.
        res = super()._reconcile_post_hook(data)
        # sudo: the accountant reconciling may have no arrears rights (see _invoice_paid_hook).
        self.sudo().arrears_fee_case_id.filtered(lambda case: case.state == "open")._refresh()
        return res
