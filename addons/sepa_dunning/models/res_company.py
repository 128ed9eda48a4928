from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..iso20022.pain008 import SepaInputError, check_creditor_id


class ResCompany(models.Model):
    _inherit = "res.company"

    sepa_creditor_identifier = fields.Char(
        string="SEPA Creditor Identifier",
        help="Identifier given by the bank of France (ICS) or of another SEPA country.",
    )
    sepa_prenotification_days = fields.Integer(
        string="Pre-notification (days)",
        default=14,
        help="A receipt is debited only if its notice went out at least this many days "
        "before the collection date (14 unless the mandate says less).",
    )
    sepa_first_collection_frst = fields.Boolean(
        string="Use FRST for First Debits",
        help="Some banks still want the first debit of a mandate flagged FRST; otherwise RCUR.",
    )

    sepa_rejection_fee = fields.Monetary(
        string="Bank Rejection Fee",
        currency_field="currency_id",
        help="Fee the bank charges per rejected debit, booked as an expense on each rejection.",
    )
    sepa_rejection_fee_account_id = fields.Many2one("account.account", string="Rejection Fee Expense Account")
    sepa_charge_rejection_fee = fields.Boolean(
        string="Charge the Fee to the Client",
        help="Invoice the bank's rejection fee to the client; it then appears among the amounts due.",
    )
    sepa_fee_income_account_id = fields.Many2one("account.account", string="Re-charged Fee Income Account")
    sepa_max_representations = fields.Integer(
        string="Presentations after Insufficient Funds",
        default=2,
        help="How many times a debit rejected for insufficient funds (AM04) is presented again.",
    )

    @api.constrains("sepa_creditor_identifier")
    def _check_sepa_creditor_identifier(self):
        for company in self.filtered("sepa_creditor_identifier"):
            try:
                check_creditor_id(company.sepa_creditor_identifier)
            except SepaInputError as exc:
                raise ValidationError(
                    _(
                        "The SEPA creditor identifier %(value)s of %(company)s is not valid: check its digits.",
                        value=company.sepa_creditor_identifier,
                        company=company.name,
                    )
                ) from exc
