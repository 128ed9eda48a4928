from odoo import fields, models
from odoo.exceptions import UserError

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
    transfer_line_id = fields.Many2one(
        "sepa.credit.transfer.line",
        string="Transfer to an Insurer",
        index="btree_not_null",
        check_company=True,
        help="The credit transfer this line of a status report rejects (a pain.002 on a pain.001).",
    )
    partner_id = fields.Many2one(related="debit_line_id.partner_id", string="Debtor")
    contract_id = fields.Many2one(related="debit_line_id.contract_id")
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
    reported_by_id = fields.Many2one(
        "sepa.return.line",
        string="Rejection Carried By",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The line (of another file, or earlier in this one) that posted this debit's rejection, "
        "or that will post it when its file is confirmed.",
    )
    reported_by_import_id = fields.Many2one(related="reported_by_id.import_id", string="Reported By")
    fee_line_id = fields.Many2one(
        "account.move.line", string="Fee Charged", readonly=True, help="The bank's fee charged on to the client."
    )

    def _compute_action(self):
        actions = dict(self.env["sepa.return.reason"]._fields["action"]._description_selection(self.env))
        for line in self:
            other = line.reported_by_id.import_id
            if line.match_state == "already_rejected":
                line.action = (
                    self.env._("Nothing: already rejected by %(file)s", file=other.name)
                    if other
                    else self.env._("Nothing: already rejected")
                )
            elif line.match_state == "reported" and other == line.import_id:
                line.action = self.env._("Nothing: reported twice in this file, its first line posts the rejection")
            elif line.match_state == "reported":
                line.action = self.env._("Nothing: reported by %(file)s, which posts the rejection", file=other.name)
            elif line.match_state != "matched":
                line.action = self.env._("Nothing: to resolve by hand")
            elif not line.reason_id:
                line.action = self.env._("Receipt reopened; unknown code: ask an accountant")
            else:
                line.action = self.env._("Receipt reopened, dunning started; %s", actions[line.reason_id.action])

    def action_match_by_hand(self):
        """Open the form where an accountant names the debit the bank meant."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Match by Hand"),
            "res_model": "sepa.return.match",
            "view_mode": "form",
            "target": "new",
            "context": {"default_line_id": self.id, "default_debit_line_id": self.debit_line_id.id},
        }

    def _match_by_hand(self, debit):
        """Match this line with ``debit`` and, in a confirmed file, post the rejection now.

        The same checks as the import's: a debit already rejected, not posted,
        of another company or of another amount is refused, and nothing changes.
        """
        self.ensure_one()
        if self.state == "done":
            raise UserError(self.env._("This rejection is already posted."))
        record = self.import_id
        vals = record._match_vals(debit, self.amount, record._reporting_lines(debit).get(debit.id))
        if vals["match_state"] != "matched":
            states = dict(self._fields["match_state"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "Debit %(debit)s cannot be matched: %(state)s.",
                    debit=debit.end_to_end_id,
                    state=states[vals["match_state"]].lower(),
                )
            )
        self.write(vals)
        record.message_post(
            body=self.env._(
                "Line %(bank_ref)s matched by hand with debit %(debit)s (receipt %(receipt)s).",
                bank_ref=self.end_to_end_id or self.bank_reference or self.id,
                debit=debit.end_to_end_id,
                receipt=debit.receipt_id.name or debit.contract_id.name,
            )
        )
        if record.state == "done":
            record._process(record._recheck(self))
        return True
