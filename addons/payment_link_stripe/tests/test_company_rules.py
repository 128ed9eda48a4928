from odoo.addons.insurance_arrears.tests.common import CompanyRulesCommon
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import StripeLinkCommon


@tagged("post_install", "-at_install")
class TestCompanyRules(StripeLinkCommon, CompanyRulesCommon):
    """Company A's checkouts and Stripe events, as company B's manager opens them."""

    def setUp(self):
        super().setUp()
        self.session = self._checkout()
        self.stripe_http.settle(self.session.stripe_session_id)
        self._deliver(self._pay_event(self.session))
        self.event = self.session.event_ids

    def _orphan_event(self):
        """An event recorded for no provider (the provider was deleted since): no company."""
        event = self._event("checkout.session.completed", {"id": "cs_test_orphan", "object": "checkout.session"})
        return self.env["stripe.event"]._record(self.env["payment.provider"], event)

    def test_checkout_of_company_a_is_hidden_from_company_b(self):
        self.assertHiddenFromOtherCompany(self.session, ("reference", "state"))

    def test_event_of_company_a_is_hidden_from_company_b(self):
        self.assertEqual(self.event.company_id, self.company)
        self.assertHiddenFromOtherCompany(self.event, ("event_type", "payload"))

    def test_event_of_no_company_is_seen_by_no_ordinary_user(self):
        orphan = self._orphan_event()
        self.assertFalse(orphan.company_id)
        for user in (self.manager_a, self.manager_b):
            events = self._as(user, orphan)
            self.assertFalse(events.search([("id", "=", orphan.id)]), user.login)
            with self.assertRaises(AccessError, msg=user.login):
                events.read(["payload"])

    def test_event_of_no_company_is_seen_by_a_technical_administrator(self):
        orphan = self._orphan_event()
        admin = new_test_user(
            self.env,
            login="stripe_sysadmin",
            groups="base.group_system,insurance_arrears.group_arrears_manager",
            company_id=self.company_b.id,
            company_ids=[self.company_b.id],
        )
        events = self._as(admin, orphan)
        self.assertEqual(events.search([("id", "=", orphan.id)]), events)
        self.assertFalse(events.search([("id", "=", self.event.id)]), "but not another company's events")
