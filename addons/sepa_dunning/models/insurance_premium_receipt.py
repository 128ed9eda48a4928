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

    def _awaits_direct_debit(self, today):
        """Whether this receipt's direct debit is still to come on ``today``: in a batch not posted yet, or
        announced (by its notice, else as it would be noticed today) for today or later, under an active
        mandate, and never rejected (a rejected debit opens its case itself)."""
        self.ensure_one()
        if self.payment_method != "sepa_dd" or self.contract_id.mandate_id.state != "active":
            return False
        debits = self.debit_line_ids
        if debits.filtered(lambda debit: debit.state == "rejected"):
            return False
        if debits.filtered(lambda debit: debit.state == "to_collect"):
            return True
        return self._notice_debit_date() >= today
