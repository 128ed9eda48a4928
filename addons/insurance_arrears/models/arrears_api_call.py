from datetime import timedelta

from odoo import api, fields, models

# Calls deleted per transaction by the purge.
PURGE_BATCH = 10000


class ArrearsApiCall(models.Model):
    """One call to the partner web service, for the audit (calls refused by the rate limit are not stored)."""

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
    def _cron_purge(self):
        """Delete the calls older than each company's retention period, in batches; old rate windows too."""
        self.env["arrears.api.window"]._purge()
        now = fields.Datetime.now()
        domains = [
            [("user_id.company_id", "=", company.id), ("date", "<", now - timedelta(days=company.arrears_api_log_days))]
            for company in self.env["res.company"].sudo().search([("arrears_api_log_days", ">", 0)])
        ]
        cron = self.env["ir.cron"]
        cron._commit_progress_in_cron(remaining=sum(self.search_count(domain) for domain in domains))
        for domain in domains:
            while calls := self.search(domain, limit=PURGE_BATCH):
                calls.unlink()
                if not cron._commit_progress_in_cron(len(calls)):
                    return True
        return True
