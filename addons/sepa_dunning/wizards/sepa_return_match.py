from odoo import api, fields, models


class SepaReturnMatch(models.TransientModel):
    _name = "sepa.return.match"
    _description = "Match a Bank Rejection by Hand"

    line_id = fields.Many2one("sepa.return.line", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="line_id.company_id")
    currency_id = fields.Many2one(related="line_id.currency_id")
    amount = fields.Monetary(related="line_id.amount", string="Amount Rejected")
    reason_code = fields.Char(related="line_id.reason_code")
    bank_reference = fields.Char(compute="_compute_bank_reference", string="Reference Given by the Bank")
    debit_line_id = fields.Many2one(
        "sepa.debit.line",
        string="Debit",
        required=True,
        domain="[('company_id', '=', company_id), ('state', '=', 'collected')]",
        help="The collected debit the bank rejected.",
    )
    debit_amount = fields.Monetary(related="debit_line_id.amount", string="Amount Debited")
    debit_partner_id = fields.Many2one(related="debit_line_id.partner_id", string="Debtor")

    @api.depends("line_id")
    def _compute_bank_reference(self):
        for wizard in self:
            line = wizard.line_id
            wizard.bank_reference = " / ".join(
                filter(None, [line.end_to_end_id, line.bank_mandate_ref, line.bank_reference, line.additional_info])
            )

    def action_confirm(self):
        self.line_id._match_by_hand(self.debit_line_id)
        return {"type": "ir.actions.act_window_close"}
