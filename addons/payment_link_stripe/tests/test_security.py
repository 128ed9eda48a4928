from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import StripeLinkCommon


@tagged("post_install", "-at_install")
class TestSecurity(StripeLinkCommon):
    def setUp(self):
        super().setUp()
        self.session = self._checkout()
        self.stripe_http.settle(self.session.stripe_session_id)
        self._deliver(self._pay_event(self.session))

    def test_accountant_reads_checkouts_and_events_but_changes_nothing(self):
        accountant = new_test_user(
            self.env, "stripe_accountant", groups="insurance_arrears.group_arrears_user", company_id=self.company.id
        )
        session = self.session.with_user(accountant)
        self.assertEqual(session.payment_id, self.link.payment_ids)
        self.assertTrue(session.event_ids)
        with self.assertRaises(AccessError):
            session.write({"state": "expired"})
        with self.assertRaises(AccessError):
            session.event_ids.unlink()

    def test_other_company_sees_nothing(self):
        other = self.env["res.company"].create({"name": "Autre Courtier"})
        outsider = new_test_user(
            self.env,
            "stripe_outsider",
            groups="insurance_arrears.group_arrears_manager",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        self.assertFalse(self.env["stripe.checkout.session"].with_user(outsider).search([]))
        self.assertFalse(self.env["stripe.event"].with_user(outsider).search([("company_id", "=", self.company.id)]))
