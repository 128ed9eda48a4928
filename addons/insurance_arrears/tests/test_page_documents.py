from urllib.parse import unquote

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import PaymentLinkCommon


@tagged("post_install", "-at_install")
class TestPageDocuments(PaymentLinkCommon, HttpCase):
    """Copies the debtor downloads from the payment page: its receipts' notices, its certificate of insurance."""

    def _get(self, key, link=None):
        return self.url_open(f"/arrears/pay/{(link or self.link).token}/document/{key}")

    def _downloads_noted(self):
        return self.case.message_ids.filtered(lambda m: "downloaded from the payment page" in (m.body or ""))

    def test_the_notice_of_each_open_receipt_is_listed_and_its_download_noted(self):
        html = self.url_open(f"/arrears/pay/{self.link.token}").text
        for receipt in self.receipts:
            self.assertIn(f"/document/notice-{receipt.id}", html)
        response = self._get(f"notice-{self.receipts[1].id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        name = f"Premium notice {self.receipts[1].name}.pdf".replace("/", "-")
        self.assertIn(name, unquote(response.headers["Content-Disposition"]))
        # Odoo's test mode renders the report's HTML instead of the PDF: the document's own text.
        self.assertIn(self.receipts[1].name, response.text)
        self.assertIn("275.00", response.text)
        noted = self._downloads_noted()
        self.assertEqual(len(noted), 1)
        self.assertIn(self.receipts[1].name, noted.body)
        self.assertEqual(noted.author_id, self.policyholder, "the debtor took it")
        self.assertEqual(noted.subtype_id, self.env.ref("mail.mt_note"), "a note: nobody is notified")

    @mute_logger("odoo.http", "werkzeug")
    def test_only_the_documents_the_page_lists_are_given(self):
        other = self._create_contract_in_arrears(partner_id=self.env["res.partner"].create({"name": "Autre"}).id)
        paid = self.receipts[0]
        paid._register_payments(self.bank_journal)
        for key in (
            f"notice-{other.receipt_ids[0].id}",  # another debtor's receipt
            f"notice-{paid.id}",  # paid: no longer listed
            f"certificate-{other.id}",
            "notice-x",
            "../notice",
            f"letter-{self.receipts[1].id}",
        ):
            self.assertEqual(self._get(key).status_code, 404, key)
        self.case.action_new_payment_link()
        self.assertEqual(self._get(f"notice-{self.receipts[1].id}").status_code, 404, "a revoked link gives nothing")
        self.assertFalse(self._downloads_noted())

    def test_the_certificate_covers_todays_period_while_the_contract_is_in_force(self):
        key = f"certificate-{self.contract.id}"
        self.assertNotIn(key, self.url_open(f"/arrears/pay/{self.link.token}").text, "no receipt for today's period")
        today = fields.Date.today()
        self.contract._generate_receipts(until=today)
        current = self.contract._certificate_receipt()
        self.assertTrue(current.period_start <= today <= current.period_end)
        self.assertIn(key, self.url_open(f"/arrears/pay/{self.link.token}").text)
        response = self._get(key)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Certificate of Insurance", response.text)
        self.assertIn(self.contract.name, response.text)
        self.assertIn(current.period_end.strftime("%m/%d/%Y"), response.text)

        self.contract.action_suspend(date=today)
        self.assertFalse(self.contract._certificate_receipt())
        with mute_logger("odoo.http", "werkzeug"):
            self.assertEqual(self._get(key).status_code, 404, "no certificate for a suspended cover")

    def test_a_copy_is_in_the_debtors_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["insurance_arrears"], ["fr_FR"], overwrite=True)
        self.policyholder.lang = "fr_FR"
        response = self.url_open(
            f"/arrears/pay/{self.link.token}/document/notice-{self.receipts[0].id}",
            headers={"Accept-Language": "en-US,en"},
        )
        self.assertIn("Avis d'échéance", response.text)
        self.assertNotIn("Premium Notice", response.text)


@tagged("post_install", "-at_install")
class TestPaymentReceipt(PaymentLinkCommon, HttpCase):
    """After a payment through the link: a payment receipt by e-mail and on the page, saying where the cover stands."""

    def _receipt_message(self, payment):
        return payment.message_ids.filtered(lambda m: m.subject and "Payment received" in m.subject)

    def test_a_partial_payment_is_receipted_by_email_and_on_the_page(self):
        self.policyholder.email = "jeanne.dupont@example.com"
        payment = self.link._register_payment(300.0, date=fields.Date.today())
        self.assertEqual(
            [(receipt, amount) for receipt, amount in payment._arrears_settled()],
            [(self.receipts[0], 275.0), (self.receipts[1], 25.0)],
        )
        message = self._receipt_message(payment)
        self.assertEqual(len(message), 1, "one receipt per payment")
        self.assertEqual(message.partner_ids, payment.partner_id)
        body = message.body
        for text in ("300.00", self.receipts[0].name, self.receipts[1].name, "250.00", "continues"):
            self.assertIn(text, body)
        self.assertNotIn("back in force", body)
        # The report attached (Odoo's test mode renders its HTML, not the PDF).
        self.assertEqual(message.attachment_ids.mapped("name"), [f"Payment receipt - {payment.name}.html"])
        self.assertIn("Payment Receipt", message.attachment_ids.raw.decode())

        key = f"payment-{payment.id}"
        self.assertIn(key, self.url_open(f"/arrears/pay/{self.link.token}").text, "the link stays open: 250.00 due")
        response = self.url_open(f"/arrears/pay/{self.link.token}/document/{key}")
        self.assertEqual(response.status_code, 200)
        for text in ("Payment Receipt", "Jeanne Dupont", "300.00", "25.00", "250.00"):
            self.assertIn(text, response.text)

    def test_a_payment_that_ends_a_suspension_says_the_cover_is_back(self):
        self.policyholder.email = "jeanne.dupont@example.com"
        self.contract.action_suspend()
        payment = self.link._register_payment(550.0)
        self.assertEqual(self.contract.state, "active")
        self.assertTrue(payment.arrears_reinstated)
        self.assertIn("back in force", self._receipt_message(payment).body)

    def test_no_email_address_no_email(self):
        self.policyholder.email = False
        payment = self.link._register_payment(100.0)
        self.assertFalse(self._receipt_message(payment))
