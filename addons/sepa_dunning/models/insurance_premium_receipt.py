from odoo import fields, models


class InsurancePremiumReceipt(models.Model):
    _inherit = "insurance.premium.receipt"

    # The receipt's own debits; an instalment debit of a plan points to the plan's oldest receipt only to reopen it.
    debit_line_ids = fields.One2many(
        "sepa.debit.line", "receipt_id", string="SEPA Debits", domain=[("instalment_id", "=", False)]
    )

    def _notice_mandate_reference(self):
        return self.contract_id.mandate_id.name or super()._notice_mandate_reference()

    def _notice_debit_date(self):
        # Debits are presented on the due date (or the first collection after it).
        return self.date_due
