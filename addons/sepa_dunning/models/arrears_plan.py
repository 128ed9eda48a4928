from decimal import Decimal

from odoo import api, fields, models
from odoo.addons.insurance_arrears import plans


class ArrearsPlanInstalment(models.Model):
    _inherit = "arrears.plan.instalment"

    collection = fields.Selection(selection_add=[("sepa_dd", "SEPA Direct Debit")])
    debit_line_ids = fields.One2many("sepa.debit.line", "instalment_id", string="SEPA Debits", readonly=True)

    @api.depends("request_id.contract_id.payment_method", "request_id.contract_id.mandate_id.state")
    def _compute_collection(self):
        """A contract paid by direct debit with an active mandate has its instalments collected by SEPA."""
        res = super()._compute_collection()
        for instalment in self:
            contract = instalment.request_id.contract_id
            if contract.payment_method == "sepa_dd" and contract.mandate_id.state == "active":
                instalment.collection = "sepa_dd"
        return res

    def _awaited(self):
        # A debit not presented yet is the broker's to make, not the debtor's to miss
        # (batches may run after the date); a rejected one breaks the plan on import.
        if self.collection == "sepa_dd" and not self.debit_line_ids.filtered(lambda line: line.state == "collected"):
            return False
        return super()._awaited()

    def _amount_to_collect(self):
        """What the debit of this instalment takes: its amount, less what the debtor paid ahead.

        Never more than the plan's total scheduled until this instalment minus what
        is paid already, nor more than what is still unpaid of the plan.
        """
        self.ensure_one()
        request = self.request_id
        amount = plans.amount_to_collect(
            [(i.sequence, Decimal(str(i.amount))) for i in request.instalment_ids],
            self.sequence,
            Decimal(str(self.amount)),
            Decimal(str(request.amount_paid)),
            Decimal(str(request._residual())),
        )
        return request.currency_id.round(float(amount))
