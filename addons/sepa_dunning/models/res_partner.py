from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        company_dependent=True,
        help="For an insurer: the policy of its contracts' cases, unless the product line names one.",
    )
