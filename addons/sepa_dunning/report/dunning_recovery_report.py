from odoo import fields, models

from ..models.dunning_policy import CHANNELS


class DunningRecoveryReport(models.Model):
    """Notices sent and what followed: was the case settled, and how many days later."""

    _name = "dunning.recovery.report"
    _description = "Dunning Recovery Analysis"
    _auto = False
    _order = "date desc"

    notice_id = fields.Many2one("dunning.notice", readonly=True)
    case_id = fields.Many2one("arrears.case", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    level_id = fields.Many2one("dunning.level", readonly=True)
    policy_id = fields.Many2one("dunning.policy", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    insurer_id = fields.Many2one("res.partner", readonly=True)
    date = fields.Date(string="Notice Date", readonly=True)
    notice_count = fields.Integer(string="Notices", readonly=True)
    recovered_rate = fields.Float(string="Recovered (%)", readonly=True, aggregator="avg")
    days_to_payment = fields.Float(string="Days to Payment", readonly=True, aggregator="avg")

    @property
    def _table_query(self):
        # A case settled after a notice counts as recovered by it; the delay is
        # from the notice to the day the case closed.
        return """
            SELECT n.id AS id,
                   n.id AS notice_id,
                   n.case_id,
                   n.company_id,
                   n.level_id,
                   lvl.policy_id,
                   n.channel,
                   c.insurer_id,
                   n.date,
                   1 AS notice_count,
                   CASE WHEN c.state = 'closed' THEN 100.0 ELSE 0.0 END AS recovered_rate,
                   CASE WHEN c.state = 'closed' THEN (c.date_closed - n.date) END AS days_to_payment
              FROM dunning_notice n
              JOIN dunning_level lvl ON lvl.id = n.level_id
              JOIN arrears_case c ON c.id = n.case_id
             WHERE n.state = 'sent'
        """
