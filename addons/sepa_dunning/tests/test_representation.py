import base64
from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..iso20022 import returns
from .common import SepaCommon, use_l113_3_policy


@tagged("post_install", "-at_install")
class TestRepresentationBeforeReminders(SepaCommon):
    """A debit rejected for insufficient funds (AM04) goes again in the next batch: no reminder meanwhile."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        use_l113_3_policy(cls)
        cls.contract = cls._create_debit_contract(split="quarterly")

    def setUp(self):
        super().setUp()
        self.receipt = self._issue(self.contract)
        self.first_batch = self._collect(date(2026, 1, 5))
        self._reject(self.first_batch, "AM04", date(2026, 1, 7))

    @property
    def case(self):
        """The receipt's case: the one its first rejection opened, or, once that one closed, the next."""
        return self.receipt.case_id

    def _collect(self, collection_date):
        with freeze_time(collection_date - timedelta(days=3)):
            return self._confirmed_batch(collection_date=collection_date)

    def _reject(self, batch, code, day):
        """The bank's pain.002 rejecting the batch's debit of the receipt, read and confirmed on ``day``."""
        debit = batch.collect_line_ids.filtered(lambda line: line.receipt_id == self.receipt)
        content = returns.status_report(
            batch.name,
            [(f"{batch.name}-{debit.sequence_type}", debit.end_to_end_id, debit.amount, code)],
            day,
        )
        with freeze_time(day):
            record = self.env["sepa.return.import"].create(
                {"file": base64.b64encode(content), "filename": f"{batch.name}-status.xml"}
            )
            record.action_parse()
            record.action_confirm()
        self.assertEqual(debit.state, "rejected")
        return record

    def _run_days(self, first, last):
        """The daily dunning job, as its cron calls it, every day from ``first`` to ``last``."""
        day = first
        while day <= last:
            with freeze_time(day):
                self.env["arrears.case"]._cron_dunning_run()
            day += timedelta(days=1)

    def test_no_notice_while_the_debit_is_to_be_presented_again(self):
        self.assertEqual((self.case.state, self.receipt.state), ("open", "open"))
        self.assertTrue(self.case.dunning_represent_pending)
        self.assertFalse(self.case.dunning_next_date, "no next level shown while the debit goes again")
        self._run_days(date(2026, 1, 7), date(2026, 1, 16))
        self.assertFalse(self.case.notice_ids)
        # The next batch takes it; until the bank posts it, still no reminder.
        with freeze_time("2026-01-16"):
            batch = self._batch(collection_date=date(2026, 1, 20))
            batch.action_prepare()
        self.assertEqual(batch.collect_line_ids.receipt_id, self.receipt)
        self.assertTrue(self.case.dunning_represent_pending)
        self._run_days(date(2026, 1, 17), date(2026, 1, 19))
        self.assertFalse(self.case.notice_ids)
        self.assertEqual(self.case.stage, "new")

    def test_debit_collected_the_second_time_closes_the_case_without_any_notice(self):
        self._run_days(date(2026, 1, 7), date(2026, 1, 16))
        second = self._collect(date(2026, 1, 20))
        self.assertEqual(second.collect_line_ids.receipt_id, self.receipt)
        self.assertEqual(self.receipt.state, "paid")
        self.assertEqual(self.case.state, "closed", "closed when the debit is posted")
        self.assertEqual(self.case.cause, "rejection")
        self._run_days(date(2026, 1, 17), date(2026, 2, 20))
        self.assertFalse(self.case.notice_ids, "no notice ever")
        self.assertFalse(self.env["dunning.notice"].search([("case_id.contract_id", "=", self.contract.id)]))

    def test_rejected_again_starts_the_ladder_from_the_first_rejection(self):
        self.company.sepa_max_representations = 1
        # A first level twenty days after the debt fell due, to tell the days apart.
        self.levels[0].delay = 20
        self._run_days(date(2026, 1, 7), date(2026, 1, 16))
        second = self._collect(date(2026, 1, 20))
        self._reject(second, "AM04", date(2026, 1, 22))
        self.assertEqual(self.receipt.state, "open")
        self.assertFalse(self.case.dunning_represent_pending, "presented again as often as the company allows")
        # Twenty days from the first rejection (7 January): not from the due date
        # (1 January), nor from the second rejection (22 January).
        self.assertEqual(self.case.dunning_start_date, date(2026, 1, 7))
        self.assertEqual(self.case.dunning_next_date, date(2026, 1, 27))
        self._run_days(date(2026, 1, 17), date(2026, 1, 26))
        self.assertFalse(self.case.notice_ids)
        self._run_days(date(2026, 1, 27), date(2026, 1, 27))
        self.assertEqual(self.case.notice_ids.level_id, self.levels[0])
        self.assertEqual(set(self.case.notice_ids.mapped("date")), {date(2026, 1, 27)})
        self.assertEqual(self.case.dunning_step, 1)
        # No third presentation: the limit holds.
        third = self._batch(collection_date=date(2026, 2, 5))
        with self.assertRaisesRegex(UserError, "Nothing to collect"), self.cr.savepoint():
            third.action_prepare()

    def test_each_presentation_the_limit_allows_pauses_the_ladder_then_it_starts(self):
        self.assertEqual(self.company.sepa_max_representations, 2)
        second = self._collect(date(2026, 1, 20))
        self._reject(second, "AM04", date(2026, 1, 22))
        self.assertTrue(self.case.dunning_represent_pending, "a second presentation is allowed")
        self._run_days(date(2026, 1, 22), date(2026, 2, 2))
        self.assertFalse(self.case.notice_ids)
        third = self._collect(date(2026, 2, 5))
        self.assertEqual(third.collect_line_ids.receipt_id, self.receipt)
        self._reject(third, "AM04", date(2026, 2, 9))
        self.assertFalse(self.case.dunning_represent_pending)
        self._run_days(date(2026, 2, 9), date(2026, 2, 9))
        self.assertEqual(self.case.notice_ids.level_id, self.levels[0])
        fourth = self._batch(collection_date=date(2026, 2, 20))
        with self.assertRaisesRegex(UserError, "Nothing to collect"), self.cr.savepoint():
            fourth.action_prepare()

    def test_a_code_that_does_not_present_again_starts_the_ladder_at_once(self):
        self.company.sepa_max_representations = 1
        second = self._collect(date(2026, 1, 20))
        self._reject(second, "MS03", date(2026, 1, 22))
        self.assertFalse(self.case.dunning_represent_pending)
        self._run_days(date(2026, 1, 22), date(2026, 1, 22))
        self.assertEqual(self.case.notice_ids.level_id, self.levels[0])

    def test_blocked_mandate_means_no_presentation_and_the_ladder_starts(self):
        self.contract.mandate_id.action_block("Closed account reported by the debtor")
        self.assertFalse(self.case.dunning_represent_pending)
        self._run_days(date(2026, 1, 8), date(2026, 1, 8))
        self.assertEqual(self.case.notice_ids.level_id, self.levels[0])
