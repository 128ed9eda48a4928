from datetime import date, timedelta

from odoo.tests import tagged

from .common import InsuranceArrearsCommon
from .dashboard_common import DashboardChecks

DASHBOARD = "insurance_arrears.spreadsheet_dashboard_arrears"
DASHBOARD_FILE = "insurance_arrears/data/files/arrears_dashboard.json"


@tagged("post_install", "-at_install")
class TestDashboard(DashboardChecks, InsuranceArrearsCommon):
    """The Arrears dashboard of the Dashboards app: its structure, and its figures on known receipts.

    The figures are read as the client reads them (one grouped read per pivot, chart and list),
    with the dashboard's own Company filter set to the test company.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_home = cls.env["insurance.product.line"].create({"name": "Home", "code": "MRH"})
        cls.insurer_regional = cls._create_insurer("Assureur Régional", rate=12.0)
        today = date.today()
        cls.contracts = cls.env["insurance.contract"]
        # One annual receipt per contract, due 10, 45, 75, 120 and 100 days ago; the last one
        # placed with another insurer, without introducer.
        for days, net, values in (
            (10, 100.0, {}),
            (45, 200.0, {}),
            (75, 300.0, {}),
            (120, 400.0, {"product_line_id": cls.product_home.id}),
            (
                100,
                50.0,
                {"insurer_id": cls.insurer_regional.id, "introducer_id": False, "product_line_id": cls.product_home.id},
            ),
        ):
            contract = cls._create_contract(
                split="annual",
                date_start=today - timedelta(days=days),
                premium_net=net,
                premium_tax=0.0,
                premium_fee=0.0,
                **values,
            )
            contract._generate_receipts(until=today)
            cls.contracts |= contract
        cls.dashboard, cls.data = cls.load_dashboard(cls.env, DASHBOARD)
        cls.company_filter = {"Company": [cls.company.id]}

    def pivot(self, name):
        return self.pivot_data(self.data, self.pivot_by_name(self.data, name), self.company_filter)

    # -- record and structure -------------------------------------------------------------

    def test_dashboard_record_is_for_the_managers(self):
        self.assertEqual(self.dashboard.name, "Arrears")
        self.assertEqual(
            self.dashboard.dashboard_group_id, self.env.ref("insurance_arrears.spreadsheet_dashboard_group_insurance")
        )
        self.assertEqual(self.dashboard.group_ids, self.env.ref("insurance_arrears.group_arrears_manager"))
        self.assertTrue(self.dashboard.is_published)
        manager = self.env.user
        self.assertIn(self.dashboard, self.env["spreadsheet.dashboard"].with_user(manager).search([]))
        accountant = self.env["res.users"].create(
            {
                "name": "Accountant",
                "login": "dashboard_accountant",
                "group_ids": [(6, 0, self.env.ref("insurance_arrears.group_arrears_user").ids)],
            }
        )
        self.assertNotIn(self.dashboard, self.env["spreadsheet.dashboard"].with_user(accountant).search([]))

    def test_every_data_source_references_existing_groupable_and_aggregatable_fields(self):
        self.assertDashboardFile(self.dashboard, DASHBOARD_FILE)
        self.assertDashboardStructure(self.data)
        models = {pivot["model"] for pivot in self.data["pivots"].values()}
        self.assertEqual(models, {"arrears.report", "arrears.link.report", "insurance.contract"})

    def test_every_data_source_runs(self):
        self.assertDataSourcesRun(self.data, {})
        self.assertDataSourcesRun(self.data, self.company_filter)

    def test_french_translations(self):
        terms = self.assertTranslated("insurance_arrears", DASHBOARD_FILE)
        self.assertEqual(terms["Arrears by Insurer"], "Impayés par assureur")
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["insurance_arrears"], ["fr_FR"], overwrite=True)
        self.assertEqual(self.dashboard.with_context(lang="fr_FR").name, "Impayés")
        self.assertEqual(self.dashboard.dashboard_group_id.with_context(lang="fr_FR").name, "Assurance")

    def test_readonly_dashboard_is_served(self):
        served = self.dashboard._get_serialized_readonly_dashboard()
        self.assertIn('"translation_namespace": "insurance_arrears"', served)

    # -- figures --------------------------------------------------------------------------

    def test_amounts_by_insurer_and_ageing_bucket(self):
        table = self.pivot("Arrears by Insurer")
        insurer, regional = self.insurer.id, self.insurer_regional.id
        self.assertEqual(table[()], {"amount_due:sum": 1050.0, "receipt_count:sum": 5})
        self.assertEqual(table[(insurer,)], {"amount_due:sum": 1000.0, "receipt_count:sum": 4})
        self.assertEqual(table[(regional,)], {"amount_due:sum": 50.0, "receipt_count:sum": 1})
        self.assertEqual(
            {bucket: table[(insurer, bucket)]["amount_due:sum"] for bucket in ("0_30", "31_60", "61_90", "90_plus")},
            {"0_30": 100.0, "31_60": 200.0, "61_90": 300.0, "90_plus": 400.0},
        )
        self.assertEqual(table[(regional, "90_plus")]["amount_due:sum"], 50.0)
        # The column totals: the "Over 90 days" scorecard and the Total row.
        self.assertEqual(table[("90_plus",)]["amount_due:sum"], 450.0)
        self.assertEqual(table[("0_30",)]["amount_due:sum"], 100.0)

    def test_amounts_by_introducer_and_product_line(self):
        by_introducer = self.pivot("Arrears by Introducer")
        self.assertEqual(by_introducer[(self.introducer.id,)]["amount_due:sum"], 1000.0)
        self.assertEqual(by_introducer[(False,)]["amount_due:sum"], 50.0, "business without introducer")
        by_product = self.pivot("Arrears by Product Line")
        self.assertEqual(by_product[(self.product_line.id,)], {"amount_due:sum": 600.0, "receipt_count:sum": 3})
        self.assertEqual(by_product[(self.product_home.id,)], {"amount_due:sum": 450.0, "receipt_count:sum": 2})
        self.assertEqual(by_product[(self.product_home.id, "90_plus")]["amount_due:sum"], 450.0)

    def test_insurer_filter_narrows_the_figures(self):
        table = self.pivot_data(
            self.data,
            self.pivot_by_name(self.data, "Arrears by Insurer"),
            {"Company": [self.company.id], "Insurer": [self.insurer_regional.id]},
        )
        self.assertEqual(table[()]["amount_due:sum"], 50.0)

    def test_due_date_filter_applies_to_the_arrears(self):
        pivot = self.data["pivots"][self.pivot_by_name(self.data, "Arrears by Insurer")]
        due_filter = next(f["id"] for f in self.data["globalFilters"] if f["label"] == "Due Date")
        self.assertEqual(pivot["fieldMatching"][due_filter]["chain"], "date_due")
        domain = [("date_due", ">=", date.today() - timedelta(days=60)), ("company_id", "=", self.company.id)]
        self.env.flush_all()
        [(amount,)] = self.env["arrears.report"]._read_group(domain, [], ["amount_due:sum"])
        self.assertEqual(amount, 300.0, "the receipts due 10 and 45 days ago")

    def test_charts_by_ageing_and_product_line(self):
        by_ageing = self.chart_data(
            self.find_chart(self.data, "arrears.report", ["ageing"]), self.data, self.company_filter
        )
        self.assertEqual(by_ageing, {("0_30",): 100.0, ("31_60",): 200.0, ("61_90",): 300.0, ("90_plus",): 450.0})
        by_product = self.chart_data(
            self.find_chart(self.data, "arrears.report", ["product_line_id"]), self.data, self.company_filter
        )
        self.assertEqual(by_product, {(self.product_line.id,): 600.0, (self.product_home.id,): 450.0})

    def test_oldest_receipts_first(self):
        rows = self.list_data(self.data, "1", self.company_filter)
        self.assertEqual([row["days_overdue"] for row in rows], [120, 100, 75, 45, 10])
        self.assertEqual(rows[0]["amount_due"], 400.0)
        self.assertEqual(rows[0]["receipt_id"][0], self.contracts[3].receipt_ids.id)

    def test_payment_links_opened_paid_and_hours_to_payment(self):
        self.env["arrears.case"]._cron_sync()
        links = self.contracts.case_ids._ensure_payment_links()
        self.assertEqual(len(links), 5)
        first, second = (links.filtered(lambda link, c=c: link.case_id.contract_id == c) for c in self.contracts[:2])
        first._record_opening()
        first._register_payment(first.amount_due, journal=self.bank_journal)
        first.date_paid = first.create_date + timedelta(hours=6)
        second._record_opening()

        table = self.pivot("Payment Links by Insurer")
        measures = {"opened_rate:avg": 40.0, "paid_rate:avg": 20.0, "hours_to_payment:avg": 6.0}
        self.assertEqual(table[()], {"link_count:sum": 5, "amount_paid:sum": 100.0, **measures})
        self.assertEqual(table[(self.insurer.id,)]["link_count:sum"], 4)
        self.assertEqual(table[(self.insurer.id,)]["paid_rate:avg"], 25.0)
        self.assertEqual(table[(self.insurer_regional.id,)]["opened_rate:avg"], 0.0)
        self.assertFalse(table[(self.insurer_regional.id,)]["hours_to_payment:avg"], "no link paid")

        month = date.today().replace(day=1).isoformat()
        paid = self.find_chart(self.data, "arrears.link.report", ["date:month"], "paid_rate")
        self.assertEqual(self.chart_data(paid, self.data, self.company_filter), {(month,): 20.0})
        hours = self.find_chart(self.data, "arrears.link.report", ["date:month"], "hours_to_payment")
        self.assertEqual(self.chart_data(hours, self.data, self.company_filter), {(month,): 6.0})
        # The paid receipt left the arrears.
        self.assertEqual(self.pivot("Arrears by Insurer")[()]["amount_due:sum"], 950.0)

    def test_contracts_stopped_for_non_payment(self):
        suspended = self._create_contract()
        suspended.action_suspend(date=date.today())
        terminated = self._create_contract(insurer_id=self.insurer_regional.id, product_line_id=self.product_home.id)
        terminated.action_terminate(date=date.today(), reason="non_payment")
        self._create_contract().action_terminate(date=date.today(), reason="policyholder")  # not for non-payment

        table = self.pivot("Contracts Stopped for Non-payment")
        self.assertEqual(table[()]["__count"], 2)
        self.assertEqual(table[("suspended",)]["__count"], 1)
        self.assertEqual(table[("terminated",)]["__count"], 1)
        by_insurer = self.chart_data(
            self.find_chart(self.data, "insurance.contract", ["insurer_id", "state"]), self.data, self.company_filter
        )
        self.assertEqual(by_insurer, {(self.insurer.id, "suspended"): 1, (self.insurer_regional.id, "terminated"): 1})
        by_product = self.chart_data(
            self.find_chart(self.data, "insurance.contract", ["product_line_id"]), self.data, self.company_filter
        )
        self.assertEqual(by_product, {(self.product_line.id,): 1, (self.product_home.id,): 1})
