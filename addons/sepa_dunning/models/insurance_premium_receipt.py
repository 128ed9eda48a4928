from odoo import fields, models

from .. import collection


class InsurancePremiumReceipt(models.Model):
    _inherit = "insurance.premium.receipt"

    # The receipt's own debits; an instalment debit of a plan points to the plan's oldest receipt only to reopen it.
    debit_line_ids = fields.One2many(
        "sepa.debit.line", "receipt_id", string="SEPA Debits", domain=[("instalment_id", "=", False)]
    )

    def _notice_mandate_reference(self):
        return self.contract_id.mandate_id.name or super()._notice_mandate_reference()

    def _notice_creditor_identifier(self):
        return (
            self.contract_id.mandate_id.creditor_identifier
            or self.company_id.sepa_creditor_identifier
            or super()._notice_creditor_identifier()
        )

    def _notice_debit_date(self, notice_date=None):
        """The collection date of the batch that will take this receipt (:func:`collection.debit_date`)."""
        self.ensure_one()
        company = self.company_id
        return collection.debit_date(
            self.date_due,
            notice_date or self.notice_date or fields.Date.context_today(self),
            company.sepa_prenotification_days,
            company._sepa_batch_lead_days(),
        )
