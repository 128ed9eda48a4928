from odoo import api, fields, models


class ArrearsPaymentLink(models.Model):
    _inherit = "arrears.payment.link"

    provider = fields.Selection(selection_add=[("stripe", "Stripe")], ondelete={"stripe": "set default"})
    stripe_session_ids = fields.One2many("stripe.checkout.session", "link_id", string="Stripe Checkouts", readonly=True)

    @api.model
    def _provider_for_company(self, company):
        """Stripe when it is ready to take ``company``'s payments (see ``_stripe_link_provider``)."""
        if self.env["payment.provider"]._stripe_link_provider(company):
            return "stripe"
        return super()._provider_for_company(company)

    def _provider_ready(self):
        if self.provider == "stripe":
            return bool(self.env["payment.provider"]._stripe_link_provider(self.company_id))
        return super()._provider_ready()

    def _checkout_url(self):
        """Stripe's hosted page for the amount due now (a Checkout Session made at the click)."""
        self.ensure_one()
        self._check_checkout()
        # Stripe configured after the link went out takes its payments; one no longer ready takes none.
        self._refresh_provider()
        if self.provider != "stripe":
            return super()._checkout_url()
        return self.env["stripe.checkout.session"]._checkout_for_link(self).url

    @api.model
    def _demo_links(self):
        """Demo data: a link for each open case (demo mode without a Stripe key), one of them paid."""
        links = self.env["arrears.case"].search([("state", "=", "open")])._ensure_payment_links()
        demo = links.filtered(lambda link: link.provider == "demo" and link._is_payable())
        if demo:
            demo.sorted("id")[0]._demo_outcome(True)
        return links
