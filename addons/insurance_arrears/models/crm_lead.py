from odoo import _, fields, models
from odoo.exceptions import UserError


class CrmLead(models.Model):
    _inherit = "crm.lead"

    insurance_contract_ids = fields.One2many(
        "insurance.contract",
        "opportunity_id",
        string="Contracts",
        groups="insurance_arrears.group_arrears_user",
    )
    insurance_contract_count = fields.Integer(
        compute="_compute_insurance_contract_count", groups="insurance_arrears.group_arrears_user"
    )

    def _compute_insurance_contract_count(self):
        counts = dict(
            self.env["insurance.contract"]._read_group(
                [("opportunity_id", "in", self.ids)], ["opportunity_id"], ["__count"]
            )
        )
        for lead in self:
            lead.insurance_contract_count = counts.get(lead, 0)

    def action_create_insurance_contract(self):
        """Open a new contract prefilled from this won opportunity."""
        self.ensure_one()
        if not self.stage_id.is_won:
            raise UserError(_("Only a won opportunity becomes a contract."))
        if not self.partner_id:
            raise UserError(_("Set the customer of opportunity %s first.", self.name))
        return {
            "type": "ir.actions.act_window",
            "name": _("New Contract"),
            "res_model": "insurance.contract",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_opportunity_id": self.id,
                "default_partner_id": self.partner_id.id,
                "default_company_id": (self.company_id or self.env.company).id,
                "default_premium_net": self.expected_revenue,
                "default_user_id": self.user_id.id or self.env.user.id,
                "default_date_start": fields.Date.context_today(self),
            },
        }

    def action_view_insurance_contracts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("insurance_arrears.action_insurance_contract")
        action["domain"] = [("opportunity_id", "=", self.id)]
        return action
