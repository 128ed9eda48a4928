import contextlib

from odoo import api, models

# Key, on the cursor, of the journals' number formats kept by _arrears_sequence_formats.
SEQUENCE_FORMATS = "insurance_arrears.sequence_formats"


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model
    def _arrears_create_entries(self, vals_list):
        """Create plain entries given whole (accounts, debits, credits): batches, rejections, fees.

        Odoo has nothing to synchronise on them, and its synchronisation costs
        seconds per thousand lines: no taxes nor payment terms to compute, no
        analytic distribution to merge into lines that are new and in draft
        (posting still makes the analytic lines a distribution model asks for).

        :return: the draft entries, in the caller's environment
        """
        line_vals = [command[2] for vals in vals_list for command in vals["line_ids"]]
        accounts = self.env["account.account"].browse({line["account_id"] for line in line_vals})
        receivable = set(accounts.filtered(lambda account: account.account_type == "asset_receivable").ids)
        for line in line_vals:
            if line["account_id"] in receivable:
                # As on an invoice's payment term lines: what the debtor owes carries no
                # analytic distribution (and a thousand lookups of the models are saved).
                line.setdefault("analytic_distribution", False)
        entries = self.with_context(skip_invoice_sync=True, skip_analytic_sync=True).create(
            [{"move_type": "entry", **vals} for vals in vals_list]
        )
        return entries.with_env(self.env)

    @contextlib.contextmanager
    def _arrears_sequence_formats(self):
        """Within this block, look up each journal's last number once per date and type of move.

        Odoo numbers a posted move by reading the journal's last number, then takes
        the next one under a lock and counts on from there within the transaction;
        but the look-up is made again for every move, and once more by the gap check
        of every move created or posted, a query each. Within the block, a look-up
        made for a journal, date and type of move is kept and given again: the lock
        and the count stay Odoo's own, so the numbers are those it gives one by one.
        The look-ups are kept on the cursor, where Odoo keeps its count, as its
        computations run in environments of their own.
        """
        self.env.cr.cache[SEQUENCE_FORMATS] = {}
        try:
            yield
        finally:
            self.env.cr.cache.pop(SEQUENCE_FORMATS, None)

    def _get_next_sequence_format(self):
        formats = self.env.cr.cache.get(SEQUENCE_FORMATS)
        if formats is None:
            return super()._get_next_sequence_format()
        key = (self.journal_id.id, self.date, self.move_type, bool(self.origin_payment_id))
        if key not in formats:
            formats[key] = super()._get_next_sequence_format()
        format_string, format_values = formats[key]
        return format_string, dict(format_values)

    def _arrears_receivables(self):
        """Receivable items of these moves: what the debtor owes on them."""
        return self.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")

    def _arrears_open_receivables(self):
        """Unreconciled receivable items of these moves: what a payment of the debtor settles."""
        return self._arrears_receivables().filtered(lambda line: not line.reconciled)

    def _invoice_paid_hook(self):
        # Whatever the route of the payment, a case with nothing left due closes now.
        res = super()._invoice_paid_hook()
        # sudo: whoever pays an invoice (an accountant without arrears rights, any
        # invoice of the company) must neither fail nor leave a paid case open.
        receipts = self.env["insurance.premium.receipt"].sudo().search([("move_id", "in", self.ids)])
        receipts.case_id.filtered(lambda c: c.state == "open")._refresh()
        return res
