import logging
import re

from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import HTTPException, Unauthorized

from odoo import models
from odoo.exceptions import AccessDenied, AccessError, MissingError, UserError
from odoo.http import request

from ..controllers.api import API_PREFIX, PARTNER_API_SCOPE, error_response

_logger = logging.getLogger(__name__)


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _auth_method_arrears_partner(cls):
        """The partner web service's own authentication: an API key given as a bearer token.

        Odoo's ``auth='bearer'`` only takes keys valid for all of RPC; the partner's
        key is scoped to this service (``PARTNER_API_SCOPE``), so that it opens these
        routes and nothing else. An unscoped key is let through here and refused by
        the service with a 403 (an employee's key, a key made before the scope).
        """
        header = request.httprequest.headers.get("Authorization") or ""
        match = re.fullmatch(r"bearer\s+(\S+)\s*", header, re.IGNORECASE)
        keys = request.env["res.users.apikeys"]
        uid = match and keys._check_credentials(scope=PARTNER_API_SCOPE, key=match.group(1))
        if not uid:
            raise Unauthorized("Invalid API key", www_authenticate=WWWAuthenticate("bearer"))
        request.update_env(user=uid)
        request.update_context(arrears_partner_key_scoped=keys._arrears_is_scoped_key(uid, match.group(1)))
        request.session.can_save = False  # stateless: no session cookie for an API call

    @classmethod
    def _handle_error(cls, exception):
        # The partner web service answers every error in JSON, authentication included.
        if not (request and request.httprequest.path.startswith(API_PREFIX + "/")):
            return super()._handle_error(exception)
        if (isinstance(exception, HTTPException) and exception.code == 401) or isinstance(exception, AccessDenied):
            return error_response(401, "unauthorized", "Missing or invalid API key.", [("WWW-Authenticate", "Bearer")])
        if isinstance(exception, (AccessError, MissingError)):
            return error_response(404, "not_found", "Not found.")
        if isinstance(exception, HTTPException):
            return error_response(exception.code, "http_error", exception.description or exception.name)
        if isinstance(exception, UserError):
            return error_response(400, "bad_request", str(exception))
        _logger.exception("Partner API call %s failed", request.httprequest.path)
        return error_response(500, "server_error", "Internal error; the call was not applied.")
