from odoo import api, fields, models
from odoo.addons.base.models.res_users import INDEX_SIZE
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.tools import SQL

from ..controllers.api import PARTNER_API_SCOPE


class ResUsers(models.Model):
    _inherit = "res.users"

    arrears_api_call_count = fields.Integer(
        string="API Calls", compute="_compute_arrears_api_call_count", groups="insurance_arrears.group_arrears_manager"
    )

    def _compute_arrears_api_call_count(self):
        counts = dict(self.env["arrears.api.call"]._read_group([("user_id", "in", self.ids)], ["user_id"], ["__count"]))
        for user in self:
            user.arrears_api_call_count = counts.get(user, 0)

    def _is_arrears_partner(self):
        """Whether the user is a partner of the web service (its keys open that service only)."""
        self.ensure_one()
        return self.has_group("insurance_arrears.group_arrears_partner_api")

    def _check_credentials(self, credential, env):
        # A partner of the web service has no Odoo session: with a password it would reach
        # /web/dataset/call_kw and read every field of its portfolio's records, not the
        # service's answers. Its scoped key opens the service routes (auth="arrears_partner").
        if credential.get("type") == "password" and self.env.user._is_arrears_partner():
            raise AccessDenied()
        return super()._check_credentials(credential, env)

    def _rpc_api_keys_only(self):
        # A partner reaches Odoo through its scoped key only: no password for XML-RPC/JSON-RPC
        # either (the key itself is refused there, see ResUsersApikeys._check_credentials).
        return self._is_arrears_partner() or super()._rpc_api_keys_only()

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

    @api.model
    def _check_credentials(self, *, scope, key):
        """A partner's key, whatever its scope, opens the partner web service and nothing else.

        Refused for any other scope: 'rpc' (XML-RPC, JSON-RPC, /json/2, bearer routes) and
        the scopes of other apps. Keys of other users are Odoo's business, unchanged.
        """
        uid = super()._check_credentials(scope=scope, key=key)
        if uid and scope != PARTNER_API_SCOPE and self._arrears_is_partner_uid(uid):
            return None
        return uid

    @api.model
    def _arrears_is_partner_uid(self, uid):
        """Whether ``uid`` is in the partner API group, directly or through a group implying it.

        In SQL: keys are checked before anyone is authenticated, in an environment
        without a user, where ``has_group`` cannot build the group definitions.
        """
        group_id = self.env["ir.model.data"]._xmlid_to_res_id("insurance_arrears.group_arrears_partner_api")
        rows = self.env.execute_query(
            SQL(
                """
                WITH RECURSIVE implying(id) AS (
                    SELECT %(group)s
                     UNION
                    SELECT rel.gid FROM res_groups_implied_rel rel JOIN implying ON rel.hid = implying.id
                )
                SELECT 1 FROM res_groups_users_rel WHERE uid = %(uid)s AND gid IN (SELECT id FROM implying) LIMIT 1
                """,
                group=group_id,
                uid=uid,
            )
        )
        return bool(rows)

    @api.model
    def _arrears_is_scoped_key(self, uid, key):
        """Whether ``key`` (already checked for ``uid``) is one of the partner web service's keys.

        Odoo's check also takes unscoped keys for every scope; the service refuses those.
        """
        rows = self.env.execute_query(
            SQL(
                "SELECT 1 FROM res_users_apikeys WHERE user_id = %s AND index = %s AND scope = %s",
                uid,
                key[:INDEX_SIZE],
                PARTNER_API_SCOPE,
            )
        )
        return bool(rows)

    def _generate(self, scope, name, expiration_date):
        # A partner gets its key from its broker (scoped to the web service), never an
        # all-purpose key of its own from the preferences or the portal's security page.
        if scope != PARTNER_API_SCOPE and self.env.user._is_arrears_partner():
            raise UserError(
                self.env._("Your API key for the partner web service is issued by your broker: ask them for one.")
            )
        return super()._generate(scope, name, expiration_date)

    def action_arrears_revoke(self):
        """Revoke partner API keys from the partner user's form."""
        if not self.env.user.has_group("insurance_arrears.group_arrears_manager"):
            raise AccessError(self.env._("Only an arrears manager revokes partner API keys."))
        if any(not key.user_id.has_group("insurance_arrears.group_arrears_partner_api") for key in self):
            raise UserError(self.env._("Only the keys of partner web service users are revoked here."))
        # sudo(): Odoo lets only a key's owner or an administrator remove it; an arrears
        # manager revokes the keys of its partners' users, and only those (checked above).
        return self.sudo()._remove()
