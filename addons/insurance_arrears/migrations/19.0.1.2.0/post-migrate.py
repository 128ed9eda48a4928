"""Partner API keys get the partner web service's scope (they were valid for all of Odoo's RPC).

The keys of the partner API group's users issued before 19.0.1.2.0 had no scope;
after this, they open the partner web service and nothing else, and keep working there.
"""

from odoo import SUPERUSER_ID, api
from odoo.addons.insurance_arrears.controllers.api import PARTNER_API_SCOPE


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
    group = env.ref("insurance_arrears.group_arrears_partner_api", raise_if_not_found=False)
    if not group or not group.all_user_ids:
        return
    cr.execute(
        "UPDATE res_users_apikeys SET scope = %s WHERE scope IS NULL AND user_id IN %s",
        [PARTNER_API_SCOPE, tuple(group.all_user_ids.ids)],
    )
