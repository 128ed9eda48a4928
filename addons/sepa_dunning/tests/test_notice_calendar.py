from datetime import date

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from ..iso20022 import pain008
from .common import CREDITOR_ID, SepaCommon


@tagged("post_install", "-at_install")
class TestNoticeCalendar(SepaCommon):
    """Notices announce the date the calendar's batch collects on; the batch takes what was noticed in time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.notice_cron = cls.env.ref("insurance_arrears.ir_cron_send_notices")
        cls.batch_cron = cls.env.ref("sepa_dunning.ir_cron_prepare_batches")
        cls.company.write({"sepa_batch_calendar": True, "sepa_batch_lead_days": 2})

    def _run(self, cron, day):
        # The job opens its own cursor, which must see this test's records.
        with freeze_time(day), self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.env.invalidate_all()

    def _issue_on(self, day, contract, due="2026-12-26"):
        with freeze_time(day):
            return contract._generate_receipts(until=fields.Date.to_date(due))

    def _debtor(self, name):
        return self.env["res.partner"].create(
            {"name": name, "email": f"{name.split()[0].lower()}@example.com", "country_id": self.env.ref("base.fr").id}
        )

    def _notice(self, receipt):
        return receipt.message_ids.filtered(lambda m: m.message_type == "comment" and m.subject)

    def _batches(self):
        return self.env["sepa.debit.batch"].search([("company_id", "=", self.company.id)], order="collection_date")

    def test_direct_debit_notice_gives_the_batch_s_date_the_mandate_and_the_creditor_identifier(self):
        contract = self._create_debit_contract(date_start="2026-12-26", split="annual")
        receipt = self._issue_on("2026-12-03", contract)
        self._run(self.notice_cron, "2026-12-03")
        # Due on Saturday 26 December, after Christmas: the first business day is Monday 28.
        body = str(self._notice(receipt).body)
        self.assertIn("pre-notification", body)
        self.assertIn("12/28/2026", body)
        self.assertIn(contract.mandate_id.name, body)
        self.assertIn(CREDITOR_ID, body)
        printed = (
            self.env["ir.actions.report"]
            ._render_qweb_html("insurance_arrears.report_premium_notice", receipt.ids)[0]
            .decode()
        )
        for fact in ("pre-notification of a SEPA direct debit", "12/28/2026", contract.mandate_id.name, CREDITOR_ID):
            self.assertIn(fact, printed)
        self.assertNotIn("quoting the reference", printed)
        # The batch of that date is prepared two business days ahead, and takes it.
        self._run(self.batch_cron, "2026-12-23")
        batch = self._batches()
        self.assertEqual(batch.collection_date, date(2026, 12, 28))
        self.assertEqual(batch.collect_line_ids.receipt_id, receipt)

    def test_a_french_client_s_direct_debit_notice_is_the_pre_notification_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["insurance_arrears", "sepa_dunning"], ["fr_FR"], overwrite=True
        )
        self.policyholder.lang = "fr_FR"
        contract = self._create_debit_contract(date_start="2026-12-26", split="annual")
        receipt = self._issue_on("2026-12-03", contract)
        self._run(self.notice_cron, "2026-12-03")
        body = str(self._notice(receipt).body)
        for fact in ("pré-notification", "28/12/2026", contract.mandate_id.name, "identifiant créancier", CREDITOR_ID):
            self.assertIn(fact, body)
        self.assertNotIn("pre-notification", body)

    def test_a_receipt_whose_debit_is_still_to_come_is_not_in_arrears_until_its_day_passes(self):
        contract = self._create_debit_contract(date_start="2026-12-26", split="annual")
        receipt = self._issue_on("2026-12-20", contract)
        # Noticed on the 20th, due on the 26th: the debit comes 14 days after the notice, on 4 January.
        self._run(self.notice_cron, "2026-12-20")
        transfer = self._issue_on("2026-12-20", self._create_contract(date_start="2026-12-26", split="annual"))
        Case = self.env["arrears.case"]
        with freeze_time("2026-12-30"):
            Case._cron_sync()
        self.assertFalse(receipt.case_id, "past due, but its debit is announced for 4 January")
        self.assertTrue(transfer.case_id, "a transfer past due is in arrears")
        # Taken by the batch of 4 January, not yet posted: still awaited.
        self._run(self.batch_cron, "2026-12-31")
        self.assertEqual(receipt.debit_line_ids.state, "to_collect")
        with freeze_time("2027-01-05"):
            Case._cron_sync()
        self.assertFalse(receipt.case_id)
        # The batch cancelled, the day passed without a debit: now in arrears.
        self._batches().action_cancel()
        with freeze_time("2027-01-05"):
            Case._cron_sync()
        self.assertEqual(receipt.case_id.state, "open")

    def test_a_contract_moved_to_direct_debit_gets_a_new_notice_that_pre_notifies_the_debit(self):
        # Noticed on 3 December while the contract is paid by transfer: the notice asks for a transfer.
        contract = self._create_contract(date_start="2026-12-26", split="annual")
        receipt = self._issue_on("2026-12-03", contract)
        other_contract = self._create_debit_contract(partner=self._debtor("Paul Martin"), date_start="2026-12-26")
        other = self._issue_on("2026-12-03", other_contract)
        self._run(self.notice_cron, "2026-12-03")
        self.assertEqual((receipt.notice_date, receipt.notice_payment_method), (date(2026, 12, 3), "transfer"))
        self.assertIn("quote the reference", str(self._notice(receipt).body))
        # On the 4th the contract moves to direct debit, on a mandate the client signed in November.
        mandate = self._create_mandate(signature_date="2026-11-02")
        with freeze_time("2026-12-04"):
            contract.write({"payment_method": "sepa_dd", "mandate_id": mandate.id})
        self.assertTrue(receipt.notice_pending, "the transfer notice announced no debit")
        # A batch made before the new notice leaves it out: nothing pre-notified its debit.
        with freeze_time("2026-12-04"):
            early = self._batch(collection_date=date(2026, 12, 28))
            early.action_prepare()
        self.assertEqual(early.collect_line_ids.receipt_id, other, "another client's debit, pre-notified")
        self.assertEqual(early.excluded_line_ids.receipt_id, receipt)
        self.assertEqual(early.excluded_line_ids.exclusion_reason, "notice_missing")
        early.action_cancel()
        # The day's notice job sends the new notice: it replaces the first and pre-notifies the debit.
        self._run(self.notice_cron, "2026-12-04")
        self.assertEqual((receipt.notice_date, receipt.notice_payment_method), (date(2026, 12, 4), "sepa_dd"))
        self.assertEqual(receipt.notice_replaced_date, date(2026, 12, 3))
        self.assertFalse(receipt.notice_pending)
        notice = self._notice(receipt).sorted("id")[-1]
        body = str(notice.body)
        for fact in ("replaces the notice of 12/03/2026", "now paid by SEPA Direct Debit", "pre-notification"):
            self.assertIn(fact, body)
        self.assertIn("12/28/2026", body)
        self.assertNotIn("the amount is now", body, "the amount did not change")
        printed = (
            self.env["ir.actions.report"]
            ._render_qweb_html("insurance_arrears.report_premium_notice", receipt.ids)[0]
            .decode()
        )
        self.assertIn("now paid by", printed)
        self.assertIn("pre-notification of a SEPA direct debit", printed)
        # The calendar's batch of the 28th takes it.
        self._run(self.batch_cron, "2026-12-23")
        batch = self._batches() - early
        self.assertEqual(batch.collection_date, date(2026, 12, 28))
        self.assertEqual(batch.collect_line_ids.receipt_id, receipt | other)

    def test_calendar_batch_takes_the_receipts_noticed_in_time_and_lists_the_others_with_their_reason(self):
        on_time = self._issue_on("2026-12-03", self._create_debit_contract(date_start="2026-12-26", split="annual"))
        no_mandate = self._issue_on(
            "2026-12-03",
            self._create_contract(
                partner_id=self._debtor("Paul Martin").id, payment_method="sepa_dd", date_start="2026-12-26"
            ),
        )
        self._run(self.notice_cron, "2026-12-03")
        # A contract signed on the 20th: its notice goes out at once, too late for the 28th.
        late_debtor = self._debtor("Luc Bernard")
        with freeze_time("2026-12-20"):
            late_contract = self._create_debit_contract(partner=late_debtor, date_start="2026-12-26", split="annual")
        late = self._issue_on("2026-12-20", late_contract)
        self._run(self.notice_cron, "2026-12-20")
        self.assertEqual(late.notice_date, date(2026, 12, 20))
        self.assertIn("01/04/2027", str(self._notice(late).body), "14 days after the notice, the next business day")

        self._run(self.batch_cron, "2026-12-22")
        self.assertFalse(self._batches(), "the 24th has nothing to collect: no batch")
        self._run(self.batch_cron, "2026-12-23")
        batch = self._batches()
        self.assertEqual(len(batch), 1)
        self.assertEqual(batch.collection_date, date(2026, 12, 28))
        self.assertTrue(batch.calendar_prepared)
        self.assertEqual(batch.state, "draft", "the accountant generates and sends the file")
        self.assertEqual(batch.collect_line_ids.receipt_id, on_time)
        reasons = {line.receipt_id: line.exclusion_reason for line in batch.excluded_line_ids}
        self.assertEqual(reasons, {late: "notice_late", no_mandate: "no_mandate"})
        self.assertEqual(batch.activity_ids.summary, "Check the debits, generate the file and send it to the bank")

        # The late one goes on the date its notice gave.
        self._run(self.batch_cron, "2026-12-30")
        second = self._batches() - batch
        self.assertEqual(second.collection_date, date(2027, 1, 4))
        self.assertEqual(second.collect_line_ids.receipt_id, late)

    def test_calendar_prepares_a_date_once(self):
        self._issue_on("2026-12-03", self._create_debit_contract(date_start="2026-12-26", split="annual"))
        self._run(self.notice_cron, "2026-12-03")
        self._run(self.batch_cron, "2026-12-23")
        self._run(self.batch_cron, "2026-12-23 15:00:00")
        self._run(self.batch_cron, "2026-12-26")  # a Saturday: the 29th, nothing left to collect
        batches = self._batches()
        self.assertEqual(len(batches), 1)
        self.assertEqual(len(batches.collect_line_ids), 1)

    def test_calendar_generates_and_posts_the_file_where_the_company_says_so(self):
        self.company.sepa_batch_auto_generate = True
        receipt = self._issue_on("2026-12-03", self._create_debit_contract(date_start="2026-12-26", split="annual"))
        self._run(self.notice_cron, "2026-12-03")
        self._run(self.batch_cron, "2026-12-23")
        batch = self._batches()
        self.assertEqual(batch.state, "confirmed")
        self.assertFalse(batch.sent, "an accountant sends the file")
        pain008.validate(batch.file_id.raw, batch.pain_version)
        self.assertEqual(receipt.state, "paid")
        self.assertEqual(batch.move_ids.date, date(2026, 12, 28))
        self.assertEqual(batch.activity_ids.summary, "Send the file to the bank")

    def test_file_the_daily_job_cannot_make_is_left_to_the_accountant_with_the_reason(self):
        self.company.sepa_batch_auto_generate = True
        debtor = self.env["res.partner"].create({"name": "张伟", "email": "zhang@example.com"})
        self._issue_on(
            "2026-12-03", self._create_debit_contract(partner=debtor, date_start="2026-12-26", split="annual")
        )
        self._run(self.notice_cron, "2026-12-03")
        self._run(self.batch_cron, "2026-12-23")
        batch = self._batches()
        self.assertEqual(batch.state, "draft")
        self.assertFalse(batch.file_id)
        self.assertEqual(len(batch.collect_line_ids), 1, "the debits prepared are kept")
        self.assertIn("no character of the SEPA character set", str(batch.message_ids.mapped("body")))
        self.assertEqual(batch.activity_ids.summary, "Check the debits, generate the file and send it to the bank")

    def test_calendar_off_prepares_nothing(self):
        self.company.sepa_batch_calendar = False
        self._issue_on("2026-12-03", self._create_debit_contract(date_start="2026-12-26", split="annual"))
        self._run(self.notice_cron, "2026-12-03")
        self._run(self.batch_cron, "2026-12-23")
        self.assertFalse(self._batches())

    def test_notices_never_go_out_later_than_the_pre_notification_period(self):
        self.company.sepa_prenotification_days = 20
        with self.assertRaisesRegex(ValidationError, "less than the SEPA pre-notification period"), self.cr.savepoint():
            self.company.insurance_notice_days = 10
