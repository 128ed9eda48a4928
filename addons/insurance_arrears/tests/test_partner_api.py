import importlib.util
import json
import threading
import xmlrpc.client
from datetime import date, timedelta
from pathlib import Path

from freezegun import freeze_time

from odoo import fields, sql_db
from odoo.exceptions import AccessDenied, UserError
from odoo.fields import Command
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..controllers.api import PARTNER_API_SCOPE
from ..models.arrears_api_window import count_call
from .common import PartnerApiCommon

API = "/api/arrears/v1"
CASE_FIELDS = {
    "id",
    "contract",
    "policyholder",
    "insurer",
    "state",
    "stage",
    "amount_due",
    "amount_contested",
    "currency",
    "oldest_due_date",
    "days_overdue",
    "link",
}
LINK_FIELDS = {"url", "token", "state", "amount_due", "amount_paid", "currency", "opened", "paid_at"}


@tagged("post_install", "-at_install")
class TestPartnerApi(PartnerApiCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.introducer_b = cls.env["res.partner"].create({"name": "Apporteur Bernard", "is_introducer": True})
        cls.contracts_a = cls._create_contract(split="quarterly") | cls._create_contract(split="annual")
        cls.contract_b = cls._create_contract(split="quarterly", introducer_id=cls.introducer_b.id)
        with freeze_time("2026-02-15"):
            (cls.contracts_a | cls.contract_b)._generate_receipts(until=date(2026, 1, 1))
            cls.env["arrears.case"]._cron_sync()
        cls.cases_a = cls.contracts_a.case_ids.sorted("id")
        cls.case_b = cls.contract_b.case_ids
        cls.user_a = cls._partner_user("api-a", cls.introducer)
        cls.user_b = cls._partner_user("api-b", cls.introducer_b)
        cls.key_a = cls._partner_key(cls.user_a)
        cls.key_b = cls._partner_key(cls.user_b)

    def _get(self, path, key=None, **kwargs):
        headers = {"Authorization": f"Bearer {key or self.key_a}"} if key != "" else {}
        return self.url_open(f"{API}{path}", headers=headers, **kwargs)

    def _post(self, path, key=None):
        return self.url_open(f"{API}{path}", method="POST", headers={"Authorization": f"Bearer {key or self.key_a}"})

    def test_setup_has_two_cases_for_a_and_one_for_b(self):
        self.assertEqual(len(self.cases_a), 2)
        self.assertEqual(len(self.case_b), 1)

    def test_list_shows_only_my_portfolio(self):
        response = self._get("/cases")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["total"], 2)
        self.assertEqual({case["id"] for case in body["data"]}, set(self.cases_a.ids))
        self.assertNotIn(self.contract_b.name, response.text)

    def test_paging_never_reaches_another_partners_case(self):
        seen = []
        for page in (1, 2, 3):
            body = self._get(f"/cases?page={page}&page_size=1").json()
            self.assertEqual(body["total"], 2)
            seen += [case["id"] for case in body["data"]]
        self.assertEqual(sorted(seen), sorted(self.cases_a.ids))
        body = self._get(f"/cases?contract={self.contract_b.name}").json()
        self.assertEqual((body["total"], body["data"]), (0, []))

    def test_filters_by_due_date(self):
        body = self._get("/cases?due_from=2026-01-01&due_to=2026-01-01").json()
        self.assertEqual(body["total"], 2)
        body = self._get("/cases?due_from=2026-01-02").json()
        self.assertEqual(body["total"], 0)

    def test_one_case_gives_the_documented_fields_only(self):
        case = self.cases_a[0]
        response = self._get(f"/cases/{case.id}")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(set(body), CASE_FIELDS | {"receipts"})
        self.assertEqual(body["amount_due"], case.amount_due)
        self.assertEqual(body["contract"], case.contract_id.name)
        self.assertEqual(body["policyholder"], "Jeanne Dupont")
        self.assertEqual([r["number"] for r in body["receipts"]], case.open_receipt_ids.mapped("name"))
        for private in ("rue de la Paix", "75002", "jeanne.dupont@example.com", "iban", "mandate"):
            self.assertNotIn(private, response.text.lower() if private.islower() else response.text)

    @mute_logger("odoo.http")
    def test_another_partners_case_is_a_404_like_a_missing_one(self):
        foreign = self._get(f"/cases/{self.case_b.id}")
        missing = self._get("/cases/999999999")
        self.assertEqual((foreign.status_code, missing.status_code), (404, 404))
        self.assertEqual(foreign.json(), missing.json())
        self.assertNotIn(self.contract_b.name, foreign.text)
        # And B sees its own.
        self.assertEqual(self._get(f"/cases/{self.case_b.id}", key=self.key_b).status_code, 200)

    @mute_logger("odoo.http")
    def test_missing_or_wrong_key_is_401_in_json(self):
        for key in ("", "not-a-key"):
            response = self._get("/cases", key=key)
            self.assertEqual(response.status_code, 401)
            self.assertEqual(response.json()["error"]["code"], "unauthorized")

    def test_key_of_a_user_outside_the_partner_group_is_403(self):
        employee_key = self.env["res.users.apikeys"].with_user(self.env.user).sudo()._generate(None, "mine", None)
        portal = self.env.ref("base.group_portal")
        customer = (
            self.env["res.users"]
            .sudo()
            .create({"login": "portal-customer", "name": "Customer", "group_ids": [Command.set(portal.ids)]})
        )
        customer_key = self.env["res.users.apikeys"].with_user(customer).sudo()._generate(None, "mine", None)
        for key in (employee_key, customer_key):
            response = self._get("/cases", key=key)
            self.assertEqual(response.status_code, 403)
            self.assertEqual(response.json()["error"]["code"], "forbidden")
            self.assertNotIn("data", response.json())

    def test_manager_issues_and_revokes_a_key_from_the_user_form(self):
        wizard = self.env["arrears.api.key.wizard"].create({"user_id": self.user_a.id, "name": "New extranet"})
        wizard.action_generate()
        self.assertEqual(self._get("/cases", key=wizard.key).status_code, 200)
        key = self.user_a.sudo().api_key_ids.filtered(lambda k: k.name == "New extranet")
        key.with_env(self.env).action_arrears_revoke()
        self.assertFalse(key.exists())
        with mute_logger("odoo.http"):
            self.assertEqual(self._get("/cases", key=wizard.key).status_code, 401)
        self.assertEqual(self._get("/cases").status_code, 200, "the partner's other key still works")

    @mute_logger("odoo.http")
    def test_bad_parameters_are_400(self):
        for query in (
            "page=0",
            "page_size=1000",
            "page=x",
            "due_from=15/01/2026",
            "due_to=",
            "state=any",
            "colour=red",
        ):
            response = self._get(f"/cases?{query}")
            self.assertEqual(response.status_code, 400, query)
            self.assertEqual(response.json()["error"]["code"], "bad_parameter")

    @mute_logger("odoo.http")
    def test_rate_limit_answers_429(self):
        self.company.arrears_api_rate_limit = 3
        statuses = [self._get("/cases").status_code for _call in range(4)]
        self.assertEqual(statuses, [200, 200, 200, 429])
        response = self._get("/cases")
        self.assertIn(int(response.headers["Retry-After"]), range(1, 61), "the seconds left in the minute")
        self.assertEqual(response.json()["error"]["code"], "rate_limited")
        # Another partner has its own budget.
        self.assertEqual(self._get("/cases", key=self.key_b).status_code, 200)

    @mute_logger("odoo.http", "odoo.addons.insurance_arrears.models.arrears_api_window")
    def test_refused_calls_are_counted_not_logged(self):
        self.company.arrears_api_rate_limit = 2
        statuses = [self._get("/cases").status_code for _call in range(5)]
        self.assertEqual(statuses, [200, 200, 429, 429, 429])
        calls = self.env["arrears.api.call"].sudo().search([("user_id", "=", self.user_a.id)])
        self.assertEqual(calls.mapped("status"), [200, 200], "the refused calls are not stored one by one")
        window = self.env["arrears.api.window"].sudo().search([("user_id", "=", self.user_a.id)])
        self.assertEqual(window.calls, 5, "one row for the minute, the refused calls counted in it")

    def test_the_count_is_atomic_across_transactions(self):
        # Real concurrent transactions on the committed database (the test's own is not shared):
        # 8 callers x 5 calls against a limit of 25 must let exactly 25 through, whatever the order.
        database = sql_db.db_connect(self.env.cr.dbname)
        user_id = self.env.ref("base.user_root").id
        results = []

        def caller():
            results.extend(count_call(database.cursor, user_id, 25)[0] for _call in range(5))

        try:
            threads = [threading.Thread(target=caller) for _thread in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            with database.cursor() as cr:
                cr.execute("SELECT calls FROM arrears_api_window WHERE user_id = %s", [user_id])
                windows = [calls for (calls,) in cr.fetchall()]
        finally:
            with database.cursor() as cr:
                cr.execute("DELETE FROM arrears_api_window WHERE user_id = %s", [user_id])
        self.assertEqual(sum(windows), 40, "every call counted once")
        if len(windows) == 1:  # all in one minute (else the minute turned during the test)
            self.assertEqual(results.count(True), 25)

    def test_purge_cron_removes_the_calls_older_than_the_company_keeps(self):
        self.assertEqual(self.company.arrears_api_log_days, 90, "three months by default")
        self.company.arrears_api_log_days = 30
        Call = self.env["arrears.api.call"].sudo()
        now = fields.Datetime.now()
        old, recent = Call.create(
            [
                {"user_id": self.user_a.id, "date": now - timedelta(days=31), "status": 200},
                {"user_id": self.user_a.id, "date": now - timedelta(days=29), "status": 200},
            ]
        )
        self.env.ref("insurance_arrears.ir_cron_purge_api_calls").sudo().method_direct_trigger()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())

    def test_calls_are_logged(self):
        self._get("/cases")
        with mute_logger("odoo.http"):
            self._get(f"/cases/{self.case_b.id}")
        calls = self.env["arrears.api.call"].sudo().search([("user_id", "=", self.user_a.id)], order="id")
        self.assertEqual(calls.mapped("status"), [200, 404])
        self.assertEqual(calls[1].path, f"{API}/cases/{self.case_b.id}")

    def test_fresh_link_then_its_status(self):
        case = self.cases_a[0]
        response = self._post(f"/cases/{case.id}/link")
        self.assertEqual(response.status_code, 200)
        link = response.json()
        self.assertEqual(set(link), LINK_FIELDS)
        self.assertEqual(link["state"], "active")
        self.assertEqual(link["amount_due"], case.amount_due)
        self.assertEqual(self._post(f"/cases/{case.id}/link").json()["token"], link["token"], "the same live link")
        status = self._get(f"/links/{link['token']}").json()
        self.assertEqual((status["state"], status["amount_paid"]), ("active", 0.0))
        amount = case.amount_due
        case.payment_link_id._register_payment(amount, journal=self.bank_journal)
        status = self._get(f"/links/{link['token']}").json()
        self.assertEqual((status["state"], status["amount_paid"], status["amount_due"]), ("paid", amount, 0.0))

    @mute_logger("odoo.http")
    def test_foreign_link_and_foreign_fresh_link_are_404(self):
        link_b = self.case_b._ensure_payment_links()
        self.assertEqual(self._get(f"/links/{link_b.token}").status_code, 404)
        self.assertEqual(self._post(f"/cases/{self.case_b.id}/link").status_code, 404)
        self.assertEqual(len(self.case_b.payment_link_ids), 1, "nothing created for A")

    @mute_logger("odoo.http")
    def test_unknown_link_token_is_404_like_a_foreign_one(self):
        link = self.cases_a[0]._ensure_payment_links()
        guessed = link.token[:-4] + ("zzzz" if not link.token.endswith("zzzz") else "yyyy")
        for token in (guessed, "x" * 43):
            response = self._get(f"/links/{token}")
            self.assertEqual(response.status_code, 404, token)
            self.assertNotIn(link.token, response.text)

    def test_a_contested_receipt_is_marked_and_its_amount_given_apart(self):
        case = self.cases_a.filtered(lambda c: len(c.open_receipt_ids) > 1)[:1] or self.cases_a[0]
        receipt = case.open_receipt_ids.sorted("date_due")[0]
        self.env["arrears.contest"]._open(case, receipt, "paid", "Payé par chèque", [])
        body = self._get(f"/cases/{case.id}").json()
        self.assertEqual(body["amount_due"], case.amount_due, "still due: the broker has not answered")
        self.assertEqual(body["amount_contested"], receipt.amount_residual)
        self.assertTrue(body["amount_contested"])
        self.assertEqual(
            {r["number"]: r["contested"] for r in body["receipts"]},
            {r.name: r == receipt for r in case.open_receipt_ids},
        )
        listed = next(item for item in self._get("/cases").json()["data"] if item["id"] == case.id)
        self.assertEqual(listed["amount_contested"], receipt.amount_residual)

    def test_openapi_document_lists_the_calls_and_fields(self):
        response = self.url_open(f"{API}/openapi.json")
        self.assertEqual(response.status_code, 200)
        document = json.loads(response.text)
        self.assertEqual(
            set(document["paths"]), {"/cases", "/cases/{case_id}", "/cases/{case_id}/link", "/links/{token}"}
        )
        self.assertEqual(set(document["components"]["schemas"]["Case"]["properties"]), CASE_FIELDS | {"receipts"})
        self.assertEqual(set(document["components"]["schemas"]["Link"]["properties"]), LINK_FIELDS)


@tagged("post_install", "-at_install")
class TestPartnerKeyScope(PartnerApiCommon, HttpCase):
    """A partner's key opens the partner web service and nothing else of Odoo."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls._create_contract_in_arrears(on="2026-02-15", until=date(2026, 1, 1))
        cls.user = cls._partner_user("api-scope", cls.introducer)
        cls.key = cls._partner_key(cls.user)
        cls.employee_key = cls.env["res.users.apikeys"].with_user(cls.env.user).sudo()._generate(None, "mine", None)

    def _json2(self, key):
        return self.url_open(
            "/json/2/insurance.contract/search_read",
            json={"domain": [], "fields": ["name", "premium_net"]},
            headers={"Authorization": f"Bearer {key}"},
        )

    def _xmlrpc(self, uid, key):
        # Reading one's own user: what any authenticated user may do, so only the key is tested.
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, uid, key, "res.users", "read", [[uid]], {"fields": ["login"]}
        )

    def _cases(self, key):
        return self.url_open(f"{API}/cases", headers={"Authorization": f"Bearer {key}"})

    def test_the_issued_key_carries_the_partner_scope(self):
        self.assertEqual(self.user.sudo().api_key_ids.scope, PARTNER_API_SCOPE)

    @mute_logger("odoo.http", "odoo.addons.base.models.res_users")
    def test_partner_key_is_refused_by_json2(self):
        employee = self._json2(self.employee_key)
        self.assertEqual(employee.status_code, 200, "the route works, for a key made for RPC")
        self.assertIn(self.contract.name, employee.text)
        response = self._json2(self.key)
        self.assertEqual(response.status_code, 401)
        self.assertNotIn(self.contract.name, response.text)

    @mute_logger("odoo.http", "odoo.addons.base.models.res_users")
    def test_partner_key_is_refused_by_xmlrpc_and_jsonrpc(self):
        with self.assertRaises(xmlrpc.client.Fault) as refused:
            self._xmlrpc(self.user.id, self.key)
        self.assertIn("Access Denied", refused.exception.faultString)
        self.assertFalse(self.xmlrpc_common.authenticate(self.env.cr.dbname, "api-scope", self.key, {}))
        body = self.url_open(
            "/jsonrpc",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "service": "object",
                    "method": "execute_kw",
                    "args": [self.env.cr.dbname, self.user.id, self.key, "res.users", "read", [[self.user.id]]],
                },
            },
        ).json()
        self.assertEqual(body["error"]["data"]["name"], "odoo.exceptions.AccessDenied")
        self.assertNotIn("api-scope", json.dumps(body))

    @mute_logger("odoo.http", "odoo.addons.base.models.res_users")
    def test_partner_cannot_open_a_web_session_with_a_password(self):
        self.user.sudo().password = "a-partner-password-1"
        response = self.url_open(
            "/web/session/authenticate",
            json={"params": {"db": self.env.cr.dbname, "login": "api-scope", "password": "a-partner-password-1"}},
        )
        self.assertEqual(response.json()["error"]["data"]["name"], "odoo.exceptions.AccessDenied")
        # Without a session, Odoo's own model calls answer as to anyone: no session, no data.
        call = self.url_open(
            "/web/dataset/call_kw",
            json={"params": {"model": "arrears.case", "method": "search_read", "args": [[]], "kwargs": {}}},
        )
        self.assertNotIn(self.contract.name, call.text)
        # Nor any other way the password is checked (the login form, Odoo's session authentication).
        with self.assertRaises(AccessDenied):
            self.authenticate("api-scope", "a-partner-password-1")

    def test_partner_key_opens_the_partner_web_service(self):
        response = self._cases(self.key)
        self.assertEqual(response.status_code, 200)
        self.assertEqual([case["contract"] for case in response.json()["data"]], [self.contract.name])

    def test_employee_key_is_still_403_on_the_partner_routes(self):
        response = self._cases(self.employee_key)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["error"]["code"], "forbidden")

    def test_partner_cannot_make_an_all_purpose_key(self):
        # What the user preferences' and the portal's "New API Key" do for the user itself.
        with self.assertRaisesRegex(UserError, "issued by your broker"):
            self.env["res.users.apikeys"].with_user(self.user)._generate(None, "my own", None)
        self.assertEqual(len(self.user.sudo().api_key_ids), 1)

    @mute_logger("odoo.http", "odoo.addons.base.models.res_users")
    def test_unscoped_key_of_a_partner_is_refused_everywhere_then_migrated(self):
        # A key made for the user before it became a partner (or before keys were scoped).
        late = self._partner_user("api-late", self.introducer)
        late.sudo().group_ids -= self.env.ref("insurance_arrears.group_arrears_partner_api")
        old_key = self.env["res.users.apikeys"].with_user(late).sudo()._generate(None, "old", None)
        self.assertEqual(self._xmlrpc(late.id, old_key)[0]["login"], "api-late", "a portal user's key is an RPC key")
        late.sudo().group_ids += self.env.ref("insurance_arrears.group_arrears_partner_api")
        with self.assertRaises(xmlrpc.client.Fault):
            self._xmlrpc(late.id, old_key)
        self.assertEqual(self._json2(old_key).status_code, 401)
        response = self._cases(old_key)
        self.assertEqual(response.status_code, 403)
        self.assertIn("not a partner web service key", response.json()["error"]["message"])
        self._migrate_to_1_2()
        self.assertEqual(late.sudo().api_key_ids.scope, PARTNER_API_SCOPE)
        self.assertEqual(self._cases(old_key).status_code, 200, "the migrated key keeps working on the service")
        with self.assertRaises(xmlrpc.client.Fault):
            self._xmlrpc(late.id, old_key)
        self.assertIsNone(self.employee_key_scope(), "an employee's key is left as it is")

    def employee_key_scope(self):
        return self.env.user.sudo().api_key_ids.scope or None

    def _migrate_to_1_2(self):
        path = Path(__file__).parent.parent / "migrations" / "19.0.1.2.0" / "post-migrate.py"
        spec = importlib.util.spec_from_file_location("insurance_arrears_migrate_1_2", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.env.flush_all()
        module.migrate(self.env.cr, "19.0.1.1.0")
        self.env.invalidate_all()
