from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import LockError, UserError

ENTRY_STATES = [
    ("to_book", "To Book"),
    ("booked", "Booked"),
    ("already_booked", "Already Booked"),
    ("not_posted", "Batch not posted yet"),
    ("exceeds", "More than in transit"),
]


class SepaStatementEntry(models.Model):
    """What a bank statement (camt.053) booked on the account for one of our debit batches.

    Booked, an entry is a bank statement line of the batch's journal whose
    counterpart is the debits in transit (the journal's outstanding receipts
    account), reconciled with the batch's items in transit: what the bank
    credited settles them, what it debited (a return, a fee) answers the
    rejection entry that took it out of transit. What is left in transit is what
    the bank has not paid, shown on the batch.
    """

    _name = "sepa.statement.entry"
    _description = "Bank Statement Entry of a Debit Batch"
    _order = "import_id, date, id"
    _check_company_auto = True

    import_id = fields.Many2one("sepa.return.import", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="import_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    batch_id = fields.Many2one("sepa.debit.batch", required=True, index=True, check_company=True)
    date = fields.Date(required=True)
    amount = fields.Monetary(help="Positive: credited by the bank; negative: debited (a return, a fee).")
    bank_reference = fields.Char(required=True, index=True, help="The bank's reference of the entry (AcctSvcrRef).")
    label = fields.Char()
    end_to_end_ids = fields.Text(string="Debits Listed", help="End-to-end ids the bank listed in the entry's details.")
    state = fields.Selection(ENTRY_STATES, required=True, default="to_book")
    statement_line_id = fields.Many2one("account.bank.statement.line", readonly=True, index="btree_not_null")

    @api.depends("batch_id", "amount")
    def _compute_display_name(self):
        for entry in self:
            entry.display_name = f"{entry.batch_id.name} {entry.bank_reference}"

    # -------------------------------------------------------------------------
    # Reading a statement
    # -------------------------------------------------------------------------

    @api.model
    def _prepare_vals(self, report, entries):
        """Values of the entries of ``entries`` (returns.StatementEntry) that concern our batches.

        An entry is ours when its references (the batch booking's block or
        message, or its transactions' end-to-end ids) name a batch of the
        company; an entry crediting several batches is split by its details.
        Entries of anything else (transfers, card payments) are not ours.

        :return: (values, number of entries that are not ours)
        """
        company = report.company_id
        Batch = self.env["sepa.debit.batch"]
        e2e_ids = {tx.end_to_end_id for entry in entries for tx in entry.transactions if tx.end_to_end_id}
        debits = self.env["sepa.debit.line"].search(
            [("end_to_end_id", "in", list(e2e_ids)), ("company_id", "=", company.id)]
        )
        batch_of_e2e = {debit.end_to_end_id: debit.batch_id for debit in debits}
        references = [ref for entry in entries for ref in (entry.message_id, entry.payment_info_id)]
        transactions = [tx for entry in entries for tx in entry.transactions]
        references += [ref for tx in transactions for ref in (tx.message_id, tx.payment_info_id)]
        names = {self._batch_name(ref) for ref in references if ref}
        batches = {b.name: b for b in Batch.search([("name", "in", list(names)), ("company_id", "=", company.id)])}

        def batch_of(e2e="", message_id="", payment_info_id=""):
            return (
                batch_of_e2e.get(e2e)
                or batches.get(self._batch_name(payment_info_id))
                or batches.get(self._batch_name(message_id))
                or Batch
            )

        def account_of(batch):
            return (batch.journal_id.bank_account_id.sanitized_acc_number or "").upper()

        vals_list, foreign = [], 0
        for entry in entries:
            shares = defaultdict(float)  # batch -> amount
            listed = defaultdict(list)
            for tx in entry.transactions:
                batch = batch_of(tx.end_to_end_id, tx.message_id, tx.payment_info_id)
                if batch and entry.account_iban and account_of(batch) != entry.account_iban:
                    continue  # the statement of another account: not this batch's money
                if batch:
                    shares[batch] += float(tx.amount or 0)
                    if tx.end_to_end_id:
                        listed[batch].append(tx.end_to_end_id)
            if not shares:
                batch = batch_of(message_id=entry.message_id, payment_info_id=entry.payment_info_id)
                if batch and not (entry.account_iban and account_of(batch) != entry.account_iban):
                    shares[batch] = abs(float(entry.amount))
            if not shares:
                # Neither a batch's money nor (when it reports a return) anything the rejection lines do not read.
                foreign += not entry.returns
                continue
            sign = 1 if entry.amount > 0 else -1
            if len(shares) == 1:
                # One batch: the entry's amount is what the bank booked, whatever its details add up to.
                shares = {next(iter(shares)): abs(float(entry.amount))}
            for batch, amount in shares.items():
                vals_list.append(
                    {
                        "import_id": report.id,
                        "batch_id": batch.id,
                        "date": entry.date or fields.Date.context_today(self),
                        "amount": sign * amount,
                        "bank_reference": entry.bank_reference
                        if len(shares) == 1
                        else f"{entry.bank_reference}/{batch.name}",
                        "label": entry.label,
                        "end_to_end_ids": "\n".join(listed[batch]) or False,
                    }
                )
        return vals_list, foreign

    @staticmethod
    def _batch_name(reference):
        """The batch a payment-information id (``<batch>-<sequence type>``) or message id names."""
        if not reference:
            return ""
        head, sep, tail = reference.rpartition("-")
        return head if sep and tail in ("FRST", "RCUR", "OOFF", "FNAL") else reference

    # -------------------------------------------------------------------------
    # Booking
    # -------------------------------------------------------------------------

    def _book(self):
        """Book each entry as a statement line reconciled with its batch's items in transit.

        Checked again at booking, under a lock on the batches: an entry another
        file booked since (same bank reference) is flagged, a credit larger than
        what is in transit is left for an accountant, never booked blindly.
        """
        entries = self.filtered(lambda entry: entry.state == "to_book")
        batches = entries.batch_id
        if not batches:
            return entries
        try:
            batches.lock_for_update()
        except LockError as exc:
            raise UserError(
                self.env._(
                    "Another bank file is booking the statement of the same batches at this moment. "
                    "Confirm %(name)s again in a moment: what it booked will be listed as already booked.",
                    name=entries.import_id[:1].name,
                )
            ) from exc
        booked = set(
            self.search(
                [
                    ("company_id", "in", entries.company_id.ids),
                    ("bank_reference", "in", entries.mapped("bank_reference")),
                    ("state", "=", "booked"),
                ]
            ).mapped("bank_reference")
        )
        currency = entries.company_id.currency_id[:1]
        in_transit = {batch: batch.amount_in_transit for batch in batches}
        to_book = self.browse()
        # What the bank debited first (it adds to what it owes), then what it credited, while it fits.
        for entry in entries.sorted(lambda e: (e.amount > 0, e.id)):
            batch = entry.batch_id
            if entry.bank_reference in booked:
                entry.state = "already_booked"
            elif batch.state != "confirmed" or not batch.move_ids:
                entry.state = "not_posted"
            elif entry.amount > 0 and currency.compare_amounts(entry.amount, in_transit[batch]) > 0:
                entry.state = "exceeds"
            else:
                booked.add(entry.bank_reference)
                in_transit[batch] -= entry.amount
                to_book |= entry
        if not to_book:
            return to_book
        # sudo: statement lines are Accounting's (Bookkeeper and up), while a billing user who may post the
        # batch and its rejections confirms the bank's file; lines are made only for entries matched to a
        # posted batch of the file's company, on that batch's journal, against its debits in transit.
        StatementLine = self.env["account.bank.statement.line"].sudo().with_company(entries.company_id[:1])
        st_lines = StatementLine.create(
            [
                {
                    "journal_id": entry.batch_id.journal_id.id,
                    "date": entry.date,
                    "amount": entry.amount,
                    "payment_ref": entry._statement_label(),
                    "counterpart_account_id": entry.batch_id._outstanding_account().id,
                    "transaction_details": {
                        "bank_reference": entry.bank_reference,
                        "batch": entry.batch_id.name,
                        "file": entry.import_id.name,
                    },
                }
                for entry in to_book
            ]
        )
        for entry, st_line in zip(to_book, st_lines, strict=True):
            counterpart = st_line.move_id.line_ids.filtered(
                lambda aml, entry=entry: aml.account_id == entry.batch_id._outstanding_account()
            )
            counterpart.sepa_batch_id = entry.batch_id.id
            entry.write({"statement_line_id": st_line.id, "state": "booked"})
        to_book.batch_id._settle_transit()
        return to_book

    def _statement_label(self):
        self.ensure_one()
        values = {"batch": self.batch_id.name, "ref": self.bank_reference}
        if self.amount > 0:
            return self.env._("SEPA direct debit %(batch)s credited (%(ref)s)", **values)
        return self.env._("SEPA direct debit %(batch)s: returned or charged (%(ref)s)", **values)
