import base64
import hashlib
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import LockError, UserError
from odoo.fields import Command
from odoo.tools import split_every

from ..iso20022 import returns
from .sepa_debit_batch import POSTING_CHUNK

# A line in one of these states changes nothing and needs no one: the bank reported
# again a rejection posted (or about to be posted) by another line.
REPORTED_STATES = ("already_rejected", "reported")

MATCH_STATES = [
    ("matched", "Matched"),
    ("unmatched", "No debit found"),
    ("amount_mismatch", "Amount differs from the debit"),
    ("already_rejected", "Debit already rejected"),
    ("reported", "Reported by another file"),
    ("other_company", "Debit of another company"),
    ("not_posted", "Debit not posted yet"),
]


class SepaReturnImport(models.Model):
    _name = "sepa.return.import"
    _description = "Bank Rejection File"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, copy=False, readonly=True, default="/")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    file = fields.Binary(required=True, attachment=True, copy=False)
    filename = fields.Char()
    file_hash = fields.Char(readonly=True, copy=False, index=True)
    state = fields.Selection(
        [("draft", "Draft"), ("parsed", "To Confirm"), ("done", "Done")],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
    )
    message_type = fields.Char(readonly=True)
    bank_message_id = fields.Char(string="Bank Message Id", readonly=True)
    ignored_count = fields.Integer(readonly=True, help="Entries of the file without return information.")
    line_ids = fields.One2many("sepa.return.line", "import_id", string="Lines")
    matched_count = fields.Integer(compute="_compute_counts")
    reported_count = fields.Integer(
        compute="_compute_counts",
        string="Already Reported",
        help="Rejections the bank reported again: already posted, or carried by another file; nothing to do.",
    )
    issue_count = fields.Integer(compute="_compute_counts", string="Lines to Resolve")
    amount_total = fields.Monetary(compute="_compute_counts")
    move_ids = fields.Many2many(
        "account.move",
        "sepa_return_import_move_rel",
        string="Rejection Entries",
        readonly=True,
        copy=False,
        help="One entry per bank journal and date (and per thousand rejections).",
    )
    statement_entry_ids = fields.One2many(
        "sepa.statement.entry",
        "import_id",
        string="Statement Entries",
        help="What a camt.053 statement booked on the account for the company's debit batches.",
    )
    fee_move_ids = fields.Many2many(
        "account.move",
        "account_move_sepa_return_import_rel",
        string="Fees Charged",
        readonly=True,
        copy=False,
        help="The entries charging the bank's fee on to the clients: one receivable item per rejection.",
    )

    @api.depends("line_ids.match_state", "line_ids.amount")
    def _compute_counts(self):
        for record in self:
            matched = record.line_ids.filtered(lambda line: line.match_state == "matched")
            reported = record.line_ids.filtered(lambda line: line.match_state in REPORTED_STATES)
            record.matched_count = len(matched)
            record.reported_count = len(reported)
            record.issue_count = len(record.line_ids) - len(matched) - len(reported)
            record.amount_total = sum(matched.mapped("amount"))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("sepa.return.import")
        return super().create(vals_list)

    # -------------------------------------------------------------------------
    # Reading the file
    # -------------------------------------------------------------------------

    def action_parse(self):
        """Read the file and match each line with its debit; nothing is posted yet."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(_("File %s was already read.", self.name))
        content = base64.b64decode(self.file or b"")
        digest = hashlib.sha256(content).hexdigest()
        previous = self.search(
            [("company_id", "=", self.company_id.id), ("file_hash", "=", digest), ("id", "!=", self.id)], limit=1
        )
        if previous:
            raise UserError(
                _(
                    "This file was already imported as %(name)s on %(date)s: importing it again changes nothing.",
                    name=previous.name,
                    date=fields.Date.to_date(previous.create_date),
                )
            )
        try:
            messages = returns.parse(content, self.filename or "")
        except returns.BankFileError as exc:
            raise UserError(_("The bank file cannot be read: %(reason)s", reason=exc)) from exc
        self._create_lines([line for message in messages for line in message.lines])
        ignored_entries = self._create_statement_entries([e for message in messages for e in message.entries])
        self.write(
            {
                "file_hash": digest,
                "state": "parsed",
                "message_type": ", ".join(sorted({m.version for m in messages})),
                "bank_message_id": ", ".join(m.message_id for m in messages if m.message_id),
                "ignored_count": sum(m.ignored for m in messages) + ignored_entries,
            }
        )
        return True

    def _create_statement_entries(self, entries):
        """The entries of a statement that concern the company's batches; the number of the others."""
        if not self.company_id.sepa_book_statements:
            return sum(not entry.returns for entry in entries)
        Entry = self.env["sepa.statement.entry"]
        vals_list, foreign = Entry._prepare_vals(self, entries)
        Entry.create(vals_list)
        return foreign

    def _create_lines(self, bank_lines):
        """Create the lines of ``bank_lines``; a debit reported twice in the file is carried by its first line."""
        vals_list = self._prepare_line_vals(bank_lines)
        lines = self.env["sepa.return.line"].create(vals_list)
        first_by_debit = {}
        for line in lines.filtered("debit_line_id"):
            first = first_by_debit.setdefault(line.debit_line_id, line)
            if first != line and line.match_state == "reported" and not line.reported_by_id:
                line.reported_by_id = first
        return lines

    def _prepare_line_vals(self, bank_lines):
        """One line per debit concerned, matched in batch by end-to-end id (or batch id).

        A debit already rejected, or already matched by another file not confirmed
        yet (or by an earlier line of this file), is flagged, never matched twice.
        """
        self.ensure_one()
        # sudo: the search must see debits of every company, only to flag a foreign
        # one; nothing of it is shown but the fact that it is not ours.
        Debit = self.env["sepa.debit.line"].sudo()
        reasons = {r.code: r for r in self.env["sepa.return.reason"].with_context(active_test=False).search([])}
        e2e_ids = [line.end_to_end_id for line in bank_lines if line.end_to_end_id]
        debits = {d.end_to_end_id: d for d in Debit.search([("end_to_end_id", "in", e2e_ids)])}
        # A status report on a credit transfer file to insurers rejects transfers, not debits.
        # sudo: as for debits, only to tell a transfer of another company apart.
        transfers = {
            t.end_to_end_id: t
            for t in self.env["sepa.credit.transfer.line"]
            .sudo()
            .search([("end_to_end_id", "in", [e2e for e2e in e2e_ids if e2e not in debits])])
        }
        vals_list = [
            self._transfer_line_vals(bank_line, transfers[bank_line.end_to_end_id], reasons)
            for bank_line in bank_lines
            if bank_line.end_to_end_id in transfers
        ]
        bank_lines = [line for line in bank_lines if line.end_to_end_id not in transfers]
        concerned_by_line = []
        for bank_line in bank_lines:
            if bank_line.end_to_end_id:
                concerned = [debits.get(bank_line.end_to_end_id)]
            else:
                # A whole payment-information block or file was rejected.
                concerned = self._debits_of_block(Debit, bank_line) or [None]
            concerned_by_line.append((bank_line, concerned))
        all_debits = Debit.browse({debit.id for _line, concerned in concerned_by_line for debit in concerned if debit})
        reported = self._reporting_lines(all_debits)
        in_file = set()  # debits an earlier line of this file matched
        for bank_line, concerned in concerned_by_line:
            for debit in concerned:
                vals = self._line_vals(bank_line, debit, reasons, reported)
                if debit and debit.id in in_file and vals["match_state"] == "matched":
                    vals["match_state"] = "reported"  # its first line carries it
                elif vals["match_state"] == "matched":
                    in_file.add(debit.id)
                vals_list.append(vals)
        return vals_list

    def _transfer_line_vals(self, bank_line, transfer, reasons):
        """A line of the report rejecting ``transfer``: matched while the transfer is on its way."""
        amount = float(bank_line.amount) if bank_line.amount is not None else transfer.amount
        vals = self._bank_line_vals(bank_line, amount, reasons)
        if transfer.company_id != self.company_id:
            return {**vals, "match_state": "other_company"}
        vals["transfer_line_id"] = transfer.id
        if transfer.state == "rejected":
            vals["match_state"] = "already_rejected"
        elif transfer.state not in ("to_send", "sent"):
            vals["match_state"] = "not_posted"
        elif abs(amount - transfer.amount) > 0.005:
            vals["match_state"] = "amount_mismatch"
        else:
            vals["match_state"] = "matched"
        return vals

    def _reject_transfers(self, lines):
        """Undo the transfers to insurers that ``lines`` reject, each read again under a lock: a transfer
        rejected meanwhile (another report) is flagged, never undone twice."""
        self._lock_read_again(
            lines.transfer_line_id,
            ["state"],
            self.env._("Another bank file is rejecting the same transfers: confirm %s again in a moment.", self.name),
        )
        for line in lines:
            transfer = line.transfer_line_id
            if transfer.state not in ("to_send", "sent"):
                line.match_state = "already_rejected"
                continue
            transfer._reject(" ".join(filter(None, [line.reason_code or "?", line.reason_id.name])))
            line.state = "done"

    def _reporting_lines(self, debits):
        """{debit id: the line of another file that posted its rejection, or that matched it, not confirmed yet}.

        A posted rejection wins over a pending one; among pending ones, the oldest.
        """
        if not debits:
            return {}
        # sudo: the debits may be of another company (flagged as such); only ids are read.
        lines = (
            self.env["sepa.return.line"]
            .sudo()
            .search(
                [
                    ("debit_line_id", "in", debits.ids),
                    ("import_id", "not in", self.ids),
                    ("match_state", "=", "matched"),
                    "|",
                    ("state", "=", "done"),
                    ("import_id.state", "=", "parsed"),
                ],
                order="id",
            )
        )
        found = {}
        for line in lines:
            current = found.get(line.debit_line_id.id)
            if current is None or (line.state == "done" and current.state != "done"):
                found[line.debit_line_id.id] = line
        return {debit_id: line.sudo(False) for debit_id, line in found.items()}

    def _debits_of_block(self, Debit, bank_line):
        batch_name, sequence = bank_line.original_message_id, None
        if bank_line.original_payment_info_id:
            batch_name, _sep, sequence = bank_line.original_payment_info_id.rpartition("-")
        domain = [("batch_id.name", "=", batch_name), ("state", "in", ("collected", "to_collect", "rejected"))]
        if sequence:
            domain.append(("sequence_type", "=", sequence))
        return list(Debit.search(domain)) if batch_name else []

    def _bank_line_vals(self, bank_line, amount, reasons):
        """What a line of the bank's file says, whatever it concerns (a debit, a transfer, nothing known)."""
        reason = reasons.get(bank_line.reason_code)
        return {
            "import_id": self.id,
            "end_to_end_id": bank_line.end_to_end_id,
            "bank_mandate_ref": bank_line.mandate_id,
            "amount": amount,
            "reason_code": bank_line.reason_code,
            "reason_id": reason.id if reason else False,
            "additional_info": bank_line.additional_info,
            "kind": bank_line.kind,
            "date": bank_line.date or fields.Date.context_today(self),
            "bank_reference": bank_line.bank_reference,
        }

    def _line_vals(self, bank_line, debit, reasons, reported):
        amount = float(bank_line.amount) if bank_line.amount is not None else (debit.amount if debit else 0.0)
        vals = self._bank_line_vals(bank_line, amount, reasons)
        vals["end_to_end_id"] = bank_line.end_to_end_id or (debit.end_to_end_id if debit else False)
        reporting = reported.get(debit.id) if debit else None
        vals.update(self._match_vals(debit, amount if bank_line.amount is not None else None, reporting))
        return vals

    def _match_vals(self, debit, amount, reporting=None):
        """How a rejection of ``amount`` (None: the bank did not say) matches ``debit``: flagged, never guessed.

        :param reporting: the line of another file that posted the debit's rejection,
            or matched it and is not confirmed yet: this line is then only a report of it
        """
        if not debit:
            return {"match_state": "unmatched"}
        if debit.company_id != self.company_id:
            return {"match_state": "other_company"}  # no link to a record the user may not read
        vals = {
            "debit_line_id": debit.id,
            "receipt_id": debit.receipt_id.id,
            "mandate_id": debit.mandate_id.id,
            "reported_by_id": reporting.id if reporting else False,
        }
        if debit.state == "rejected":
            vals["match_state"] = "already_rejected"
        elif reporting:
            vals["match_state"] = "reported"
        elif debit.state != "collected" or not debit.move_line_id:
            vals["match_state"] = "not_posted"
        elif amount is not None and abs(amount - debit.amount) > 0.005:
            vals["match_state"] = "amount_mismatch"
        else:
            vals["match_state"] = "matched"
        return vals

    @api.model
    def _import_simulated_rejections(self, batch, codes):
        """Import and confirm the bank's rejection of the first debits of ``batch``.

        Walks the flow without a bank: the demo data uses it. ``codes`` gives one
        reason code per debit rejected, in the order of the batch's debits.
        """
        debits = batch.collect_line_ids.filtered(lambda line: line.state == "collected")[: len(codes)]
        content = returns.status_report(
            batch.name,
            [
                (f"{batch.name}-{d.sequence_type}", d.end_to_end_id, d.amount, code)
                for d, code in zip(debits, codes, strict=True)
            ],
            batch.collection_date,
        )
        record = self.create(
            {
                "company_id": batch.company_id.id,
                "file": base64.b64encode(content),
                "filename": f"{batch.name}-status.xml",
            }
        )
        record.action_parse()
        record.action_confirm()
        return record

    # -------------------------------------------------------------------------
    # Confirming
    # -------------------------------------------------------------------------

    def action_confirm(self):
        """Undo each matched debit in accounting and act on mandate, fees and arrears.

        All or nothing: one transaction. Lines that did not match stay to be
        resolved by hand and change nothing.
        """
        self.ensure_one()
        if self.state != "parsed":
            raise UserError(_("Read file %s before confirming it.", self.name))
        lines = self.line_ids.filtered(
            lambda line: line.match_state in ("matched", "reported") and line.state == "to_process"
        )
        transfer_lines = lines.filtered("transfer_line_id")
        self._reject_transfers(transfer_lines)
        lines = self._recheck(lines - transfer_lines)
        self._process(lines)
        # After the rejections: what the bank debited back answers the rejections just posted.
        booked = self.statement_entry_ids._book()
        booked.batch_id._report_shortfall(booked)
        self.state = "done"
        self._ask_accountant(lines)
        self.message_post(
            body=_(
                "%(done)s rejection(s) posted, %(reported)s already reported, %(issues)s line(s) left to resolve.",
                done=len(lines),
                reported=self.reported_count,
                issues=self.issue_count,
            )
        )
        if self.statement_entry_ids:
            self.message_post(
                body=_(
                    "Statement: %(booked)s entr(ies) of debit batches booked (%(amount)s), %(left)s left to review.",
                    booked=len(booked),
                    amount=self.currency_id.format(sum(booked.mapped("amount"))),
                    left=len(self.statement_entry_ids.filtered(lambda e: e.state in ("exceeds", "not_posted"))),
                )
            )
        return True

    def _lock_read_again(self, records, fields_to_read, busy_message):
        """Lock ``records`` and read ``fields_to_read`` again: what another transaction changed before the
        lock was taken is seen.

        :raise UserError: ``busy_message`` when another transaction holds one of them (it is posting it)
        """
        try:
            records.lock_for_update()
        except LockError as exc:
            raise UserError(busy_message) from exc
        records.flush_recordset(fields_to_read)
        records.invalidate_recordset(fields_to_read)

    def _recheck(self, lines):
        """The lines of ``lines`` to post now, read again from the database under a lock on their debits.

        What the file showed when it was read may be stale: another file may have
        posted the same rejection since, or be posting it at this very moment. Each
        debit is locked, then read again: one already rejected flags its line, so
        that two files confirmed at once, or one after the other, post one rejection.
        A line reported by another file is not posted; it is flagged once that file
        posted the rejection.

        :raise UserError: when another transaction holds a debit (it is posting it)
        """
        debits = lines.debit_line_id
        self._lock_read_again(
            debits,
            ["state", "move_line_id"],
            self.env._(
                "Another bank file is posting rejections of the same debits at this moment. "
                "Confirm %(name)s again in a moment: the rejections it posts will be listed as already rejected.",
                name=self.name,
            ),
        )
        posted = self._reporting_lines(debits.filtered(lambda debit: debit.state == "rejected"))
        to_post = self.env["sepa.return.line"]
        already = defaultdict(lambda: self.env["sepa.return.line"])  # by the line that posted the rejection
        not_posted = self.env["sepa.return.line"]
        first_by_debit = {}
        for line in lines:
            debit = line.debit_line_id
            if debit.state == "rejected" or debit in first_by_debit:
                already[posted.get(debit.id) or first_by_debit.get(debit)] |= line
            elif line.match_state == "reported":
                continue  # the other file carries it
            elif debit.state != "collected" or not debit.move_line_id:
                not_posted |= line
            else:
                first_by_debit[debit] = line
                to_post |= line
        for reporting, group in already.items():
            group.write({"match_state": "already_rejected", "reported_by_id": reporting.id if reporting else False})
        not_posted.match_state = "not_posted"
        return to_post

    def _process(self, lines):
        """Post the rejections of matched ``lines``: accounting, fees, mandates, arrears."""
        # In chunks, the ORM cache emptied after each (a fresh recordset per chunk
        # prefetches that chunk only): time grows linearly and memory stays flat.
        for line_ids in split_every(POSTING_CHUNK, lines.ids):
            chunk = self.env["sepa.return.line"].browse(line_ids)
            self._post_rejections(chunk)
            self._act_on_mandates(chunk)
            chunk.debit_line_id.write({"state": "rejected"})
            for line in chunk:
                line.debit_line_id.return_reason_id = line.reason_id
            chunk.state = "done"
            cases = self._open_cases(chunk)
            self._charge_fees(chunk, cases)
            self.env.flush_all()
            self.env.invalidate_all()

    def _ask_accountant(self, lines):
        """An activity for what the file leaves to a person: codes asking for it, lines that matched nothing."""
        review = lines.filtered(lambda line: not line.reason_id or line.reason_id.action == "manual")
        issues = self.line_ids.filtered(lambda line: line.match_state not in ("matched", *REPORTED_STATES))
        entries = self.statement_entry_ids.filtered(lambda entry: entry.state in ("exceeds", "not_posted"))
        if not (review or issues or entries):
            return
        notes = [
            self.env._(
                "To review (%(code)s): %(receipt)s",
                code=line.reason_code or "?",
                receipt=line.receipt_id.name or line.end_to_end_id,
            )
            for line in review
        ]
        if issues:
            notes.append(_("%(count)s line(s) to resolve by hand.", count=len(issues)))
        notes.extend(
            self.env._(
                "Statement entry %(ref)s of batch %(batch)s not booked: %(why)s",
                ref=entry.bank_reference,
                batch=entry.batch_id.name,
                why=dict(entry._fields["state"]._description_selection(self.env))[entry.state],
            )
            for entry in entries
        )
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Bank rejections to review"),
            note="<br/>".join(notes),
            user_id=self.env.uid,
        )

    def _post_rejections(self, lines):
        """One entry per bank journal and date: each debit back on the receivable.

        The receivable credit of the batch entry is unreconciled from the invoice
        (the receipt is open again) and reconciled with the new debit instead,
        so nothing is deleted and the history reads in the journal.
        """
        company = self.company_id
        fee = company.sepa_rejection_fee
        groups = defaultdict(lambda: self.env["sepa.return.line"])
        for line in lines:
            groups[(line.debit_line_id.batch_id.journal_id, line.date)] |= line
        moves = self.env["account.move"]
        plan_pairs = []
        for (journal, date), group in groups.items():
            batch = group[0].debit_line_id.batch_id
            outstanding = batch._outstanding_account()
            move_lines = []
            for line in group:
                credit_line = line.debit_line_id.move_line_id
                move_lines.append(
                    Command.create(
                        {
                            "name": _(
                                "Rejection %(ref)s (%(code)s)", ref=line.end_to_end_id, code=line.reason_code or "?"
                            ),
                            "account_id": credit_line.account_id.id,
                            "partner_id": credit_line.partner_id.id,
                            "debit": line.amount,
                        }
                    )
                )
            if fee:
                if not company.sepa_rejection_fee_account_id:
                    raise UserError(_("Set the account of bank rejection fees on company %s.", company.name))
                move_lines.append(
                    Command.create(
                        {
                            "name": _("Bank rejection fees (%(count)s)", count=len(group)),
                            "account_id": company.sepa_rejection_fee_account_id.id,
                            "debit": fee * len(group),
                        }
                    )
                )
            # What the bank takes back (and its fee), batch by batch: each batch's
            # items in transit then say what the bank still owes for it.
            for batch, rejected in group.grouped(lambda line: line.debit_line_id.batch_id).items():
                move_lines.append(
                    Command.create(
                        {
                            "name": _("Rejected direct debits %(batch)s (%(file)s)", batch=batch.name, file=self.name),
                            "account_id": outstanding.id,
                            "credit": sum(rejected.mapped("amount")) + fee * len(rejected),
                            "sepa_batch_id": batch.id,
                        }
                    )
                )
            move = self.env["account.move"]._arrears_create_entries(
                [{"journal_id": journal.id, "date": date, "ref": self.name, "line_ids": move_lines}]
            )
            moves |= move
            receivables = move.line_ids.filtered(lambda aml: aml.account_id.account_type == "asset_receivable")
            plan_pairs.extend(zip(group, receivables, strict=True))
        moves.action_post()
        credit_lines = lines.debit_line_id.move_line_id
        # As for the batch: no tracking message per invoice; the rejection entry,
        # the file and the arrears case carry the trail.
        # Unreconciling only clears matching numbers on the invoices' lines: nothing
        # for the invoice synchronisation to redo (it costs seconds per thousand).
        # Odoo reads what each partial reconciliation touches one partial at a time
        # (three queries each): read it here for all of them, once.
        partials = credit_lines.matched_debit_ids | credit_lines.matched_credit_ids
        (partials.debit_move_id | partials.credit_move_id).move_id.fetch(["matched_payment_ids"])
        credit_lines.with_context(tracking_disable=True, skip_invoice_sync=True).remove_move_reconcile()
        self.env["account.move.line"]._arrears_reconcile(
            [line.debit_line_id.move_line_id + receivable for line, receivable in plan_pairs]
        )
        self.move_ids = [Command.link(move.id) for move in moves]
        lines.debit_line_id.batch_id._settle_transit()
        return moves

    def _charge_fees(self, lines, cases):
        """Charge the bank's fee on to each client where the company does: a receivable item each."""
        company = self.company_id
        if not (company.sepa_charge_rejection_fee and company.sepa_rejection_fee):
            return
        if not company.sepa_fee_income_account_id:
            raise UserError(_("Set the income account of re-charged rejection fees on company %s.", company.name))
        case_by_contract = {case.contract_id: case for case in cases}
        # A plan over fees only, paid meanwhile another way, has no case left to charge.
        lines = lines.filtered(lambda line: line.contract_id in case_by_contract)
        items = self.env["arrears.case"]._charge_fees(
            [
                (
                    case_by_contract[line.contract_id],
                    company.sepa_rejection_fee,
                    self.env._(
                        "Bank rejection fee, debit of %(receipt)s (%(code)s)",
                        receipt=line.receipt_id.name or line.end_to_end_id,
                        code=line.reason_code or "?",
                    ),
                    company.sepa_fee_income_account_id,
                    # Due on the rejection date: the day the debtor's payment failed.
                    line.date,
                )
                for line in lines
            ],
            ref=self.name,
        )
        for line, item in zip(lines, items, strict=True):
            line.fee_line_id = item
        self.fee_move_ids = [Command.link(move.id) for move in lines.fee_line_id.move_id]

    def _act_on_mandates(self, lines):
        for line in lines.filtered(lambda line: line.reason_id.action == "block_mandate"):
            mandate = line.mandate_id
            if mandate.state == "active":
                mandate.action_block(
                    _("Rejection %(code)s: %(label)s", code=line.reason_code, label=line.reason_id.name)
                )

    def _open_cases(self, lines):
        # A rejected instalment ends its plan at once: the dunning resumes where it paused.
        requests = lines.debit_line_id.instalment_id.request_id
        requests._break()
        # The plan's fees the debit had settled are due again (a plan over fees only has no receipt).
        fees = requests.case_id._fee_lines().filtered(lambda fee: fee.amount_residual > 0)
        cases = self.env["arrears.case"]._open_for_receipts(lines.receipt_id, cause="rejection", fees=fees)
        lines_by_contract = defaultdict(lambda: self.env["sepa.return.line"])
        for line in lines:
            lines_by_contract[line.contract_id] |= line
        cases._message_log_batch(
            bodies={
                case.id: self.env._(
                    "Direct debit rejected by the bank: %(details)s.",
                    details=", ".join(
                        f"{line.receipt_id.name or line.end_to_end_id} {line.reason_code or '?'} "
                        f"({line.reason_id.name or line.additional_info})"
                        for line in lines_by_contract[case.contract_id]
                    ),
                )
                for case in cases
            }
        )
        return cases
