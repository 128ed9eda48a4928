"""camt.053 statements settle the debits in transit: what the bank credited is in the bank, the rest stays visible."""

import base64
from unittest.mock import patch

from odoo.exceptions import LockError, UserError
from odoo.tests import tagged

from .common import CREDITOR_IBAN, SepaCommon, pain002


def tx(e2e, amount, batch_name="", returned=""):
    """A transaction of a statement entry: references, amount, and a return reason if it came back."""
    info = f"<PmtInfId>{batch_name}-RCUR</PmtInfId>" if batch_name else ""
    back = f"<RtrInf><Rsn><Cd>{returned}</Cd></Rsn></RtrInf>" if returned else ""
    return f"""<TxDtls><Refs>{info}<EndToEndId>{e2e}</EndToEndId></Refs>
        <AmtDtls><InstdAmt><Amt Ccy="EUR">{amount:.2f}</Amt></InstdAmt></AmtDtls>{back}</TxDtls>"""


def entry(amount, credit=True, reference="", block="", details=(), day="2026-01-05", status="BOOK"):
    """A booked entry; ``block`` names the payment block of a batch booking."""
    batch = f"<Btch><PmtInfId>{block}</PmtInfId></Btch>" if block else ""
    ref = f"<AcctSvcrRef>{reference}</AcctSvcrRef>" if reference else ""
    return f"""<Ntry><Amt Ccy="EUR">{amount:.2f}</Amt><CdtDbtInd>{"CRDT" if credit else "DBIT"}</CdtDbtInd>
        <Sts>{status}</Sts><BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>{ref}
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>{batch}{"".join(details)}</NtryDtls><AddtlNtryInf>SEPA CORE COLLECTION</AddtlNtryInf></Ntry>"""


def camt053(*entries, statement_id="STMT-1", created="2026-01-06T05:00:00", iban=CREDITOR_IBAN):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>MSG-{statement_id}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>
<Stmt><Id>{statement_id}</Id><CreDtTm>{created}</CreDtTm>
<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>{"".join(entries)}</Stmt>
</BkToCstmrStmt></Document>""".encode()


@tagged("post_install", "-at_install")
class TestBankStatement(SepaCommon):
    def setUp(self):
        super().setUp()
        partners = self.env["res.partner"].create([{"name": f"Debtor {i}"} for i in range(3)])
        self.receipts = self.env["insurance.premium.receipt"]
        for partner in partners:
            self.receipts |= self._issue(self._create_debit_contract(partner=partner, split="quarterly"))
        self.batch = self._batch()
        self.batch.action_prepare()
        self.batch.action_generate()
        self.batch.action_confirm()
        self.debits = self.batch.collect_line_ids.sorted("id")
        self.block = f"{self.batch.name}-RCUR"
        self.bank_account = self.bank_journal.default_account_id
        self.outstanding = self.batch._outstanding_account()

    def _import(self, content, filename="statement.xml", confirm=True):
        record = self.env["sepa.return.import"].create({"file": base64.b64encode(content), "filename": filename})
        record.action_parse()
        if confirm:
            record.action_confirm()
        return record

    def _balance(self, account):
        lines = self.env["account.move.line"].search([("account_id", "=", account.id), ("parent_state", "=", "posted")])
        return round(sum(lines.mapped("balance")), 2)

    def test_statement_crediting_the_batch_puts_it_in_the_bank(self):
        self.assertEqual((self.batch.bank_state, self.batch.amount_in_transit), ("transit", 825.0))
        bank_before = self._balance(self.bank_account)
        record = self._import(camt053(entry(825.0, reference="BNK-1", block=self.block)))
        entry_ = record.statement_entry_ids
        self.assertEqual((entry_.batch_id, entry_.amount, entry_.state), (self.batch, 825.0, "booked"))
        # A statement line of the batch's bank journal, its counterpart the debits in transit, reconciled.
        st_line = entry_.statement_line_id
        self.assertEqual(
            (st_line.journal_id, st_line.amount, st_line.date.isoformat()), (self.bank_journal, 825.0, "2026-01-05")
        )
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(self._balance(self.bank_account) - bank_before, 825.0, "the bank account is credited")
        self.assertTrue(all(self.batch.transit_line_ids.mapped("reconciled")))
        self.assertEqual(
            (self.batch.bank_state, self.batch.amount_in_transit, self.batch.amount_banked), ("bank", 0.0, 825.0)
        )
        self.assertFalse(self.batch.activity_ids, "nothing to tell anyone")

    def test_statement_short_of_a_rejection_leaves_the_debit_visible_until_it_is_reported(self):
        left_out = self.debits[0]
        paid = [tx(d.end_to_end_id, d.amount) for d in self.debits[1:]]
        self._import(camt053(entry(550.0, reference="BNK-2", block=self.block, details=paid)))
        self.assertEqual((self.batch.bank_state, self.batch.amount_in_transit), ("partly", 275.0))
        activity = self.batch.activity_ids
        self.assertEqual(activity.summary, "Direct debits not credited by the bank")
        self.assertIn(left_out.end_to_end_id, activity.note)
        self.assertNotIn(self.debits[1].end_to_end_id, activity.note)
        # The bank's rejection comes after the statement: the batch is then all in the bank.
        self._import(pain002(self.batch.name, [(left_out.end_to_end_id, 275.0, "AM04")]), filename="status.xml")
        self.assertEqual(left_out.state, "rejected")
        self.assertEqual((self.batch.bank_state, self.batch.amount_in_transit), ("bank", 0.0))
        self.assertEqual(self._balance(self.outstanding), 0.0, "nothing left on the outstanding receipts account")

    def test_rejection_then_statement_net_of_it_and_of_the_bank_fee(self):
        self.company.write(
            {
                "sepa_rejection_fee": 7.5,
                "sepa_rejection_fee_account_id": self.company_data["default_account_expense"].id,
            }
        )
        rejected = self.debits[2]
        self._import(pain002(self.batch.name, [(rejected.end_to_end_id, 275.0, "AC04")]), filename="status.xml")
        self.assertEqual(self.batch.amount_in_transit, 825.0 - 275.0 - 7.5)
        # The bank credits what it collected and charges its fee on its own line.
        self._import(
            camt053(
                entry(550.0, reference="BNK-3", block=self.block),
                entry(7.5, credit=False, reference="FEE-3", details=[tx(rejected.end_to_end_id, 7.5)]),
            )
        )
        self.assertEqual(
            (self.batch.bank_state, self.batch.amount_in_transit, self.batch.amount_banked), ("bank", 0.0, 542.5)
        )

    def test_return_after_settlement_in_the_next_statement(self):
        self._import(camt053(entry(825.0, reference="BNK-4", block=self.block)))
        returned = self.debits[1]
        bank_before = self._balance(self.bank_account)
        record = self._import(
            camt053(
                entry(
                    275.0,
                    credit=False,
                    reference="RET-4",
                    details=[tx(returned.end_to_end_id, 275.0, self.batch.name, returned="MD06")],
                    day="2026-02-10",
                ),
                statement_id="STMT-2",
            )
        )
        # One file: the return is posted as a rejection and the bank's debit is booked.
        self.assertEqual(record.line_ids.match_state, "matched")
        self.assertEqual(returned.state, "rejected")
        self.assertEqual(returned.receipt_id.state, "open")
        self.assertEqual(record.statement_entry_ids.mapped("state"), ["booked"])
        self.assertEqual(self._balance(self.bank_account) - bank_before, -275.0)
        self.assertEqual(
            (self.batch.bank_state, self.batch.amount_in_transit, self.batch.amount_banked), ("bank", 0.0, 550.0)
        )

    def test_the_same_entry_in_another_file_is_booked_once(self):
        self._import(camt053(entry(825.0, reference="BNK-5", block=self.block)))
        # The same statement again, byte for byte: refused at once.
        with self.assertRaisesRegex(UserError, "already imported"):
            self._import(camt053(entry(825.0, reference="BNK-5", block=self.block)))
        # The same entry in another statement (the bank's correction, a monthly statement): not booked again.
        bank_before = self._balance(self.bank_account)
        again = self._import(camt053(entry(825.0, reference="BNK-5", block=self.block), statement_id="STMT-MONTH"))
        self.assertEqual(again.statement_entry_ids.state, "already_booked")
        self.assertFalse(again.statement_entry_ids.statement_line_id)
        self.assertEqual(self._balance(self.bank_account), bank_before)
        self.assertEqual(self.batch.amount_banked, 825.0)

    def test_two_files_read_before_either_is_confirmed_book_once(self):
        first = self._import(camt053(entry(825.0, reference="BNK-6", block=self.block)), confirm=False)
        second = self._import(
            camt053(entry(825.0, reference="BNK-6", block=self.block), statement_id="S2"), confirm=False
        )
        first.action_confirm()
        second.action_confirm()
        self.assertEqual(
            (first.statement_entry_ids.state, second.statement_entry_ids.state), ("booked", "already_booked")
        )
        self.assertEqual(self.batch.amount_banked, 825.0)

    def test_a_batch_another_file_is_booking_at_this_moment_books_nothing(self):
        record = self._import(camt053(entry(825.0, reference="BNK-12", block=self.block)), confirm=False)
        with (
            patch.object(type(self.batch), "lock_for_update", side_effect=LockError("locked")),
            self.assertRaisesRegex(UserError, "Confirm .* again in a moment"),
        ):
            record.action_confirm()

    def test_a_credit_above_what_is_in_transit_is_left_to_an_accountant(self):
        bank_before = self._balance(self.bank_account)
        record = self._import(camt053(entry(900.0, reference="BNK-7", block=self.block)))
        self.assertEqual(record.statement_entry_ids.state, "exceeds")
        self.assertEqual(self._balance(self.bank_account), bank_before, "nothing booked")
        self.assertEqual(self.batch.bank_state, "transit")
        self.assertIn("BNK-7", record.activity_ids.note)

    def test_a_statement_of_a_batch_not_posted_books_nothing(self):
        draft = self._batch()
        record = self._import(camt053(entry(100.0, reference="BNK-8", block=f"{draft.name}-RCUR")))
        self.assertEqual(record.statement_entry_ids.state, "not_posted")
        self.assertFalse(record.statement_entry_ids.statement_line_id)

    def test_entries_that_are_not_ours_are_left_alone(self):
        transfer = entry(120.0, reference="TRF-1")  # a transfer naming no batch
        pending = entry(825.0, reference="BNK-9", block=self.block, status="PDNG")  # not booked by the bank yet
        record = self._import(camt053(transfer, pending))
        self.assertFalse(record.statement_entry_ids)
        self.assertEqual(record.ignored_count, 2)
        self.assertEqual(self.batch.bank_state, "transit")

    def test_a_statement_of_another_account_naming_the_batch_books_nothing(self):
        other = "FR1420041010050500013M02606"
        record = self._import(camt053(entry(825.0, reference="BNK-13", block=self.block), iban=other))
        self.assertFalse(record.statement_entry_ids)
        self.assertEqual(self.batch.bank_state, "transit")

    def test_company_booking_statements_elsewhere_books_nothing(self):
        self.company.sepa_book_statements = False
        record = self._import(camt053(entry(825.0, reference="BNK-10", block=self.block)))
        self.assertFalse(record.statement_entry_ids)
        self.assertEqual(self.batch.bank_state, "transit")

    def test_a_billing_user_books_the_statement(self):
        user = self.env["res.users"].create(
            {
                "name": "Billing Accountant",
                "login": "billing.statement",
                "company_id": self.company.id,
                "company_ids": [self.company.id],
                "group_ids": [(6, 0, [self.env.ref("insurance_arrears.group_arrears_user").id])],
            }
        )
        self.assertFalse(user.has_group("account.group_account_basic"))
        content = camt053(entry(825.0, reference="BNK-11", block=self.block))
        record = (
            self.env["sepa.return.import"]
            .with_user(user)
            .create({"file": base64.b64encode(content), "filename": "s.xml"})
        )
        record.action_parse()
        record.action_confirm()
        self.assertEqual(record.statement_entry_ids.state, "booked")
        self.assertEqual(self.batch.bank_state, "bank")
