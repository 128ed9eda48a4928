from odoo import fields, models

from ..iso20022.pain008 import DEFAULT_VERSION


class ResPartnerBank(models.Model):
    _inherit = "res.partner.bank"

    sepa_pain_version = fields.Selection(
        [("pain.008.001.08", "pain.008.001.08 (EPC current)"), ("pain.008.001.02", "pain.008.001.02 (legacy)")],
        string="SEPA Direct Debit Format",
        default=DEFAULT_VERSION,
        help="Version of the collection file the bank of this account accepts.",
    )
