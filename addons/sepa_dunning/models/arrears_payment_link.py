from odoo import models
from odoo.tools import format_date


class ArrearsPaymentLink(models.Model):
    _inherit = "arrears.payment.link"

    def _page_documents(self):
        """The page's documents, and a copy of each dunning letter sent for the case."""
        documents = super()._page_documents()
        letters = self.case_id.notice_ids.filtered(lambda n: n.channel == "letter" and n.state == "sent")
        for letter in letters.sorted("date"):
            documents[f"letter-{letter.id}"] = (
                self.env._(
                    "Letter of %(date)s: %(level)s", date=format_date(self.env, letter.date), level=letter.level_id.name
                ),
                "sepa_dunning.action_report_dunning_letter",
                letter,
            )
        return documents
