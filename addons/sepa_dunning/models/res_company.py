from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Command

from ..iso20022.pain008 import SepaInputError, check_creditor_id

# French chart: 7088 "other ancillary income" takes the fees charged to debtors.
DUNNING_FEE_ACCOUNT = ("708800", "Dunning fees charged to debtors")


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
            account = self.env["account.account"].search(
                [*self.env["account.account"]._check_company_domain(self), ("code", "=", DUNNING_FEE_ACCOUNT[0])],
                limit=1,
            ) or self.env["account.account"].create(
                {
                    "code": DUNNING_FEE_ACCOUNT[0],
                    "name": DUNNING_FEE_ACCOUNT[1],
                    "account_type": "income_other",
                    "company_ids": [Command.link(self.id)],
                }
            )
            self.dunning_fee_account_id = account
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
