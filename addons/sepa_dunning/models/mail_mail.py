from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, success_emails, failure_reason=False, failure_type=None):
        # A dunning e-mail the server could not send: the notice failed, a letter may replace it.
        if failure_type:
            notices = self.env["dunning.notice"].sudo().search([("mail_id", "in", self.ids), ("state", "=", "sent")])
            notices._fail(failure_reason or failure_type)
        return super()._postprocess_sent_message(
            success_pids, success_emails, failure_reason=failure_reason, failure_type=failure_type
        )
