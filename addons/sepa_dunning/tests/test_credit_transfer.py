import base64
from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..iso20022 import pain001
from .common import SepaCommon, pain002

INSURER_IBAN = "FR7630004000031234567890143"


@tagged("post_install", "-at_install")
class TestCreditTransfer(SepaCommon):
    """Insurer statements paid by one SEPA credit transfer file, reversed when cancelled or rejected."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.insurer.email = "bordereaux@assureur-mutuel.example"
        cls.env["res.partner.bank"].create(
            {"partner_id": cls.insurer.id, "acc_number": INSURER_IBAN, "allow_out_payment": True}
        )
        cls.statements = cls.env["insurance.insurer.statement"]
        for quarter_end in (date(2026, 3, 31), date(2026, 6, 30)):
            contract = cls._create_contract(split="quarterly")
            receipts = contract._generate_receipts(until=quarter_end).sorted("period_start")[-1:]
            receipts._register_payments(cls.bank_journal, date=quarter_end)
            statement = cls.env["insurance.insurer.statement"].create(
                {"insurer_id": cls.insurer.id, "date_from": "2026-01-01", "date_to": str(quarter_end)}
            )
            statement.action_compute()
            statement.action_confirm()
            cls.statements |= statement

    def _transfer(self):
        action = self.statements.action_pay_by_transfer()
        return self.env["sepa.credit.transfer"].browse(action["res_id"])

    def test_statements_are_paid_by_one_file_valid_against_the_xsd_and_posted_in_transit(self):
        transfer = self._transfer()
        self.assertEqual(transfer.line_ids.statement_id, self.statements)
        self.assertEqual(transfer.amount_total, sum(self.statements.mapped("amount_due")))
        with freeze_time("2026-07-02"):
            transfer.execution_date = date(2026, 7, 3)
            transfer.action_generate()
        self.assertEqual(transfer.state, "generated")
        content = transfer.file_id.raw
        self.assertTrue(pain001.validate(content, "pain.001.001.09"))
        ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
        tree = etree.fromstring(content)
        self.assertEqual(tree.xpath("//p:GrpHdr/p:NbOfTxs/text()", namespaces=ns), ["2"])
        self.assertEqual(tree.xpath("//p:GrpHdr/p:CtrlSum/text()", namespaces=ns), [f"{transfer.amount_total:.2f}"])
        self.assertEqual(tree.xpath("//p:ReqdExctnDt/p:Dt/text()", namespaces=ns), ["2026-07-03"])
        self.assertEqual(set(tree.xpath("//p:CdtrAcct/p:Id/p:IBAN/text()", namespaces=ns)), {INSURER_IBAN})
        remittances = tree.xpath("//p:RmtInf/p:Ustrd/text()", namespaces=ns)
        self.assertEqual(sorted(remittances), sorted(f"Statement {s.name}" for s in self.statements))
        for line in transfer.line_ids:
            statement = line.statement_id
            payment = line.payment_id
            self.assertEqual((statement.state, statement.payment_id), ("paid", payment))
            self.assertEqual(
                (payment.amount, payment.date, payment.journal_id), (line.amount, date(2026, 7, 3), self.bank_journal)
            )
            # In transit on the outstanding payments account; the insurer's lines settled.
            self.assertTrue(all(statement.receipt_ids._insurer_lines().mapped("reconciled")))
            liquidity = payment.move_id.line_ids.filtered(lambda item: item.credit)
            self.assertEqual(liquidity.account_id, payment.outstanding_account_id)
            # The insurer gets its statement with the payment: PDF and CSV.
            sent = statement.message_ids.filtered(lambda m: m.partner_ids == self.insurer)
            self.assertEqual(len(sent), 1)
            self.assertEqual(len(sent.attachment_ids), 2)
        transfer.action_mark_sent()
        self.assertEqual(set(transfer.line_ids.mapped("state")), {"sent"})
        with self.assertRaisesRegex(UserError, "rejects is undone by its report"):
            transfer.action_cancel()

    def test_legacy_format_per_bank_account(self):
        self.bank_journal.bank_account_id.sepa_transfer_version = "pain.001.001.03"
        transfer = self._transfer()
        self.assertEqual(transfer.pain_version, "pain.001.001.03")
        with self.assertRaisesRegex(UserError, "Generate the file"):
            transfer.action_download()
        transfer.action_generate()
        self.assertEqual(transfer.file_id.name, f"{transfer.name.replace('/', '-')}.xml")
        self.assertIn(f"/web/content/{transfer.file_id.id}", transfer.action_download()["url"])
        self.assertTrue(pain001.validate(transfer.file_id.raw, "pain.001.001.03"))

    def test_cancelled_before_it_is_sent_the_statements_are_due_again(self):
        transfer = self._transfer()
        transfer.action_generate()
        payments = transfer.line_ids.payment_id
        transfer.action_cancel()
        self.assertEqual(transfer.state, "cancel")
        self.assertEqual(set(self.statements.mapped("state")), {"confirmed"})
        self.assertFalse(self.statements.payment_id)
        for statement in self.statements:
            self.assertFalse(any(statement.receipt_ids._insurer_lines().mapped("reconciled")), "owed again")
        # Nothing deleted: each payment's entry stays, mirrored by a reversal.
        for payment in payments:
            self.assertEqual(payment.move_id.state, "posted")
        self.assertEqual(self._transfer().line_ids.statement_id, self.statements, "they can be paid again")

    def test_an_insurer_without_account_or_with_a_wrong_one_leaves_nothing_posted(self):
        self.insurer.bank_ids.unlink()
        transfer = self._transfer()
        with self.assertRaisesRegex(UserError, "has no bank account"):
            transfer.action_generate()
        self.assertEqual(set(self.statements.mapped("state")), {"confirmed"})
        self.env["res.partner.bank"].create(
            {"partner_id": self.insurer.id, "acc_number": "FR7630004000031234567890144"}
        )
        with self.assertRaisesRegex(UserError, "invalid IBAN"):
            transfer.action_generate()
        self.assertFalse(self.statements.payment_id)
        self.assertEqual(transfer.state, "draft")

    def test_the_file_pays_what_the_statement_owes_when_it_is_made_and_never_in_the_past(self):
        transfer = self._transfer()
        statement = transfer.line_ids[:1].statement_id
        statement.action_reset_draft()
        with self.assertRaisesRegex(UserError, "no longer confirmed"):
            transfer.action_generate()
        statement.action_compute()
        statement.action_confirm()
        transfer.line_ids[:1].amount = 1.0  # what it owed when the transfer was drafted
        with freeze_time("2026-07-02"):
            transfer.execution_date = date(2026, 7, 1)
            with self.assertRaisesRegex(UserError, "execution date .* is past"):
                transfer.action_generate()
            transfer.execution_date = date(2026, 7, 3)
            transfer.action_generate()
        self.assertEqual(transfer.line_ids[:1].amount, statement.amount_due)
        self.assertEqual(statement.payment_id.amount, statement.amount_due)

    def test_a_statement_is_not_paid_twice(self):
        self._transfer()
        with self.assertRaisesRegex(UserError, "not already in a transfer"):
            self._transfer()
        draft = self.env["insurance.insurer.statement"].create(
            {"insurer_id": self.insurer.id, "date_from": "2026-07-01", "date_to": "2026-07-31"}
        )
        with self.assertRaisesRegex(UserError, "Only confirmed statements"):
            draft.action_pay_by_transfer()

    def test_a_transfer_the_bank_rejects_reopens_its_statement_once(self):
        transfer = self._transfer()
        transfer.action_generate()
        transfer.action_mark_sent()
        rejected, kept = transfer.line_ids
        report = pain002(transfer.name, [(rejected.end_to_end_id, rejected.amount, "AC04")])
        for _time in range(2):
            record = self.env["sepa.return.import"].create({"file": base64.b64encode(report), "filename": "sts.xml"})
            if _time:
                with self.assertRaisesRegex(UserError, "already imported"):
                    record.action_parse()
                break
            record.action_parse()
            self.assertEqual((record.line_ids.transfer_line_id, record.line_ids.match_state), (rejected, "matched"))
            record.action_confirm()
        self.assertEqual(rejected.state, "rejected")
        self.assertIn("AC04", rejected.rejection_reason)
        self.assertEqual(rejected.statement_id.state, "confirmed")
        activity = rejected.statement_id.activity_ids
        self.assertEqual(len(activity), 1, "an accountant is asked to pay it again")
        self.assertIn("transfer rejected", activity.summary)
        self.assertIn("AC04", activity.note)
        self.assertFalse(any(rejected.statement_id.receipt_ids._insurer_lines().mapped("reconciled")))
        self.assertEqual((kept.state, kept.statement_id.state), ("sent", "paid"))
        # The same rejection in another bank file: flagged, nothing undone twice.
        again = pain002(transfer.name, [(rejected.end_to_end_id, rejected.amount, "AC04")], msg_id="STS-2")
        record = self.env["sepa.return.import"].create({"file": base64.b64encode(again), "filename": "sts2.xml"})
        record.action_parse()
        self.assertEqual(record.line_ids.match_state, "already_rejected")
        record.action_confirm()
        self.assertEqual(len(rejected.statement_id.message_ids.filtered(lambda m: "rejected" in (m.body or ""))), 1)
