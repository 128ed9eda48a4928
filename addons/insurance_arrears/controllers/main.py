from datetime import date

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import UserError
from odoo.http import content_disposition, request
from odoo.tools import consteq

from ..models.arrears_contest import ContestRefused
from ..models.arrears_payment_link import PAGE_ROUTE, PaymentProviderNotReady, PaymentProviderUnavailable
from ..models.arrears_plan import PlanRequestRefused
from ..uploads import MAX_BYTES


class ArrearsPaymentLinkController(http.Controller):
    """The customer's side of a payment link: a page on the broker's own domain.

    The controller only finds the link from its token and hands over to the
    model; it holds no business logic.
    """

    def _link(self, token):
        # Public route: the token is the payer's only credential. sudo() reads the
        # one link it names; an unknown token is a 404, like a closed door.
        link = request.env["arrears.payment.link"].sudo().search([("token", "=", token)], limit=1)
        if not link or not consteq(link.token, token):
            raise NotFound()
        return self._speak_debtor_language(link)

    @staticmethod
    def _speak_debtor_language(link):
        """The page (its terms, rendered in the request's language) and the link's records in the debtor's
        language, whatever the browser asks: the notice that carried the link was written in it."""
        lang = link.partner_id._arrears_lang()
        request.update_context(lang=lang)
        return link.with_context(lang=lang)

    def _find_link(self, token):
        """The link ``token`` names, or an empty one: found by the same lookups whether it exists or not.

        Public route: sudo() reads the one link the token names, and only what tells
        whether its page may be shown.
        """
        link = (
            request.env["arrears.payment.link"]
            .sudo()
            .search_fetch([("token", "=", token)], ["token", "state", "date_expiry", "company_id"], limit=1)
        )
        return link if consteq(link.token or "", token) else link.browse()

    @http.route(f"{PAGE_ROUTE}/<string:token>", type="http", auth="public", methods=["GET"], sitemap=False)
    def payment_page(self, token, status=None, **kwargs):
        link = self._find_link(token)
        if link._is_open_to_payer():
            link = self._speak_debtor_language(link)
            link._record_opening()
            return request.render("insurance_arrears.payment_link_page", link._page_values(status=status))
        # Revoked, replaced, expired or unknown: the same neutral page, 404, after the same
        # lookups (no early return whose time tells a known token from a random one); settled:
        # the same page saying nothing is due. Nothing of the contract or the person either
        # way, and no opening counted.
        company = link.company_id or link.env.company
        lang = company.partner_id._arrears_lang()
        request.update_context(lang=lang)
        values = {
            "company": company.with_context(lang=lang),
            "settled": link.state in ("paid", "closed"),
            "status": status if status == "paid" else None,
        }
        return request.render(
            "insurance_arrears.payment_link_closed_page", values, status=200 if values["settled"] else 404
        )

    @http.route(
        f"{PAGE_ROUTE}/<string:token>/document/<string:key>", type="http", auth="public", methods=["GET"], sitemap=False
    )
    def document(self, token, key, **kwargs):
        """A copy of one of the case's documents, as the page lists them (a 404 for any other)."""
        link = self._find_link(token)
        if not link._is_open_to_payer():
            raise NotFound()
        document = self._speak_debtor_language(link)._page_document(key)
        if not document:
            raise NotFound()
        content, name = document
        return request.make_response(
            content,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Disposition", content_disposition(name.replace("/", "-"))),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )

    @http.route(f"{PAGE_ROUTE}/<string:token>/checkout", type="http", auth="public", methods=["POST"], sitemap=False)
    def checkout(self, token, **kwargs):
        link = self._link(token)
        try:
            url = link._checkout_url()
        except PaymentProviderUnavailable:
            return request.redirect(link._page_path("unavailable"))
        except PaymentProviderNotReady:
            # The page says that card payment is unavailable and how else to pay.
            return request.redirect(link._page_path())
        except UserError:
            return request.redirect(link._page_path("nothing_due"))
        return request.redirect(url, local=url.startswith("/"))

    @http.route(f"{PAGE_ROUTE}/<string:token>/request", type="http", auth="public", methods=["POST"], sitemap=False)
    def plan_request(self, token, kind=None, delay_until=None, instalments=None, note=None, **kwargs):
        link = self._link(token)
        try:
            request_record = link._ask_plan(
                kind,
                delay_until=date.fromisoformat(delay_until) if kind == "delay" and delay_until else None,
                instalment_count=int(instalments) if kind == "plan" and instalments else None,
                note=note,
            )
        except PlanRequestRefused as refused:
            # Nothing recorded: the page says why (and what can be asked).
            return request.redirect(link._page_path(f"request_{refused.code}"))
        except (ValueError, OverflowError, UserError):
            return request.redirect(link._page_path("request_invalid"))
        return request.redirect(link._page_path(f"request_{request_record.state}"))

    @http.route(f"{PAGE_ROUTE}/<string:token>/contest", type="http", auth="public", methods=["POST"], sitemap=False)
    def contest(self, token, reason=None, note=None, **kwargs):
        """The debtor contests receipts of its case, with files; nothing is kept unless all is right."""
        link = self._link(token)
        form = request.httprequest.form
        try:
            receipt_ids = [int(value) for value in form.getlist("receipt_ids")]
        except ValueError:
            return request.redirect(link._page_path("contest_invalid"))
        # One byte past the limit is enough to refuse a file: no more of it is read.
        files = [(upload.filename, upload.read(MAX_BYTES + 1)) for upload in request.httprequest.files.getlist("files")]
        try:
            link._contest(receipt_ids, reason, note=note, files=files)
        except ContestRefused as refused:
            return request.redirect(link._page_path(f"contest_{refused.code}"))
        except UserError:
            return request.redirect(link._page_path("request_nothing_due"))
        return request.redirect(link._page_path("contest_received"))

    @http.route(f"{PAGE_ROUTE}/<string:token>/demo", type="http", auth="public", methods=["GET"], sitemap=False)
    def demo_page(self, token, **kwargs):
        link = self._link(token)
        if not link._demo_open():
            raise NotFound()
        return request.render("insurance_arrears.payment_link_demo_page", link._page_values())

    @http.route(
        f"{PAGE_ROUTE}/<string:token>/demo/<any(success,failure):outcome>",
        type="http",
        auth="public",
        methods=["POST"],
        sitemap=False,
    )
    def demo_outcome(self, token, outcome, **kwargs):
        link = self._link(token)
        if not link._demo_open():
            raise NotFound()
        status = link._demo_outcome(outcome == "success")
        return request.redirect(link._page_path(status))
