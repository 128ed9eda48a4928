from odoo import fields, models


class SepaRejectionReport(models.Model):
    """Direct debits sent to the bank and how many came back, by reason code."""

    _name = "sepa.rejection.report"
    _description = "Direct Debit Rejection Analysis"
    _auto = False
    _order = "date desc"

    debit_id = fields.Many2one("sepa.debit.line", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date = fields.Date(string="Collection Date", readonly=True)
    insurer_id = fields.Many2one("res.partner", readonly=True)
    product_line_id = fields.Many2one("insurance.product.line", readonly=True)
    reason_id = fields.Many2one("sepa.return.reason", string="Rejection Reason", readonly=True)
    debit_count = fields.Integer(string="Debits", readonly=True)
    rejected_count = fields.Integer(string="Rejections", readonly=True)
    rejection_rate = fields.Float(string="Rejection Rate (%)", readonly=True, aggregator="avg")
    amount = fields.Monetary(readonly=True)

    @property
    def _table_query(self):
        return """
            SELECT d.id AS id,
                   d.id AS debit_id,
                   d.company_id,
                   company.currency_id,
                   b.collection_date AS date,
                   c.insurer_id,
                   c.product_line_id,
                   d.return_reason_id AS reason_id,
                   1 AS debit_count,
                   CASE WHEN d.state = 'rejected' THEN 1 ELSE 0 END AS rejected_count,
                   CASE WHEN d.state = 'rejected' THEN 100.0 ELSE 0.0 END AS rejection_rate,
                   d.amount
              FROM sepa_debit_line d
              JOIN sepa_debit_batch b ON b.id = d.batch_id
              -- the contract's, not the receipt's: a plan over fees only has no receipt
              JOIN insurance_contract c ON c.id = d.contract_id
              JOIN res_company company ON company.id = d.company_id
             WHERE d.state IN ('collected', 'rejected')
        """
