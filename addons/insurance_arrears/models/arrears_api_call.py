from datetime import timedelta

from odoo import api, fields, models


class ArrearsApiCall(models.Model):
    """One call to the partner web service: the audit log, and the rate limiter's memory."""

    _name = "arrears.api.call"
    _description = "Partner API Call"
    _order = "id desc"
    _log_access = False  # create_date is all we need; no write_uid/write_date per call

    user_id = fields.Many2one("res.users", required=True, index=True, readonly=True, ondelete="cascade")
    partner_id = fields.Many2one(related="user_id.partner_id", string="Partner")
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    method = fields.Char(readonly=True)
    path = fields.Char(readonly=True)
    status = fields.Integer(readonly=True)
    ip_address = fields.Char(string="IP Address", readonly=True)

    _user_date_index = models.Index("(user_id, date DESC)")

    @api.model
    def _calls_last_minute(self, user):
        return self.search_count(
            [("user_id", "=", user.id), ("date", ">", fields.Datetime.now() - timedelta(minutes=1))]
        )

    @api.autovacuum
    def _gc_old_calls(self):
        """Keep a year of calls."""
        self.search([("date", "<", fields.Datetime.now() - timedelta(days=366))], limit=100000).unlink()
