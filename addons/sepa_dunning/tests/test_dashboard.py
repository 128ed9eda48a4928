import base64
from datetime import date

from freezegun import freeze_time

from odoo.addons.insurance_arrears.tests.dashboard_common import DashboardChecks
from odoo.tests import tagged

from .common import SepaCommon, pain002, use_l113_3_policy

DASHBOARD = "sepa_dunning.spreadsheet_dashboard_collections"
DASHBOARD_FILE = "sepa_dunning/data/files/collections_dashboard.json"


@tagged("post_install", "-at_install")
class TestDashboard(DashboardChecks, SepaCommon):
    """The Collections and Dunning dashboard: its structure, and its figures on known debits and notices.

    The figures are read as the client reads them, with the dashboard's Company filter set to
    the test company.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        use_l113_3_policy(cls)
        cls.dashboard, cls.data = cls.load_dashboard(cls.env, DASHBOARD)
        cls.company_filter = {"Company": [cls.company.id]}

    def pivot(self, name):
        return self.pivot_data(self.data, self.pivot_by_name(self.data, name), self.company_filter)

    def chart(self, model, group_by, measure):
        return self.chart_data(self.find_chart(self.data, model, group_by, measure), self.data, self.company_filter)

    # -- record and structure -------------------------------------------------------------

    def test_dashboard_record_is_for_the_managers(self):
        self.assertEqual(self.dashboard.name, "Collections and Dunning")
        self.assertEqual(
            self.dashboard.dashboard_group_id, self.env.ref("insurance_arrears.spreadsheet_dashboard_group_insurance")
        )
        self.assertEqual(self.dashboard.group_ids, self.env.ref("insurance_arrears.group_arrears_manager"))
        self.assertTrue(self.dashboard.is_published)
        self.assertIn(self.dashboard, self.env["spreadsheet.dashboard"].search([]))

    def test_every_data_source_references_existing_groupable_and_aggregatable_fields(self):
        self.assertDashboardFile(self.dashboard, DASHBOARD_FILE)
        self.assertDashboardStructure(self.data)
        models = {pivot["model"] for pivot in self.data["pivots"].values()}
        self.assertEqual(models, {"sepa.rejection.report", "dunning.recovery.report"})

    def test_every_data_source_runs(self):
        self.assertDataSourcesRun(self.data, {})
        self.assertDataSourcesRun(self.data, self.company_filter)

    def test_french_translations(self):
        terms = self.assertTranslated("sepa_dunning", DASHBOARD_FILE)
        self.assertEqual(terms["Rejection Rate by Reason Code"], "Taux de rejet par code motif")
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["sepa_dunning"], ["fr_FR"], overwrite=True)
        self.assertEqual(self.dashboard.with_context(lang="fr_FR").name, "Recouvrement et relances")

    def test_readonly_dashboard_is_served(self):
        served = self.dashboard._get_serialized_readonly_dashboard()
        self.assertIn('"translation_namespace": "sepa_dunning"', served)

    # -- figures --------------------------------------------------------------------------

    def test_rejection_rate_by_reason_code(self):
        partners = self.env["res.partner"].create([{"name": f"Debtor {i}"} for i in range(4)])
        receipts = self.env["insurance.premium.receipt"]
        for partner in partners:
            receipts |= self._issue(self._create_debit_contract(partner=partner, split="quarterly"))
        batch = self._batch()
        batch.action_prepare()
        batch.action_generate()
        batch.action_confirm()
        debits = {line.receipt_id: line for line in batch.collect_line_ids}
        self.assertEqual(len(debits), 4)
        codes = ["AM04", "AM04", "AC04"]
        content = pain002(
            batch.name, [(debits[r].end_to_end_id, 275.0, c) for r, c in zip(receipts[:3], codes, strict=True)]
        )
        returns = self.env["sepa.return.import"].create({"file": base64.b64encode(content), "filename": "status.xml"})
        returns.action_parse()
        returns.action_confirm()
        am04, ac04 = (self.env["sepa.return.reason"].search([("code", "=", code)]) for code in ("AM04", "AC04"))

        totals = self.pivot("Direct Debits")[()]
        self.assertEqual(totals["debit_count:sum"], 4)
        self.assertEqual(totals["rejected_count:sum"], 3)
        self.assertEqual(totals["rejection_rate:avg"], 75.0)
        self.assertEqual(totals["amount:sum"], 1100.0)
        by_reason = self.pivot("Rejections by Reason Code")
        self.assertEqual(by_reason[(am04.id,)], {"rejected_count:sum": 2, "amount:sum": 550.0})
        self.assertEqual(by_reason[(ac04.id,)], {"rejected_count:sum": 1, "amount:sum": 275.0})
        self.assertEqual(by_reason[()]["amount:sum"], 825.0)
        # The table's "Share of Debits": rejections of the reason over all the debits presented.
        self.assertEqual(by_reason[(am04.id,)]["rejected_count:sum"] / totals["debit_count:sum"], 0.5)

        self.assertEqual(self.chart("sepa.rejection.report", ["date:month"], "rejection_rate"), {("2026-01-01",): 75.0})
        self.assertEqual(
            self.chart("sepa.rejection.report", ["reason_id"], "rejected_count"), {(am04.id,): 2, (ac04.id,): 1}
        )

    def test_recovery_rate_and_delay_by_level_and_channel(self):
        paid_early, unpaid, paid_late = (self._create_contract(split="quarterly") for _i in range(3))
        for contract in (paid_early, unpaid, paid_late):
            contract._generate_receipts(until=date(2026, 4, 1))

        def pay(contract, day):
            case = contract.case_ids.filtered(lambda c: c.state == "open")
            with freeze_time(day):
                case.payment_link_id._register_payment(case.amount_due, journal=self.bank_journal)
            self.assertEqual(case.state, "closed")

        with freeze_time("2026-01-05"):  # first reminder: e-mail and SMS
            self.env["arrears.case"]._cron_dunning_run()
        pay(paid_early, "2026-01-12")
        with freeze_time("2026-01-15"):  # second reminder: e-mail, call and SMS
            self.env["arrears.case"]._cron_dunning_run()
        pay(paid_late, "2026-01-20")

        by_level = self.pivot("Dunning Recovery by Level")
        first, second = self.levels[:2].ids
        self.assertEqual(by_level[(first,)]["notice_count:sum"], 6)
        self.assertAlmostEqual(by_level[(first,)]["recovered_rate:avg"], 200 / 3)
        self.assertEqual(by_level[(first,)]["days_to_payment:avg"], 11.0, "7 days for one case, 15 for the other")
        self.assertEqual(by_level[(second,)]["notice_count:sum"], 6)
        self.assertEqual(by_level[(second,)]["recovered_rate:avg"], 50.0)
        self.assertEqual(by_level[(second,)]["days_to_payment:avg"], 5.0)
        self.assertEqual(by_level[()]["notice_count:sum"], 12)
        self.assertAlmostEqual(by_level[()]["recovered_rate:avg"], 700 / 12)
        self.assertAlmostEqual(by_level[()]["days_to_payment:avg"], 59 / 7)

        by_channel = self.pivot("Dunning Recovery by Channel")
        self.assertEqual(by_channel[("email",)]["notice_count:sum"], 5)
        self.assertEqual(by_channel[("email",)]["recovered_rate:avg"], 60.0)
        self.assertEqual(by_channel[("email",)]["days_to_payment:avg"], 9.0)
        self.assertEqual(by_channel[("sms",)]["recovered_rate:avg"], 60.0)
        self.assertEqual(by_channel[("phone",)]["notice_count:sum"], 2)
        self.assertEqual(by_channel[("phone",)]["recovered_rate:avg"], 50.0)
        self.assertNotIn(("letter",), by_channel)

        by_level_channel = self.chart("dunning.recovery.report", ["level_id", "channel"], "recovered_rate")
        self.assertAlmostEqual(by_level_channel[(first, "email")], 200 / 3)
        self.assertEqual(by_level_channel[(second, "phone")], 50.0)
        days = self.chart("dunning.recovery.report", ["channel"], "days_to_payment")
        self.assertEqual(days[("phone",)], 5.0)
        self.assertEqual(days[("email",)], 9.0)

        # The dunning policy filter applies to the recovery figures.
        other_policy = self.policy.copy()
        filtered = self.pivot_data(
            self.data,
            self.pivot_by_name(self.data, "Dunning Recovery by Level"),
            {"Company": [self.company.id], "Dunning Policy": [other_policy.id]},
        )
        self.assertFalse(filtered[()]["notice_count:sum"])
