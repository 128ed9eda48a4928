from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import PaymentLinkCommon


@tagged("post_install", "-at_install")
class TestDemoProviderChosen(PaymentLinkCommon, HttpCase):
    """The demo provider simulates payments only where a person turned it on for the company."""

    def _csrf(self):
        page = self.url_open(f"/arrears/pay/{self.link.token}")
        return page.text.split('name="csrf_token" value="')[1].split('"')[0]

    def _entries(self):
        return self.env["account.move.line"].search_count([("partner_id", "=", self.policyholder.id)])

    def test_new_company_takes_no_demo_payment(self):
        company = self.env["res.company"].create({"name": "Nouveau Courtier"})
        self.assertFalse(company.arrears_demo_payment, "off unless a person turns it on")
        self.assertFalse(company.arrears_test_company)
        self.assertEqual(self.env["arrears.payment.link"]._provider_for_company(company), "none")

    @mute_logger("odoo.http", "werkzeug")
    def test_demo_routes_are_404_and_post_nothing_when_the_setting_is_off(self):
        csrf = self._csrf()
        self.company.arrears_demo_payment = False
        entries = self._entries()
        self.assertEqual(self.url_open(f"/arrears/pay/{self.link.token}/demo").status_code, 404)
        response = self.url_open(f"/arrears/pay/{self.link.token}/demo/success", data={"csrf_token": csrf})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.link.payment_ids)
        self.assertEqual(self._entries(), entries, "no entry posted")
        self.assertEqual(self.case.state, "open")
        with self.assertRaises(UserError):
            self.link._demo_outcome(True)
        self.assertFalse(self.link.payment_ids)

    def test_page_without_a_ready_provider_says_card_payment_is_unavailable_and_how_else_to_pay(self):
        self.company.write({"arrears_demo_payment": False, "email": "gestion@courtier.example"})
        self.bank_journal.bank_account_id = self.env["res.partner.bank"].create(
            {"acc_number": "FR7630006000011234567890189", "partner_id": self.company.partner_id.id}
        )
        page = self.url_open(f"/arrears/pay/{self.link.token}")
        self.assertEqual(page.status_code, 200)
        html = page.text
        self.assertIn("Payment by card is unavailable", html)
        self.assertIn("FR7630006000011234567890189", html)
        self.assertIn(f"with the reference <strong>{self.contract.name}</strong>", html)
        self.assertIn("gestion@courtier.example", html)
        self.assertNotIn('id="arrears_pay_now"', html)
        self.assertNotIn("Demonstration", html)
        # A checkout asked anyway sends back to the page: no simulated payment.
        response = self.url_open(f"/arrears/pay/{self.link.token}/checkout", data={"csrf_token": self._csrf()})
        self.assertIn("Payment by card is unavailable", response.text)
        self.assertFalse(self.link.payment_ids)
        self.assertEqual(self.link.provider, "none")

    def test_page_says_plainly_that_the_demo_is_a_demonstration(self):
        html = self.url_open(f"/arrears/pay/{self.link.token}").text
        self.assertIn("Demonstration: this page takes no real payment", html)
        self.assertIn('id="arrears_pay_now"', html)
        demo = self.url_open(f"/arrears/pay/{self.link.token}/demo").text
        self.assertIn("Demonstration: no card is asked and no money moves", demo)

    def test_demo_turned_on_later_takes_the_links_that_had_no_provider(self):
        self.company.arrears_demo_payment = False
        self.case.action_new_payment_link()
        link = self.case.payment_link_id
        self.assertEqual(link.provider, "none")
        self.company.arrears_demo_payment = True
        self.assertEqual(link._checkout_url(), f"/arrears/pay/{link.token}/demo")
        self.assertEqual(link.provider, "demo")
