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
