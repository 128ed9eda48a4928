from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..const import FEE_ACCOUNT, WEBHOOK_ROUTE


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    stripe_link_webhook_secret = fields.Char(
        string="Payment Links Webhook Secret",
        help="Signing secret (whsec_...) of the Stripe webhook endpoint that receives the events "
        "of arrears payment links. A separate endpoint from Odoo's own Stripe webhook.",
        copy=False,
        groups="base.group_system",
    )
    stripe_link_webhook_url = fields.Char(
        string="Payment Links Webhook URL",
        compute="_compute_stripe_link_webhook_url",
        help="The URL to declare as a webhook endpoint in Stripe's dashboard for the payment links.",
    )
    stripe_fee_account_id = fields.Many2one(
        "account.account",
        string="Stripe Fees Account",
        check_company=True,
        help="Expense account of Stripe's fees on payment links (created as 627100 when empty).",
    )

    def _compute_stripe_link_webhook_url(self):
        for provider in self:
            provider.stripe_link_webhook_url = f"{provider.get_base_url()}{WEBHOOK_ROUTE}"

    # -------------------------------------------------------------------------
    # Which provider takes a company's payment links
    # -------------------------------------------------------------------------

    @api.model
    def _stripe_link_provider(self, company):
        """The Stripe provider that takes ``company``'s payment links, or an empty recordset.

        Enabled, with a secret key; in test mode only for a company flagged as a
        test company: a test provider never settles a live company's receipts.
        """
        # Read as superuser: the secret key is for system users only, and the
        # caller may be a public payer or a cron.
        providers = (
            self.sudo()
            .search(
                [
                    ("code", "=", "stripe"),
                    ("state", "in", ("enabled", "test") if company.arrears_test_company else ("enabled",)),
                    ("company_id", "=", company.id),
                ],
                order="state, sequence, id",  # 'enabled' sorts before 'test'
            )
            .filtered("stripe_secret_key")
        )
        return providers[:1]

    @api.model
    def _stripe_link_providers_with_webhook(self):
        """Every Stripe provider with a payment-links webhook secret (the webhook tries each)."""
        return (
            self.sudo()
            .search([("code", "=", "stripe"), ("state", "in", ("enabled", "test"))], order="id")
            .filtered("stripe_link_webhook_secret")
        )

    def write(self, vals):
        res = super().write(vals)
        if {"state", "stripe_secret_key", "company_id"} & set(vals):
            self._stripe_switch_demo_links()
        return res

    def _stripe_switch_demo_links(self):
        """Once Stripe takes a company's payments, its active links without a ready provider take it too.

        A demo link left active would let anyone simulate a payment and post it
        in the accounts; a link without a provider could take no card payment.
        """
        Link = self.env["arrears.payment.link"]
        for provider in self.filtered(lambda p: p.code == "stripe" and p.state in ("enabled", "test")):
            company = provider.company_id
            if not provider.sudo().stripe_secret_key or not self._stripe_link_provider(company):
                continue
            # Links of every user's cases: a setting changed by an administrator.
            links = Link.sudo().search(
                [("company_id", "=", company.id), ("state", "=", "active"), ("provider", "in", ("demo", "none"))]
            )
            links.provider = "stripe"

    # -------------------------------------------------------------------------
    # Accounting
    # -------------------------------------------------------------------------

    def _stripe_link_journal(self):
        """The journal that receives the payment links' payments (the provider's journal)."""
        self.ensure_one()
        if not self.journal_id:
            raise UserError(_("Set a payment journal on the Stripe provider %(provider)s.", provider=self.display_name))
        return self.journal_id

    def _stripe_fee_account(self):
        """The expense account of Stripe's fees, created with the French chart's code if missing."""
        self.ensure_one()
        if self.stripe_fee_account_id:
            return self.stripe_fee_account_id
        account = self.company_id._arrears_account(*FEE_ACCOUNT)
        self.stripe_fee_account_id = account
        return account
