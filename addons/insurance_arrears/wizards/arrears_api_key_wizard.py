from odoo import fields, models
from odoo.exceptions import UserError

from ..controllers.api import PARTNER_API_SCOPE


class ArrearsApiKeyWizard(models.TransientModel):
    _name = "arrears.api.key.wizard"
    _description = "Issue a Partner API Key"

    user_id = fields.Many2one("res.users", required=True, readonly=True)
    name = fields.Char(string="Description", required=True, default="Extranet")
    expiration_date = fields.Datetime(help="Leave empty for a key that lasts until it is revoked.")
    key = fields.Char(readonly=True, help="Shown once: copy it to the partner's extranet now.")

    def action_generate(self):
        self.ensure_one()
        if not self.user_id.has_group("insurance_arrears.group_arrears_partner_api"):
            raise UserError(self.env._("Put the user in the Partner API group first."))
        # sudo(): a manager issues the key of another user, whose own rights would
        # not allow a key without expiry; the key is bound to that user only, and scoped to
        # the partner web service (refused by Odoo's RPC).
        self.key = (
            self.env["res.users.apikeys"]
            .with_user(self.user_id)
            .sudo()
            ._generate(PARTNER_API_SCOPE, self.name, self.expiration_date or None)
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
