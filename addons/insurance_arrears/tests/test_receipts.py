from datetime import date
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2.errors import UniqueViolation

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models import insurance_contract
from .common import InsuranceArrearsCommon, cron_out_of_time


@tagged("post_install", "-at_install")
class TestReceiptGeneration(InsuranceArrearsCommon):
    def test_each_split_issues_one_receipt_per_period(self):
        expected = {"annual": 1, "semiannual": 2, "quarterly": 4, "monthly": 12}
        for split, count in expected.items():
            with self.subTest(split=split):
                contract = self._create_contract(split=split)
                receipts = contract._generate_receipts(until=date(2026, 12, 31))
                self.assertEqual(len(receipts), count)
                self.assertEqual(receipts.mapped("date_due")[0], date(2026, 1, 1))
                # A full year of receipts adds up to the annual premium (within cent rounding).
                self.assertAlmostEqual(sum(receipts.mapped("amount_total")), 1100.0, delta=0.05 * count)
                self.assertTrue(all(r.state == "open" for r in receipts))

    def test_quarterly_receipts_carry_the_period_parts(self):
        contract = self._create_contract(split="quarterly")
        receipts = contract._generate_receipts(until=date(2026, 12, 31)).sorted("period_start")
        self.assertEqual(
            [(r.period_start, r.period_end) for r in receipts],
            [
                (date(2026, 1, 1), date(2026, 3, 31)),
                (date(2026, 4, 1), date(2026, 6, 30)),
                (date(2026, 7, 1), date(2026, 9, 30)),
                (date(2026, 10, 1), date(2026, 12, 31)),
            ],
        )
        first = receipts[0]
        self.assertEqual(
            (first.amount_net, first.amount_tax, first.amount_fee, first.amount_total),
            (250.0, 22.5, 2.5, 275.0),
        )
        self.assertEqual(first.commission_amount, 37.5)
        self.assertEqual(first.insurer_amount, 237.5)
        self.assertEqual(first.move_id.amount_total, 275.0)
        self.assertEqual(first.move_id.invoice_date_due, date(2026, 1, 1))
        self.assertEqual(first.move_id.payment_reference, first.name)

    def test_contract_starting_mid_period_pays_pro_rata(self):
        # Anniversary 1 January, cover from 15 February: 45 of the quarter's 90 days.
        contract = self._create_contract(split="quarterly", date_start="2026-02-15", date_anniversary="2026-01-01")
        first = contract._generate_receipts(until=date(2026, 3, 31))
        self.assertEqual(len(first), 1)
        self.assertEqual((first.period_start, first.period_end), (date(2026, 2, 15), date(2026, 3, 31)))
        self.assertAlmostEqual(first.prorata, 0.5)
        self.assertEqual((first.amount_net, first.amount_tax, first.amount_fee), (125.0, 11.25, 1.25))

    def test_generation_twice_issues_nothing_more(self):
        contract = self._create_contract(split="monthly")
        with freeze_time("2026-03-20"):
            self.env["insurance.contract"]._cron_generate_receipts()
            count = len(contract.receipt_ids)
            self.env["insurance.contract"]._cron_generate_receipts()
            contract.invalidate_recordset(["receipt_ids"])
            self.assertEqual(len(contract.receipt_ids), count)
        # Horizon 30 days from 20 March: January to April.
        self.assertEqual(count, 4)
        self.assertEqual(len(contract.receipt_ids.move_id), 4)

    def test_same_period_twice_is_refused_by_the_database(self):
        contract = self._create_contract(split="annual")
        contract._generate_receipts(until=date(2026, 1, 1))
        with mute_logger("odoo.sql_db"), self.assertRaises(UniqueViolation), self.cr.savepoint():
            self.env["insurance.premium.receipt"].create(
                {
                    "contract_id": contract.id,
                    "period_start": "2026-01-01",
                    "period_end": "2026-12-31",
                    "date_due": "2026-01-01",
                }
            )

    def test_no_receipt_after_termination(self):
        contract = self._create_contract(split="quarterly")
        contract._generate_receipts(until=date(2026, 12, 31))
        self.assertEqual(len(contract.receipt_ids), 4)
        contract.action_terminate(date=date(2026, 5, 15), reason="non_payment")
        self.assertEqual(contract.state, "terminated")
        cancelled = contract.receipt_ids.filtered(lambda r: r.state == "cancel")
        self.assertEqual(sorted(cancelled.mapped("period_start")), [date(2026, 7, 1), date(2026, 10, 1)])
        # Cancelled receipts are reversed by a credit note, never deleted.
        for receipt in cancelled:
            self.assertEqual(receipt.move_id.payment_state, "reversed")
        self.assertFalse(contract._generate_receipts(until=date(2027, 12, 31)))

    def test_terminated_contract_issues_a_pro_rata_last_receipt(self):
        contract = self._create_contract(split="quarterly", date_end="2026-05-15")
        receipts = contract._generate_receipts(until=date(2026, 12, 31)).sorted("period_start")
        self.assertEqual(len(receipts), 2)
        self.assertEqual(receipts[1].period_end, date(2026, 5, 15))
        self.assertAlmostEqual(receipts[1].amount_net, round(250 * 45 / 91, 2))

    def test_receipt_for_a_terminated_period_is_refused(self):
        contract = self._create_contract(split="annual")
        contract.action_terminate(date=date(2026, 6, 30))
        with self.assertRaisesRegex(ValidationError, "was terminated on"):
            self.env["insurance.premium.receipt"].create(
                {
                    "contract_id": contract.id,
                    "period_start": "2027-01-01",
                    "period_end": "2027-12-31",
                    "date_due": "2027-01-01",
                }
            )

    def test_draft_contract_issues_no_receipt(self):
        contract = self._create_contract(state="draft")
        self.assertFalse(contract._generate_receipts(until=date(2026, 12, 31)))


@tagged("post_install", "-at_install")
class TestContractValidation(InsuranceArrearsCommon):
    def test_negative_premium_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._create_contract(premium_net=-10.0)

    def test_contract_without_insurer_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "has no insurer"):
            self._create_contract(insurer_id=False)

    def test_insurer_must_be_flagged_as_insurer(self):
        with self.assertRaisesRegex(ValidationError, "not flagged as an insurer"):
            self._create_contract(insurer_id=self.policyholder.id)

    def test_contract_number_is_unique_per_company(self):
        self._create_contract(name="POL-1")
        with mute_logger("odoo.sql_db"), self.assertRaises(UniqueViolation), self.cr.savepoint():
            self._create_contract(name="POL-1")

    def test_commission_rate_defaults_from_the_insurer(self):
        contract = self._create_contract()
        self.assertEqual(contract.commission_rate, 15.0)


@tagged("post_install", "-at_install")
class TestReceiptCron(InsuranceArrearsCommon):
    @freeze_time("2026-01-01")
    def test_a_run_out_of_time_leaves_the_rest_to_the_next_and_issues_nothing_twice(self):
        contracts = self._create_contract() | self._create_contract() | self._create_contract()
        with patch.object(insurance_contract, "RECEIPT_CRON_BATCH", 1):
            with cron_out_of_time(self.env, after=1) as env:
                env["insurance.contract"]._cron_generate_receipts()
            # One contract per chunk (the demo's come first): out of time after the first.
            self.assertLessEqual(len(contracts.receipt_ids), 1, "one chunk, then out of time")
            self.env["insurance.contract"]._cron_generate_receipts()
        self.assertEqual([len(c.receipt_ids) for c in contracts], [1, 1, 1], "the rest, once each")
        moves = contracts.receipt_ids.move_id
        self.assertEqual(len(set(moves.mapped("name"))), 3)
