import base64
import io
from datetime import date, datetime

import openpyxl

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CompanyRulesCommon

HEADER = "Police;Quittance;Debut;Fin;Echeance;TTC;Taxes;Frais;Commission;Type"


@tagged("post_install", "-at_install")
class TestReceiptImport(CompanyRulesCommon):
    """An insurer that issues its own receipts: its files, checked, then made into our receipts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.insurer.insurer_issues_receipts = True
        cls.contract = cls._create_contract(insurer_reference="MUT-778812")
        cls.profile = cls.env["insurance.receipt.import.profile"].create(
            {
                "name": "Assureur Mutuel, monthly CSV",
                "insurer_id": cls.insurer.id,
                "encoding": "latin-1",
                "column_policy": "Police",
                "column_reference": "Quittance",
                "column_period_start": "Debut",
                "column_period_end": "Fin",
                "column_date_due": "Echeance",
                "column_amount_total": "TTC",
                "column_amount_tax": "Taxes",
                "column_amount_fee": "Frais",
                "column_commission": "Commission",
                "column_kind": "Type",
            }
        )

    def _file(self, *rows, profile=None, data=None):
        data = data if data is not None else "\r\n".join([HEADER, *rows]).encode("latin-1")
        return self.env["insurance.receipt.import"].create(
            {"name": "quittances.csv", "profile_id": (profile or self.profile).id, "data": base64.b64encode(data)}
        )

    def _receipts(self, contract=None):
        return self.env["insurance.premium.receipt"].search([("contract_id", "=", (contract or self.contract).id)])

    def test_the_daily_job_issues_no_receipt_for_a_contract_the_insurer_issues(self):
        self.assertTrue(self.contract.receipts_by_insurer, "the contract follows its insurer")
        ours = self._create_contract(insurer_id=self.insurer_direct.id)
        self.assertFalse(ours.receipts_by_insurer)
        self.contract._generate_receipts(until=date(2026, 4, 1))
        ours._generate_receipts(until=date(2026, 4, 1))
        self.assertFalse(self._receipts())
        self.assertEqual(len(self._receipts(ours)), 2)

    def test_a_file_is_checked_first_then_its_receipts_posted_with_the_mandate_accounting(self):
        record = self._file(
            "MUT-778812;Q-0001;01/01/2026;31/03/2026;05/01/2026;275,00;22,50;2,50;37,50;",
            "MUT-778812;Q-0002;01/04/2026;30/06/2026;;275,00;22,50;2,50;37,50;",
        )
        record.action_check()
        self.assertEqual(record.state, "checked")
        self.assertEqual(record.line_ids.mapped("action"), ["create", "create"])
        self.assertEqual(record.line_ids.contract_id, self.contract)
        self.assertFalse(self._receipts(), "nothing is created before the file is confirmed")

        record.action_confirm()
        receipts = self._receipts().sorted("period_start")
        self.assertEqual(record.state, "done")
        self.assertEqual(receipts.mapped("insurer_reference"), ["Q-0001", "Q-0002"])
        self.assertEqual(receipts.mapped("state"), ["open", "open"])
        self.assertEqual(receipts[0].date_due, date(2026, 1, 5))
        self.assertEqual(receipts[1].date_due, date(2026, 4, 1), "no due date in the file: the period's first day")
        lines = self._lines_by_account(receipts[0].move_id)
        self.assertEqual(lines[self.receivable_account][:2], (275.0, 0.0))
        self.assertEqual(lines[self.insurer_account][:2], (0.0, 237.5))
        self.assertEqual(lines[self.commission_account][:2], (0.0, 37.5))
        self.assertEqual(record.line_ids.receipt_id, receipts)
        found = self.env["insurance.premium.receipt"].name_search("Q-0002")
        self.assertEqual([receipt_id for receipt_id, _name in found], receipts[1].ids, "the insurer's number finds it")
        found = self.env["insurance.contract"].name_search("MUT-778812")
        self.assertEqual([contract_id for contract_id, _name in found], self.contract.ids)

    def test_the_same_file_twice_changes_nothing(self):
        row = "MUT-778812;Q-0001;01/01/2026;31/03/2026;;275,00;22,50;2,50;37,50;"
        first = self._file(row)
        first.action_check()
        first.action_confirm()
        invoice = self._receipts().move_id
        again = self._file(row)
        again.action_check()
        self.assertEqual(again.line_ids.action, "skip")
        self.assertEqual(again.line_ids.receipt_id, self._receipts())
        again.action_confirm()
        self.assertEqual(self._receipts().move_id, invoice)
        self.assertEqual(len(self._receipts()), 1)
        with self.assertRaises(UserError):
            again.action_check()

    def test_a_line_again_with_other_amounts_amends_the_receipt_by_a_credit_note_and_a_new_invoice(self):
        first = self._file("MUT-778812;Q-0001;01/01/2026;31/03/2026;;275,00;22,50;2,50;37,50;")
        first.action_check()
        first.action_confirm()
        receipt = self._receipts()
        old_invoice = receipt.move_id
        amended = self._file("MUT-778812;Q-0001;01/01/2026;31/03/2026;;330,00;27,00;3,00;45,00;")
        amended.action_check()
        self.assertEqual(amended.line_ids.action, "amend")
        amended.action_confirm()
        self.assertEqual(self._receipts(), receipt, "the same receipt, its number kept")
        self.assertEqual(old_invoice.state, "posted", "a posted invoice is never rewritten")
        self.assertEqual(old_invoice.payment_state, "reversed")
        credit_note = old_invoice.reversal_move_ids
        self.assertEqual((credit_note.move_type, credit_note.amount_total), ("out_refund", 275.0))
        self.assertNotEqual(receipt.move_id, old_invoice)
        self.assertEqual((receipt.amount_total, receipt.commission_amount), (330.0, 45.0))
        self.assertEqual(receipt.move_id.amount_total, 330.0)
        self.assertEqual(receipt.amount_residual, 330.0)

    def test_a_cancellation_line_cancels_the_receipt_with_a_credit_note(self):
        first = self._file("MUT-778812;Q-0001;01/01/2026;31/03/2026;;275,00;22,50;2,50;37,50;")
        first.action_check()
        first.action_confirm()
        receipt = self._receipts()
        cancel = self._file("MUT-778812;Q-0001;01/01/2026;31/03/2026;;275,00;;;;Annulation")
        cancel.action_check()
        self.assertEqual(cancel.line_ids.action, "cancel")
        cancel.action_confirm()
        self.assertEqual(receipt.state, "cancel")
        self.assertEqual(receipt.move_id.reversal_move_ids.amount_total, 275.0)

    def test_a_paid_receipt_is_neither_amended_nor_cancelled(self):
        first = self._file("MUT-778812;Q-0001;01/01/2026;31/03/2026;;275,00;22,50;2,50;37,50;")
        first.action_check()
        first.action_confirm()
        self._receipts()._register_payments(self.bank_journal)
        amended = self._file("MUT-778812;Q-0001;01/01/2026;31/03/2026;;330,00;27,00;3,00;45,00;")
        cancelled = self._file("MUT-778812;Q-0001;01/01/2026;31/03/2026;;275,00;;;;Annulation")
        (amended | cancelled).action_check()
        self.assertEqual((amended | cancelled).line_ids.mapped("problem"), ["paid", "paid"])
        (amended | cancelled).action_confirm()
        self.assertEqual((self._receipts().state, self._receipts().amount_total), ("paid", 275.0))

    def test_each_line_that_cannot_be_taken_says_why_and_the_others_are_imported(self):
        other = self._create_contract(insurer_id=self.insurer_direct.id, insurer_reference="DIR-1")
        ours = self._create_contract(insurer_reference="MUT-OURS", receipts_by_insurer=False)
        record = self._file(
            "MUT-000000;Q-0101;01/01/2026;31/03/2026;;275,00;22,50;2,50;37,50;",
            "DIR-1;Q-0102;01/01/2026;31/03/2026;;275,00;22,50;2,50;25,00;",
            "MUT-OURS;Q-0103;01/01/2026;31/03/2026;;275,00;22,50;2,50;37,50;",
            "MUT-778812;Q-0104;01/04/2026;30/06/2026;;275,00;22,50;2,50;40,00;",
            "MUT-778812;Q-0105;01/04/2026;30/06/2026;;275,00;200,00;80,00;;",
            "MUT-778812;Q-0106;31/04/2026;30/06/2026;;275,00;;;;",
            "MUT-778812;Q-0107;01/04/2026;30/06/2026;;275,00;22,50;2,50;37,50;",
            "MUT-778812;Q-0108;01/04/2026;30/06/2026;;275,00;22,50;2,50;37,50;",
            "MUT-778812;Q-0109;01/07/2026;30/09/2026;;200,00;;;;Annulation",
        )
        record.action_check()
        self.assertEqual(
            [(line.row, line.action, line.problem) for line in record.line_ids],
            [
                (2, "refuse", "unknown_policy"),
                (3, "refuse", "not_insurer"),
                (4, "refuse", "broker_issued"),
                (5, "refuse", "commission"),
                (6, "refuse", "amounts"),
                (7, "refuse", "unreadable"),
                (8, "create", False),
                (9, "refuse", "period_taken"),
                (10, "refuse", "unknown_receipt"),
            ],
        )
        self.assertIn("31/04/2026", record.line_ids[5].detail)
        record.action_confirm()
        self.assertFalse(self._receipts(other) | self._receipts(ours))
        self.assertEqual(self._receipts().insurer_reference, "Q-0107")

    def test_a_receipt_given_twice_in_one_file_is_taken_once(self):
        record = self._file(
            "MUT-778812;Q-0001;01/01/2026;31/03/2026;;275,00;22,50;2,50;37,50;",
            "MUT-778812;Q-0001;01/01/2026;31/03/2026;;275,00;;;;Annulation",
        )
        record.action_check()
        self.assertEqual(record.line_ids.mapped("action"), ["create", "refuse"])
        self.assertEqual(record.line_ids[1].problem, "repeated")
        record.action_confirm()
        self.assertEqual(self._receipts().state, "open")

    def test_a_period_already_received_is_refused(self):
        first = self._file("MUT-778812;Q-0001;01/01/2026;31/03/2026;;275,00;22,50;2,50;37,50;")
        first.action_check()
        first.action_confirm()
        record = self._file("MUT-778812;Q-0999;01/01/2026;31/03/2026;;275,00;22,50;2,50;37,50;")
        record.action_check()
        self.assertEqual((record.line_ids.action, record.line_ids.problem), ("refuse", "period_taken"))
        record.action_confirm()
        self.assertEqual(self._receipts().insurer_reference, "Q-0001")

    def test_a_file_that_cannot_be_read_is_refused_whole_and_loses_nothing(self):
        text = "\r\n".join([HEADER, "MUT-778812;Q-1;01/01/2026;31/03/2026;;275,00;;;;"])
        utf16 = self._file(data=text.encode("utf-16"))
        with self.assertRaisesRegex(UserError, "encoding"):
            utf16.action_check()
        missing = self._file(data=b"Police;TTC\r\nMUT-778812;275,00\r\n")
        with self.assertRaisesRegex(UserError, "Quittance"):
            missing.action_check()
        self.assertEqual((missing.state, missing.line_ids), ("draft", self.env["insurance.receipt.import.line"]))

    def test_a_file_of_fifty_megabytes_is_refused_whole(self):
        row = b"MUT-778812;Q-1;01/01/2026;31/03/2026;;275,00;;;;\r\n"
        record = self._file(data=HEADER.encode() + b"\r\n" + row * (50 * 1024 * 1024 // len(row) + 1))
        with self.assertRaisesRegex(UserError, "larger than 32 MB"):
            record.action_check()
        self.assertEqual(record.state, "draft")
        self.assertFalse(record.line_ids)

    def test_a_formula_in_a_workbook_is_never_evaluated(self):
        profile = self.profile.copy({"name": "XLSX", "file_format": "xlsx"})
        book = openpyxl.Workbook()
        book.active.append(HEADER.split(";"))
        start, end = datetime(2026, 1, 1), datetime(2026, 3, 31)
        # A formula saved without its value (as a script writes it): the cell reads empty, its text is not run.
        book.active.append(["MUT-778812", "Q-8", start, end, None, "=250+25", 22.5, 2.5, 37.5])
        book.active.append(["MUT-778812", '=HYPERLINK("http://x")', start, end, None, 275, 22.5, 2.5, 37.5])
        out = io.BytesIO()
        book.save(out)
        record = self._file(profile=profile, data=out.getvalue())
        record.action_check()
        self.assertEqual(record.line_ids.mapped("action"), ["refuse", "refuse"])
        self.assertEqual(record.line_ids.mapped("problem"), ["unreadable", "incomplete"])
        record.action_confirm()
        self.assertFalse(self._receipts())

    def test_a_workbook_with_the_insurers_layout(self):
        profile = self.profile.copy({"name": "XLSX", "file_format": "xlsx"})
        book = openpyxl.Workbook()
        book.active.append(HEADER.split(";"))
        start, end = datetime(2026, 1, 1), datetime(2026, 3, 31)
        book.active.append(["MUT-778812", "Q-7", start, end, None, 275, 22.5, 2.5, 37.5])
        out = io.BytesIO()
        book.save(out)
        record = self._file(profile=profile, data=out.getvalue())
        record.action_check()
        record.action_confirm()
        self.assertEqual(self._receipts().mapped("insurer_reference"), ["Q-7"])

    def test_files_and_profiles_stay_in_their_company(self):
        record = self._file("MUT-778812;Q-0001;01/01/2026;31/03/2026;;275,00;22,50;2,50;37,50;")
        record.action_check()
        self.assertHiddenFromOtherCompany(record)
        self.assertHiddenFromOtherCompany(record.line_ids)
        self.assertHiddenFromOtherCompany(self.profile)


@tagged("post_install", "-at_install")
class TestCommissionCheck(CompanyRulesCommon):
    """An insurer's commission statement held against our receipts, receipt by receipt; nothing posted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Broker-issued receipts (January and April, 37.50 of commission each), found by our numbers or periods.
        cls.contract = cls._create_quarterly_contract(insurer_reference="MUT-778812")
        cls.receipts = cls.contract.receipt_ids.sorted("period_start")
        cls.profile = cls.env["insurance.receipt.import.profile"].create(
            {
                "name": "Assureur Mutuel, commissions",
                "insurer_id": cls.insurer.id,
                "kind": "commissions",
                "column_policy": "Police",
                "column_reference": "Quittance",
                "column_period_start": "Debut",
                "column_commission": "Commission",
            }
        )

    def _check(self, *rows, **values):
        data = "\r\n".join(["Police;Quittance;Debut;Commission", *rows]).encode()
        return self.env["insurance.commission.check"].create(
            {"name": "commissions.csv", "profile_id": self.profile.id, "data": base64.b64encode(data), **values}
        )

    def test_each_receipt_is_compared_and_the_differences_listed_without_posting(self):
        moves = self.env["account.move"].search_count([])
        check = self._check(
            f"MUT-778812;{self.receipts[0].name};;37,50",
            "MUT-778812;;01/04/2026;35,00",
            "MUT-778812;;01/07/2026;37,50",
            "MUT-000000;Q-9;;10,00",
            "MUT-778812;;;12,00",
        )
        check.action_compare()
        lines = check.line_ids.sorted("row")
        self.assertEqual(lines.mapped("status"), ["match", "different", "unknown", "unknown", "unreadable"])
        self.assertEqual(lines[:2].receipt_id, self.receipts)
        self.assertEqual(lines[1].mapped("difference"), [-2.5])
        self.assertEqual((check.amount_stated, check.amount_computed), (120.0, 75.0))
        self.assertEqual(check.difference_count, 4)
        self.assertEqual(self.env["account.move"].search_count([]), moves, "a report: nothing is posted")

    def test_a_receipt_of_the_periods_that_the_statement_omits_is_listed(self):
        check = self._check(
            "MUT-778812;;01/04/2026;37,50",
            "MUT-778812;;01/04/2026;37,50",
            date_from=date(2026, 1, 1),
            date_to=date(2026, 6, 30),
        )
        check.action_compare()
        by_status = {line.status: line for line in check.line_ids}
        self.assertEqual(set(by_status), {"match", "repeated", "missing"})
        self.assertEqual(by_status["missing"].receipt_id, self.receipts[0])
        self.assertEqual(by_status["missing"].difference, -37.5)
        self.assertEqual(by_status["repeated"].receipt_id, self.receipts[1])

    def test_an_unreadable_statement_is_refused_whole(self):
        check = self.env["insurance.commission.check"].create(
            {"name": "x.csv", "profile_id": self.profile.id, "data": base64.b64encode(b"Police;Quittance\r\nA;B\r\n")}
        )
        with self.assertRaisesRegex(UserError, "Commission"):
            check.action_compare()
        self.assertEqual((check.state, check.line_ids), ("draft", self.env["insurance.commission.check.line"]))

    def test_statements_stay_in_their_company(self):
        check = self._check(f"MUT-778812;{self.receipts[0].name};;37,50")
        check.action_compare()
        self.assertHiddenFromOtherCompany(check)
        self.assertHiddenFromOtherCompany(check.line_ids)
