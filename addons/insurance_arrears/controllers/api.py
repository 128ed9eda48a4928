"""Partner web service: the arrears of a partner's own portfolio, as JSON.

Authentication is an Odoo API key of the service's own scope (``PARTNER_API_SCOPE``,
checked by ``ir.http._auth_method_arrears_partner``): such a key opens these routes
and nothing else of Odoo. Authorisation is the record rules of the partner API
group (an introducer or an insurer sees the cases of its own contracts). The
controller checks parameters, counts calls and serialises; it never filters by
partner itself.
"""

import json
from datetime import date

from odoo import http
from odoo.http import request

API_PREFIX = "/api/arrears/v1"
# The scope of the partners' API keys: refused by Odoo's RPC, required by these routes.
PARTNER_API_SCOPE = "insurance_arrears.partner_api"
MAX_PAGE_SIZE = 200
# Deeper pages are refused (and documented as such): an offset beyond is no use to anyone.
MAX_PAGE = 100000


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status, code, message, headers=None):
    body = json.dumps({"error": {"code": code, "message": message}})
    return request.make_response(body, headers=[("Content-Type", "application/json"), *(headers or [])], status=status)


class ArrearsPartnerApi(http.Controller):
    def _call(self, handler, **params):
        """Rate limit, run ``handler``, log the call; every answer is JSON.

        A call refused by the rate limit is counted (``arrears.api.window``), not logged.
        """
        env = request.env
        user = env.user
        Call = env["arrears.api.call"].sudo()  # the audit log is written for every caller, whatever its rights
        if not user._is_arrears_partner():
            # A valid key of a user who is no partner of the service (an employee's own key, a portal
            # customer's): the service is not theirs, whatever their rights elsewhere.
            response = error_response(403, "forbidden", "This key's user is not a partner of the web service.")
        elif not env.context.get("arrears_partner_key_scoped"):
            # An all-purpose key of a partner (made before keys were scoped): refused, like on RPC.
            response = error_response(
                403, "forbidden", "This key is not a partner web service key: ask your broker for a new one."
            )
        else:
            # sudo(): the rate windows are the service's bookkeeping, not the partner's data.
            allowed, retry_after = env["arrears.api.window"].sudo()._count_call(user)
            if not allowed:
                limit = user.company_id.arrears_api_rate_limit
                return error_response(
                    429,
                    "rate_limited",
                    f"More than {limit} calls in a minute: retry later.",
                    [("Retry-After", str(retry_after))],
                )
            try:
                response = request.make_json_response(handler(**params))
            except ApiError as exc:
                response = error_response(exc.status, exc.code, exc.message)
        Call.create(
            {
                "user_id": user.id,
                "method": request.httprequest.method,
                "path": request.httprequest.path[:200],
                "status": response.status_code,
                "ip_address": request.httprequest.remote_addr,
            }
        )
        return response

    # -------------------------------------------------------------------------
    # Parameters
    # -------------------------------------------------------------------------

    @staticmethod
    def _int(params, name, default, low, high):
        value = params.get(name, default)
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise ApiError(400, "bad_parameter", f"'{name}' must be an integer.") from None
        if not low <= value <= high:
            raise ApiError(400, "bad_parameter", f"'{name}' must be between {low} and {high}.")
        return value

    @staticmethod
    def _date(params, name):
        # Absent is no filter; present but empty is not a date (the OpenAPI description says date).
        if name not in params:
            return None
        try:
            return date.fromisoformat(params[name])
        except ValueError:
            raise ApiError(400, "bad_parameter", f"'{name}' must be a date (YYYY-MM-DD).") from None

    def _case(self, case_id):
        # Record rules decide: another partner's case and a missing one are the same 404.
        case = request.env["arrears.case"].search([("id", "=", case_id)])
        if not case:
            raise ApiError(404, "not_found", "No such case.")
        return case

    # -------------------------------------------------------------------------
    # Routes
    # -------------------------------------------------------------------------

    @http.route(f"{API_PREFIX}/cases", type="http", auth="arrears_partner", methods=["GET"], csrf=False, readonly=False)
    def list_cases(self, **params):
        def handler(**params):
            known = {"page", "page_size", "due_from", "due_to", "contract", "state"}
            if unknown := set(params) - known:
                raise ApiError(400, "bad_parameter", f"Unknown parameter(s): {', '.join(sorted(unknown))}.")
            page = self._int(params, "page", 1, 1, MAX_PAGE)
            size = self._int(params, "page_size", 50, 1, MAX_PAGE_SIZE)
            state = params.get("state", "open")
            if state not in ("open", "closed", "all"):
                raise ApiError(400, "bad_parameter", "'state' must be open, closed or all.")
            domain = [] if state == "all" else [("state", "=", state)]
            if due_from := self._date(params, "due_from"):
                domain.append(("oldest_due_date", ">=", due_from))
            if due_to := self._date(params, "due_to"):
                domain.append(("oldest_due_date", "<=", due_to))
            if params.get("contract"):
                domain.append(("contract_id.name", "=", params["contract"]))
            Case = request.env["arrears.case"]
            total = Case.search_count(domain)
            cases = Case.search(domain, order="oldest_due_date, id", limit=size, offset=(page - 1) * size)
            return {
                "data": cases._api_values(),
                "page": page,
                "page_size": size,
                "total": total,
            }

        return self._call(handler, **params)

    @http.route(
        f"{API_PREFIX}/cases/<int:case_id>",
        type="http",
        auth="arrears_partner",
        methods=["GET"],
        csrf=False,
        readonly=False,
    )
    def get_case(self, case_id, **params):
        return self._call(lambda: self._case(case_id)._api_values(detail=True)[0])

    @http.route(
        f"{API_PREFIX}/cases/<int:case_id>/link", type="http", auth="arrears_partner", methods=["POST"], csrf=False
    )
    def case_link(self, case_id, **params):
        def handler():
            case = self._case(case_id)
            if case.state != "open":
                raise ApiError(409, "case_closed", "The case is closed: nothing is due.")
            # The partner may read the case (record rules): it may have its link,
            # which partners cannot create themselves.
            link = case.sudo()._ensure_payment_links()
            return link._api_values()

        return self._call(handler)

    @http.route(
        f"{API_PREFIX}/links/<string:token>",
        type="http",
        auth="arrears_partner",
        methods=["GET"],
        csrf=False,
        readonly=False,
    )
    def link_status(self, token, **params):
        def handler():
            link = request.env["arrears.payment.link"].search([("token", "=", token)])
            if not link:
                raise ApiError(404, "not_found", "No such link.")
            return link._api_values()

        return self._call(handler)

    @http.route(f"{API_PREFIX}/openapi.json", type="http", auth="none", methods=["GET"], csrf=False)
    def openapi(self, **params):
        return request.make_json_response(openapi_document(request.httprequest.host_url.rstrip("/")))


def openapi_document(server):
    """The OpenAPI 3.0 description of the service; the response fields are the documented list."""
    money = {"type": "number", "format": "double"}
    link = {
        "type": "object",
        "properties": {
            "url": {"type": "string", "format": "uri"},
            "token": {"type": "string"},
            "state": {"type": "string", "enum": ["active", "paid", "closed", "cancelled"]},
            "amount_due": money,
            "amount_paid": money,
            "currency": {"type": "string"},
            "opened": {"type": "integer", "description": "times the payer opened the page"},
            "paid_at": {"type": "string", "format": "date-time", "nullable": True},
        },
    }
    link["required"] = list(link["properties"])
    receipt = {
        "type": "object",
        "properties": {
            "number": {"type": "string"},
            "period_start": {"type": "string", "format": "date"},
            "period_end": {"type": "string", "format": "date"},
            "due_date": {"type": "string", "format": "date"},
            "amount": money,
            "amount_due": money,
            "contested": {"type": "boolean", "description": "held by a contest awaiting the broker's answer"},
        },
    }
    receipt["required"] = list(receipt["properties"])
    case = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "contract": {"type": "string"},
            "policyholder": {"type": "string"},
            "insurer": {"type": "string"},
            "state": {"type": "string", "enum": ["open", "closed"]},
            "stage": {"type": "string"},
            "amount_due": money,
            "amount_contested": {**money, "description": "part of amount_due that contests hold, not claimed"},
            "currency": {"type": "string"},
            "oldest_due_date": {"type": "string", "format": "date", "nullable": True},
            "days_overdue": {"type": "integer"},
            "link": {**link, "nullable": True},
            "receipts": {"type": "array", "items": receipt, "description": "only in GET /cases/{id}"},
        },
    }
    case["required"] = [name for name in case["properties"] if name != "receipts"]
    error = {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                "required": ["code", "message"],
            }
        },
        "required": ["error"],
    }
    errors = {
        str(code): {
            "description": text,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code, text in (
            (400, "bad parameter"),
            (401, "missing or invalid API key"),
            (403, "the key's user is not a partner of the web service, or the key is not a partner web service key"),
            (404, "not found, or not in your portfolio"),
            (429, "rate limit reached; see Retry-After"),
        )
    }
    errors["429"]["headers"] = {
        "Retry-After": {"description": "seconds until calls are taken again", "schema": {"type": "integer"}}
    }

    def ok(schema):
        return {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}, **errors}

    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Arrears partner API",
            "version": "1.0",
            "description": "Payment links and arrears of the contracts you introduced or insure. "
            "Authenticate with the API key your broker issued: 'Authorization: Bearer <key>'.",
        },
        "servers": [{"url": f"{server}{API_PREFIX}"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Case": case, "Link": link, "Receipt": receipt, "Error": error},
        },
        "paths": {
            "/cases": {
                "get": {
                    "summary": "Cases of your portfolio, oldest first, paged",
                    "parameters": [
                        {"name": name, "in": "query", "schema": schema}
                        for name, schema in (
                            ("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
                            ("page_size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 50}),
                            ("state", {"type": "string", "enum": ["open", "closed", "all"], "default": "open"}),
                            ("due_from", {"type": "string", "format": "date"}),
                            ("due_to", {"type": "string", "format": "date"}),
                            ("contract", {"type": "string"}),
                        )
                    ],
                    "responses": ok(
                        {
                            "type": "object",
                            "properties": {
                                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}},
                                "page": {"type": "integer"},
                                "page_size": {"type": "integer"},
                                "total": {"type": "integer"},
                            },
                            "required": ["data", "page", "page_size", "total"],
                        }
                    ),
                }
            },
            "/cases/{case_id}": {
                "get": {
                    "summary": "One case, with its receipts and payment link",
                    "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                    "responses": ok({"$ref": "#/components/schemas/Case"}),
                }
            },
            "/cases/{case_id}/link": {
                "post": {
                    "summary": "The case's payment link, issued if it has none",
                    "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                    "responses": {
                        **ok({"$ref": "#/components/schemas/Link"}),
                        "409": {
                            "description": "the case is closed: nothing is due",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                        },
                    },
                }
            },
            "/links/{token}": {
                "get": {
                    "summary": "Payment status of a link",
                    "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": ok({"$ref": "#/components/schemas/Link"}),
                }
            },
        },
    }
