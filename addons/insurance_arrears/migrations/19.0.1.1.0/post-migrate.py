"""Fees charged to a debtor became receivable items (they were fee invoices linked to the case)."""

from odoo.tools.sql import table_exists


def migrate(cr, version):
    if not version or not table_exists(cr, "arrears_case_fee_move_rel"):
        return
    # The receivable item of each fee invoice is the fee the case asks for.
    cr.execute(
        """
        UPDATE account_move_line line
           SET arrears_fee_case_id = rel.case_id
          FROM arrears_case_fee_move_rel rel, account_account account
         WHERE line.move_id = rel.move_id
           AND account.id = line.account_id
           AND account.account_type = 'asset_receivable'
        """
    )
    cr.execute("DROP TABLE arrears_case_fee_move_rel")
