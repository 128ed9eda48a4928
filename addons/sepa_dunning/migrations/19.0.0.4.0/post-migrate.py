"""Notices and rejection lines point to the fee's receivable item, no longer to a fee invoice."""

from odoo.tools import SQL
from odoo.tools.sql import column_exists, table_exists


def _receivable_item(move_column):
    """The receivable item of the fee invoice in ``move_column``."""
    return SQL(
        """(SELECT line.id
              FROM account_move_line line
              JOIN account_account account ON account.id = line.account_id
             WHERE line.move_id = %s AND account.account_type = 'asset_receivable'
             ORDER BY line.id
             LIMIT 1)""",
        move_column,
    )


def migrate(cr, version):
    if not version:
        return
    if table_exists(cr, "dunning_notice_fee_move_rel"):
        cr.execute(
            SQL(
                """INSERT INTO dunning_notice_fee_line_rel (dunning_notice_id, account_move_line_id)
                   SELECT rel.dunning_notice_id, %s FROM dunning_notice_fee_move_rel rel
                   ON CONFLICT DO NOTHING""",
                _receivable_item(SQL.identifier("rel", "account_move_id")),
            )
        )
        cr.execute("DROP TABLE dunning_notice_fee_move_rel")
    for table in ("dunning_notice", "sepa_return_line"):
        if column_exists(cr, table, "fee_move_id"):
            cr.execute(
                SQL(
                    "UPDATE %s SET fee_line_id = %s WHERE fee_move_id IS NOT NULL",
                    SQL.identifier(table),
                    _receivable_item(SQL.identifier(table, "fee_move_id")),
                )
            )
            cr.execute(SQL("ALTER TABLE %s DROP COLUMN fee_move_id", SQL.identifier(table)))
