from datetime import date

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import CompanyRulesCommon


@tagged("post_install", "-at_install")
class TestCompanyRules(CompanyRulesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls._create_contract()
        cls.receipts = cls.contract._generate_receipts(until=date(2026, 1, 1))
        cls.case = cls.env["arrears.case"]._open_for_receipts(cls.receipts)
        cls.link = cls.case._ensure_payment_links()
        cls.plan_request = cls.env["arrears.plan.request"].create(
            {
                "case_id": cls.case.id,
                "kind": "plan",
                "instalment_count": 2,
                "instalment_ids": [
                    Command.create({"sequence": 1, "date_due": date(2026, 2, 1), "amount": 100.0}),
                    Command.create({"sequence": 2, "date_due": date(2026, 3, 1), "amount": 100.0}),
                ],
            }
        )

    def test_contract_of_company_a_is_hidden_from_company_b(self):
        self.assertHiddenFromOtherCompany(self.contract, ("name", "premium_net"))

    def test_premium_receipt_of_company_a_is_hidden_from_company_b(self):
        self.assertHiddenFromOtherCompany(self.receipts, ("amount_total",))

    def test_arrears_case_of_company_a_is_hidden_from_company_b(self):
        self.assertHiddenFromOtherCompany(self.case, ("amount_due",))

    def test_payment_link_of_company_a_is_hidden_from_company_b(self):
        self.assertHiddenFromOtherCompany(self.link, ("amount_paid", "provider_reference"))

    def test_plan_request_of_company_a_is_hidden_from_company_b(self):
        self.assertHiddenFromOtherCompany(self.plan_request, ("instalment_count",))

    def test_plan_instalment_is_its_request_company_and_hidden_from_company_b(self):
        instalments = self.plan_request.instalment_ids
        self.assertEqual(instalments.company_id, self.company)
        self.assertHiddenFromOtherCompany(instalments, ("amount", "date_due"))

    def test_plan_rule_of_company_a_is_hidden_from_company_b(self):
        rule = self.env["arrears.plan.rule"].create(
            {"name": "A's rule", "max_amount": 500.0, "max_delay_days": 15, "max_instalments": 2}
        )
        self.assertHiddenFromOtherCompany(rule, ("max_amount",))

    def test_insurer_statement_of_company_a_is_hidden_from_company_b(self):
        statement = self.env["insurance.insurer.statement"].create(
            {"insurer_id": self.insurer.id, "date_from": date(2026, 1, 1), "date_to": date(2026, 3, 31)}
        )
        self.assertHiddenFromOtherCompany(statement, ("amount_due",))

    def test_product_line_of_company_a_is_hidden_from_company_b_and_a_shared_one_is_not(self):
        own = self.env["insurance.product.line"].create({"name": "Habitation A", "code": "HABA"})
        self.assertEqual(own.company_id, self.company)
        self.assertHiddenFromOtherCompany(own, ("code",))
        shared = self.env["insurance.product.line"].create({"name": "Santé", "code": "SANTE", "company_id": False})
        self.assertSharedWithOtherCompany(shared)

    def test_arrears_analysis_of_company_a_is_hidden_from_company_b(self):
        self.env.flush_all()
        rows = self.env["arrears.report"].sudo().search([("receipt_id", "in", self.receipts.ids)]).sudo(False)
        self.assertHiddenFromOtherCompany(rows, ("amount_due",))

    def test_link_analysis_of_company_a_is_hidden_from_company_b(self):
        self.env.flush_all()
        rows = self.env["arrears.link.report"].sudo().search([("link_id", "=", self.link.id)]).sudo(False)
        self.assertHiddenFromOtherCompany(rows, ("link_id",))

    def test_partner_api_calls_of_company_a_are_hidden_from_company_b(self):
        partner_user = new_test_user(
            self.env,
            login="introducer_api_a",
            groups="base.group_portal,insurance_arrears.group_arrears_partner_api",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        call = self.env["arrears.api.call"].sudo().create({"user_id": partner_user.id, "path": "/api/arrears/v1/links"})
        self.assertHiddenFromOtherCompany(call.sudo(False), ("path",))
