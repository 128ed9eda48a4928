"""Batches posted before 19.0.0.5.0 get their items in transit, so that statements can settle them.

The outstanding-receipts item of each in-transit entry is the batch's; a rejection
entry's outstanding credit is the batch's when all the rejections of that entry
(same file, journal and date) are of one batch (older entries grouped batches).
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    batches = env["sepa.debit.batch"].with_context(active_test=False).search([("move_ids", "!=", False)])
    for batch in batches:
        outstanding = batch.move_ids.line_ids.filtered(
            lambda aml: aml.debit and aml.account_id.account_type != "asset_receivable"
        )
        outstanding.sepa_batch_id = batch
    for report in env["sepa.return.import"].search([("move_ids", "!=", False)]):
        for move in report.move_ids:
            lines = report.line_ids.filtered(
                lambda line, move=move: (
                    line.state == "done"
                    and line.date == move.date
                    and line.debit_line_id.batch_id.journal_id == move.journal_id
                )
            )
            batch = lines.debit_line_id.batch_id
            if len(batch) == 1:
                move.line_ids.filtered(
                    lambda aml, batch=batch: aml.credit and aml.account_id == batch._outstanding_account()
                ).sepa_batch_id = batch
    batches = env["sepa.debit.batch"].search([])
    for name in ("amount_in_transit", "amount_banked", "bank_state"):
        env.add_to_compute(batches._fields[name], batches)
    batches.flush_recordset()
