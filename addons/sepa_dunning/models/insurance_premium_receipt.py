from markupsafe import Markup

from odoo import fields, models
from odoo.tools import format_date

from .. import collection


class InsurancePremiumReceipt(models.Model):
    _inherit = "insurance.premium.receipt"

    # The receipt's own debits; an instalment debit of a plan points to the plan's oldest receipt only to reopen it.
    debit_line_ids = fields.One2many(
        "sepa.debit.line", "receipt_id", string="SEPA Debits", domain=[("instalment_id", "=", False)]
    )

    def _notice_mandate_reference(self):
        """The mandate reference a direct debit notice prints."""
        self.ensure_one()
        return self.contract_id.mandate_id.name or False

    def _prenotification_date(self):
        """The day this direct debit was announced, or None: a notice sent while the contract was
        paid another way announced no debit."""
        self.ensure_one()
        return (self._notice_method_stands() and self.notice_date) or None

    def _notice_creditor_identifier(self):
        """The creditor identifier a direct debit notice prints."""
        self.ensure_one()
        return self.contract_id.mandate_id.creditor_identifier or self.company_id.sepa_creditor_identifier or False

    def _notice_reference_date(self, notice_date):
        self.ensure_one()
        if self.payment_method == "sepa_dd":
            return self._notice_debit_date(notice_date)
        return super()._notice_reference_date(notice_date)

    def _notice_payment_html(self):
        """A direct debit's notice is its pre-notification: the amount, the day, the mandate, the creditor."""
        self.ensure_one()
        if self.payment_method != "sepa_dd":
            return super()._notice_payment_html()

        def strong(value):
            return Markup("<strong>%s</strong>") % value

        text = Markup(
            self.env._(
                "This notice is your pre-notification: the amount will be collected by SEPA direct debit on %(date)s"
            )
        ) % {"date": strong(format_date(self.env, self._notice_debit_date()))}
        if self._notice_mandate_reference():
            text += Markup(self.env._(", under mandate %(reference)s")) % {
                "reference": strong(self._notice_mandate_reference())
            }
        if self._notice_creditor_identifier():
            text += Markup(self.env._(", creditor identifier %(identifier)s")) % {
                "identifier": strong(self._notice_creditor_identifier())
            }
        return text + "."

    def _notice_debit_date(self, notice_date=None):
        """The collection date of the batch that will take this receipt (:func:`collection.debit_date`)."""
        self.ensure_one()
        company = self.company_id
        return collection.debit_date(
            self.date_due,
            notice_date or self._prenotification_date() or fields.Date.context_today(self),
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
