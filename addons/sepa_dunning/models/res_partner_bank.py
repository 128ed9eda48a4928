from odoo import fields, models

from ..iso20022 import pain001
from ..iso20022.pain008 import DEFAULT_VERSION


class ResPartnerBank(models.Model):
    _inherit = "res.partner.bank"

    sepa_pain_version = fields.Selection(
        [("pain.008.001.08", "pain.008.001.08 (EPC current)"), ("pain.008.001.02", "pain.008.001.02 (legacy)")],
        string="SEPA Direct Debit Format",
        default=DEFAULT_VERSION,
        help="Version of the collection file the bank of this account accepts.",
    )
    sepa_transfer_version = fields.Selection(
        [("pain.001.001.09", "pain.001.001.09 (EPC current)"), ("pain.001.001.03", "pain.001.001.03 (legacy)")],
        string="SEPA Credit Transfer Format",
        default=pain001.DEFAULT_VERSION,
        help="Version of the credit transfer file the bank of this account accepts.",
    )
