from odoo import fields, models


class InsuranceProductLine(models.Model):
    _inherit = "insurance.product.line"

    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        help="Policy of the cases of this product line; else the insurer's, else the company's.",
    )
