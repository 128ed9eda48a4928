from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import InsuranceArrearsCommon


@tagged("post_install", "-at_install")
class TestContractFromOpportunity(InsuranceArrearsCommon):
    @classmethod
    def get_default_groups(cls):
        return super().get_default_groups() | cls.env.ref("sales_team.group_sale_salesman")

    def test_won_opportunity_becomes_a_contract(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "Flotte auto Dupont",
                "type": "opportunity",
                "partner_id": self.policyholder.id,
                "expected_revenue": 1800.0,
            }
        )
        lead.action_set_won()
        action = lead.action_create_insurance_contract()
        form = Form(self.env["insurance.contract"].with_context(**action["context"]))
        form.name = "FLOTTE-1"
        form.insurer_id = self.insurer
        contract = form.save()
        self.assertEqual(contract.opportunity_id, lead)
        self.assertEqual(contract.partner_id, self.policyholder)
        self.assertEqual(contract.premium_net, 1800.0)
        self.assertEqual(contract.commission_rate, 15.0)
        self.assertEqual(lead.insurance_contract_count, 1)

    def test_open_opportunity_does_not_become_a_contract(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "Prospect",
                "type": "opportunity",
                "partner_id": self.policyholder.id,
            }
        )
        with self.assertRaisesRegex(UserError, "Only a won opportunity"):
            lead.action_create_insurance_contract()
