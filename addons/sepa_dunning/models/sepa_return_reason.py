from odoo import fields, models


class SepaReturnReason(models.Model):
    _name = "sepa.return.reason"
    _description = "SEPA Return Reason Code"
    _order = "code"
    _rec_names_search = ["code", "name"]

    code = fields.Char(required=True, index=True, help="ISO 20022 external return reason code.")
    name = fields.Char(string="Label", required=True, translate=True)
    action = fields.Selection(
        [
            ("represent", "Present again at the next collection"),
            ("block_mandate", "Block the mandate"),
            # Every rejection reopens its receipt and lets dunning run; this action adds nothing to that.
            ("dunning", "Nothing more (dunning only)"),
            ("manual", "Ask an accountant"),
        ],
        required=True,
        default="manual",
        help="What a rejection with this code does besides reopening the receipt and its arrears case.",
    )
    active = fields.Boolean(default=True)

    _code_unique = models.Constraint("UNIQUE(code)", "A reason code is defined once.")

    def _compute_display_name(self):
        for reason in self:
            reason.display_name = f"{reason.code} - {reason.name}"
