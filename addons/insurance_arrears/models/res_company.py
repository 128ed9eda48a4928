from odoo import Command, _, fields, models
from odoo.exceptions import UserError

# Default accounts created for a company that has none configured. Codes follow
# the French chart: 467 "other creditors" holds what is owed to insurers, 706 the
# brokerage commission.
INSURER_ACCOUNT = ("467100", "Insurers - premiums to remit", "liability_current")
COMMISSION_ACCOUNT = ("706100", "Brokerage commissions", "income")


class ResCompany(models.Model):
    _inherit = "res.company"

    insurance_receipt_journal_id = fields.Many2one(
        "account.journal",
        string="Premium Receipts Journal",
        domain="[('type', '=', 'sale'), ('company_id', '=', id)]",
        help="Sales journal in which premium receipts are posted as customer invoices.",
    )
    insurance_insurer_account_id = fields.Many2one(
        "account.account",
        string="Insurers Third-Party Account",
        help="Account crediting each insurer with the premiums collected for it "
        "(premium less commission) until the insurer statement pays them.",
    )
    insurance_commission_account_id = fields.Many2one(
        "account.account",
        string="Commission Revenue Account",
        help="Income account of the broker's commission.",
    )
    insurance_receipt_horizon_days = fields.Integer(
        string="Receipt Horizon (days)",
        default=30,
        help="Receipts are issued for every period falling due within this many days.",
    )
    insurance_orias_number = fields.Char(
        string="ORIAS Number",
        help="Registration number of the intermediary, printed on every notice.",
    )
    insurance_legal_mentions = fields.Text(
        string="Broker Legal Mentions",
        translate=True,
        help="Legal mentions printed on notices and letters (status, guarantee, mediator, complaint address).",
    )

    insurance_notice_days = fields.Integer(
        string="Premium Notice (days ahead)",
        default=30,
        help="The premium notice of a receipt goes out this many days before its debit date (direct debit) "
        "or its due date.",
    )
    insurance_notice_snailmail = fields.Boolean(
        string="Post Letters with Odoo's Postal Service",
        help="Notices to clients without an e-mail address go by post through Odoo's postal service "
        "(paid with IAP credits); otherwise they are gathered each day into one PDF to print.",
    )

    arrears_api_rate_limit = fields.Integer(
        string="Partner API Calls per Minute",
        default=60,
        help="Calls a partner may make to the web service in a minute; beyond, it gets a 429 answer. 0 for no limit.",
    )
    arrears_api_log_days = fields.Integer(
        string="Keep Partner API Calls (days)",
        default=90,
        help="Calls to the partner web service are deleted after this many days. 0 keeps them.",
    )

    # Who may take payments through the links: chosen by a person, never by default.
    arrears_demo_payment = fields.Boolean(
        string="Demo Payment Provider",
        help="Payment links without a ready payment provider offer a simulated card payment, which posts "
        "a real payment entry on the bank journal and settles the receipts. For demonstration databases "
        "only; off, such links say that card payment is unavailable and how else to pay.",
    )
    arrears_test_company = fields.Boolean(
        string="Test Company",
        help="Payment providers in test mode take this company's payments and their test payments settle "
        "its receipts. Leave off for a real company: a test-mode payment is then refused.",
    )

    def _insurance_notice_days(self):
        """How many days before the debit or due date the premium notice goes out."""
        self.ensure_one()
        return max(self.insurance_notice_days, 0)

    def _arrears_account(self, code, name, account_type, reconcile=False):
        """The company's account of ``code``, created when its chart has none.

        The accounts the addons post on by default (insurers, commissions, fees)
        carry the French chart's codes: a company of that chart finds them, any
        other gets them once, and an account set by hand is never looked up.
        """
        self.ensure_one()
        Account = self.env["account.account"].with_company(self)
        return Account.search([*Account._check_company_domain(self), ("code", "=", code)], limit=1) or Account.create(
            {
                "code": code,
                "name": name,
                "account_type": account_type,
                "reconcile": reconcile,
                "company_ids": [Command.set(self.ids)],
            }
        )

    def _insurance_ensure_accounting(self):
        """Make sure each company has a receipts journal and its two accounts.

        Missing ones are created with the French chart's codes; existing
        configuration is never changed.
        """
        for company in self:
            if not company.chart_template and not company.insurance_receipt_journal_id:
                # Without a chart there is no receivable account to invoice on.
                raise UserError(
                    _(
                        "Company %(company)s has no chart of accounts: install one before issuing premium receipts.",
                        company=company.name,
                    )
                )
            vals = {
                field: company._arrears_account(*account, reconcile=reconcile).id
                for field, account, reconcile in (
                    ("insurance_insurer_account_id", INSURER_ACCOUNT, True),
                    ("insurance_commission_account_id", COMMISSION_ACCOUNT, False),
                )
                if not company[field]
            }
            if not company.insurance_receipt_journal_id:
                Journal = self.env["account.journal"].with_company(company)
                journal = Journal.search(
                    [
                        *Journal._check_company_domain(company),
                        ("code", "=", "QUIT"),
                    ],
                    limit=1,
                ) or Journal.create(
                    {
                        "name": _("Premium Receipts"),
                        "code": "QUIT",
                        "type": "sale",
                        "company_id": company.id,
                    }
                )
                vals["insurance_receipt_journal_id"] = journal.id
            if vals:
                company.write(vals)
        return True
