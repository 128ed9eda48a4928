from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from .. import uploads

REASONS = [
    ("paid", "Already paid"),
    ("amount", "Amount wrong"),
    ("terminated", "Contract terminated"),
    ("other", "Other"),
]


class ContestRefused(UserError):
    """A contest that is not recorded; ``code`` tells the page which answer to show.

    Codes: ``invalid`` (no receipt of the case chosen, no reason), ``pending`` (a
    receipt chosen already awaits an answer), ``too_many``, ``too_large``, ``type``
    (the files).
    """

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class ArrearsContest(models.Model):
    """A debtor contests receipts of its case from the payment page; an accountant answers.

    While a contest awaits its answer, the case's dunning waits (sepa_dunning);
    refused, the dunning resumes where it stood; accepted, the accountant corrects
    the receipts (credit note, or amendment) and the case follows.
    """

    _name = "arrears.contest"
    _description = "Contested Receipts"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one("arrears.case", required=True, readonly=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="case_id.partner_id", string="Debtor", store=True)
    contract_id = fields.Many2one(related="case_id.contract_id", store=True)
    receipt_ids = fields.Many2many(
        "insurance.premium.receipt", string="Receipts Contested", readonly=True, check_company=True
    )
    reason = fields.Selection(REASONS, required=True, readonly=True)
    note = fields.Text(string="Debtor's Words", readonly=True)
    attachment_ids = fields.Many2many("ir.attachment", string="Files Sent", readonly=True)
    state = fields.Selection(
        [("pending", "Awaiting Answer"), ("accepted", "Accepted"), ("refused", "Refused")],
        default="pending",
        required=True,
        tracking=True,
        index=True,
    )
    answer = fields.Text(help="What the debtor reads on its page and in the e-mail.")
    date_answered = fields.Datetime(readonly=True)

    @api.depends("partner_id", "create_date")
    def _compute_display_name(self):
        for contest in self:
            contest.display_name = self.env._("Contest of %(partner)s", partner=contest.partner_id.name or "")

    @api.model
    def _open(self, case, receipts, reason, note, files):
        """Record a contest from the page: receipts of ``case``, a reason, words and files.

        :param files: ``[(name, bytes)]`` as sent
        :raise ContestRefused: nothing is recorded
        """
        if not receipts or receipts - case._open_receipts() or reason not in dict(REASONS):
            raise ContestRefused("invalid", self.env._("Choose receipts of this case and a reason."))
        pending = self.search([("case_id", "=", case.id), ("state", "=", "pending")])
        if receipts & pending.receipt_ids:
            raise ContestRefused("pending", self.env._("These receipts already await an answer."))
        try:
            kept = uploads.check(files)
        except uploads.UploadRefused as refused:
            raise ContestRefused(refused.code, str(refused)) from refused
        # Created as pending files of a message, as a chatter upload is: posting the note below moves
        # them onto the case (message_post takes only such files from a user who is not internal, as the
        # page's public user is not). Never public: only the case's readers see them.
        attachments = self.env["ir.attachment"].create(
            [
                {"name": name, "raw": data, "mimetype": mimetype, "res_model": "mail.compose.message", "res_id": 0}
                for name, data, mimetype in kept
            ]
        )
        contest = self.create(
            {
                "case_id": case.id,
                "receipt_ids": [Command.set(receipts.ids)],
                "reason": reason,
                "note": (note or "")[:2000],
                "attachment_ids": [Command.set(attachments.ids)],
            }
        )
        reasons = dict(self._fields["reason"]._description_selection(self.env))
        summary = self.env._(
            "Receipts contested: %(receipts)s (%(reason)s)",
            receipts=", ".join(receipts.mapped("name")),
            reason=reasons[reason],
        )
        case.message_post(body=summary, attachment_ids=attachments.ids, subtype_xmlid="mail.mt_note")
        # The activity's assignment e-mails the accountant a link to the contest and its case.
        contest.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Answer the contest of %(partner)s", partner=case.partner_id.name),
            note=self.env._("Case %(case)s: %(summary)s", case=case.display_name, summary=summary),
            user_id=case.user_id.id or self.env.ref("base.user_admin").id,
        )
        contest._notify_debtor()
        case._on_contest_opened()
        return contest

    def action_accept(self):
        """The debtor is right: the accountant corrects the receipts (credit note or amendment) and says so."""
        return self._answer("accepted")

    def _notify_debtor(self):
        """The acknowledgement of the contest, then the answer, by e-mail."""
        template = self.env.ref("insurance_arrears.mail_template_contest")
        for contest in self.filtered(lambda c: c.partner_id.email):
            contest.message_post_with_source(template, subtype_xmlid="mail.mt_comment")

    def action_accept_cancel(self):
        """The debtor is right and nothing was due: each receipt with nothing paid on it is cancelled by a
        credit note (one partly paid is corrected by hand), and the case closes if nothing else is due."""
        self._check_pending()
        self.receipt_ids.filtered(lambda r: not r.cancelled and not r.amount_paid)._cancel()
        self._answer("accepted")
        self.case_id._refresh()
        return True

    def action_refuse(self):
        """The receipts are due: the debtor reads why, and the dunning resumes where it stood."""
        if any(not contest.answer for contest in self):
            raise UserError(self.env._("Write the answer the debtor will read before refusing."))
        return self._answer("refused")

    def _check_pending(self):
        if any(contest.state != "pending" for contest in self):
            raise UserError(self.env._("This contest is already answered."))

    def _answer(self, state):
        self._check_pending()
        self.write({"state": state, "date_answered": fields.Datetime.now()})
        self.activity_ids.action_done()
        states = dict(self._fields["state"]._description_selection(self.env))
        for contest in self:
            contest.case_id.message_post(
                body=self.env._(
                    "Contest %(state)s: %(answer)s", state=states[state].lower(), answer=contest.answer or ""
                ),
                subtype_xmlid="mail.mt_note",
            )
        self._notify_debtor()
        self.case_id._on_contest_answered()
        return True
