from odoo import fields, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    arrears_link_id = fields.Many2one(
        "arrears.payment.link",
        string="Arrears Payment Link",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The payment link through which the client paid.",
    )
