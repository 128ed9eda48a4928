import logging

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.addons.insurance_arrears.controllers.main import ArrearsPaymentLinkController
from odoo.http import request
from odoo.tools import consteq
from odoo.tools.misc import hmac

from .. import const, utils

_logger = logging.getLogger(__name__)

# The browser that clicked Pay carries a proof of it back from Stripe: an HMAC of
# the checkout's reference keyed with the database secret. Stripe sees the
# reference (in the return URL, the metadata), never the proof: knowing the
# reference is not enough to be sent on to the link's token.
RETURN_COOKIE = "arrears_stripe_checkout"
RETURN_SCOPE = "payment_link_stripe.checkout_return"


def _return_proof(reference):
    # The database secret is for the system only: read as superuser.
    return hmac(request.env(su=True), RETURN_SCOPE, reference)


class StripePaymentLinkController(ArrearsPaymentLinkController):
    """Stripe's side of the payment link: the return from Checkout and the webhook.

    The routes check what they receive (signature, reference) and hand over
    to the models; no accounting here.
    """

    @http.route()
    def checkout(self, token, **kwargs):
        response = super().checkout(token, **kwargs)
        location = response.headers.get("Location") or ""
        if location.startswith("https://"):
            link = self._link(token)
            session = link.stripe_session_ids.filtered(lambda s: s.state == "open" and s.url == location)[:1]
            if session:
                response.set_cookie(
                    RETURN_COOKIE,
                    _return_proof(session.reference),
                    max_age=const.CHECKOUT_LIFETIME_SECONDS * 2,
                    path=const.RETURN_ROUTE,
                    httponly=True,
                    secure=request.httprequest.scheme == "https",
                    samesite="Lax",
                )
        return response

    @http.route(f"{const.RETURN_ROUTE}/<string:reference>", type="http", auth="public", methods=["GET"], sitemap=False)
    def stripe_return(self, reference, status=None, **kwargs):
        # Public route: the reference names one checkout; sudo() reads that one only.
        session = request.env["stripe.checkout.session"].sudo().search([("reference", "=", reference)], limit=1)
        if not session:
            raise NotFound()
        if status == "paid":
            # Read the outcome now rather than wait for the webhook: the page then shows it.
            session._poll_on_return()
        cookie = request.httprequest.cookies.get(RETURN_COOKIE) or ""
        if cookie and consteq(cookie, _return_proof(session.reference)):
            return request.redirect(session.link_id._page_path("paid" if status == "paid" else None))
        # Another browser (or Stripe itself): a neutral page that names nobody.
        return request.render(
            "payment_link_stripe.checkout_return_page", {"company": session.company_id, "status": status}
        )

    @http.route(
        const.WEBHOOK_ROUTE,
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        sitemap=False,
    )
    def stripe_webhook(self, **kwargs):
        # Cached: Odoo replays the request after a serialization failure.
        payload = request.httprequest.get_data()
        signature = request.httprequest.headers.get("Stripe-Signature")
        # Public route: Stripe has no Odoo user; the signature is its credential,
        # checked before anything is read or written.
        Provider = request.env["payment.provider"].sudo()
        providers = Provider._stripe_link_providers_with_webhook()
        try:
            event, index = utils.verify_event(payload, signature, [utils.get_webhook_secret(p) for p in providers])
        except utils.WebhookRefused as refusal:
            _logger.warning("Stripe webhook call refused: %s", refusal)
            return request.make_json_response({"error": "refused"}, status=400)
        request.env["stripe.event"].sudo()._record(providers[index], event)
        return request.make_json_response({"received": True})
