from datetime import date

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import PaymentLinkCommon


@tagged("post_install", "-at_install")
class TestPaymentLink(PaymentLinkCommon):
    def test_one_active_link_per_case_with_an_unguessable_token(self):
        self.assertEqual(len(self.link), 1)
        self.assertEqual(self.case._ensure_payment_links(), self.link, "asking again gives the same link")
        # 32 random bytes, URL-safe: nothing of the case's id or number in it, and no two alike.
        self.assertRegex(self.link.token, r"^[A-Za-z0-9_-]{43}$")
        self.assertNotIn(self.case.contract_id.name, self.link.token)
        tokens = set(self.env["arrears.payment.link"].search([]).mapped("token"))
        self.assertEqual(len(tokens), self.env["arrears.payment.link"].search_count([]))
        self.assertTrue(self.link.url.endswith(f"/arrears/pay/{self.link.token}"))
        self.assertEqual(self.case.payment_url, self.link.url)

    def test_new_link_revokes_the_old_one(self):
        old = self.link
        self.case.action_new_payment_link()
        self.assertEqual(old.state, "cancelled")
        self.assertTrue(self.case.payment_link_id)
        self.assertNotEqual(self.case.payment_link_id, old)
        self.assertNotEqual(self.case.payment_link_id.token, old.token)

    def test_full_payment_settles_receipts_oldest_first_and_closes_case(self):
        self.assertEqual(self.case.amount_due, 550.0)
        payment = self.link._register_payment(550.0, journal=self.bank_journal)
        self.assertEqual(payment.move_id.state, "posted")
        self.assertEqual(payment.arrears_link_id, self.link)
        self.assertEqual(self._receivable_lines(payment).credit, 550.0)
        self.assertTrue(self._receivable_lines(payment).reconciled)
        self.assertEqual(self.receipts.mapped("amount_residual"), [0.0, 0.0])
        self.assertEqual(self.case.state, "closed")
        self.assertEqual(self.link.state, "paid")
        self.assertEqual(self.link.amount_paid, 550.0)
        self.assertFalse(self.link.overpaid)
        self.assertIn("received through the payment link", "".join(self.case.message_ids.mapped("body")))

    def test_partial_payment_pays_the_oldest_receipt_and_leaves_the_rest_due(self):
        self.link._register_payment(300.0, journal=self.bank_journal)
        self.assertEqual(self.receipts[0].amount_residual, 0.0, "January first")
        self.assertEqual(self.receipts[1].amount_residual, 250.0)
        self.assertEqual(self.case.state, "open")
        self.assertEqual(self.case.amount_due, 250.0)
        self.assertEqual(self.link.state, "active", "the link still asks for the rest")

    def test_overpayment_stays_as_credit_and_is_flagged(self):
        payment = self.link._register_payment(600.0, journal=self.bank_journal)
        counterpart = self._receivable_lines(payment)
        self.assertEqual(counterpart.amount_residual, -50.0, "50 left as the client's credit")
        self.assertTrue(self.link.overpaid)
        activity = self.case.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertIn("50.00", activity.note)

    def test_payment_when_nothing_is_due_is_all_credit(self):
        # A SEPA debit settled the receipts while the client paid through the link.
        self.receipts._register_payments(self.bank_journal)
        self.assertEqual(self.case.state, "closed")
        self.assertEqual(self.link.state, "closed")
        payment = self.link._register_payment(550.0, journal=self.bank_journal)
        self.assertEqual(self._receivable_lines(payment).amount_residual, -550.0)
        self.assertTrue(self.link.overpaid)

    def test_closed_case_link_is_not_payable(self):
        self.receipts._register_payments(self.bank_journal)
        self.assertFalse(self.link._is_payable())
        with self.assertRaises(UserError):
            self.link._checkout_url()

    def test_expired_link_is_not_payable(self):
        self.link.date_expiry = date(2020, 1, 1)
        self.assertFalse(self.link._is_payable())

    def test_negative_amount_is_refused(self):
        with self.assertRaises(UserError):
            self.link._register_payment(-10.0, journal=self.bank_journal)
        self.assertFalse(self.link.payment_ids)

    def test_page_shows_no_address(self):
        values = self.link._page_values()
        self.assertEqual(values["amount_due"], 550.0)
        self.assertEqual(values["receipts"], self.receipts)
        self.assertNotIn("street", values)
        self.assertNotIn("12 rue de la Paix", str(values))

    def test_refund_makes_the_newest_debt_due_again_a_fee_included(self):
        (fee,) = self.case._charge_fees(
            [(self.case, 10.0, "Bank rejection fee", self.commission_account, date(2026, 4, 25))], "Fees"
        )
        payment = self.link._register_payment(560.0, journal=self.bank_journal)
        self.assertEqual((fee.amount_residual, self.case.state), (0.0, "closed"))
        self.link._register_refund(payment, 10.0)
        # The fee, the newest debt, is due again in a case of its own; the receipts stay paid.
        self.assertEqual(fee.amount_residual, 10.0)
        self.assertEqual(self.receipts.mapped("amount_residual"), [0.0, 0.0])
        case = fee.arrears_fee_case_id
        self.assertNotEqual(case, self.case)
        self.assertEqual((case.contract_id, case.state, case.amount_due), (self.contract, "open", 10.0))
        self.assertIn("fees charged earlier are due again", "".join(case.message_ids.mapped("body")))
        self.assertEqual(case._ensure_payment_links()._page_values()["fees"], fee)

    def test_demo_outcomes(self):
        self.assertEqual(self.link._demo_outcome(False), "failed")
        self.assertEqual(self.case.state, "open")
        self.assertEqual(self.link._demo_outcome(True), "paid")
        self.assertEqual(self.case.state, "closed")
        self.assertEqual(self.link.payment_ids.amount, 550.0)
        self.assertEqual(self.link._demo_outcome(True), "nothing_due", "a replay pays nothing twice")
        self.assertEqual(len(self.link.payment_ids), 1)


@tagged("post_install", "-at_install")
class TestPaymentLinkPage(PaymentLinkCommon, HttpCase):
    def test_page_shows_who_asks_and_what_is_due(self):
        response = self.url_open(f"/arrears/pay/{self.link.token}")
        self.assertEqual(response.status_code, 200)
        html = response.text
        self.assertIn(self.company.name, html)
        self.assertIn(self.contract.name, html)
        self.assertIn("Jeanne Dupont", html)
        for receipt in self.receipts:
            self.assertIn(receipt.name, html)
        self.assertIn("550.00", html)
        self.assertIn("07001234", html, "the ORIAS number tells who writes")
        self.assertNotIn("rue de la Paix", html, "no address on a page a forwarded link opens")
        self.assertEqual(self.link.open_count, 1)
        self.assertTrue(self.link.date_first_opened)

    def test_page_speaks_the_debtor_s_language_whatever_the_browser_asks(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["insurance_arrears"], ["fr_FR"], overwrite=True)
        self.policyholder.lang = "fr_FR"
        html = self.url_open(f"/arrears/pay/{self.link.token}", headers={"Accept-Language": "en-US,en"}).text
        self.assertIn("Montant dû", html)
        self.assertNotIn("Amount due", html)
        self.policyholder.lang = "en_US"
        html = self.url_open(f"/arrears/pay/{self.link.token}", headers={"Accept-Language": "fr-FR,fr"}).text
        self.assertIn("Amount due", html)

    def test_page_lists_each_fee_due(self):
        self.case._charge_fees(
            [(self.case, 7.5, "Bank rejection fee, debit of Q1", self.commission_account, date(2026, 4, 25))], "Fees"
        )
        html = self.url_open(f"/arrears/pay/{self.link.token}").text
        self.assertIn("Bank rejection fee, debit of Q1", html)
        self.assertIn("557.50", html)

    @mute_logger("odoo.http", "werkzeug")
    def test_unknown_or_forged_token_is_404(self):
        for token in ("nope", self.link.token[:-1] + ("A" if self.link.token[-1] != "A" else "B")):
            self.assertEqual(self.url_open(f"/arrears/pay/{token}").status_code, 404)
        self.assertEqual(self.link.open_count, 0)

    @mute_logger("odoo.http", "werkzeug")
    def test_checkout_needs_csrf(self):
        response = self.url_open(f"/arrears/pay/{self.link.token}/checkout", data={"pay": "1"}, allow_redirects=False)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.link.payment_ids)

    def test_demo_flow_from_the_page_pays_the_amount_due(self):
        page = self.url_open(f"/arrears/pay/{self.link.token}")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        response = self.url_open(
            f"/arrears/pay/{self.link.token}/checkout", data={"csrf_token": csrf}, allow_redirects=False
        )
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(f"/arrears/pay/{self.link.token}/demo"))
        response = self.url_open(
            f"/arrears/pay/{self.link.token}/demo/success", data={"csrf_token": csrf}, allow_redirects=True
        )
        self.assertIn("your payment has been received", response.text)
        self.assertEqual(self.link.payment_ids.amount, 550.0)
        self.assertEqual(self.case.state, "closed")
        # The same link opened later asks for nothing.
        self.assertIn("Nothing is due on this contract any more", self.url_open(f"/arrears/pay/{self.link.token}").text)


@tagged("post_install", "-at_install")
class TestClosedLinkPage(PaymentLinkCommon, HttpCase):
    """A link revoked, replaced, expired or settled shows whom to contact, and nothing personal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"phone": "+33 1 23 45 67 89", "email": "contact@courtier.example"})

    def _csrf(self, token):
        page = self.url_open(f"/arrears/pay/{token}")
        return page.text.split('name="csrf_token" value="')[1].split('"')[0]

    def assertNeutral(self, html):
        self.assertIn('id="arrears_link_closed"', html)
        for contact in (self.company.name, "+33 1 23 45 67 89", "contact@courtier.example"):
            self.assertIn(contact, html)
        for personal in (self.contract.name, "Jeanne Dupont", "550.00", "275.00", *self.receipts.mapped("name")):
            self.assertNotIn(personal, html)
        self.assertNotIn("<form", html, "nothing to send from it")

    def test_revoked_link_shows_a_neutral_page_and_counts_no_opening(self):
        old = self.link
        self.case.action_new_payment_link()
        response = self.url_open(f"/arrears/pay/{old.token}")
        self.assertEqual(response.status_code, 404, "as an unknown token")
        self.assertNeutral(response.text)
        self.assertIn("no longer valid", response.text)
        self.assertEqual((old.open_count, old.date_first_opened), (0, False))

    def test_expired_link_shows_a_neutral_page(self):
        self.link.date_expiry = date.today().replace(year=date.today().year - 1)
        response = self.url_open(f"/arrears/pay/{self.link.token}")
        self.assertNeutral(response.text)
        self.assertEqual(self.link.open_count, 0)

    def test_settled_link_says_nothing_is_due_and_nothing_more(self):
        self.link._register_payment(550.0, journal=self.bank_journal)
        self.assertEqual(self.link.state, "paid")
        html = self.url_open(f"/arrears/pay/{self.link.token}").text
        self.assertNeutral(html)
        self.assertIn("Nothing is due on this contract any more", html)

    def test_link_of_a_case_settled_by_transfer_says_nothing_is_due_and_nothing_more(self):
        self.receipts._register_payments(self.bank_journal)  # the case closes as its receipts are paid
        self.assertEqual((self.case.state, self.link.state), ("closed", "closed"))
        response = self.url_open(f"/arrears/pay/{self.link.token}")
        self.assertEqual(response.status_code, 200)
        self.assertNeutral(response.text)
        self.assertIn("Nothing is due on this contract any more", response.text)
        self.assertEqual(self.link.open_count, 0)

    def test_checkout_and_plan_request_on_a_revoked_link_do_nothing(self):
        old = self.link
        self.case.action_new_payment_link()
        csrf = self._csrf(self.case.payment_link_id.token)
        checkout = self.url_open(f"/arrears/pay/{old.token}/checkout", data={"csrf_token": csrf})
        self.assertNeutral(checkout.text)
        request = self.url_open(
            f"/arrears/pay/{old.token}/request", data={"csrf_token": csrf, "kind": "plan", "instalments": "2"}
        )
        self.assertNeutral(request.text)
        self.assertFalse(self.case.plan_request_ids)
        self.assertFalse(self.case.payment_link_ids.payment_ids)
        self.assertEqual(old.open_count, 0)

    def test_unknown_token_is_refused_with_the_same_lookups_as_a_closed_one(self):
        # One company as the visitor sees it (a database of one brokerage): the unknown token's page
        # then names the same company as the revoked one's.
        public = self.env.ref("base.public_user").sudo()
        public.write({"company_ids": [Command.link(self.company.id)], "company_id": self.company.id})
        closed = self.link
        self.case.action_new_payment_link()
        unknown = closed.token[:-4] + "zzzz"

        def queries(token):
            self.url_open(f"/arrears/pay/{token}")  # warm the caches (views, routing, translations)
            self.env.flush_all()
            before = self.cr.sql_log_count
            response = self.url_open(f"/arrears/pay/{token}")
            return response, self.cr.sql_log_count - before

        closed_response, closed_queries = queries(closed.token)
        unknown_response, unknown_queries = queries(unknown)
        self.assertEqual((closed_response.status_code, unknown_response.status_code), (404, 404))
        self.assertNeutral(unknown_response.text)

        def page(response):
            return response.text.split('id="arrears_link_closed"')[1]

        self.assertEqual(page(unknown_response), page(closed_response), "the same page")
        self.assertEqual(unknown_queries, closed_queries, "no early return for an unknown token")
