from odoo import models
from odoo.tools import format_date

from .. import signing


class ArrearsPaymentLink(models.Model):
    _inherit = "arrears.payment.link"

    def _page_documents(self):
        """The page's documents, a copy of each dunning letter sent for the case, and the payment
        receipt of each direct debit collected for it (an instalment of its plan, a receipt)."""
        documents = super()._page_documents()
        case = self.case_id
        debits = self.env["sepa.debit.line"].search(
            [
                ("payment_receipt_date", "!=", False),
                "|",
                ("receipt_id.case_id", "=", case.id),
                ("instalment_id.request_id.case_id", "=", case.id),
            ],
            order="id",
        )
        for debit in debits:
            documents[f"debit-{debit.id}"] = (
                self.env._(
                    "Payment receipt of the direct debit of %(date)s",
                    date=format_date(self.env, debit.batch_id.collection_date),
                ),
                "sepa_dunning.action_report_debit_receipt",
                debit,
            )
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

    def _nothing_to_pay_now(self):
        plan = self.case_id._active_plan()
        if plan.instalment_ids.filtered(lambda instalment: instalment.collection == "sepa_dd"):
            return self.env._("Nothing is to be paid now: your next instalment is collected by direct debit.")
        return super()._nothing_to_pay_now()

    def _page_values(self, status=None):
        """The page, and its offer to pay by direct debit: a mandate to sign online (see
        ``sepa.mandate.signature``). Of a mandate already held, only whether it stopped is shown."""
        values = super()._page_values(status=status)
        contract = self.case_id.contract_id
        mandate = contract.mandate_id
        signature = self.env["sepa.mandate.signature"].search(
            [("link_id", "=", self.id), ("state", "in", ("pending", "signed"))], limit=1
        )
        values.update(
            mandate_offered=bool(self.company_id.sepa_creditor_identifier) and values["payable"],
            mandate_stopped=contract.payment_method == "sepa_dd" and mandate.state in ("blocked", "revoked", "expired"),
            mandate_signature=signature,
            mandate_code_minutes=int(signing.CODE_VALIDITY.total_seconds() // 60),
            mandate_attempts_left=max(signing.MAX_ATTEMPTS - signature.attempt_count, 0),
            mandate_collectable=signature._collectable_receipts() if signature.state == "pending" else False,
        )
        return values

    def _mandate_start(self, debtor_name, iban):
        """A mandate to sign from the page: its code sent (``sepa.mandate.signature._start``)."""
        self.ensure_one()
        return self.env["sepa.mandate.signature"]._start(self, debtor_name, iban)

    def _mandate_sign(self, code, ip_address=None, user_agent=None, collect_open=False):
        """The code typed back on the page, for the link's own signature awaiting it; never another's."""
        self.ensure_one()
        signature = self.env["sepa.mandate.signature"].search(
            [("link_id", "=", self.id), ("state", "=", "pending")], limit=1
        )
        if not signature:
            return signing.EXPIRED
        return signature._sign(code, ip_address=ip_address, user_agent=user_agent, collect_open=collect_open)
