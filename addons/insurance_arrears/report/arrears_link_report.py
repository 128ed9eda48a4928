from odoo import fields, models


class ArrearsLinkReport(models.Model):
    """Payment links: how many were opened and paid, and how fast."""

    _name = "arrears.link.report"
    _description = "Payment Link Analysis"
    _auto = False
    _order = "date desc"

    link_id = fields.Many2one("arrears.payment.link", readonly=True)
    case_id = fields.Many2one("arrears.case", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    insurer_id = fields.Many2one("res.partner", readonly=True)
    introducer_id = fields.Many2one("res.partner", readonly=True)
    provider = fields.Char(readonly=True)
    state = fields.Char(readonly=True)
    date = fields.Date(string="Issued On", readonly=True)
    link_count = fields.Integer(string="Links", readonly=True)
    opened_rate = fields.Float(string="Opened (%)", readonly=True, aggregator="avg")
    paid_rate = fields.Float(string="Paid (%)", readonly=True, aggregator="avg")
    hours_to_payment = fields.Float(string="Hours to Payment", readonly=True, aggregator="avg")
    amount_paid = fields.Float(readonly=True)

    @property
    def _table_query(self):
        return """
            SELECT l.id AS id,
                   l.id AS link_id,
                   l.case_id,
                   l.company_id,
                   l.insurer_id,
                   l.introducer_id,
                   l.provider,
                   l.state,
                   l.create_date::date AS date,
                   1 AS link_count,
                   CASE WHEN l.open_count > 0 THEN 100.0 ELSE 0.0 END AS opened_rate,
                   CASE WHEN l.state = 'paid' THEN 100.0 ELSE 0.0 END AS paid_rate,
                   EXTRACT(EPOCH FROM (l.date_paid - l.create_date)) / 3600.0 AS hours_to_payment,
                   COALESCE(l.amount_paid, 0.0) AS amount_paid
              FROM arrears_payment_link l
             WHERE l.state != 'cancelled'
        """
