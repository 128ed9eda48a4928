from odoo import fields, models

from ..models.arrears_case import AGEING_SELECTION, STAGE_SELECTION


class ArrearsReport(models.Model):
    """Amounts in arrears, one row per unpaid receipt, for the managers' pivot and graph views.

    A SQL view over the receipts' stored columns: grouping 100,000 receipts by
    ageing bucket, insurer, introducer or product line is one aggregate query.
    """

    _name = "arrears.report"
    _description = "Arrears Analysis"
    _auto = False
    _order = "date_due"
    _rec_name = "receipt_id"

    receipt_id = fields.Many2one("insurance.premium.receipt", readonly=True)
    case_id = fields.Many2one("arrears.case", readonly=True)
    contract_id = fields.Many2one("insurance.contract", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Policyholder", readonly=True)
    insurer_id = fields.Many2one("res.partner", readonly=True)
    introducer_id = fields.Many2one("res.partner", readonly=True)
    product_line_id = fields.Many2one("insurance.product.line", readonly=True)
    date_due = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(readonly=True, aggregator="avg")
    ageing = fields.Selection(AGEING_SELECTION, readonly=True)
    stage = fields.Selection(STAGE_SELECTION, string="Case Stage", readonly=True)
    amount_due = fields.Monetary(readonly=True)
    receipt_count = fields.Integer(string="Receipts", readonly=True)

    @property
    def _table_query(self):
        # Buckets as in schedule.AGEING_BUCKETS; a receipt not yet due counts as 0-30.
        return """
            SELECT r.id AS id,
                   r.id AS receipt_id,
                   r.case_id,
                   r.contract_id,
                   r.company_id,
                   company.currency_id,
                   r.partner_id,
                   r.insurer_id,
                   r.introducer_id,
                   r.product_line_id,
                   r.date_due,
                   GREATEST(CURRENT_DATE - r.date_due, 0) AS days_overdue,
                   CASE WHEN CURRENT_DATE - r.date_due <= 30 THEN '0_30'
                        WHEN CURRENT_DATE - r.date_due <= 60 THEN '31_60'
                        WHEN CURRENT_DATE - r.date_due <= 90 THEN '61_90'
                        ELSE '90_plus' END AS ageing,
                   c.stage,
                   r.amount_residual AS amount_due,
                   1 AS receipt_count
              FROM insurance_premium_receipt r
              JOIN res_company company ON company.id = r.company_id
         LEFT JOIN arrears_case c ON c.id = r.case_id
             WHERE r.state = 'open'
               AND r.amount_residual > 0
               AND r.collects_for_insurer
        """
