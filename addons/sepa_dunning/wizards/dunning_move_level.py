from odoo import fields, models


class DunningMoveLevel(models.TransientModel):
    _name = "dunning.move.level"
    _description = "Move an Arrears Case to a Dunning Level"

    case_id = fields.Many2one("arrears.case", required=True)
    policy_id = fields.Many2one(related="case_id.dunning_policy_id")
    level_id = fields.Many2one("dunning.level", required=True, domain="[('policy_id', '=', policy_id)]")
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.case_id._dunning_move_to(self.level_id, self.reason)
