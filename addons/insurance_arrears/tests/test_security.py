from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import InsuranceArrearsCommon


@tagged("post_install", "-at_install")
class TestSecurity(InsuranceArrearsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.setup_other_company(name="Other Broker")["company"]
        cls.other_company._insurance_ensure_accounting()
        cls.accountant = new_test_user(
            cls.env,
            login="arrears_accountant",
            groups="insurance_arrears.group_arrears_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.salesman = new_test_user(
            cls.env,
            login="plain_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def _other_company_arrears(self):
        env = self.env(context={"allowed_company_ids": [self.other_company.id]})
        insurer = env["res.partner"].create({"name": "Other Insurer", "is_insurer": True})
        contract = env["insurance.contract"].create(
            {
                "name": "OTHER-1",
                "company_id": self.other_company.id,
                "partner_id": env["res.partner"].create({"name": "Other Client"}).id,
                "insurer_id": insurer.id,
                "date_start": "2026-01-01",
                "premium_net": 500.0,
                "state": "active",
            }
        )
        contract._generate_receipts(until=date(2026, 1, 1))
        env["arrears.case"]._open_for_receipts(contract.receipt_ids)
        return contract

    def test_one_company_sees_nothing_of_the_other(self):
        foreign = self._other_company_arrears()
        own = self._create_contract()
        own._generate_receipts(until=date(2026, 1, 1))
        env = self.env(user=self.accountant)
        self.assertEqual(env["insurance.contract"].search([]), own)
        self.assertFalse(env["insurance.premium.receipt"].search([("contract_id", "=", foreign.id)]))
        self.assertFalse(env["arrears.case"].search([("contract_id", "=", foreign.id)]))
        self.assertEqual(env["insurance.premium.receipt"].search([]), own.receipt_ids)
        with self.assertRaises(AccessError):
            env["insurance.contract"].browse(foreign.id).read(["name"])
        with self.assertRaises(AccessError):
            env["arrears.case"].browse(foreign.case_ids.id).read(["amount_due"])

    def test_accountant_issues_receipts(self):
        contract = self._create_contract()
        receipts = contract.with_user(self.accountant)._generate_receipts(until=date(2026, 6, 30))
        self.assertEqual(len(receipts), 2)
        self.assertEqual(set(receipts.mapped("state")), {"open"})

    def test_billing_user_without_arrears_rights_settles_receipts_and_fees(self):
        contract = self._create_contract()
        receipts = contract._generate_receipts(until=date(2026, 1, 1))
        case = self.env["arrears.case"]._open_for_receipts(receipts)
        (fee,) = case._charge_fees([(case, 10.0, "Dunning fee", self.commission_account, date(2026, 1, 20))], "Fees")
        billing = new_test_user(
            self.env,
            login="plain_billing",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        env = self.env(user=billing)
        # Odoo's own payment of the invoices: the receipts are paid, the fee still due.
        env["account.payment.register"].with_context(
            active_model="account.move", active_ids=receipts.move_id.ids
        ).create({"journal_id": self.company_data["default_journal_bank"].id})._create_payments()
        self.assertEqual((case.state, case.amount_due), ("open", 10.0))
        # The fee matched by hand with a payment: the case closes.
        payment = env["account.payment"].create(
            {"payment_type": "inbound", "partner_type": "customer", "partner_id": self.policyholder.id, "amount": 10.0}
        )
        payment.action_post()
        (
            payment.move_id.line_ids.filtered(lambda line: line.account_id == fee.account_id) | fee.with_env(env)
        ).reconcile()
        self.assertEqual((fee.amount_residual, case.state), (0.0, "closed"))

    def test_user_without_arrears_group_cannot_read_contracts(self):
        contract = self._create_contract()
        with self.assertRaises(AccessError):
            contract.with_user(self.salesman).read(["name"])
        # The partner form stays readable: the arrears figures are hidden, not failing.
        self.policyholder.with_user(self.salesman).read(["name", "is_insurer"])
