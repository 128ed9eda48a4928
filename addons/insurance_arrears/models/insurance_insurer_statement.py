import csv
import io

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class InsuranceInsurerStatement(models.Model):
    _name = "insurance.insurer.statement"
    _description = "Insurer Statement"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_to desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, copy=False, readonly=True, default="/")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    insurer_id = fields.Many2one(
        "res.partner",
        required=True,
        index=True,
        domain="[('is_insurer', '=', True)]",
        check_company=True,
        tracking=True,
    )
    date_from = fields.Date(string="From", required=True)
    date_to = fields.Date(string="To", required=True)
    state = fields.Selection(
        [("draft", "Draft"), ("confirmed", "Confirmed"), ("paid", "Paid")],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
    )
    receipt_ids = fields.One2many("insurance.premium.receipt", "statement_id", string="Receipts")
    receipt_count = fields.Integer(compute="_compute_totals", store=True)
    amount_premium = fields.Monetary(string="Premiums Collected", compute="_compute_totals", store=True)
    amount_commission = fields.Monetary(string="Commission", compute="_compute_totals", store=True)
    amount_due = fields.Monetary(string="Net Due to Insurer", compute="_compute_totals", store=True)
    journal_id = fields.Many2one(
        "account.journal",
        string="Payment Journal",
        check_company=True,
        domain="[('type', '=', 'bank')]",
    )
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False)

    @api.depends("receipt_ids.amount_total", "receipt_ids.commission_amount", "receipt_ids.insurer_amount")
    def _compute_totals(self):
        for statement in self:
            receipts = statement.receipt_ids
            statement.receipt_count = len(receipts)
            statement.amount_premium = sum(receipts.mapped("amount_total"))
            statement.amount_commission = sum(receipts.mapped("commission_amount"))
            statement.amount_due = sum(receipts.mapped("insurer_amount"))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("insurance.insurer.statement")
        return super().create(vals_list)

    def _collected_receipts_domain(self):
        self.ensure_one()
        return [
            ("company_id", "=", self.company_id.id),
            ("insurer_id", "=", self.insurer_id.id),
            ("collects_for_insurer", "=", True),
            ("state", "=", "paid"),
            ("statement_id", "=", False),
            ("date_due", "<=", self.date_to),
        ]

    def action_compute(self):
        """Take in every receipt collected for the insurer up to the end date."""
        for statement in self:
            if statement.state != "draft":
                raise UserError(_("Statement %s is no longer a draft.", statement.name))
            statement.receipt_ids.statement_id = False
            receipts = self.env["insurance.premium.receipt"].search(statement._collected_receipts_domain())
            receipts.statement_id = statement
        return True

    def action_confirm(self):
        for statement in self:
            if not statement.receipt_ids:
                raise UserError(_("Statement %s has no collected receipt.", statement.name))
        self.write({"state": "confirmed"})

    def action_reset_draft(self):
        if any(s.state == "paid" for s in self):
            raise UserError(_("A paid statement cannot go back to draft: cancel its payment first."))
        self.write({"state": "draft"})

    def action_pay(self):
        """Pay the insurer today from the statement's journal and settle its third-party account."""
        for statement in self:
            if not statement.journal_id:
                raise UserError(_("Choose the bank journal paying statement %s.", statement.name))
            statement._pay(statement.journal_id, fields.Date.context_today(self))
        return True

    def _pay(self, journal, date):
        """Post the payment of the net due to the insurer from ``journal`` on ``date``, reconciled with
        the insurer's lines of the statement's receipts (by hand, or a credit transfer of sepa_dunning).

        :return: the posted ``account.payment``
        """
        self.ensure_one()
        if self.state != "confirmed":
            raise UserError(_("Confirm statement %s before paying it.", self.name))
        payment = self.env["account.payment"]._arrears_post(
            [
                {
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": self.insurer_id.id,
                    "amount": self.amount_due,
                    "date": date,
                    "journal_id": journal.id,
                    "destination_account_id": self.company_id.insurance_insurer_account_id.id,
                    "memo": self.name,
                    "company_id": self.company_id.id,
                }
            ],
            [self.receipt_ids._insurer_lines()],
        )
        self.write({"payment_id": payment.id, "state": "paid"})
        self.message_post(
            body=_(
                "Paid %(amount)s to %(insurer)s.",
                amount=self.currency_id.format(self.amount_due),
                insurer=self.insurer_id.name,
            )
        )
        self._send_to_insurer()
        return payment

    def action_send(self):
        """Send the statement to the insurer again: its PDF and the CSV of its lines."""
        if not all(self.mapped("insurer_id.email")):
            raise UserError(_("The insurer has no e-mail address."))
        self._send_to_insurer()
        return True

    def _send_to_insurer(self):
        """The statement, with its payment, to each insurer that has an e-mail address: the PDF and a CSV
        of its lines, in the insurer's language, kept in the statement's history."""
        statements = self.filtered(lambda statement: statement.insurer_id.email)
        self.env.ref("insurance_arrears.mail_template_insurer_statement")._arrears_post(
            statements,
            lambda statement: statement,
            lambda statement: [(f"{statement.name.replace('/', '-')}.csv", statement._lines_csv())],
        )

    def _lines_csv(self):
        """The statement's lines as the insurer's back office reads them: one row per receipt, amounts
        with a dot and two decimals, dates ISO 8601, separated by semicolons (UTF-8)."""
        self.ensure_one()
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            [
                "receipt",
                "insurer_receipt",
                "policy",
                "contract",
                "period_start",
                "period_end",
                "premium",
                "commission",
                "net",
            ]
        )
        for receipt in self.receipt_ids.sorted(lambda r: (r.period_start, r.name)):
            writer.writerow(
                [
                    receipt.name,
                    receipt.insurer_reference or "",
                    receipt.contract_id.insurer_reference or "",
                    receipt.contract_id.name,
                    receipt.period_start.isoformat(),
                    receipt.period_end.isoformat(),
                    f"{receipt.amount_total:.2f}",
                    f"{receipt.commission_amount:.2f}",
                    f"{receipt.insurer_amount:.2f}",
                ]
            )
        return out.getvalue().encode()

    def _non_payment_contracts(self):
        """Contracts of the insurer suspended or terminated for non-payment within the period.

        The statement is how the insurer learns that cover stopped.
        """
        self.ensure_one()
        return self.env["insurance.contract"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("insurer_id", "=", self.insurer_id.id),
                "|",
                "&",
                ("state", "=", "suspended"),
                ("date_suspended", "<=", self.date_to),
                "&",
                "&",
                ("termination_reason", "=", "non_payment"),
                ("date_terminated", ">=", self.date_from),
                ("date_terminated", "<=", self.date_to),
            ],
            order="name",
        )

    def action_print(self):
        return self.env.ref("insurance_arrears.action_report_insurer_statement").report_action(self)
