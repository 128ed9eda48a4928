from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError

from ..iso20022.pain008 import SepaInputError
from ..iso20022.pain008 import check_creditor_id


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
