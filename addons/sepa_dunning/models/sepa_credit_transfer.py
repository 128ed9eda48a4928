import re
from decimal import Decimal

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from .. import collection
from ..iso20022 import pain001
from ..iso20022.pain008 import CENT, Party, SepaInputError
from ..iso20022.text import SepaTextError
from ..iso20022.xsd import SepaSchemaError

# Letters, digits and the few signs an end-to-end id may hold.
E2E_FORBIDDEN = re.compile(r"[^A-Za-z0-9/\-?:().,'+]")


class SepaCreditTransfer(models.Model):
    """Insurers paid by SEPA credit transfer: one ``pain.001`` file, one transfer per insurer statement.

    Generated, the file is valid against the official XSD and each statement's
    payment is posted in transit (the bank journal's outstanding payments account),
    reconciled with the insurer's lines of the statement. Cancelled before it is
    sent, or a transfer the bank rejects, the payment is reversed and the
    statement is due again.
    """

    _name = "sepa.credit.transfer"
    _description = "SEPA Credit Transfer to Insurers"
    _inherit = ["mail.thread", "sepa.file.mixin"]
    _order = "execution_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, copy=False, readonly=True, default="/")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    journal_id = fields.Many2one(
        "account.journal",
        string="Bank Journal",
        required=True,
        check_company=True,
        domain="[('type', '=', 'bank'), ('bank_account_id', '!=', False)]",
        help="The account the transfers leave from.",
    )
    execution_date = fields.Date(
        required=True,
        default=lambda self: collection.next_business_day(fields.Date.context_today(self)),
        help="Day the bank is asked to execute the transfers (a TARGET2 business day).",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("generated", "File Ready"), ("sent", "Sent to the Bank"), ("cancel", "Cancelled")],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
    )
    line_ids = fields.One2many("sepa.credit.transfer.line", "transfer_id", string="Transfers")
    amount_total = fields.Monetary(compute="_compute_totals", store=True)
    transfer_count = fields.Integer(compute="_compute_totals", store=True)
    pain_version = fields.Selection(
        [(version, version) for version in pain001.VERSIONS],
        string="File Format",
        compute="_compute_pain_version",
        store=True,
        readonly=False,
        help="The file's format: the bank account's, pain.001.001.09 unless its bank still wants .03.",
    )

    @api.depends("line_ids.amount", "line_ids.state")
    def _compute_totals(self):
        for transfer in self:
            lines = transfer.line_ids.filtered(lambda line: line.state != "cancel")
            transfer.amount_total = sum(lines.mapped("amount"))
            transfer.transfer_count = len(lines)

    @api.depends("journal_id.bank_account_id.sepa_transfer_version")
    def _compute_pain_version(self):
        for transfer in self:
            transfer.pain_version = transfer.journal_id.bank_account_id.sepa_transfer_version or pain001.DEFAULT_VERSION

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("sepa.credit.transfer")
        return super().create(vals_list)

    @api.model
    def _for_statements(self, statements, journal):
        """A draft transfer of ``statements`` (confirmed, unpaid, one company) from ``journal``."""
        if not statements:
            raise UserError(self.env._("Choose the statements to pay."))
        if len(statements.company_id) > 1:
            raise UserError(self.env._("The statements of one company go in one transfer file."))
        if not journal:
            raise UserError(self.env._("Give the company a bank journal with its bank account to pay from."))
        refused = statements.filtered(lambda s: s.state != "confirmed" or s._open_transfer_lines())
        if refused:
            raise UserError(
                self.env._(
                    "Only confirmed statements not already in a transfer can be paid: %s",
                    ", ".join(refused.mapped("name")),
                )
            )
        return self.create(
            {
                "company_id": statements.company_id.id,
                "journal_id": journal.id,
                "line_ids": [
                    Command.create({"statement_id": statement.id, "amount": statement.amount_due})
                    for statement in statements
                ],
            }
        )

    @api.model
    def _demo_pay_by_transfer(self, insurer_id):
        """Demo data: the insurer's statement of the premiums collected this year, paid by transfer."""
        today = fields.Date.context_today(self)
        statement = self.env["insurance.insurer.statement"].create(
            {"insurer_id": insurer_id, "date_from": today.replace(month=1, day=1), "date_to": today}
        )
        statement.action_compute()
        if not statement.receipt_ids:
            statement.unlink()
            return self
        statement.action_confirm()
        transfer = self._for_statements(statement, statement.company_id._sepa_batch_journal())
        transfer.action_generate()
        return transfer

    def _debtor_party(self):
        self.ensure_one()
        account = self.journal_id.bank_account_id
        if not account:
            raise UserError(self.env._("Journal %s has no bank account.", self.journal_id.name))
        return Party(name=self.company_id.name, iban=account.acc_number, bic=account.bank_bic or "")

    def _build_message(self):
        self.ensure_one()
        lines = self.line_ids.filtered(lambda line: line.state != "cancel")
        return pain001.Message(
            message_id=self.name,
            created_at=fields.Datetime.now(),
            initiating_party=self.company_id.name,
            debtor=self._debtor_party(),
            payment_info_id=f"{self.name}-1",
            execution_date=self.execution_date,
            transfers=[
                pain001.Transfer(
                    end_to_end_id=line.end_to_end_id,
                    amount=Decimal(str(line.amount)).quantize(CENT),
                    creditor=Party(name=line.partner_id.name, iban=line.iban or "", bic=line.bic or ""),
                    remittance=self.env._("Statement %s", line.statement_id.name),
                )
                for line in lines
            ],
        )

    def action_generate(self):
        """Check each insurer's account, build the file and validate it against the XSD, then post each
        statement's payment in transit; nothing is posted when the file cannot be made."""
        for transfer in self:
            if transfer.state != "draft":
                raise UserError(self.env._("Transfer %s already has its file.", transfer.name))
            lines = transfer.line_ids.filtered(lambda line: line.state != "cancel")
            if not lines:
                raise UserError(self.env._("Transfer %s pays no statement.", transfer.name))
            if transfer.execution_date < fields.Date.context_today(self):
                raise UserError(self.env._("The execution date of %s is past: choose another.", transfer.name))
            lines._snapshot_accounts()
            try:
                content = pain001.build(transfer._build_message(), transfer.pain_version)
                pain001.validate(content, transfer.pain_version)
            except (SepaInputError, SepaTextError, SepaSchemaError) as exc:
                raise UserError(
                    self.env._(
                        "The file of %(transfer)s cannot be made: %(reason)s", transfer=transfer.name, reason=exc
                    )
                ) from exc
            for line in lines:
                payment = line.statement_id._pay(transfer.journal_id, transfer.execution_date)
                line.write({"payment_id": payment.id, "state": "to_send"})
            attachment = transfer._attach_file(content)
            transfer.state = "generated"
            transfer.message_post(
                body=self.env._(
                    "File %(file)s generated (%(version)s, %(count)s transfers, %(amount)s), valid against the "
                    "schema; the payments are in transit.",
                    file=attachment.name,
                    version=transfer.pain_version,
                    count=transfer.transfer_count,
                    amount=transfer.currency_id.format(transfer.amount_total),
                ),
                attachment_ids=attachment.ids,
            )
        return True

    def action_mark_sent(self):
        if any(transfer.state != "generated" for transfer in self):
            raise UserError(self.env._("Only a transfer whose file is ready can be marked as sent."))
        self.line_ids.filtered(lambda line: line.state == "to_send").state = "sent"
        self.state = "sent"
        return True

    def action_cancel(self):
        """Before the file reaches the bank: each payment reversed, each statement due again."""
        for transfer in self:
            if transfer.state == "sent":
                raise UserError(
                    self.env._(
                        "Transfer %s was sent to the bank: a transfer the bank rejects is undone by its report.",
                        transfer.name,
                    )
                )
            transfer.line_ids.filtered(lambda line: line.state == "to_send")._undo(
                self.env._("Transfer %s cancelled before it was sent.", transfer.name)
            )
            transfer.line_ids.state = "cancel"
            transfer.state = "cancel"
        return True


class SepaCreditTransferLine(models.Model):
    _name = "sepa.credit.transfer.line"
    _description = "SEPA Credit Transfer to an Insurer"
    _order = "transfer_id, id"
    _check_company_auto = True

    transfer_id = fields.Many2one("sepa.credit.transfer", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="transfer_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    statement_id = fields.Many2one(
        "insurance.insurer.statement", required=True, index=True, ondelete="restrict", check_company=True
    )
    partner_id = fields.Many2one(related="statement_id.insurer_id", store=True, string="Insurer")
    amount = fields.Monetary(required=True)
    iban = fields.Char(string="IBAN", readonly=True, help="The insurer's account, as the file carried it.")
    bic = fields.Char(string="BIC", readonly=True)
    end_to_end_id = fields.Char(string="End-to-End Id", readonly=True, index=True, copy=False)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("to_send", "In Transit"),
            ("sent", "Sent"),
            ("rejected", "Rejected"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
        index=True,
    )
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False)
    rejection_reason = fields.Char(readonly=True)

    _end_to_end_unique = models.UniqueIndex(
        "(end_to_end_id) WHERE end_to_end_id IS NOT NULL", "An end-to-end id identifies one transfer."
    )

    def _snapshot_accounts(self):
        """The insurer's account, the amount its statement owes now and the transfer's end-to-end id,
        as the file carries them."""
        for line in self:
            statement = line.statement_id
            if statement.state != "confirmed":
                raise UserError(self.env._("Statement %s is no longer confirmed: it cannot be paid.", statement.name))
            account = line.partner_id.bank_ids[:1]
            if not account:
                raise UserError(
                    self.env._("Insurer %s has no bank account to be paid by transfer.", line.partner_id.name)
                )
            line.write(
                {
                    "amount": statement.amount_due,
                    "iban": account.acc_number,
                    "bic": account.bank_bic or False,
                    "end_to_end_id": E2E_FORBIDDEN.sub("", f"{line.statement_id.name}-{line.id}")[-35:],
                }
            )

    def _undo(self, reason):
        """Each line's payment reversed (its entry mirrored, nothing deleted), its statement confirmed again."""
        for line in self:
            payment = line.payment_id
            if payment:
                payment._arrears_give_back(payment.amount, reason, date=fields.Date.context_today(self))
            statement = line.statement_id
            statement.write({"state": "confirmed", "payment_id": False})
            statement.message_post(body=reason)

    def _reject(self, reason):
        """The bank rejects these transfers (its status report): undone, the statement due again and an
        accountant asked to pay it again."""
        for line in self.filtered(lambda line: line.state in ("to_send", "sent")):
            line._undo(
                self.env._("Transfer to %(insurer)s rejected: %(reason)s", insurer=line.partner_id.name, reason=reason)
            )
            line.write({"state": "rejected", "rejection_reason": reason})
            # The insurer is still owed: a person checks its account and pays again.
            line.statement_id.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Pay %(insurer)s again: transfer rejected", insurer=line.partner_id.name),
                note=reason,
                user_id=line.transfer_id.create_uid.id or self.env.uid,
            )
