from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..iso20022.pain008 import SepaInputError, check_creditor_id

# French chart: 7088 "other ancillary income" takes the fees charged to debtors.
DUNNING_FEE_ACCOUNT = ("708800", "Dunning fees charged to debtors", "income_other")


class ResCompany(models.Model):
    _inherit = "res.company"

    sepa_creditor_identifier = fields.Char(
        string="SEPA Creditor Identifier",
        help="Identifier given by the bank of France (ICS) or of another SEPA country.",
    )
    sepa_prenotification_days = fields.Integer(
        string="Pre-notification (days)",
        default=14,
        help="A receipt is debited only if its notice went out at least this many days "
        "before the collection date (14 unless the mandate says less).",
    )
    sepa_first_collection_frst = fields.Boolean(
        string="Use FRST for First Debits",
        help="Some banks still want the first debit of a mandate flagged FRST; otherwise RCUR.",
    )

    sepa_batch_calendar = fields.Boolean(
        string="Prepare Batches from the Calendar",
        help="A daily job prepares the debit batch of each collection date (TARGET2 business days) "
        "with every receipt due by then whose notice went out in time.",
    )
    sepa_batch_lead_days = fields.Integer(
        string="Prepared (business days ahead)",
        default=2,
        help="The batch of a collection date is prepared this many TARGET2 business days before it.",
    )
    sepa_batch_auto_generate = fields.Boolean(
        string="Generate and Post the File",
        help="The daily job also generates the file (validated against the schema) and posts the debits "
        "in transit; an accountant still sends the file to the bank.",
    )
    sepa_batch_journal_id = fields.Many2one(
        "account.journal",
        string="Collection Journal",
        domain="[('type', '=', 'bank'), ('company_id', '=', id)]",
        help="Bank journal of the batches the calendar prepares; its bank account is the creditor account. "
        "By default the first bank journal with a bank account.",
    )

    sepa_book_statements = fields.Boolean(
        string="Book the Bank's Statements of Batches",
        default=True,
        help="A camt.053 statement imported under Bank Rejections also books what the bank credited or debited "
        "for each debit batch, as a bank statement line reconciled with the batch's debits in transit. "
        "Turn it off where another module imports the whole statement into the bank journal.",
    )

    sepa_rejection_fee = fields.Monetary(
        string="Bank Rejection Fee",
        currency_field="currency_id",
        help="Fee the bank charges per rejected debit, booked as an expense on each rejection.",
    )
    sepa_rejection_fee_account_id = fields.Many2one("account.account", string="Rejection Fee Expense Account")
    sepa_charge_rejection_fee = fields.Boolean(
        string="Charge the Fee to the Client",
        help="Charge the bank's rejection fee on to the client: a receivable item on the rejection date, "
        "asked for on its own line of the next notice.",
    )
    sepa_fee_income_account_id = fields.Many2one("account.account", string="Re-charged Fee Income Account")
    sepa_max_representations = fields.Integer(
        string="Presentations after Insufficient Funds",
        default=2,
        help="How many times a debit rejected for insufficient funds (AM04) is presented again.",
    )

    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        string="Default Dunning Policy",
        help="Used for a case whose product line and insurer name no policy.",
    )
    dunning_fee_account_id = fields.Many2one(
        "account.account",
        string="Dunning Fee Income Account",
        help="Income account of the fees charged to debtors by dunning levels.",
    )

    def _sepa_batch_lead_days(self):
        """Business days between the preparation of a calendar batch and its collection (None without the calendar)."""
        self.ensure_one()
        return max(self.sepa_batch_lead_days, 0) if self.sepa_batch_calendar else None

    def _insurance_notice_days(self):
        # A notice later than the pre-notification period would hold the debit back.
        return max(super()._insurance_notice_days(), self.sepa_prenotification_days)

    def _sepa_batch_journal(self):
        """The bank journal the calendar's batches collect on, or an empty recordset."""
        self.ensure_one()
        return self.sepa_batch_journal_id or self.env["account.journal"].search(
            [("company_id", "=", self.id), ("type", "=", "bank"), ("bank_account_id", "!=", False)],
            order="sequence, id",
            limit=1,
        )

    @api.constrains("insurance_notice_days", "sepa_prenotification_days")
    def _check_notice_before_prenotification(self):
        for company in self:
            if company.insurance_notice_days < company.sepa_prenotification_days:
                raise ValidationError(
                    self.env._(
                        "Premium notices of %(company)s go out %(notice)s days ahead, less than the SEPA "
                        "pre-notification period (%(period)s days): debits would wait for it.",
                        company=company.name,
                        notice=company.insurance_notice_days,
                        period=company.sepa_prenotification_days,
                    )
                )

    @api.constrains("sepa_batch_lead_days")
    def _check_sepa_batch_lead_days(self):
        for company in self:
            if company.sepa_batch_lead_days < 0:
                raise ValidationError(self.env._("Batches cannot be prepared after their collection date."))

    @api.model
    def _dunning_set_default_policy(self, company_ids=None):
        """Give the shipped L113-3 policy to the companies that have none (data file, new companies)."""
        policy = self.env.ref("sepa_dunning.dunning_policy_l113_3", raise_if_not_found=False)
        companies = self.browse(company_ids) if company_ids else self.search([])
        if policy:
            companies.filtered(lambda c: not c.dunning_policy_id).dunning_policy_id = policy
        # Cases opened before this module was installed take their policy now.
        cases = self.env["arrears.case"].search([("state", "=", "open"), ("dunning_policy_id", "=", False)])
        self.env.add_to_compute(self.env["arrears.case"]._fields["dunning_policy_id"], cases)
        cases.flush_recordset(["dunning_policy_id"])

    def _dunning_fee_account(self):
        """Income account of dunning fees; created with the French chart's code when missing."""
        self.ensure_one()
        if not self.dunning_fee_account_id:
            self.dunning_fee_account_id = self._arrears_account(*DUNNING_FEE_ACCOUNT)
        return self.dunning_fee_account_id

    def write(self, vals):
        res = super().write(vals)
        if vals.get("sepa_creditor_identifier"):
            # The company's mandates follow its new identifier; the used ones carry the
            # original as an amendment on their next debit.
            for company in self:
                self.env["sepa.mandate"].search(
                    [
                        ("company_id", "=", company.id),
                        ("state", "in", ("draft", "active", "blocked")),
                        ("creditor_identifier", "!=", company.sepa_creditor_identifier),
                    ]
                ).write({"creditor_identifier": company.sepa_creditor_identifier})
        return res

    @api.constrains("sepa_creditor_identifier")
    def _check_sepa_creditor_identifier(self):
        for company in self.filtered("sepa_creditor_identifier"):
            try:
                check_creditor_id(company.sepa_creditor_identifier)
            except SepaInputError as exc:
                raise ValidationError(
                    _(
                        "The SEPA creditor identifier %(value)s of %(company)s is not valid: check its digits.",
                        value=company.sepa_creditor_identifier,
                        company=company.name,
                    )
                ) from exc
