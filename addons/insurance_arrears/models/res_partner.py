from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    is_insurer = fields.Boolean(string="Insurer")
    is_introducer = fields.Boolean(
        string="Introducer",
        help="Business introducer (apporteur) or management delegate bringing contracts.",
    )
    insurer_collection_mandate = fields.Boolean(
        string="Collects for the Insurer",
        default=True,
        help="Under a collection mandate the broker collects the whole premium and "
        "owes the insurer the premium less its commission. Otherwise the client pays "
        "the insurer and only the commission is booked.",
    )
    insurer_issues_receipts = fields.Boolean(
        string="Issues Its Own Receipts",
        help="The insurer issues the receipts of its contracts and sends them in files "
        "(quittancement compagnie): they are imported, not issued by the daily job.",
    )
    insurer_commission_rate = fields.Float(
        string="Default Commission (%)",
        digits=(5, 2),
        help="Commission rate proposed on new contracts with this insurer.",
    )
    insurance_contract_ids = fields.One2many(
        "insurance.contract",
        "partner_id",
        string="Insurance Contracts",
        groups="insurance_arrears.group_arrears_user",
    )
    # Figures for the smart buttons; only arrears users may read what they count.
    insurance_contract_count = fields.Integer(
        compute="_compute_insurance_figures", groups="insurance_arrears.group_arrears_user"
    )
    insurance_receipt_count = fields.Integer(
        compute="_compute_insurance_figures", groups="insurance_arrears.group_arrears_user"
    )
    insurance_arrears_amount = fields.Monetary(
        string="Amount in Arrears",
        compute="_compute_insurance_figures",
        currency_field="currency_id",
        groups="insurance_arrears.group_arrears_user",
    )

    def _arrears_lang(self):
        """Language to write to this partner in: its own when installed, else the company's, else English."""
        self.ensure_one()
        installed = {code for code, _name in self.env["res.lang"].get_installed()}
        for lang in (self.lang, self.env.company.partner_id.lang):
            if lang in installed:
                return lang
        return "en_US"

    def _insurance_role_field(self):
        """Field linking this partner to its contracts: insurer, introducer or policyholder."""
        self.ensure_one()
        if self.is_insurer:
            return "insurer_id"
        if self.is_introducer:
            return "introducer_id"
        return "partner_id"

    def _compute_insurance_figures(self):
        partners = self.filtered("id")
        (self - partners).update(
            {
                "insurance_contract_count": 0,
                "insurance_receipt_count": 0,
                "insurance_arrears_amount": 0.0,
            }
        )
        by_role = {}
        for partner in partners:
            by_role.setdefault(partner._insurance_role_field(), self.browse())
            by_role[partner._insurance_role_field()] |= partner
        for field, group in by_role.items():
            domain = [(field, "in", group.ids)]
            contracts = dict(self.env["insurance.contract"]._read_group(domain, [field], ["__count"]))
            receipts = dict(self.env["insurance.premium.receipt"]._read_group(domain, [field], ["__count"]))
            arrears = dict(
                self.env["arrears.case"]._read_group([*domain, ("state", "=", "open")], [field], ["amount_due:sum"])
            )
            for partner in group:
                partner.insurance_contract_count = contracts.get(partner, 0)
                partner.insurance_receipt_count = receipts.get(partner, 0)
                partner.insurance_arrears_amount = arrears.get(partner, 0.0)

    def _insurance_action(self, xmlid):
        self.ensure_one()
        field = self._insurance_role_field()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [(field, "=", self.id)]
        action["context"] = {f"default_{field}": self.id}
        return action

    def action_view_insurance_contracts(self):
        return self._insurance_action("insurance_arrears.action_insurance_contract")

    def action_view_insurance_receipts(self):
        return self._insurance_action("insurance_arrears.action_insurance_premium_receipt")

    def action_view_arrears_cases(self):
        return self._insurance_action("insurance_arrears.action_arrears_case")
