"""The partner API answers as its own OpenAPI description says.

Each route's answers (successes and errors) are checked against the schema taken from
the route's own ``/openapi.json``, over HTTP, so that the description and the answers
cannot drift. Odoo's requirements have no JSON Schema validator: the OpenAPI 3.0 subset
the document uses is checked here (types, nullable, formats, enums, bounds, required
fields, and no field the description does not list).
"""

import re
from datetime import date, datetime
from urllib.parse import urlparse

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..controllers.api import MAX_PAGE
from .common import PartnerApiCommon

API = "/api/arrears/v1"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def schema_errors(value, schema, document, where="body"):
    """What in ``value`` does not follow ``schema`` (an OpenAPI 3.0 schema of ``document``)."""
    if "$ref" in schema:
        target = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null, not declared nullable"]
    kind = schema.get("type")
    checks = {
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if kind and not checks[kind](value):
        return [f"{where}: {value!r} is not of type {kind}"]
    errors = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{where}: {value!r} below {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        errors.append(f"{where}: {value!r} above {schema['maximum']}")
    fmt = schema.get("format")
    if kind == "string" and fmt == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            errors.append(f"{where}: {value!r} is not a date")
        else:
            date.fromisoformat(value)
    elif kind == "string" and fmt == "date-time":
        if not RFC3339.match(value):
            errors.append(f"{where}: {value!r} is not an RFC 3339 date-time")
        else:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif kind == "string" and fmt == "uri":
        parsed = urlparse(value)
        if not (parsed.scheme in ("http", "https") and parsed.netloc):
            errors.append(f"{where}: {value!r} is not a URI")
    if kind == "array":
        for index, item in enumerate(value):
            errors += schema_errors(item, schema.get("items", {}), document, f"{where}[{index}]")
    if kind == "object":
        properties = schema.get("properties", {})
        errors += [f"{where}: {name} is missing" for name in schema.get("required", []) if name not in value]
        errors += [f"{where}: {name} is not in the description" for name in value if name not in properties]
        for name, item in value.items():
            if name in properties:
                errors += schema_errors(item, properties[name], document, f"{where}.{name}")
    return errors


@tagged("post_install", "-at_install")
class TestPartnerApiFollowsItsDescription(PartnerApiCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        contracts = cls._create_contract(split="quarterly") | cls._create_contract(split="annual")
        with freeze_time("2026-02-15"):
            contracts._generate_receipts(until=date(2026, 1, 1))
            cls.env["arrears.case"]._cron_sync()
        cls.case, cls.other_case = contracts.case_ids.sorted("id")
        cls.user = cls._partner_user("api-schema", cls.introducer)
        cls.key = cls._partner_key(cls.user)

    def setUp(self):
        super().setUp()
        self.document = self.url_open(f"{API}/openapi.json").json()

    def _call(self, method, path, key=None):
        headers = {"Authorization": f"Bearer {key or self.key}"} if key != "" else {}
        return self.url_open(f"{API}{path}", method=method, headers=headers)

    def assertFollowsDescription(self, response, template, method="get"):
        """The answer's body follows the schema its route and status have in the description."""
        answers = self.document["paths"][template][method]["responses"]
        status = str(response.status_code)
        self.assertIn(status, answers, f"{method.upper()} {template} answered an undescribed {status}")
        schema = answers[status]["content"]["application/json"]["schema"]
        errors = schema_errors(response.json(), schema, self.document)
        self.assertFalse(errors, f"{method.upper()} {template} ({status}): {errors}")
        return response.json()

    def test_list_follows_the_description_with_and_without_a_link(self):
        self.case._ensure_payment_links()
        body = self.assertFollowsDescription(self._call("GET", "/cases?state=all&page_size=10"), "/cases")
        self.assertEqual({case["link"] is None for case in body["data"]}, {True, False}, "both kinds of case seen")

    def test_one_case_follows_the_description(self):
        body = self.assertFollowsDescription(self._call("GET", f"/cases/{self.case.id}"), "/cases/{case_id}")
        self.assertTrue(body["receipts"])

    def test_a_link_follows_the_description_before_and_after_payment(self):
        body = self.assertFollowsDescription(
            self._call("POST", f"/cases/{self.case.id}/link"), "/cases/{case_id}/link", "post"
        )
        self.assertIsNone(body["paid_at"], "null until paid, never false")
        self.case.payment_link_id._register_payment(self.case.amount_due, journal=self.bank_journal)
        body = self.assertFollowsDescription(self._call("GET", f"/links/{body['token']}"), "/links/{token}")
        self.assertEqual(body["state"], "paid")
        self.assertTrue(RFC3339.match(body["paid_at"]))
        body = self.assertFollowsDescription(self._call("GET", f"/cases/{self.case.id}"), "/cases/{case_id}")
        self.assertEqual(body["state"], "closed")

    def test_the_last_described_page_is_answered(self):
        page = self.document["paths"]["/cases"]["get"]["parameters"][0]
        self.assertEqual((page["name"], page["schema"]["maximum"]), ("page", MAX_PAGE))
        body = self.assertFollowsDescription(self._call("GET", f"/cases?page={MAX_PAGE}&page_size=200"), "/cases")
        self.assertEqual((body["page"], body["data"]), (MAX_PAGE, []))

    @mute_logger("odoo.http", "odoo.addons.insurance_arrears.models.arrears_api_window")
    def test_errors_follow_the_description(self):
        for method, path, template, status in (
            ("GET", f"/cases?page={MAX_PAGE + 1}", "/cases", 400),
            ("GET", "/cases/999999999", "/cases/{case_id}", 404),
            ("GET", "/links/nope", "/links/{token}", 404),
        ):
            response = self._call(method, path)
            self.assertEqual(response.status_code, status, path)
            self.assertFollowsDescription(response, template, method.lower())
        for key in ("", "not-a-key"):
            response = self._call("GET", "/cases", key=key)
            self.assertEqual(response.status_code, 401)
            self.assertFollowsDescription(response, "/cases")
        self.other_case.receipt_ids._register_payments(self.bank_journal)
        response = self._call("POST", f"/cases/{self.other_case.id}/link")
        self.assertEqual(response.status_code, 409)
        self.assertFollowsDescription(response, "/cases/{case_id}/link", "post")
        self.company.arrears_api_rate_limit = 1
        self._call("GET", "/cases")
        response = self._call("GET", "/cases")
        self.assertEqual(response.status_code, 429)
        self.assertFollowsDescription(response, "/cases")
        self.assertTrue(response.headers["Retry-After"].isdigit())
