from odoo import fields, models

from .sepa_return_import import MATCH_STATES


class SepaReturnLine(models.Model):
    _name = "sepa.return.line"
    _description = "Bank Rejection Line"
    _order = "import_id, match_state, id"
    _check_company_auto = True

    import_id = fields.Many2one("sepa.return.import", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="import_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    end_to_end_id = fields.Char(string="End-to-End Id", index=True)
    bank_mandate_ref = fields.Char(string="Mandate (bank)")
    bank_reference = fields.Char()
    debit_line_id = fields.Many2one("sepa.debit.line", string="Debit", index=True, check_company=True)
    receipt_id = fields.Many2one("insurance.premium.receipt", index=True, check_company=True)
    partner_id = fields.Many2one(related="receipt_id.partner_id", string="Debtor")
    contract_id = fields.Many2one(related="receipt_id.contract_id")
    mandate_id = fields.Many2one("sepa.mandate", check_company=True)
    amount = fields.Monetary()
    date = fields.Date(string="Rejection Date")
    kind = fields.Selection(
        [("reject", "Reject (before settlement)"), ("return", "Return"), ("refund", "Refund")], default="reject"
    )
    reason_code = fields.Char()
    reason_id = fields.Many2one("sepa.return.reason")
    additional_info = fields.Char()
    match_state = fields.Selection(MATCH_STATES, required=True, default="unmatched")
    action = fields.Char(string="What Happens", compute="_compute_action")
    state = fields.Selection([("to_process", "To Process"), ("done", "Done")], default="to_process", required=True)
    fee_line_id = fields.Many2one(
        "account.move.line", string="Fee Charged", readonly=True, help="The bank's fee charged on to the client."
    )

    def _compute_action(self):
        actions = dict(self.env["sepa.return.reason"]._fields["action"]._description_selection(self.env))
        for line in self:
            if line.match_state != "matched":
                line.action = self.env._("Nothing: to resolve by hand")
            elif not line.reason_id:
                line.action = self.env._("Receipt reopened; unknown code: ask an accountant")
            else:
                line.action = self.env._("Receipt reopened, dunning started; %s", actions[line.reason_id.action])
