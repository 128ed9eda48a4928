from odoo.addons.insurance_arrears.models.arrears_payment_link import PaymentProviderNotReady
from odoo.addons.payment_link_stripe.controllers.main import RETURN_COOKIE
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import StripeLinkCommon

# Every parameter a Checkout Session may carry: anything else (customer, e-mail,
# name, address, phone, description...) would be data Stripe does not need.
ALLOWED_CHECKOUT_KEYS = {
    "mode",
    "client_reference_id",
    "metadata[reference]",
    "payment_intent_data[metadata][reference]",
    "line_items[0][quantity]",
    "line_items[0][price_data][currency]",
    "line_items[0][price_data][unit_amount]",
    "line_items[0][price_data][product_data][name]",
    "submit_type",
    "success_url",
    "cancel_url",
    "expires_at",
    "locale",
    "branding_settings[display_name]",
    "branding_settings[logo][type]",
    "branding_settings[logo][url]",
}


@tagged("post_install", "-at_install")
class TestCheckout(StripeLinkCommon):
    def test_link_takes_stripe_when_a_provider_is_ready(self):
        self.assertEqual(self.link.provider, "stripe")
        self.provider.state = "disabled"
        self.case.action_new_payment_link()
        self.assertEqual(self.case.payment_link_id.provider, "none", "no Stripe, no demo chosen: no card payment")
        self.company.arrears_demo_payment = True
        self.case.action_new_payment_link()
        self.assertEqual(self.case.payment_link_id.provider, "demo", "the demo only where a person chose it")

    def test_test_mode_provider_is_not_ready_for_a_live_company(self):
        self.company.arrears_test_company = False
        self.case.action_new_payment_link()
        link = self.case.payment_link_id
        self.assertEqual(link.provider, "none", "Stripe's test keys never take a real company's payments")
        with self.assertRaises(PaymentProviderNotReady):
            link._checkout_url()
        self.assertFalse(self.stripe_http.requests, "no checkout session at Stripe")
        self.provider.state = "enabled"
        self.assertEqual(link.provider, "stripe", "a live provider takes the active links")

    def test_enabling_stripe_switches_active_demo_links(self):
        self.provider.state = "disabled"
        self.link.provider = "demo"
        self.provider.state = "test"
        self.assertEqual(self.link.provider, "stripe", "a demo link must not simulate payments on a live database")

    def test_checkout_sends_only_opaque_data(self):
        session = self._checkout()
        self.assertEqual(len(self.stripe_http.requests), 1)
        request = self.stripe_http.requests[0]
        self.assertEqual(request["method"], "POST")
        self.assertEqual(request["url"], "https://api.stripe.com/v1/checkout/sessions")
        self.assertEqual(request["headers"]["Idempotency-Key"], session.reference)
        self.assertEqual(request["headers"]["Stripe-Version"], "2025-09-30.clover")
        params = dict(request["params"])
        self.assertLessEqual(set(params), ALLOWED_CHECKOUT_KEYS, "no other parameter leaves for Stripe")
        self.assertEqual(params["client_reference_id"], session.reference)
        self.assertEqual(params["line_items[0][price_data][unit_amount]"], "55000")
        self.assertEqual(params["line_items[0][price_data][currency]"], self.company.currency_id.name.lower())
        self.assertEqual(params["line_items[0][price_data][product_data][name]"], "Insurance premium")
        self.assertEqual(params["branding_settings[display_name]"], self.company.name, "the broker's brand")
        for url in (params["success_url"], params["cancel_url"]):
            self.assertIn(f"/arrears/stripe/return/{session.reference}?status=", url)
        sent = " ".join(f"{key}={value}" for key, value in request["params"]).lower()
        for personal in (
            self.policyholder.name,
            self.policyholder.email,
            self.policyholder.street,
            self.policyholder.city,
            self.policyholder.zip,
            self.contract.name,
            self.link.token,
            f"partner={self.policyholder.id}",
        ):
            self.assertNotIn(personal.lower(), sent)
        self.assertNotIn(str(self.policyholder.id), session.reference)
        self.assertNotIn(self.contract.name, session.reference)

    def test_amount_asked_is_the_amount_due_at_the_click(self):
        first = self._checkout()
        self.assertEqual(first.amount, 550.0)
        # The January receipt is paid another way before the second click.
        self.receipts[0]._register_payments(self.bank_journal)
        self.assertEqual(self.case.amount_due, 275.0)
        second = self._checkout()
        self.assertNotEqual(second, first)
        self.assertEqual(second.amount_minor, 27500)
        self.assertEqual(
            dict(self.stripe_http.requests[-1]["params"])["line_items[0][price_data][unit_amount]"], "27500"
        )
        # The stale page for 550.00 is closed at Stripe: a tab left open cannot pay it.
        expire = self.stripe_http.requests[-2]
        self.assertEqual(
            (expire["method"], expire["path"]), ("POST", f"/v1/checkout/sessions/{first.stripe_session_id}/expire")
        )
        self.assertEqual(self.stripe_http.objects[first.stripe_session_id]["status"], "expired")
        self.assertEqual(first.state, "expired")

    @mute_logger("odoo.addons.payment_link_stripe.models.stripe_checkout_session")
    def test_superseded_session_paid_meanwhile_stays_open_for_its_payment(self):
        first = self._checkout()
        self.stripe_http.settle(first.stripe_session_id, amount_minor=27500)  # paid in another tab
        self.receipts[0]._register_payments(self.bank_journal)
        second = self._checkout()
        self.assertNotEqual(second, first)
        self.assertEqual(first.state, "open", "its payment comes by webhook or polling")

    def test_a_second_click_for_the_same_amount_reuses_the_session(self):
        first = self._checkout()
        self.assertEqual(self._checkout(), first)
        self.assertEqual(len(self.stripe_http.requests), 1, "no second session at Stripe")

    @mute_logger("odoo.addons.payment_link_stripe.models.stripe_checkout_session")
    def test_stripe_down_raises_unavailable_and_records_nothing(self):
        from odoo.addons.insurance_arrears.models.arrears_payment_link import PaymentProviderUnavailable

        self.stripe_http.down = True
        with self.assertRaises(PaymentProviderUnavailable):
            self.link._checkout_url()
        self.assertFalse(self.link.stripe_session_ids)
        self.assertEqual(len(self.stripe_http.requests), 3, "one call and two bounded retries")
        keys = {r["headers"]["Idempotency-Key"] for r in self.stripe_http.requests}
        self.assertEqual(len(keys), 1, "the retries carry the same idempotency key")


@tagged("post_install", "-at_install")
class TestCheckoutPages(StripeLinkCommon, HttpCase):
    def _csrf(self):
        page = self.url_open(f"/arrears/pay/{self.link.token}")
        return page.text.split('name="csrf_token" value="')[1].split('"')[0]

    def test_pay_sends_to_stripe_and_the_payer_comes_back_to_the_link(self):
        response = self.url_open(
            f"/arrears/pay/{self.link.token}/checkout", data={"csrf_token": self._csrf()}, allow_redirects=False
        )
        self.assertEqual(response.status_code, 303)
        session = self.link.stripe_session_ids
        self.assertEqual(response.headers["Location"], session.url)
        self.assertTrue(session.url.startswith("https://checkout.stripe.com/"))
        # Stripe sends the payer back (cancelled): the browser that clicked finds its link.
        back = self.url_open(f"/arrears/stripe/return/{session.reference}?status=cancelled", allow_redirects=False)
        self.assertEqual(back.status_code, 303)
        self.assertTrue(back.headers["Location"].endswith(f"/arrears/pay/{self.link.token}"))

    def test_return_after_paying_shows_the_payment_at_once(self):
        self.url_open(
            f"/arrears/pay/{self.link.token}/checkout", data={"csrf_token": self._csrf()}, allow_redirects=False
        )
        session = self.link.stripe_session_ids
        self.stripe_http.settle(session.stripe_session_id, fee_minor=1025)
        page = self.url_open(f"/arrears/stripe/return/{session.reference}?status=paid")
        self.assertIn("your payment has been received", page.text)
        self.assertIn("Nothing is due on this contract any more", page.text, "read back from Stripe at the return")
        self.assertEqual(self.link.payment_ids.amount, 550.0)

    def test_return_in_another_browser_names_nobody(self):
        session = self._checkout()
        self.opener.cookies.clear()
        page = self.url_open(f"/arrears/stripe/return/{session.reference}?status=cancelled")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn(self.link.token, page.text)
        self.assertNotIn("Jeanne Dupont", page.text)
        self.assertNotIn(self.contract.name, page.text)

    @mute_logger("odoo.addons.payment_link_stripe.models.stripe_checkout_session")
    def test_stripe_down_page_says_retry_later_and_nothing_is_recorded(self):
        self.stripe_http.down = True
        response = self.url_open(f"/arrears/pay/{self.link.token}/checkout", data={"csrf_token": self._csrf()})
        self.assertIn("cannot be reached right now", response.text)
        self.assertFalse(self.link.stripe_session_ids)
        self.assertFalse(self.link.payment_ids)

    def test_cookie_holding_the_reference_does_not_open_the_link(self):
        # Stripe knows the reference (return URLs, metadata): a cookie made of it is refused.
        session = self._checkout()
        self.opener.cookies.clear()
        self.opener.cookies.set(RETURN_COOKIE, session.reference)
        back = self.url_open(f"/arrears/stripe/return/{session.reference}?status=paid", allow_redirects=False)
        self.assertEqual(back.status_code, 200, "a neutral page, no redirect")
        self.assertNotIn("Location", back.headers)
        self.assertNotIn(self.link.token, back.text)
        self.assertNotIn("Jeanne Dupont", back.text)
        self.assertNotIn(self.contract.name, back.text)
        self.assertIn("You can close this page", back.text)

    def test_cookie_of_one_checkout_does_not_open_another(self):
        self.url_open(
            f"/arrears/pay/{self.link.token}/checkout", data={"csrf_token": self._csrf()}, allow_redirects=False
        )
        mine = self.link.stripe_session_ids
        self.assertTrue(self.opener.cookies.get(RETURN_COOKIE))
        self.assertNotIn(mine.reference, self.opener.cookies.get(RETURN_COOKIE), "Stripe never sees the cookie")
        other_contract = self._create_contract_in_arrears()
        other_link = other_contract.case_ids._ensure_payment_links()
        other = self._checkout(other_link)
        back = self.url_open(f"/arrears/stripe/return/{other.reference}?status=cancelled", allow_redirects=False)
        self.assertEqual(back.status_code, 200)
        self.assertNotIn(other_link.token, back.text)

    def test_page_of_a_link_without_a_ready_provider_says_card_payment_is_unavailable(self):
        # Stripe in test mode on a real company takes no payment.
        self.company.arrears_test_company = False
        self.bank_journal.bank_account_id = self.env["res.partner.bank"].create(
            {"acc_number": "FR7630006000011234567890189", "partner_id": self.company.partner_id.id}
        )
        page = self.url_open(f"/arrears/pay/{self.link.token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Payment by card is unavailable", page.text)
        self.assertIn("FR7630006000011234567890189", page.text, "the broker's own account, to pay by transfer")
        self.assertIn(f"with the reference <strong>{self.contract.name}</strong>", page.text)
        self.assertNotIn('id="arrears_pay_now"', page.text)
        response = self.url_open(
            f"/arrears/pay/{self.link.token}/checkout",
            data={"csrf_token": page.text.split('name="csrf_token" value="')[1].split('"')[0]},
        )
        self.assertIn("Payment by card is unavailable", response.text)
        self.assertFalse(self.stripe_http.requests, "nothing asked of Stripe")
        self.assertFalse(self.link.stripe_session_ids)
