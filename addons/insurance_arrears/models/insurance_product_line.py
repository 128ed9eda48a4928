from odoo import fields, models


class InsuranceProductLine(models.Model):
    _name = "insurance.product.line"
    _description = "Insurance Product Line"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char()
    sequence = fields.Integer(default=10)
    non_life = fields.Boolean(
        string="Non-Life",
        default=True,
        help="Non-life cover: article L113-3 of the French Insurance Code applies "
        "(suspension 30 days after the formal notice, termination 10 days later).",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        index=True,
        help="Leave empty to share the product line between companies.",
    )

    _code_company_unique = models.Constraint(
        "UNIQUE(code, company_id)",
        "A product line code must be unique per company.",
    )
