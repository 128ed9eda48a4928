from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    sepa_batch_id = fields.Many2one(
        "sepa.debit.batch",
        string="Direct Debit Batch",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The batch whose debits in transit this item counts: its posting, a rejection taken back, "
        "or a bank statement's credit or debit.",
    )
