from datetime import date
from unittest.mock import patch

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..iso20022 import pain008
from ..models import sepa_debit_batch
from .common import SepaCommon


def _xpath(tree, path):
    ns = {"p": tree.nsmap[None]}
    return tree.xpath(path, namespaces=ns)


@tagged("post_install", "-at_install")
class TestDebitBatch(SepaCommon):
    def _file(self, batch):
        return etree.fromstring(batch.file_id.raw)

    def test_end_to_end_from_contracts_to_reconciled_invoices(self):
        contract = self._create_debit_contract(split="quarterly")
        second = self._create_debit_contract(
            partner=self.env["res.partner"].create({"name": "Paul Martin", "country_id": self.env.ref("base.fr").id}),
            split="monthly",
        )
        receipts = self._issue(contract) | self._issue(second)
        batch = self._batch()
        batch.action_prepare()
        self.assertEqual(batch.collect_line_ids.receipt_id, receipts)
        self.assertEqual(batch.debit_count, 2)
        self.assertAlmostEqual(batch.amount_total, 275.0 + 91.66)

        batch.action_generate()
        self.assertEqual(batch.state, "generated")
        pain008.validate(batch.file_id.raw, "pain.008.001.08")
        tree = self._file(batch)
        self.assertEqual(_xpath(tree, "//p:GrpHdr/p:NbOfTxs/text()"), ["2"])
        self.assertEqual(_xpath(tree, "//p:GrpHdr/p:CtrlSum/text()"), ["366.66"])
        self.assertEqual(_xpath(tree, "//p:CdtrSchmeId//p:Othr/p:Id/text()"), ["FR72ZZZ123456"])
        # Each end-to-end id leads back to its receipt.
        for line in batch.collect_line_ids:
            tx = _xpath(tree, f"//p:DrctDbtTxInf[p:PmtId/p:EndToEndId='{line.end_to_end_id}']")[0]
            self.assertEqual(_xpath(tx, ".//p:MndtId/text()"), [line.mandate_id.name])
            self.assertEqual(_xpath(tx, "p:InstdAmt/text()"), [f"{line.amount:.2f}"])
            self.assertEqual(
                self.env["sepa.debit.line"].search([("end_to_end_id", "=", line.end_to_end_id)]).receipt_id,
                line.receipt_id,
            )

        batch.action_confirm()
        self.assertEqual(batch.state, "confirmed")
        move = batch.move_ids
        self.assertEqual(len(move), 1)
        outstanding = move.line_ids.filtered("debit")
        self.assertEqual(len(outstanding), 1, "the bank statement settles the batch as one amount")
        self.assertAlmostEqual(outstanding.debit, 366.66)
        self.assertEqual(outstanding.account_id, batch._outstanding_account())
        credits = move.line_ids.filtered("credit")
        self.assertEqual(credits.account_id, self.receivable_account)
        self.assertEqual(sorted(credits.mapped("credit")), [91.66, 275.0])
        self.assertTrue(all(credits.mapped("reconciled")))
        self.assertEqual(set(receipts.mapped("state")), {"paid"})
        self.assertEqual(set(batch.collect_line_ids.mapped("state")), {"collected"})
        self.assertEqual(contract.mandate_id.last_debit_date, date(2026, 1, 5))

    def test_large_batch_is_posted_in_entries_of_a_chunk_each(self):
        partners = self.env["res.partner"].create([{"name": f"Debtor {i}"} for i in range(3)])
        receipts = self.env["insurance.premium.receipt"]
        for partner in partners:
            receipts |= self._issue(self._create_debit_contract(partner=partner))
        batch = self._batch()
        batch.action_prepare()
        batch.action_generate()
        with patch.object(sepa_debit_batch, "POSTING_CHUNK", 2):
            batch.action_confirm()
        self.assertEqual(len(batch.move_ids), 2)
        self.assertEqual(batch.move_ids.mapped(lambda m: len(m.line_ids.filtered("credit"))), [2, 1])
        outstanding = batch.move_ids.line_ids.filtered("debit")
        self.assertEqual(outstanding.account_id, batch._outstanding_account())
        self.assertAlmostEqual(sum(outstanding.mapped("debit")), batch.amount_total)
        self.assertEqual(set(receipts.mapped("state")), {"paid"})
        self.assertEqual(batch.collect_line_ids.move_line_id.move_id, batch.move_ids)

    def test_debit_of_a_receipt_paid_meanwhile_by_card_is_flagged_for_refund(self):
        receipt = self._issue(self._create_debit_contract())
        batch = self._batch()
        batch.action_prepare()
        batch.action_generate()
        # The debtor pays through the link while the file is at the bank.
        self.env["arrears.case"]._open_for_receipts(receipt)
        link = receipt.case_id._ensure_payment_links()
        link._register_payment(receipt.amount_residual, journal=self.bank_journal)
        self.assertEqual(receipt.state, "paid")
        batch.action_confirm()
        debit = batch.collect_line_ids
        self.assertTrue(debit.paid_twice)
        self.assertFalse(debit.move_line_id.reconciled, "the debit stays as the client's credit")
        self.assertEqual(debit.move_line_id.amount_residual, -275.0)
        self.assertIn("Refund debits collected on paid receipts", batch.activity_ids.mapped("summary"))

    def test_batch_summary_lists_debits_and_exclusions(self):
        good = self._issue(self._create_debit_contract())
        missing = self._issue(self._create_contract(payment_method="sepa_dd"))
        batch = self._batch()
        batch.action_prepare()
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("sepa_dunning.report_sepa_debit_batch", batch.ids)[0]
            .decode()
        )
        for fact in (batch.name, "FR72ZZZ123456", good.name, missing.name, "No mandate on the contract", "275.00"):
            self.assertIn(fact, html)

    def test_receipts_that_cannot_go_are_listed_with_their_reason(self):
        good = self._issue(self._create_debit_contract())
        no_mandate = self._issue(self._create_contract(payment_method="sepa_dd"))
        blocked = self._create_mandate()
        blocked.action_block("AC04")
        blocked_receipt = self._issue(self._create_debit_contract(mandate=blocked))
        late = self._issue(self._create_debit_contract(), notice_date=date(2025, 12, 28))
        missing = self._create_debit_contract()._generate_receipts(until=date(2026, 1, 1))
        transfer = self._issue(self._create_contract(payment_method="transfer"))
        batch = self._batch()
        batch.action_prepare()
        reasons = {line.receipt_id: line.exclusion_reason for line in batch.excluded_line_ids}
        self.assertEqual(
            reasons,
            {
                no_mandate: "no_mandate",
                blocked_receipt: "mandate_inactive",
                late: "notice_late",
                missing: "notice_missing",
            },
        )
        self.assertEqual(batch.collect_line_ids.receipt_id, good)
        self.assertNotIn(transfer, batch.line_ids.receipt_id)

    def test_batch_with_nothing_to_collect_says_so_and_changes_nothing(self):
        self._issue(self._create_contract(payment_method="sepa_dd"))  # no mandate
        batch = self._batch()
        with self.assertRaisesRegex(UserError, "Nothing to collect"), self.cr.savepoint():
            batch.action_prepare()
        self.assertFalse(batch.line_ids)
        self.assertEqual(batch.state, "draft")

    def test_receipt_is_not_collected_twice(self):
        self._issue(self._create_debit_contract())
        first = self._batch()
        first.action_prepare()
        first.action_generate()
        first.action_confirm()
        second = self._batch(collection_date=date(2026, 1, 12))
        with self.assertRaisesRegex(UserError, "Nothing to collect"), self.cr.savepoint():
            second.action_prepare()

    def test_debtor_name_outside_the_sepa_set_is_a_clear_error(self):
        partner = self.env["res.partner"].create({"name": "张伟"})
        self._issue(self._create_debit_contract(partner=partner))
        batch = self._batch()
        batch.action_prepare()
        with self.assertRaisesRegex(UserError, "no character of the SEPA character set"):
            batch.action_generate()
        self.assertFalse(batch.file_id)
        self.assertEqual(batch.state, "draft")

    def test_legacy_format_per_bank_account(self):
        self.creditor_account.sepa_pain_version = "pain.008.001.02"
        self._issue(self._create_debit_contract())
        batch = self._batch()
        self.assertEqual(batch.pain_version, "pain.008.001.02")
        batch.action_prepare()
        batch.action_generate()
        tree = self._file(batch)
        self.assertEqual(tree.nsmap[None], "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02")
        self.assertEqual(_xpath(tree, "//p:CdtrAgt/p:FinInstnId/p:BIC/text()"), ["AGRIFRPP"])
        pain008.validate(batch.file_id.raw, "pain.008.001.02")

    def test_amendment_is_carried_once(self):
        mandate = self._create_mandate()
        contract = self._create_debit_contract(mandate=mandate, split="monthly")
        self._issue(contract)
        first = self._batch()
        first.action_prepare()
        first.action_generate()
        first.action_confirm()
        self.assertFalse(_xpath(self._file(first), "//p:AmdmntInd"))
        mandate.debtor_iban = "DE62370400440532013001"  # new account, same bank
        self._issue(contract, until=date(2026, 2, 1), notice_date=date(2026, 1, 10))
        second = self._batch(collection_date=date(2026, 2, 5))
        second.action_prepare()
        second.action_generate()
        tree = self._file(second)
        self.assertEqual(_xpath(tree, "//p:AmdmntInd/text()"), ["true"])
        self.assertEqual(_xpath(tree, "//p:OrgnlDbtrAcct//p:IBAN/text()"), ["DE89370400440532013000"])
        self.assertTrue(second.collect_line_ids.amended)
        second.action_confirm()
        self.assertFalse(mandate.amendment_pending, "the amendment went with this debit")

    def _collect(self, contract, collection_date, until, notice_date, confirm=True):
        self._issue(contract, until=until, notice_date=notice_date)
        batch = self._batch(collection_date=collection_date)
        batch.action_prepare()
        batch.action_generate()
        if confirm:
            batch.action_confirm()
        return batch

    def test_change_of_bank_goes_as_smnda_with_the_new_bank_s_bic(self):
        mandate = self._create_mandate()
        contract = self._create_debit_contract(mandate=mandate, split="monthly")
        self._collect(contract, date(2026, 1, 5), date(2026, 1, 1), date(2025, 12, 1))
        mandate.debtor_iban = "FR7630006000011234567890189"  # another bank
        self.assertNotEqual(mandate.debtor_bic, "DEUTDEFF", "the old bank's BIC does not stay")
        second = self._collect(contract, date(2026, 2, 5), date(2026, 2, 1), date(2026, 1, 10), confirm=False)
        tree = self._file(second)
        self.assertEqual(_xpath(tree, "//p:AmdmntInfDtls/p:OrgnlDbtrAgt//p:Othr/p:Id/text()"), ["SMNDA"])
        self.assertEqual(_xpath(tree, "//p:DbtrAcct//p:IBAN/text()"), ["FR7630006000011234567890189"])

    def test_change_made_after_the_file_waits_for_the_next_debit(self):
        mandate = self._create_mandate()
        other = self._create_mandate(partner=self.env["res.partner"].create({"name": "Other Debtor"}))
        contract = self._create_debit_contract(mandate=mandate, split="monthly")
        other_contract = self._create_debit_contract(mandate=other, partner=other.partner_id, split="monthly")
        self._issue(other_contract)
        self._collect(contract, date(2026, 1, 5), date(2026, 1, 1), date(2025, 12, 1))
        self._issue(contract, until=date(2026, 2, 1), notice_date=date(2026, 1, 10))
        self._issue(other_contract, until=date(2026, 2, 1), notice_date=date(2026, 1, 10))
        batch = self._batch(collection_date=date(2026, 2, 5))
        batch.action_prepare()
        batch.action_generate()
        other.name = "UMR-CHANGED-AFTER-FILE"  # not in this file
        batch.action_confirm()
        self.assertTrue(other.amendment_pending, "an amendment the bank never saw is kept")

    def test_cancelled_batch_gives_back_its_amendment_and_last_debit_date(self):
        mandate = self._create_mandate()
        contract = self._create_debit_contract(mandate=mandate, split="monthly")
        self._collect(contract, date(2026, 1, 5), date(2026, 1, 1), date(2025, 12, 1))
        original = mandate.name
        mandate.name = "UMR-RENAMED-1"
        second = self._collect(contract, date(2026, 2, 5), date(2026, 2, 1), date(2026, 1, 10))
        self.assertFalse(mandate.amendment_pending)
        self.assertEqual(mandate.last_debit_date, date(2026, 2, 5))
        second.action_cancel()
        self.assertTrue(mandate.amendment_pending, "never sent: the next debit carries it")
        self.assertEqual(mandate._amendment().original_mandate_id, original)
        self.assertEqual(mandate.last_debit_date, date(2026, 1, 5))

    def test_one_off_mandate_serves_one_debit(self):
        mandate = self._create_mandate(type="oneoff")
        contract = self._create_debit_contract(mandate=mandate, split="monthly")
        batch = self._collect(contract, date(2026, 1, 5), date(2026, 1, 1), date(2025, 12, 1))
        self.assertEqual(batch.collect_line_ids.sequence_type, "OOFF")
        self.assertEqual(mandate.state, "expired")
        self._issue(contract, until=date(2026, 2, 1), notice_date=date(2026, 1, 10))
        again = self._batch(collection_date=date(2026, 2, 5))
        with self.assertRaises(UserError):
            again.action_prepare()

    def test_first_debit_flagged_frst_when_the_bank_wants_it(self):
        self.company.sepa_first_collection_frst = True
        self._issue(self._create_debit_contract())
        batch = self._batch()
        batch.action_prepare()
        self.assertEqual(batch.collect_line_ids.sequence_type, "FRST")

    def test_cancelling_an_unsent_batch_undoes_everything(self):
        receipts = self._issue(self._create_debit_contract())
        batch = self._batch()
        batch.action_prepare()
        batch.action_generate()
        batch.action_confirm()
        batch.action_cancel()
        self.assertEqual(batch.state, "cancel")
        self.assertEqual(receipts.state, "open")
        self.assertAlmostEqual(receipts.amount_residual, 275.0)
        self.assertEqual(batch.move_ids.state, "posted")
        self.assertTrue(batch.move_ids.reversal_move_ids, "reversed, never deleted")
        again = self._batch(collection_date=date(2026, 1, 12))
        again.action_prepare()
        self.assertEqual(again.collect_line_ids.receipt_id, receipts)

    def test_sent_batch_cannot_be_cancelled(self):
        self._issue(self._create_debit_contract())
        batch = self._batch()
        batch.action_prepare()
        batch.action_generate()
        batch.action_mark_sent()
        with self.assertRaisesRegex(UserError, "was sent to the bank"):
            batch.action_cancel()
