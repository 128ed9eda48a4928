from datetime import date

from odoo.tests import tagged

from .common import InsuranceArrearsCommon


@tagged("post_install", "-at_install")
class TestPremiumNotice(InsuranceArrearsCommon):
    def setUp(self):
        super().setUp()
        self.contract = self._create_contract(name="AUTO-2026-042", split="quarterly")
        self.receipt = self.contract._generate_receipts(until=date(2026, 1, 1))

    def test_printed_notice_shows_who_asks_for_what(self):
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("insurance_arrears.report_premium_notice", self.receipt.ids)[0]
            .decode()
        )
        for fact in (
            self.company.name,  # who writes
            "ORIAS",
            "07001234",
            "garantie financière ABC",  # legal mentions
            "Jeanne Dupont",  # the client
            "12 rue de la Paix",
            "AUTO-2026-042",  # the contract
            "Assureur Mutuel",
            self.receipt.name,
            "250.00",  # net premium
            "22.50",  # tax
            "275.00",  # total due
        ):
            self.assertIn(fact, html)

    def test_direct_debit_notice_is_a_pre_notification(self):
        self.contract.payment_method = "sepa_dd"
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("insurance_arrears.report_premium_notice", self.receipt.ids)[0]
            .decode()
        )
        self.assertIn("pre-notification of a SEPA direct debit", html)

    def test_notice_email_is_sent_with_its_facts_and_marks_the_receipt(self):
        self.receipt._send_notices()
        self.assertEqual(self.receipt.notice_date, date.today())
        message = self.receipt.message_ids.filtered(lambda m: "AUTO-2026-042" in (m.subject or ""))
        self.assertEqual(len(message), 1)
        self.assertIn(self.policyholder, message.partner_ids)
        for fact in ("Jeanne Dupont", "AUTO-2026-042", "275.00", self.receipt.name, "ORIAS 07001234"):
            self.assertIn(fact, str(message.body))
        self.assertEqual(len(message.attachment_ids), 1, "the notice is attached")

    def test_client_without_email_gets_no_email(self):
        self.policyholder.email = False
        self.assertFalse(self.receipt._send_notices())
        self.assertFalse(self.receipt.notice_date)
