from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class InsuranceContract(models.Model):
    _inherit = "insurance.contract"

    payment_method = fields.Selection(
        selection_add=[("sepa_dd", "SEPA Direct Debit"), ("card",)],
        ondelete={"sepa_dd": "set default"},
    )
    mandate_id = fields.Many2one(
        "sepa.mandate",
        string="SEPA Mandate",
        tracking=True,
        check_company=True,
        domain="[('partner_id', '=', partner_id), ('state', 'in', ('draft', 'active'))]",
    )

    @api.constrains("mandate_id", "partner_id")
    def _check_mandate_partner(self):
        for contract in self.filtered("mandate_id"):
            if contract.mandate_id.partner_id.commercial_partner_id != contract.partner_id.commercial_partner_id:
                raise ValidationError(
                    _(
                        "Mandate %(mandate)s belongs to %(owner)s, not to the policyholder of %(contract)s.",
                        mandate=contract.mandate_id.name,
                        owner=contract.mandate_id.partner_id.name,
                        contract=contract.name,
                    )
                )
