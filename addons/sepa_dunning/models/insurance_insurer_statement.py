from odoo import fields, models


class InsuranceInsurerStatement(models.Model):
    _inherit = "insurance.insurer.statement"

    transfer_line_ids = fields.One2many("sepa.credit.transfer.line", "statement_id", string="Credit Transfers")

    def _open_transfer_lines(self):
        """The transfers of these statements still on their way (not cancelled, not rejected)."""
        return self.transfer_line_ids.filtered(lambda line: line.state in ("draft", "to_send", "sent"))

    def action_pay_by_transfer(self):
        """A credit transfer file for these confirmed statements, from the company's collection account."""
        company = self.company_id[:1]
        transfer = self.env["sepa.credit.transfer"]._for_statements(self, company._sepa_batch_journal())
        return {
            "type": "ir.actions.act_window",
            "res_model": "sepa.credit.transfer",
            "res_id": transfer.id,
            "view_mode": "form",
        }
