import base64

from odoo.addons.insurance_arrears.tests.common import CompanyRulesCommon
from odoo.tests import tagged

from .common import SepaCommon, pain002


@tagged("post_install", "-at_install")
class TestCompanyRules(SepaCommon, CompanyRulesCommon):
    """Company A's mandates, debits, rejections and dunning, as company B's manager opens them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls._create_debit_contract(split="quarterly")
        cls.mandate = cls.contract.mandate_id
        cls._issue(cls.contract, until=cls.contract.date_start)
        cls.batch = cls._confirmed_batch()
        cls.debit = cls.batch.collect_line_ids
        status = pain002(cls.batch.name, [(cls.debit.end_to_end_id, cls.debit.amount, "AM04")])
        cls.rejection = cls.env["sepa.return.import"].create(
            {"file": base64.b64encode(status), "filename": "status.xml"}
        )
        cls.rejection.action_parse()
        cls.rejection.action_confirm()
        cls.policy = cls.env["dunning.policy"].create(
            {
                "name": "Company A's ladder",
                "company_id": cls.company.id,
                "level_ids": [(0, 0, {"name": "First reminder", "delay": 10, "channel_email": True})],
            }
        )
        cls.case = cls.contract.case_ids
        cls.notice = cls.env["dunning.notice"].create(
            {"case_id": cls.case.id, "level_id": cls.policy.level_ids.id, "channel": "email", "state": "sent"}
        )

    def test_mandate_of_company_a_is_hidden_from_company_b(self):
        self.assertHiddenFromOtherCompany(self.mandate, ("name", "debtor_iban"))

    def test_debit_batch_of_company_a_is_hidden_from_company_b(self):
        self.assertHiddenFromOtherCompany(self.batch, ("name",))

    def test_debit_of_company_a_is_hidden_from_company_b(self):
        self.assertHiddenFromOtherCompany(self.debit, ("amount", "end_to_end_id"))

    def test_rejection_file_of_company_a_is_hidden_from_company_b(self):
        self.assertHiddenFromOtherCompany(self.rejection, ("name",))

    def test_rejection_line_of_company_a_is_hidden_from_company_b(self):
        self.assertTrue(self.rejection.line_ids.debit_line_id, "the rejection matched the debit")
        self.assertHiddenFromOtherCompany(self.rejection.line_ids, ("end_to_end_id",))

    def test_statement_entry_of_company_a_is_hidden_from_company_b(self):
        entry = self.env["sepa.statement.entry"].create(
            {
                "import_id": self.rejection.id,
                "batch_id": self.batch.id,
                "date": "2026-01-05",
                "amount": self.debit.amount,
                "bank_reference": "BNK-A-1",
            }
        )
        self.assertHiddenFromOtherCompany(entry, ("bank_reference", "amount"))

    def test_dunning_policy_of_company_a_is_hidden_from_company_b_and_a_shared_one_is_not(self):
        self.assertHiddenFromOtherCompany(self.policy, ("name",))
        self.assertSharedWithOtherCompany(self.env.ref("sepa_dunning.dunning_policy_l113_3"))

    def test_dunning_level_is_its_policy_company_and_hidden_from_company_b(self):
        level = self.policy.level_ids
        self.assertEqual(level.company_id, self.company)
        self.assertHiddenFromOtherCompany(level, ("name", "delay"))

    def test_levels_of_a_shared_policy_are_shared(self):
        self.assertSharedWithOtherCompany(self.env.ref("sepa_dunning.dunning_policy_l113_3").level_ids)

    def test_dunning_notice_of_company_a_is_hidden_from_company_b(self):
        self.assertHiddenFromOtherCompany(self.notice, ("channel", "state"))

    def test_rejection_analysis_of_company_a_is_hidden_from_company_b(self):
        self.env.flush_all()
        rows = self.env["sepa.rejection.report"].sudo().search([("debit_id", "=", self.debit.id)]).sudo(False)
        self.assertHiddenFromOtherCompany(rows, ("rejected_count",))

    def test_recovery_analysis_of_company_a_is_hidden_from_company_b(self):
        self.env.flush_all()
        rows = self.env["dunning.recovery.report"].sudo().search([("notice_id", "=", self.notice.id)]).sudo(False)
        self.assertHiddenFromOtherCompany(rows, ("notice_count",))
