from odoo import http
from odoo.addons.insurance_arrears.controllers.main import ArrearsPaymentLinkController
from odoo.addons.insurance_arrears.models.arrears_payment_link import PAGE_ROUTE
from odoo.http import request

from ..models.sepa_mandate_signature import MandateRefused


class MandateSigningController(ArrearsPaymentLinkController):
    """The payment page's direct debit mandate, signed online with a one-time code."""

    @http.route(f"{PAGE_ROUTE}/<string:token>/mandate", type="http", auth="public", methods=["POST"], sitemap=False)
    def mandate_start(self, token, debtor_name=None, iban=None, **kwargs):
        """Name and IBAN checked, the mandate to read and the code sent; nothing kept when refused."""
        link = self._link(token)
        try:
            link._mandate_start(debtor_name, iban)
        except MandateRefused as refused:
            return request.redirect(link._page_path(f"mandate_{refused.code}"))
        return request.redirect(link._page_path("mandate_code_sent"))

    @http.route(
        f"{PAGE_ROUTE}/<string:token>/mandate/sign", type="http", auth="public", methods=["POST"], sitemap=False
    )
    def mandate_sign(self, token, code=None, collect_open=None, **kwargs):
        """The code typed back: each try is kept, whatever it gives; ``collect_open`` is the debtor's
        ticked box "collect what I owe by this debit"."""
        link = self._link(token)
        outcome = link._mandate_sign(
            code,
            ip_address=request.httprequest.remote_addr,
            user_agent=request.httprequest.user_agent.string,
            collect_open=collect_open == "1",
        )
        return request.redirect(link._page_path(f"mandate_{outcome}"))
