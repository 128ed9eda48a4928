import contextlib
from datetime import date, timedelta

from freezegun import freeze_time
from psycopg2 import IntegrityError
from psycopg2.errors import LockNotAvailable

from odoo import sql_db
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..models.arrears_plan import PlanRequestRefused
from .common import PlanCommon


@tagged("post_install", "-at_install")
class TestPlanRequest(PlanCommon):
    def test_plan_within_the_rules_is_granted_at_once(self):
        request = self.link._ask_plan("plan", instalment_count=3, note="Lost my job")
        self.assertEqual(request.state, "granted")
        self.assertEqual(request.instalment_ids.mapped("amount"), [183.34, 183.33, 183.33])
        self.assertEqual(
            request.instalment_ids.mapped("date_due"),
            [date.today() + timedelta(days=30), date.today() + timedelta(days=60), date.today() + timedelta(days=90)],
        )
        self.assertIn("Granted", self.case.message_ids[0].body)
        sent = request.message_ids.filtered(lambda m: m.partner_ids == self.policyholder)
        self.assertEqual(len(sent), 1, "the answer is e-mailed to the debtor")
        self.assertIn("is granted", sent.body)
        self.assertIn("183.34", sent.body)
        self.assertEqual(self.link._amount_to_ask(), 183.34, "the link asks for the first instalment")

    def test_amount_beyond_the_rules_waits_for_an_accountant(self):
        self.rule.max_amount = 500.0
        request = self.link._ask_plan("delay", delay_until=date.today() + timedelta(days=30))
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.review_reasons, "amount")
        self.assertEqual(request.activity_ids.summary, "Review a payment request")
        self.assertFalse(request.instalment_ids)
        request.decision_reason = "Fine, given your history"
        request.action_grant()
        self.assertEqual(request.state, "granted")
        self.assertEqual(request.instalment_ids.mapped("amount"), [550.0])
        self.assertFalse(request.activity_ids)

    def test_refusal_needs_a_reason_sent_to_the_debtor(self):
        self.rule.max_amount = 500.0
        request = self.link._ask_plan("plan", instalment_count=3)
        self.assertEqual(request.state, "pending")
        with self.assertRaises(UserError):
            request.action_refuse()
        request.decision_reason = "two plans already broken"
        request.action_refuse()
        self.assertEqual(request.state, "refused")
        bodies = "".join(request.message_ids.mapped("body"))
        self.assertIn("two plans already broken", bodies)

    def test_no_second_plan_within_twelve_months(self):
        first = self.link._ask_plan("delay", delay_until=date.today() + timedelta(days=10))
        first.state = "kept"
        second = self.link._ask_plan("plan", instalment_count=2)
        self.assertEqual(second.state, "pending")
        self.assertIn("once_a_year", second.review_reasons)

    def test_nothing_granted_at_once_after_the_formal_notice(self):
        self.case.stage = "formal_notice"
        request = self.link._ask_plan("plan", instalment_count=2)
        self.assertEqual((request.state, request.review_reasons), ("pending", "formal_notice"))

    def test_without_rule_everything_is_reviewed(self):
        self.rule.unlink()
        request = self.link._ask_plan("plan", instalment_count=2)
        self.assertEqual((request.state, request.review_reasons), ("pending", "no_rule"))

    def test_nonsense_and_too_many_requests_are_refused_and_recorded_nowhere(self):
        with self.assertRaises(UserError):
            self.link._ask_plan("plan", instalment_count=1)
        with self.assertRaises(UserError):
            self.link._ask_plan("delay", delay_until=date.today())
        self.assertFalse(self.case.plan_request_ids)
        self.rule.max_amount = 500.0
        for _attempt in range(3):
            request = self.link._ask_plan("plan", instalment_count=3)  # to review
            request.state = "refused"
        with self.assertRaises(UserError):
            self.link._ask_plan("plan", instalment_count=2)
        self.assertEqual(len(self.case.plan_request_ids), 3)

    def test_nothing_beyond_the_rules_maximum_is_recorded(self):
        for kind, values in (
            ("plan", {"instalment_count": 4}),
            ("plan", {"instalment_count": 10**20}),
            ("delay", {"delay_until": date.today() + timedelta(days=31)}),
        ):
            with self.assertRaises(PlanRequestRefused) as refused:
                self.link._ask_plan(kind, **values)
            self.assertEqual(refused.exception.code, "out_of_bounds")
            self.assertIn("at most 3 instalments", str(refused.exception))
        self.rule.unlink()
        with self.assertRaises(PlanRequestRefused):
            self.link._ask_plan("plan", instalment_count=7)  # no rule: what the page offers, six
        self.assertEqual(self.link._ask_plan("plan", instalment_count=6).state, "pending")
        self.assertEqual(len(self.case.plan_request_ids), 1)

    def test_one_pending_request_per_case(self):
        self.rule.max_amount = 500.0
        first = self.link._ask_plan("plan", instalment_count=2)
        self.assertEqual(first.state, "pending")
        with self.assertRaises(PlanRequestRefused) as refused:
            self.link._ask_plan("delay", delay_until=date.today() + timedelta(days=10))
        self.assertEqual(refused.exception.code, "under_way")
        # And the database holds to it, whatever the code path.
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env["arrears.plan.request"].create({"case_id": self.case.id, "kind": "plan", "instalment_count": 2})
            self.env.flush_all()

    @mute_logger("odoo.sql_db")
    def test_a_request_locks_its_case_until_it_is_recorded(self):
        # A case of the committed demo data, so that another connection sees its row: a second
        # request for it, in another transaction, waits (here: NOWAIT fails) until this one ends.
        case = (
            self.env["arrears.case"]
            .sudo()
            .search([("state", "=", "open"), ("company_id", "!=", self.company.id)], limit=1)
        )
        self.assertTrue(case, "the demo data has open cases")
        with contextlib.suppress(PlanRequestRefused):
            self.env["arrears.plan.request"].sudo()._ask(case, "plan", instalment_count=2)
        with sql_db.db_connect(self.env.cr.dbname).cursor() as other, self.assertRaises(LockNotAvailable):
            other.execute("SELECT id FROM arrears_case WHERE id = %s FOR UPDATE NOWAIT", [case.id])

    def test_plan_kept_when_paid_off(self):
        request = self.link._ask_plan("plan", instalment_count=2)
        self.link._register_payment(275.0, journal=self.bank_journal)
        self.env["arrears.plan.request"]._cron_follow()
        self.assertEqual(request.state, "granted")
        # The first instalment paid, the second not due yet: the link asks for nothing meanwhile.
        self.assertEqual(self.link._amount_to_ask(), 0.0)
        with self.assertRaisesRegex(UserError, "your next instalment is not due yet"):
            self.link._check_checkout()
        self.link._register_payment(275.0, journal=self.bank_journal)
        self.env["arrears.plan.request"]._cron_follow()
        self.assertEqual(request.state, "kept")
        self.assertEqual(self.case.state, "closed")

    def test_plan_covers_the_fees_charged(self):
        (fee,) = self.case._charge_fees(
            [(self.case, 10.0, "Bank rejection fee", self.commission_account, date.today())], ref="Fees"
        )
        self.assertEqual((fee.partner_id, fee.amount_residual, self.case.amount_due), (self.policyholder, 10.0, 560.0))
        request = self.link._ask_plan("plan", instalment_count=2)
        self.assertEqual(request.instalment_ids.mapped("amount"), [280.0, 280.0])
        self.link._register_payment(280.0, journal=self.bank_journal)
        self.assertEqual(request.amount_paid, 280.0)
        self.link._register_payment(280.0, journal=self.bank_journal)
        self.assertEqual((fee.amount_residual, request.amount_paid), (0.0, 560.0))
        self.env["arrears.plan.request"]._cron_follow()
        self.assertEqual((request.state, self.case.state), ("kept", "closed"))

    def test_missed_instalment_breaks_the_plan(self):
        request = self.link._ask_plan("plan", instalment_count=2)
        with freeze_time(date.today() + timedelta(days=32)):
            self.env["arrears.plan.request"]._cron_follow()
        self.assertEqual(request.state, "granted", "within the grace days")
        with freeze_time(date.today() + timedelta(days=34)):
            self.env["arrears.plan.request"]._cron_follow()
        self.assertEqual(request.state, "broken")
        self.assertIn("Instalment missed", self.case.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestPlanRequestPage(PlanCommon, HttpCase):
    def _csrf(self):
        page = self.url_open(f"/arrears/pay/{self.link.token}")
        return page.text.split('name="csrf_token" value="')[1].split('"')[0]

    def test_page_offers_the_three_choices(self):
        html = self.url_open(f"/arrears/pay/{self.link.token}").text
        self.assertIn('id="arrears_pay_now"', html)
        self.assertIn('id="arrears_ask_delay"', html)
        self.assertIn('id="arrears_ask_plan"', html)
        self.assertNotIn("rue de la Paix", html)

    def test_asking_a_plan_from_the_page(self):
        response = self.url_open(
            f"/arrears/pay/{self.link.token}/request",
            data={"csrf_token": self._csrf(), "kind": "plan", "instalments": "2", "note": "Merci"},
        )
        self.assertIn("Your request is granted", response.text)
        self.assertIn('id="arrears_plan_schedule"', response.text)
        self.assertIn("275.00", response.text)
        self.assertNotIn('id="arrears_ask_plan"', response.text, "no second request while one runs")
        request = self.case.plan_request_ids
        self.assertEqual((request.kind, request.instalment_count, request.note), ("plan", 2, "Merci"))

    def test_asking_beyond_the_amount_from_the_page_goes_to_review(self):
        self.rule.max_amount = 500.0
        response = self.url_open(
            f"/arrears/pay/{self.link.token}/request",
            data={
                "csrf_token": self._csrf(),
                "kind": "delay",
                "delay_until": (date.today() + timedelta(days=30)).isoformat(),
            },
        )
        self.assertIn("an accountant will answer you", response.text)
        self.assertEqual(self.case.plan_request_ids.state, "pending")

    def test_asking_beyond_the_rules_maximum_from_the_page_records_nothing_and_says_the_limits(self):
        beyond = (date.today() + timedelta(days=31)).isoformat()
        for data in (
            {"kind": "plan", "instalments": "4"},
            {"kind": "plan", "instalments": "99999999999999999999"},
            {"kind": "delay", "delay_until": beyond},
            {"kind": "delay", "delay_until": "9999-12-31"},
        ):
            response = self.url_open(
                f"/arrears/pay/{self.link.token}/request", data={"csrf_token": self._csrf(), **data}
            )
            self.assertEqual(response.status_code, 200, data)
            self.assertIn('id="arrears_request_out_of_bounds"', response.text, data)
            self.assertIn("at most 3 instalments", response.text)
        response = self.url_open(
            f"/arrears/pay/{self.link.token}/request",
            data={"csrf_token": self._csrf(), "kind": "plan", "instalments": "9" * 5000},
        )
        self.assertIn('id="arrears_request_invalid"', response.text, "a number too long to read")
        self.assertFalse(self.case.plan_request_ids)

    def test_a_second_request_from_the_page_says_one_is_under_way(self):
        self.rule.max_amount = 500.0
        data = {"kind": "plan", "instalments": "2"}
        self.url_open(f"/arrears/pay/{self.link.token}/request", data={"csrf_token": self._csrf(), **data})
        response = self.url_open(f"/arrears/pay/{self.link.token}/request", data={"csrf_token": self._csrf(), **data})
        self.assertIn('id="arrears_request_under_way"', response.text)
        self.assertEqual(len(self.case.plan_request_ids), 1)

    def test_bad_input_from_the_page_records_nothing(self):
        for data in ({"kind": "delay", "delay_until": "tomorrow"}, {"kind": "plan", "instalments": "x"}, {"kind": "x"}):
            response = self.url_open(
                f"/arrears/pay/{self.link.token}/request", data={"csrf_token": self._csrf(), **data}
            )
            self.assertIn("could not be recorded", response.text)
        self.assertFalse(self.case.plan_request_ids)

    def test_nonsense_numbers_dates_and_kinds_from_the_page_record_nothing(self):
        # What an attacker posts by hand: no instalment, a debt in the past, a date that is none, a refund.
        for data in (
            {"kind": "plan", "instalments": "0"},
            {"kind": "plan", "instalments": "-3"},
            {"kind": "delay", "delay_until": "1900-01-01"},
            {"kind": "delay", "delay_until": "2026-13-45"},
            {"kind": "refund", "instalments": "2"},
        ):
            response = self.url_open(
                f"/arrears/pay/{self.link.token}/request", data={"csrf_token": self._csrf(), **data}
            )
            self.assertEqual(response.status_code, 200, data)
            self.assertIn('id="arrears_request_invalid"', response.text, data)
        self.assertFalse(self.case.plan_request_ids)
        self.assertEqual(self.case.state, "open")

    @mute_logger("odoo.http", "werkzeug")
    def test_request_needs_csrf_and_a_true_token(self):
        response = self.url_open(f"/arrears/pay/{self.link.token}/request", data={"kind": "plan", "instalments": "2"})
        self.assertEqual(response.status_code, 400)
        forged = self.url_open(
            "/arrears/pay/forged-token/request", data={"csrf_token": self._csrf(), "kind": "plan", "instalments": "2"}
        )
        self.assertEqual(forged.status_code, 404)
        self.assertFalse(self.case.plan_request_ids)

    def test_closed_case_offers_nothing(self):
        csrf = self._csrf()
        self.receipts._register_payments(self.bank_journal)
        html = self.url_open(f"/arrears/pay/{self.link.token}").text
        self.assertNotIn('id="arrears_ask_plan"', html)
        response = self.url_open(
            f"/arrears/pay/{self.link.token}/request",
            data={"csrf_token": csrf, "kind": "plan", "instalments": "2"},
        )
        self.assertIn('id="arrears_link_closed"', response.text, "the settled link's page says whom to contact")
        self.assertFalse(self.case.plan_request_ids)
