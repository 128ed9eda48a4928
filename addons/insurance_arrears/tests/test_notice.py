from datetime import date
from unittest.mock import patch

from odoo import fields
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from ..models import insurance_premium_receipt
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

    def test_notice_email_is_sent_with_its_facts_and_marks_the_receipt(self):
        self.receipt._send_notices()
        self.assertEqual(self.receipt.notice_date, date.today())
        message = self.receipt.message_ids.filtered(lambda m: "AUTO-2026-042" in (m.subject or ""))
        self.assertEqual(len(message), 1)
        self.assertIn(self.policyholder, message.partner_ids)
        for fact in ("Jeanne Dupont", "AUTO-2026-042", "275.00", "ORIAS 07001234"):
            self.assertIn(fact, str(message.body))
        self.assertIn(f"Please quote the reference <strong>{self.receipt.name}</strong>", str(message.body))
        self.assertEqual(len(message.attachment_ids), 1, "the notice is attached")

    def test_client_without_email_gets_a_letter_to_print_not_an_email(self):
        # Was: no e-mail and no notice at all; the notice goes out as a letter instead (issue 14).
        self.policyholder.email = False
        self.assertEqual(self.receipt._send_notices(), self.receipt)
        self.assertEqual(self.receipt.notice_channel, "print")
        self.assertFalse(self.receipt.message_ids.filtered(lambda m: "AUTO-2026-042" in (m.subject or "")))


@tagged("post_install", "-at_install")
class TestPremiumNoticeCron(InsuranceArrearsCommon):
    """The daily job sends each notice the company's number of days ahead, once, by the client's channel."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref("insurance_arrears.ir_cron_send_notices")

    def _issue(self, due, **values):
        contract = self._create_contract(date_start=due, split="annual", **values)
        return contract._generate_receipts(until=fields.Date.to_date(due))

    def _run_cron(self, day="2026-12-03"):
        # The job opens its own cursor, which must see this test's records.
        with freeze_time(day), self.enter_registry_test_mode():
            self.cron.method_direct_trigger()
        # The job ran in its own cursor: read what it wrote.
        self.env.invalidate_all()

    def _notices(self, receipt):
        return receipt.message_ids.filtered(lambda m: m.message_type == "comment" and m.subject)

    def test_notice_goes_out_30_days_before_the_due_date_not_40(self):
        in_30 = self._issue("2027-01-02")
        in_40 = self._issue("2027-01-12")
        self._run_cron()
        self.assertEqual(in_30.notice_date, date(2026, 12, 3))
        self.assertEqual(in_30.notice_channel, "email")
        self.assertEqual(in_30.notice_amount, 1100.0)
        notice = self._notices(in_30)
        self.assertEqual(len(notice), 1)
        self.assertIn(self.policyholder, notice.partner_ids)
        self.assertIn(in_30.contract_id.name, notice.subject)
        for fact in (in_30.name, "1,100.00", "01/02/2027", "ORIAS 07001234"):
            self.assertIn(fact, str(notice.body))
        self.assertEqual(len(notice.attachment_ids), 1, "the notice is attached")
        mail = self.env["mail.mail"].search([("mail_message_id", "=", notice.id)])
        self.assertEqual(mail.recipient_ids, self.policyholder, "an e-mail goes to the client")
        self.assertFalse(in_40.notice_date)
        self.assertFalse(self._notices(in_40))
        self._run_cron("2026-12-13")
        self.assertEqual(in_40.notice_date, date(2026, 12, 13), "its day came")

    def test_french_client_gets_a_french_notice(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["insurance_arrears"], ["fr_FR"], overwrite=True)
        self.policyholder.lang = "fr_FR"
        english = self.env["res.partner"].create({"name": "John Smith", "email": "john@example.com", "lang": "en_US"})
        french = self._issue("2027-01-02")
        other = self._issue("2027-01-02", partner_id=english.id)
        self._run_cron()
        self.assertIn("Avis d'échéance", self._notices(french).subject)
        self.assertIn("Bonjour Jeanne Dupont", str(self._notices(french).body))
        self.assertIn("Premium notice", self._notices(other).subject)
        self.assertIn("Dear John Smith", str(self._notices(other).body))

    def test_receipt_the_insurer_collects_gets_no_notice_from_the_broker(self):
        receipt = self._issue("2027-01-02", insurer_id=self.insurer_direct.id)
        self._run_cron()
        self.assertFalse(receipt.notice_date)

    def test_company_sets_how_many_days_ahead(self):
        self.company.insurance_notice_days = 45
        in_40 = self._issue("2027-01-12")
        self._run_cron()
        self.assertEqual(in_40.notice_date, date(2026, 12, 3))

    def test_running_the_cron_twice_sends_one_notice(self):
        receipt = self._issue("2027-01-02")
        self._run_cron()
        self._run_cron()
        self._run_cron("2026-12-04")
        self.assertEqual(len(self._notices(receipt)), 1)
        self.assertEqual(receipt.notice_date, date(2026, 12, 3))

    def test_changed_amount_sends_a_notice_replacing_the_first(self):
        receipt = self._issue("2027-01-02")
        self._run_cron()
        receipt.amount_net = 1100.0  # 1,000 + 90 + 10 -> 1,200
        self._run_cron("2026-12-05")
        notices = self._notices(receipt).sorted("id")
        self.assertEqual(len(notices), 2)
        self.assertNotIn("replaces", str(notices[0].body))
        body = str(notices[1].body)
        self.assertIn("This notice replaces the notice of 12/03/2026", body)
        self.assertIn("1,100.00", body, "the earlier amount")
        self.assertIn("the amount is now", body)
        self.assertIn("1,200.00", body)
        self.assertEqual((receipt.notice_date, receipt.notice_amount), (date(2026, 12, 5), 1200.0))
        self._run_cron("2026-12-06")
        self.assertEqual(len(self._notices(receipt)), 2, "the new amount is noticed once")

    def test_changed_payment_method_sends_a_notice_replacing_the_first(self):
        receipt = self._issue("2027-01-02")
        self._run_cron()
        self.assertEqual(receipt.notice_payment_method, "transfer")
        receipt.contract_id.payment_method = "card"
        self._run_cron("2026-12-05")
        notices = self._notices(receipt).sorted("id")
        self.assertEqual(len(notices), 2)
        body = str(notices[1].body)
        self.assertIn("This notice replaces the notice of 12/03/2026", body)
        self.assertIn("the premium is now paid by Card", body)
        self.assertNotIn("the amount is now", body)
        self.assertEqual((receipt.notice_date, receipt.notice_payment_method), (date(2026, 12, 5), "card"))
        self._run_cron("2026-12-06")
        self.assertEqual(len(self._notices(receipt)), 2, "the new method is noticed once")

    def test_paid_or_cancelled_receipts_get_no_notice(self):
        paid = self._issue("2027-01-02")
        paid._register_payments(self.bank_journal)
        cancelled = self._issue("2027-01-03")
        cancelled._cancel()
        self._run_cron()
        self.assertFalse(paid.notice_date)
        self.assertFalse(cancelled.notice_date)

    def test_client_without_email_gets_a_letter_in_the_day_s_pdf(self):
        self.policyholder.email = False
        other = self.env["res.partner"].create({"name": "Paul Martin", "street": "1 rue Haute", "city": "Lyon"})
        first = self._issue("2027-01-02")
        second = self._issue("2027-01-01", partner_id=other.id)
        self._run_cron()
        self.assertEqual((first | second).mapped("notice_channel"), ["print", "print"])
        letters = first.notice_print_id
        self.assertEqual(letters, second.notice_print_id, "one PDF a day")
        self.assertEqual(letters.date, date(2026, 12, 3))
        self.assertEqual(letters.receipt_ids, first | second)
        self.assertFalse(letters.to_render)
        # In tests Odoo renders reports as HTML: the PDF's pages.
        content = letters.attachment_id.raw.decode()
        for fact in (first.name, second.name, "Jeanne Dupont", "Paul Martin", "1 rue Haute"):
            self.assertIn(fact, content)
        self.assertEqual(letters.activity_ids.summary, "Print and post the premium notices")
        self.assertFalse(self._notices(first), "no e-mail")
        self.assertFalse(self.env["snailmail.letter"].search([("model", "=", first._name), ("res_id", "=", first.id)]))

    def test_letters_of_a_later_run_of_the_day_join_the_same_pdf(self):
        self.policyholder.email = False
        first = self._issue("2027-01-02")
        self._run_cron()
        later = self._issue("2027-01-01")
        self._run_cron("2026-12-03 18:00:00")
        self.assertEqual(later.notice_print_id, first.notice_print_id)
        content = first.notice_print_id.attachment_id.raw.decode()
        self.assertIn(first.name, content)
        self.assertIn(later.name, content)
        self.assertEqual(len(first.notice_print_id.activity_ids), 1)

    def test_client_without_email_gets_a_posted_letter_when_the_company_uses_the_postal_service(self):
        self.company.insurance_notice_snailmail = True
        self.policyholder.write({"email": False, "country_id": self.env.ref("base.fr").id})
        receipt = self._issue("2027-01-02")
        self._run_cron()
        letter = self.env["snailmail.letter"].search([("model", "=", receipt._name), ("res_id", "=", receipt.id)])
        self.assertEqual(len(letter), 1)
        self.assertEqual(letter.partner_id, self.policyholder)
        self.assertEqual(letter.state, "pending", "Odoo's postal service sends it with its own job")
        self.assertEqual(letter.report_template, self.env.ref("insurance_arrears.action_report_premium_notice"))
        self.assertEqual((letter.street, letter.city), ("12 rue de la Paix", "Paris"))
        self.assertEqual(receipt.notice_channel, "post")
        self.assertFalse(receipt.notice_print_id)

    def test_a_notice_that_cannot_go_out_does_not_hold_back_the_others(self):
        receipts = self._issue("2027-01-01") | self._issue("2027-01-02") | self._issue("2027-01-02")
        bad = receipts[1]
        Receipt = type(self.env["insurance.premium.receipt"])
        send = Receipt._send_notice_emails

        def fails_for_one(records):
            if bad in records:
                raise ValueError("the template cannot render for this client")
            return send(records)

        with (
            patch.object(Receipt, "_send_notice_emails", fails_for_one),
            mute_logger("odoo.addons.insurance_arrears.models.ir_cron"),
        ):
            self._run_cron()
        self.assertEqual([len(self._notices(r)) for r in receipts], [1, 0, 1])
        self.assertFalse(bad.notice_date, "nothing of its failed attempt is left")
        self._run_cron()  # fixed by the next day's run
        self.assertEqual([len(self._notices(r)) for r in receipts], [1, 1, 1])

    def test_cron_killed_half_way_sends_the_rest_once(self):
        receipts = self._issue("2027-01-01") | self._issue("2027-01-02") | self._issue("2027-01-02")
        Receipt = type(self.env["insurance.premium.receipt"])
        send = Receipt._send_notice_emails
        chunks = []

        def killed_on_the_second_chunk(records):
            if records:
                chunks.append(records.ids)
                if len(chunks) == 2:
                    raise RuntimeError("worker killed")
            return send(records)

        with (
            patch.object(insurance_premium_receipt, "NOTICE_CHUNK", 1),
            patch.object(Receipt, "_send_notice_emails", killed_on_the_second_chunk),
            mute_logger("odoo.addons.base.models.ir_cron"),
        ):
            self._run_cron()
        self.assertGreater(len(chunks), 2, "the job went on after the failed chunk")
        self.assertEqual([len(self._notices(r)) for r in receipts], [1, 1, 1])
        self._run_cron()
        self.assertEqual([len(self._notices(r)) for r in receipts], [1, 1, 1])
