import base64

from odoo import models


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _arrears_post(self, records, thread_of, attachments_of=None):
        """E-mail this template for each of ``records``, posted in the history of ``thread_of(record)``.

        For a record without a chatter of its own (a debit) or whose e-mail belongs with
        another record's history (a contract's): rendered in one pass, each in its
        recipient's language, the template's reports attached, sent to its recipients
        (``partner_to``) and kept on the thread as a message.

        :param attachments_of: ``record -> [(name, bytes)]`` attached besides the reports
        :return: the messages posted
        """
        self.ensure_one()
        if not records:
            return self.env["mail.message"]
        rendered = self._generate_template(
            records.ids, ("subject", "body_html", "email_from", "partner_to", "report_template_ids")
        )
        messages = self.env["mail.message"]
        for record in records:
            values = rendered[record.id]
            attachments = [(name, base64.b64decode(data)) for name, data in values.get("attachments", [])]
            messages |= thread_of(record).message_post(
                subject=values["subject"],
                body=values["body_html"],
                email_from=values.get("email_from"),
                partner_ids=values.get("partner_ids", []),
                attachments=attachments + (attachments_of(record) if attachments_of else []),
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        return messages
