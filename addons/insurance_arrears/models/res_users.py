from odoo import fields, models
from odoo.exceptions import AccessError, UserError


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


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    def action_arrears_revoke(self):
        """Revoke partner API keys from the partner user's form."""
        if not self.env.user.has_group("insurance_arrears.group_arrears_manager"):
            raise AccessError(self.env._("Only an arrears manager revokes partner API keys."))
        if any(not key.user_id.has_group("insurance_arrears.group_arrears_partner_api") for key in self):
            raise UserError(self.env._("Only the keys of partner web service users are revoked here."))
        # sudo(): Odoo lets only a key's owner or an administrator remove it; an arrears
        # manager revokes the keys of its partners' users, and only those (checked above).
        return self.sudo()._remove()
