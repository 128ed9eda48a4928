from odoo import api, fields, models


class ArrearsPaymentLink(models.Model):
    _inherit = "arrears.payment.link"

    provider = fields.Selection(selection_add=[("stripe", "Stripe")], ondelete={"stripe": "set default"})
    stripe_session_ids = fields.One2many("stripe.checkout.session", "link_id", string="Stripe Checkouts", readonly=True)

    @api.model
    def _default_provider(self):
        """Stripe when it takes the current company's payments; the demo otherwise."""
        if self.env["payment.provider"]._stripe_link_provider(self.env.company):
            return "stripe"
        return super()._default_provider()

    @api.model_create_multi
    def create(self, vals_list):
        # A link belongs to its case's company, which may not be the current one.
        Provider = self.env["payment.provider"]
        fallback = super()._default_provider()
        ready = {}
        for vals in vals_list:
            if "provider" in vals or not vals.get("case_id"):
                continue
            company = self.env["arrears.case"].browse(vals["case_id"]).company_id
            if company not in ready:
                ready[company] = bool(Provider._stripe_link_provider(company))
            vals["provider"] = "stripe" if ready[company] else fallback
        return super().create(vals_list)

    def _checkout_url(self):
        """Stripe's hosted page for the amount due now (a Checkout Session made at the click)."""
        self.ensure_one()
        if self.provider == "demo" and self.env["payment.provider"]._stripe_link_provider(self.company_id):
            # Stripe was configured after the link went out: it takes real payments now.
            self.provider = "stripe"
        if self.provider != "stripe":
            return super()._checkout_url()
        self._check_checkout()
        return self.env["stripe.checkout.session"]._checkout_for_link(self).url

    @api.model
    def _demo_links(self):
        """Demo data: a link for each open case (demo mode without a Stripe key), one of them paid."""
        links = self.env["arrears.case"].search([("state", "=", "open")])._ensure_payment_links()
        demo = links.filtered(lambda link: link.provider == "demo" and link._is_payable())
        if demo:
            demo.sorted("id")[0]._demo_outcome(True)
        return links
