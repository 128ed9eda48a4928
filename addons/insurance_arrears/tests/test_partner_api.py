import json
from datetime import date

from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import InsuranceArrearsCommon

API = "/api/arrears/v1"
CASE_FIELDS = {
    "id",
    "contract",
    "policyholder",
    "insurer",
    "state",
    "stage",
    "amount_due",
    "currency",
    "oldest_due_date",
    "days_overdue",
    "link",
}
LINK_FIELDS = {"url", "token", "state", "amount_due", "amount_paid", "currency", "opened", "paid_at"}


@tagged("post_install", "-at_install")
class TestPartnerApi(InsuranceArrearsCommon, HttpCase):
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
        cls.key_a = cls.env["res.users.apikeys"].with_user(cls.user_a).sudo()._generate(None, "extranet", None)
        cls.key_b = cls.env["res.users.apikeys"].with_user(cls.user_b).sudo()._generate(None, "extranet", None)

    @classmethod
    def _partner_user(cls, login, partner):
        return (
            cls.env["res.users"]
            .sudo()
            .create(
                {
                    "login": login,
                    "partner_id": partner.id,
                    "group_ids": [
                        Command.set(
                            [
                                cls.env.ref("base.group_portal").id,
                                cls.env.ref("insurance_arrears.group_arrears_partner_api").id,
                            ]
                        )
                    ],
                }
            )
        )

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
        for query in ("page=0", "page_size=1000", "page=x", "due_from=15/01/2026", "state=any", "colour=red"):
            response = self._get(f"/cases?{query}")
            self.assertEqual(response.status_code, 400, query)
            self.assertEqual(response.json()["error"]["code"], "bad_parameter")

    @mute_logger("odoo.http")
    def test_rate_limit_answers_429(self):
        self.company.arrears_api_rate_limit = 3
        statuses = [self._get("/cases").status_code for _call in range(4)]
        self.assertEqual(statuses, [200, 200, 200, 429])
        response = self._get("/cases")
        self.assertEqual(response.headers["Retry-After"], "60")
        self.assertEqual(response.json()["error"]["code"], "rate_limited")
        # Another partner has its own budget.
        self.assertEqual(self._get("/cases", key=self.key_b).status_code, 200)

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

    def test_openapi_document_lists_the_calls_and_fields(self):
        response = self.url_open(f"{API}/openapi.json")
        self.assertEqual(response.status_code, 200)
        document = json.loads(response.text)
        self.assertEqual(
            set(document["paths"]), {"/cases", "/cases/{case_id}", "/cases/{case_id}/link", "/links/{token}"}
        )
        self.assertEqual(set(document["components"]["schemas"]["Case"]["properties"]), CASE_FIELDS | {"receipts"})
        self.assertEqual(set(document["components"]["schemas"]["Link"]["properties"]), LINK_FIELDS)
