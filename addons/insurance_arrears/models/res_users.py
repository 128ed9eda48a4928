from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    arrears_api_call_count = fields.Integer(
        string="API Calls", compute="_compute_arrears_api_call_count", groups="insurance_arrears.group_arrears_manager"
    )

    def _compute_arrears_api_call_count(self):
        counts = dict(self.env["arrears.api.call"]._read_group([("user_id", "in", self.ids)], ["user_id"], ["__count"]))
        for user in self:
            user.arrears_api_call_count = counts.get(user, 0)

    def action_arrears_new_api_key(self):
        """Open the wizard that issues an API key for this partner user (shown once)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Partner API Key"),
            "res_model": "arrears.api.key.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_user_id": self.id},
        }

    def action_arrears_view_api_calls(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("API Calls"),
            "res_model": "arrears.api.call",
            "view_mode": "list",
            "domain": [("user_id", "=", self.id)],
        }
