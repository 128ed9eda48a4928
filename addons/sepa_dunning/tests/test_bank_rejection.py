import base64
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import LockError, UserError
from odoo.tests import tagged

from ..iso20022 import returns
from .common import CREDITOR_IBAN, SepaCommon, camt054, pain002


@tagged("post_install", "-at_install")
class TestBankRejection(SepaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fee_account = cls.company_data["default_account_expense"]
        cls.fee_income = cls.company_data["default_account_revenue"]

    def setUp(self):
        super().setUp()
        self.partners = self.env["res.partner"].create([{"name": f"Debtor {i}"} for i in range(3)])
        self.contracts = self.env["insurance.contract"]
        for partner in self.partners:
            self.contracts |= self._create_debit_contract(partner=partner, split="quarterly")
        self.receipts = self.env["insurance.premium.receipt"]
        for contract in self.contracts:
            self.receipts |= self._issue(contract)
        self.batch = self._confirmed_batch()
        self.debits = {line.receipt_id: line for line in self.batch.collect_line_ids}

    def _import(self, content, filename="status.xml"):
        record = self.env["sepa.return.import"].create(
            {
                "file": base64.b64encode(content),
                "filename": filename,
            }
        )
        record.action_parse()
        return record

    def _e2e(self, index):
        return self.debits[self.receipts[index]].end_to_end_id

    def test_rejection_undoes_the_debit_and_opens_the_case(self):
        record = self._import(pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04"), (self._e2e(1), 275.0, "AC04")]))
        self.assertEqual(record.line_ids.mapped("match_state"), ["matched", "matched"])
        self.assertEqual(record.line_ids.receipt_id, self.receipts[:2])
        self.assertIn("Present again", record.line_ids.filtered(lambda line: line.reason_code == "AM04").action)
        self.assertEqual(self.receipts[0].state, "paid", "nothing is posted before confirmation")

        record.action_confirm()
        move = record.move_ids
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.date, date(2026, 1, 7), "dated the rejection date")
        receivable = move.line_ids.filtered(lambda aml: aml.account_id == self.receivable_account)
        self.assertEqual(sorted(receivable.mapped("debit")), [275.0, 275.0])
        self.assertEqual(receivable.partner_id, self.partners[:2])
        outstanding = move.line_ids.filtered("credit")
        self.assertEqual((outstanding.account_id, outstanding.credit), (self.batch._outstanding_account(), 550.0))
        # The receipts are open again; the third one stays paid.
        self.assertEqual(self.receipts[:2].mapped("state"), ["open", "open"])
        self.assertEqual(self.receipts[:2].mapped("amount_residual"), [275.0, 275.0])
        self.assertEqual(self.receipts[2].state, "paid")
        # The batch entry is kept: its credit lines are now matched with the rejection.
        self.assertTrue(all(self.debits[r].move_line_id.reconciled for r in self.receipts[:2]))
        self.assertEqual(self.debits[self.receipts[0]].state, "rejected")
        # Mandate blocked for a closed account, kept for insufficient funds.
        self.assertEqual(self.contracts[1].mandate_id.state, "blocked")
        self.assertIn("AC04", self.contracts[1].mandate_id.block_reason)
        self.assertEqual(self.contracts[0].mandate_id.state, "active")
        # Arrears opened with the rejection as cause.
        case = self.contracts[0].case_ids
        self.assertEqual((case.state, case.cause, case.amount_due), ("open", "rejection", 275.0))
        self.assertIn("AM04", case.message_ids[0].body)

    def test_fee_is_booked_and_charged_to_the_client(self):
        self.company.write(
            {
                "sepa_rejection_fee": 7.5,
                "sepa_rejection_fee_account_id": self.fee_account.id,
                "sepa_charge_rejection_fee": True,
                "sepa_fee_income_account_id": self.fee_income.id,
                "dunning_policy_id": self.env.ref("sepa_dunning.dunning_policy_l113_3").id,
                # Not presented again: the ladder starts at once, and its first notice asks for the fee.
                "sepa_max_representations": 0,
            }
        )
        record = self._import(pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04")]))
        record.action_confirm()
        fee_line = record.move_ids.line_ids.filtered(lambda aml: aml.account_id == self.fee_account)
        self.assertEqual(fee_line.debit, 7.5)
        self.assertEqual(record.move_ids.line_ids.filtered("credit").credit, 282.5, "the bank takes debit and fee")
        # The client owes the fee: a receivable item of its own, due on the rejection date.
        fee = record.line_ids.fee_line_id
        self.assertEqual(fee.move_id, record.fee_move_ids)
        self.assertEqual(record.fee_move_ids.state, "posted")
        self.assertEqual(
            (fee.account_id, fee.partner_id, fee.debit, fee.amount_residual),
            (self.receivable_account, self.partners[0], 7.5, 7.5),
        )
        self.assertEqual(fee.date_maturity, record.line_ids.date)
        self.assertIn(self.receipts[0].name, fee.name)
        income = record.fee_move_ids.line_ids - fee
        self.assertEqual((income.account_id, income.debit, income.credit), (self.fee_income, 0.0, 7.5))
        # The next notice asks for it on a line of its own, and its lines add up to the total.
        case = self.receipts[0].case_id
        self.assertEqual(case.fee_line_ids, fee)
        self.assertEqual((case.amount_fees, case.amount_due), (7.5, 282.5))
        self.partners[0].email = "debtor.0@example.com"
        with freeze_time("2026-01-20"):
            self.env["arrears.case"]._cron_dunning_run()
        notice = case.notice_ids.filtered(lambda n: n.channel == "email")[:1]
        self.assertEqual(notice.fee_line_ids, fee)
        self.assertEqual(notice.amount_due, 282.5)
        self.assertIn(fee.name, notice.mail_id.body_html)
        self.assertIn("7.50", notice.mail_id.body_html)

    def test_fees_of_a_file_are_one_entry_with_an_item_per_client(self):
        self.company.write(
            {
                "sepa_rejection_fee": 7.5,
                "sepa_rejection_fee_account_id": self.fee_account.id,
                "sepa_charge_rejection_fee": True,
                "sepa_fee_income_account_id": self.fee_income.id,
            }
        )
        record = self._import(pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04"), (self._e2e(1), 275.0, "AC04")]))
        record.action_confirm()
        entry = record.fee_move_ids
        self.assertEqual(len(entry), 1)
        items = record.line_ids.fee_line_id
        self.assertEqual(items.partner_id, self.partners[:2])
        self.assertEqual(items.mapped("debit"), [7.5, 7.5])
        self.assertEqual(entry.line_ids.filtered("credit").credit, 15.0)
        # Each client's case asks for its own fee only.
        case = self.receipts[0].case_id
        self.assertEqual(case.fee_line_ids, record.line_ids[0].fee_line_id)
        self.assertEqual(case.amount_due, 282.5)
        self.assertEqual(self.receipts[1].case_id.amount_fees, 7.5)
        # The premium paid, the case waits for the fee; the fee paid, it closes.
        link = case._ensure_payment_links()
        link._register_payment(275.0, journal=self.bank_journal)
        self.assertEqual((case.state, case.amount_due), ("open", 7.5))
        link._register_payment(7.5, journal=self.bank_journal)
        self.assertEqual(case.fee_line_ids.amount_residual, 0.0)
        self.assertEqual(case.state, "closed")

    def test_unknown_code_and_unmatched_line_are_left_to_an_accountant(self):
        record = self._import(pain002(self.batch.name, [(self._e2e(1), 275.0, "ZZ99"), ("NOT-OURS-1", 10.0, "AM04")]))
        record.action_confirm()
        activity = record.activity_ids
        self.assertEqual(activity.summary, "Bank rejections to review")
        self.assertIn(self.receipts[1].name, activity.note)
        self.assertIn("1 line(s) to resolve by hand", activity.note)

    def test_unmatched_line_is_matched_by_hand_and_posted(self):
        # The bank cut one end-to-end id: nothing matches that line.
        record = self._import(
            pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04"), (self._e2e(2)[:-3], 275.0, "AC04")])
        )
        record.action_confirm()
        line = record.line_ids.filtered(lambda line: line.match_state == "unmatched")
        self.assertEqual(self.receipts[2].state, "paid")
        moves = self.env["account.move"].search_count([])
        with self.assertRaisesRegex(UserError, "debit already rejected"), self.cr.savepoint():
            self._match(line, self.debits[self.receipts[0]])
        self.assertEqual((line.match_state, line.debit_line_id), ("unmatched", self.env["sepa.debit.line"]))
        self.assertEqual(self.env["account.move"].search_count([]), moves, "nothing posted")
        # The right debit: posted at once, as the file's other rejection was.
        self._match(line, self.debits[self.receipts[2]])
        self.assertEqual((line.match_state, line.state), ("matched", "done"))
        self.assertEqual(self.receipts[2].state, "open")
        self.assertEqual(self.contracts[2].mandate_id.state, "blocked")
        self.assertEqual(self.receipts[2].case_id.cause, "rejection")
        self.assertEqual(len(record.move_ids), 2)
        self.assertIn("matched by hand", record.message_ids[0].body)
        with self.assertRaisesRegex(UserError, "already posted"):
            line._match_by_hand(self.debits[self.receipts[2]])

    def _match(self, line, debit):
        action = line.action_match_by_hand()
        wizard = self.env[action["res_model"]].with_context(**action["context"]).create({"debit_line_id": debit.id})
        self.assertEqual(wizard.amount, 275.0)
        wizard.action_confirm()

    def test_same_file_twice_changes_nothing_the_second_time(self):
        content = pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04")])
        self._import(content).action_confirm()
        moves = self.env["account.move"].search_count([])
        with self.assertRaisesRegex(UserError, "already imported"), self.cr.savepoint():
            self._import(content)
        self.assertEqual(self.env["account.move"].search_count([]), moves)

    def test_the_same_rejection_in_another_file_is_flagged(self):
        self._import(pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04")])).action_confirm()
        again = self._import(camt054([(self._e2e(0), 275.0, "AM04")]), "camt.xml")
        self.assertEqual(again.line_ids.match_state, "already_rejected")
        again.action_confirm()
        self.assertEqual(self.receipts[0].amount_residual, 275.0, "not undone twice")

    def test_unknown_reference_and_wrong_amount_are_kept_not_guessed(self):
        record = self._import(pain002(self.batch.name, [("UNKNOWN-E2E", 100.0, "AM04"), (self._e2e(1), 999.0, "AM04")]))
        states = {line.end_to_end_id: line.match_state for line in record.line_ids}
        self.assertEqual(states, {"UNKNOWN-E2E": "unmatched", self._e2e(1): "amount_mismatch"})
        record.action_confirm()
        self.assertEqual(record.state, "done")
        self.assertEqual(record.issue_count, 2)
        self.assertFalse(record.move_ids)
        self.assertEqual(self.receipts[1].state, "paid")

    def test_debit_of_another_company_is_flagged(self):
        other = self.setup_other_company(name="Other Broker")["company"]
        record = (
            self.env["sepa.return.import"]
            .with_company(other)
            .create(
                {
                    "file": base64.b64encode(pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04")])),
                    "filename": "status.xml",
                    "company_id": other.id,
                }
            )
        )
        record.action_parse()
        self.assertEqual(record.line_ids.match_state, "other_company")
        self.assertFalse(record.line_ids.receipt_id)

    def test_am04_is_presented_again_until_the_limit(self):
        self.company.sepa_max_representations = 1
        receipt = self.receipts[0]
        self._import(pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04")])).action_confirm()
        second = self._batch(collection_date=date(2026, 1, 20))
        second.action_prepare()
        line = second.collect_line_ids.filtered(lambda line: line.receipt_id == receipt)
        self.assertEqual(line.sequence_type, "RCUR")
        second.action_generate()
        second.action_confirm()
        self._import(pain002(second.name, [(line.end_to_end_id, 275.0, "AM04")]), "second.xml").action_confirm()
        third = self._batch(collection_date=date(2026, 2, 5))
        with self.assertRaisesRegex(UserError, "Nothing to collect"), self.cr.savepoint():
            third.action_prepare()
        self.assertEqual(receipt.state, "open")

    def test_refused_by_debtor_is_not_presented_again(self):
        self._import(pain002(self.batch.name, [(self._e2e(2), 275.0, "MS02")])).action_confirm()
        batch = self._batch(collection_date=date(2026, 1, 20))
        with self.assertRaisesRegex(UserError, "Nothing to collect"), self.cr.savepoint():
            batch.action_prepare()

    def test_camt054_return_is_undone_too(self):
        record = self._import(camt054([(self._e2e(2), 275.0, "MD06")]), "camt.xml")
        self.assertEqual((record.line_ids.kind, record.line_ids.match_state), ("refund", "matched"))
        record.action_confirm()
        self.assertEqual(self.receipts[2].state, "open")
        self.assertEqual(record.move_ids.date, date(2026, 1, 9))

    def test_cfonb120_statement_rejections_are_undone_too(self):
        content = returns.cfonb120_statement(
            CREDITOR_IBAN,
            [(self._e2e(0), 275.0, "AC04", self.receipts[0].contract_id.mandate_id.name), ("UNKNOWN-1", 12.5, "", "")],
            date(2026, 1, 12),
        )
        record = self._import(content, "RELEVE.120")
        self.assertEqual(record.message_type, "cfonb120")
        matched, unknown = record.line_ids.sorted(lambda line: line.match_state)
        self.assertEqual((matched.match_state, matched.reason_code, matched.kind), ("matched", "AC04", "return"))
        self.assertEqual((unknown.match_state, unknown.amount), ("unmatched", 12.5), "kept, to resolve by hand")
        record.action_confirm()
        self.assertEqual(self.receipts[0].state, "open")
        self.assertEqual(self.receipts[0].contract_id.mandate_id.state, "blocked")
        self.assertEqual(record.move_ids.date, date(2026, 1, 12))

    def test_malformed_and_hostile_files_are_refused_and_nothing_is_kept(self):
        xxe = (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
            b"<GrpHdr><MsgId>&x;</MsgId></GrpHdr></CstmrPmtStsRpt></Document>"
        )
        # Each entity ten of the one before: a billion "lol" once expanded.
        entities = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
        genuine = pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04")])
        laughs = genuine.replace(b"<Document", f"<!DOCTYPE Document [{entities}]><Document".encode(), 1)
        laughs = laughs.replace(self._e2e(0).encode(), b"&lol9;")
        for content, message in (
            (b"<Document><broken>", "cannot be read"),
            (genuine[: len(genuine) // 2], "cannot be read"),
            (xxe, "DOCTYPE"),
            (laughs, "DOCTYPE"),
            (b'<Document xmlns="urn:other"/>', "not a pain.002, camt.054 or camt.053"),
        ):
            with self.subTest(message=message), self.assertRaisesRegex(UserError, message), self.cr.savepoint():
                self._import(content)
        # A file beyond the size limit is refused before it is read (the limit lowered: the same check).
        with (
            patch.object(returns, "MAX_FILE_SIZE", len(genuine) - 1),
            self.assertRaisesRegex(UserError, "is larger than"),
            self.cr.savepoint(),
        ):
            self._import(genuine)
        self.assertFalse(self.env["sepa.return.line"].search([]))

    # -------------------------------------------------------------------------
    # Statuses: only RJCT rejects, the transaction's own, else its block's, else the group's
    # -------------------------------------------------------------------------

    def _all_debits(self, code=""):
        return [(self._e2e(index), 275.0, code) for index in range(3)]

    def test_accepted_status_report_rejects_nothing(self):
        moves = self.env["account.move"].search_count([])
        for status in ("ACCP", "ACSC", "PDNG"):
            with self.subTest(status=status):
                content = pain002(
                    self.batch.name,
                    self._all_debits(),
                    msg_id=f"ACK-{status}",
                    group_status=status,
                    block_status=status,
                )
                record = self._import(content, f"ack-{status}.xml")
                self.assertFalse(record.line_ids)
                self.assertEqual(record.ignored_count, 3)
                record.action_confirm()
                self.assertFalse(record.move_ids)
        self.assertEqual(self.env["account.move"].search_count([]), moves, "no entry")
        self.assertEqual(self.receipts.mapped("state"), ["paid"] * 3)
        self.assertEqual(
            self.env["sepa.debit.line"].browse([d.id for d in self.debits.values()]).mapped("state"), ["collected"] * 3
        )

    def test_partly_accepted_report_rejects_only_the_rejected_debit(self):
        rejections = [(self._e2e(0), 275.0, ""), (self._e2e(1), 275.0, "AM04"), (self._e2e(2), 275.0, "")]
        record = self._import(pain002(self.batch.name, rejections, group_status="PART", block_status="PART"))
        self.assertEqual(record.line_ids.receipt_id, self.receipts[1])
        record.action_confirm()
        self.assertEqual(self.receipts.mapped("state"), ["paid", "open", "paid"])
        receivable = record.move_ids.line_ids.filtered(lambda aml: aml.account_id == self.receivable_account)
        self.assertEqual((receivable.partner_id, receivable.debit), (self.partners[1], 275.0))

    def test_rejected_block_without_details_rejects_each_of_its_debits(self):
        content = pain002(self.batch.name, [], group_status="RJCT", block_status="RJCT", block_reason="MS03")
        record = self._import(content)
        self.assertEqual(record.line_ids.mapped("match_state"), ["matched"] * 3)
        self.assertEqual(record.line_ids.mapped("reason_code"), ["MS03"] * 3)
        record.action_confirm()
        receivable = record.move_ids.line_ids.filtered(lambda aml: aml.account_id == self.receivable_account)
        self.assertEqual(receivable.partner_id, self.partners)
        self.assertEqual(self.receipts.mapped("state"), ["open"] * 3)

    # -------------------------------------------------------------------------
    # One rejection per debit, whatever the files that report it
    # -------------------------------------------------------------------------

    def _charge_fees(self):
        self.company.write(
            {
                "sepa_rejection_fee": 7.5,
                "sepa_rejection_fee_account_id": self.fee_account.id,
                "sepa_charge_rejection_fee": True,
                "sepa_fee_income_account_id": self.fee_income.id,
            }
        )

    def _rejection_items(self, partner):
        """The partner's lines in every rejection entry and fee entry: what the books say was posted."""
        imports = self.env["sepa.return.import"].search([])
        rejected = imports.move_ids.line_ids.filtered(
            lambda aml: aml.partner_id == partner and aml.account_id == self.receivable_account
        )
        fees = imports.fee_move_ids.line_ids.filtered(lambda aml: aml.partner_id == partner)
        return rejected, fees

    def _assert_rejected_once(self, receipt_index):
        partner, receipt = self.partners[receipt_index], self.receipts[receipt_index]
        rejected, fees = self._rejection_items(partner)
        self.assertEqual(rejected.mapped("debit"), [275.0], "one rejection entry line for the debit")
        self.assertEqual(fees.mapped("debit"), [7.5], "one fee")
        self.assertEqual(receipt.amount_residual, 275.0)
        outstanding = self.batch._outstanding_account()
        credits = (
            self.env["sepa.return.import"]
            .search([])
            .move_ids.line_ids.filtered(lambda aml: aml.account_id == outstanding)
        )
        self.assertEqual(sum(credits.mapped("credit")), 282.5, "the in-transit credit once, with the bank's fee once")
        self.assertEqual(receipt.case_id.amount_due, 282.5)

    def test_pain002_then_camt054_of_the_same_debit_post_one_rejection(self):
        self._charge_fees()
        first = self._import(pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04")]))
        second = self._import(camt054([(self._e2e(0), 275.0, "AM04")]), "camt.xml")
        self.assertEqual(second.line_ids.match_state, "reported")
        self.assertEqual(second.line_ids.reported_by_import_id, first)
        self.assertIn(first.name, second.line_ids.action)
        self.assertEqual((second.matched_count, second.reported_count, second.issue_count), (0, 1, 0))
        first.action_confirm()
        second.action_confirm()
        self._assert_rejected_once(0)
        self.assertFalse(second.move_ids)
        self.assertFalse(second.activity_ids, "nothing for an accountant to resolve")
        self.assertEqual(second.line_ids.match_state, "already_rejected")

    def test_a_file_reporting_a_rejection_confirmed_first_posts_nothing_the_other_posts_it(self):
        self._charge_fees()
        first = self._import(pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04")]))
        second = self._import(camt054([(self._e2e(0), 275.0, "AM04")]), "camt.xml")
        second.action_confirm()
        self.assertFalse(second.move_ids)
        self.assertEqual(self.receipts[0].state, "paid", "the file that reported it only did not post it")
        first.action_confirm()
        self._assert_rejected_once(0)

    def test_two_status_reports_read_at_once_then_confirmed_post_one_rejection(self):
        self._charge_fees()
        first = self._import(pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04")], msg_id="STS-A"), "a.xml")
        second = self._import(
            pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04")], msg_id="STS-B", created="2026-01-08T10:00:00"),
            "b.xml",
        )
        self.assertEqual(second.line_ids.match_state, "reported", "read after the first: it sees the first's line")
        # Read at the same moment, neither would see the other's lines: both matched.
        second.line_ids.write({"match_state": "matched", "reported_by_id": False})
        first.action_confirm()
        second.action_confirm()
        self._assert_rejected_once(0)
        self.assertEqual(second.line_ids.match_state, "already_rejected")
        self.assertEqual(second.line_ids.reported_by_import_id, first)
        self.assertIn("already rejected by", second.line_ids.action)

    def test_cfonb_then_pain002_of_the_same_debit_post_one_rejection(self):
        self._charge_fees()
        mandate = self.receipts[0].contract_id.mandate_id.name
        content = returns.cfonb120_statement(CREDITOR_IBAN, [(self._e2e(0), 275.0, "AM04", mandate)], date(2026, 1, 8))
        first = self._import(content, "RELEVE.120")
        first.action_confirm()
        second = self._import(pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04")]))
        self.assertEqual(second.line_ids.match_state, "already_rejected")
        self.assertEqual(second.line_ids.reported_by_import_id, first)
        second.action_confirm()
        self._assert_rejected_once(0)

    def test_return_after_settlement_of_a_debit_rejected_before_is_the_same_rejection(self):
        self._charge_fees()
        self._import(pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04")])).action_confirm()
        refund = self._import(camt054([(self._e2e(0), 275.0, "MD06")], msg_id="NTF-RET"), "return.xml")
        self.assertEqual((refund.line_ids.kind, refund.line_ids.match_state), ("refund", "already_rejected"))
        refund.action_confirm()
        self._assert_rejected_once(0)

    def test_a_debit_twice_in_one_file_is_rejected_once(self):
        self._charge_fees()
        record = self._import(
            pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04"), (self._e2e(0), 275.0, "AM04")], msg_id="DUP")
        )
        self.assertEqual(sorted(record.line_ids.mapped("match_state")), ["matched", "reported"])
        self.assertIn(
            "reported twice in this file", record.line_ids.filtered(lambda line: line.match_state == "reported").action
        )
        record.action_confirm()
        self._assert_rejected_once(0)

    def test_a_debit_another_file_is_posting_at_this_moment_is_not_posted_and_nothing_changes(self):
        record = self._import(pain002(self.batch.name, [(self._e2e(0), 275.0, "AM04"), (self._e2e(1), 275.0, "AM04")]))
        moves = self.env["account.move"].search_count([])
        # Another transaction holds the lock on a debit: it is confirming a file that rejects it.
        Debit = self.registry["sepa.debit.line"]
        with (
            patch.object(Debit, "lock_for_update", side_effect=LockError("Cannot grab a lock on records")),
            self.assertRaisesRegex(UserError, "Confirm .* again in a moment"),
            self.cr.savepoint(),
        ):
            record.action_confirm()
        self.assertEqual(self.env["account.move"].search_count([]), moves, "nothing posted")
        self.assertEqual((record.state, self.receipts[0].state), ("parsed", "paid"))
        record.action_confirm()
        self.assertEqual(self.receipts[:2].mapped("state"), ["open", "open"])
