from datetime import date, timedelta

from odoo.tests import tagged

from .common import InsuranceArrearsCommon


@tagged("post_install", "-at_install")
class TestArrearsReporting(InsuranceArrearsCommon):
    """Figures of the managers' reports on known data (the SQL views use the database's date)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_home = cls.env["insurance.product.line"].create({"name": "Home", "code": "MRH"})
        today = date.today()
        cls.contracts = cls.env["insurance.contract"]
        # One annual receipt per contract, due 10, 45, 75 and 120 days ago.
        for days, net in ((10, 100.0), (45, 200.0), (75, 300.0), (120, 400.0)):
            contract = cls._create_contract(
                split="annual",
                date_start=today - timedelta(days=days),
                premium_net=net,
                premium_tax=0.0,
                premium_fee=0.0,
                product_line_id=(cls.product_home if days == 120 else cls.product_line).id,
            )
            contract._generate_receipts(until=today)
            cls.contracts |= contract
        cls.receipts = cls.contracts.receipt_ids

    def _sum_by(self, groupby):
        self.env.flush_all()  # the views read the tables, not the ORM's cache
        rows = self.env["arrears.report"]._read_group(
            [("contract_id", "in", self.contracts.ids)], [groupby], ["amount_due:sum", "receipt_count:sum"]
        )
        return {key: (amount, count) for key, amount, count in rows}

    def test_one_receipt_per_contract_due_when_expected(self):
        self.assertEqual(len(self.receipts), 4)
        self.assertEqual(sorted((date.today() - r.date_due).days for r in self.receipts), [10, 45, 75, 120])

    def test_amounts_by_ageing_bucket(self):
        self.assertEqual(
            self._sum_by("ageing"),
            {"0_30": (100.0, 1), "31_60": (200.0, 1), "61_90": (300.0, 1), "90_plus": (400.0, 1)},
        )

    def test_paid_receipt_leaves_the_report(self):
        self.receipts.filtered(lambda r: r.amount_total == 300.0)._register_payments(self.bank_journal)
        by_bucket = self._sum_by("ageing")
        self.assertNotIn("61_90", by_bucket)
        self.assertEqual(sum(amount for amount, _count in by_bucket.values()), 700.0)

    def test_amounts_by_insurer_introducer_and_product_line(self):
        self.assertEqual(self._sum_by("insurer_id"), {self.insurer: (1000.0, 4)})
        self.assertEqual(self._sum_by("introducer_id"), {self.introducer: (1000.0, 4)})
        self.assertEqual(
            self._sum_by("product_line_id"), {self.product_line: (600.0, 3), self.product_home: (400.0, 1)}
        )

    def test_link_conversion(self):
        self.env["arrears.case"]._cron_sync()
        cases = self.contracts.case_ids
        links = cases._ensure_payment_links()
        links[0]._record_opening()
        links[0]._register_payment(links[0].amount_due, journal=self.bank_journal)
        links[1]._record_opening()
        self.env.flush_all()
        rows = self.env["arrears.link.report"]._read_group(
            [("link_id", "in", links.ids)], [], ["link_count:sum", "opened_rate:avg", "paid_rate:avg"]
        )
        self.assertEqual(rows, [(4, 50.0, 25.0)])
