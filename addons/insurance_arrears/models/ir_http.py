import logging

from werkzeug.exceptions import HTTPException

from odoo import models
from odoo.exceptions import AccessDenied, AccessError, MissingError, UserError
from odoo.http import request

from ..controllers.api import API_PREFIX, error_response

_logger = logging.getLogger(__name__)


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

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
