import logging
from collections import defaultdict
from decimal import Decimal

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

from .. import collection
from ..iso20022 import pain008
from ..iso20022.text import SepaTextError

_logger = logging.getLogger(__name__)

# Debits per in-transit entry of a batch: large enough for batched queries, small
# enough to keep the ORM cache (and memory) bounded and each entry readable.
POSTING_CHUNK = 1000


class SepaDebitBatch(models.Model):
    _name = "sepa.debit.batch"
    _description = "SEPA Direct Debit Batch"
    _inherit = ["mail.thread", "mail.activity.mixin", "sepa.file.mixin"]
    _order = "collection_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, copy=False, readonly=True, default="/")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    journal_id = fields.Many2one(
        "account.journal",
        string="Bank Journal",
        required=True,
        check_company=True,
        domain="[('type', '=', 'bank')]",
        tracking=True,
        help="Its bank account is the creditor account of the collection.",
    )
    collection_date = fields.Date(required=True, tracking=True, default=fields.Date.context_today)
    pain_version = fields.Selection(
        [("pain.008.001.08", "pain.008.001.08"), ("pain.008.001.02", "pain.008.001.02")],
        string="File Format",
        compute="_compute_pain_version",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("generated", "File Generated"),
            ("confirmed", "Posted"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
    )
    sent = fields.Boolean(string="Sent to Bank", tracking=True, copy=False, readonly=True)
    line_ids = fields.One2many("sepa.debit.line", "batch_id", string="Debits")
    collect_line_ids = fields.One2many(
        "sepa.debit.line", "batch_id", domain=[("state", "!=", "excluded")], string="Debits to Collect"
    )
    excluded_line_ids = fields.One2many(
        "sepa.debit.line", "batch_id", domain=[("state", "=", "excluded")], string="Excluded Receipts"
    )
    debit_count = fields.Integer(compute="_compute_totals", store=True)
    excluded_count = fields.Integer(compute="_compute_totals", store=True)
    amount_total = fields.Monetary(compute="_compute_totals", store=True)
    calendar_prepared = fields.Boolean(
        string="Prepared from the Calendar",
        readonly=True,
        copy=False,
        help="Prepared by the daily job for this collection date of the company's calendar.",
    )
    move_ids = fields.Many2many(
        "account.move",
        string="In-Transit Entries",
        readonly=True,
        copy=False,
        help="The debits in transit: one entry per thousand debits, each for its part of the batch's amount.",
    )
    transit_line_ids = fields.One2many(
        "account.move.line",
        "sepa_batch_id",
        string="Items in Transit",
        readonly=True,
        help="The batch's items on the outstanding receipts account: the debits posted, the rejections taken "
        "back, and what the bank's statements credited or debited.",
    )
    amount_in_transit = fields.Monetary(
        string="Not Yet in the Bank",
        compute="_compute_bank_state",
        store=True,
        help="What the bank still owes for this batch: the debits posted, less the rejections, "
        "less what its statements credited.",
    )
    statement_entry_ids = fields.One2many("sepa.statement.entry", "batch_id", string="Statement Entries")
    amount_banked = fields.Monetary(
        string="Credited by the Bank", compute="_compute_bank_state", store=True, help="Net of what it debited back."
    )
    bank_state = fields.Selection(
        [("none", "Not Posted"), ("transit", "In Transit"), ("partly", "Partly in the Bank"), ("bank", "In the Bank")],
        string="Bank",
        compute="_compute_bank_state",
        store=True,
        help="In the bank once the statements credited all that was not rejected.",
    )

    # Two runs of the calendar job at once cannot both prepare a date.
    _calendar_date_unique = models.UniqueIndex(
        "(company_id, journal_id, collection_date) WHERE calendar_prepared AND state != 'cancel'",
        "The calendar prepares one batch per collection date and account.",
    )

    @api.depends("journal_id.bank_account_id.sepa_pain_version")
    def _compute_pain_version(self):
        for batch in self:
            batch.pain_version = batch.journal_id.bank_account_id.sepa_pain_version or pain008.DEFAULT_VERSION

    @api.depends("line_ids.state", "line_ids.amount")
    def _compute_totals(self):
        for batch in self:
            collect = batch.line_ids.filtered(lambda line: line.state != "excluded")
            batch.debit_count = len(collect)
            batch.excluded_count = len(batch.line_ids) - len(collect)
            batch.amount_total = sum(collect.mapped("amount"))

    @api.depends("state", "transit_line_ids.amount_residual", "statement_entry_ids.state")
    def _compute_bank_state(self):
        for batch in self:
            banked = batch.statement_entry_ids.filtered(lambda entry: entry.state == "booked")
            batch.amount_in_transit = sum(batch.transit_line_ids.mapped("amount_residual"))
            batch.amount_banked = sum(banked.mapped("amount"))
            if batch.state != "confirmed":
                batch.bank_state = "none"
            elif not banked:
                batch.bank_state = "transit"
            elif batch.currency_id.is_zero(batch.amount_in_transit):
                batch.bank_state = "bank"
            else:
                batch.bank_state = "partly"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("sepa.debit.batch")
        return super().create(vals_list)

    # -------------------------------------------------------------------------
    # Gathering the receipts
    # -------------------------------------------------------------------------

    def _receipt_domain(self):
        self.ensure_one()
        return [
            ("company_id", "=", self.company_id.id),
            ("payment_method", "=", "sepa_dd"),
            ("state", "=", "open"),
            ("date_due", "<=", self.collection_date),
            # not taken by another batch already (a cancelled or rejected debit may go again)
            ("debit_line_ids", "not any", [("state", "in", ("to_collect", "collected"))]),
        ]

    def _mandate_values(self, mandate, first_debit=()):
        """What the batch's rules read of ``mandate`` (None when it is empty).

        :param first_debit: ids of the mandates that carry a debit earlier in this batch
        """
        if not mandate:
            return None
        return collection.Mandate(
            state=mandate.state,
            signature_date=mandate.signature_date or None,
            one_off=mandate.type == "oneoff",
            debited_before=bool(mandate.last_debit_date) or mandate.id in first_debit,
        )

    def _exclusion_reason(self, receipt, mandate):
        """Why ``receipt`` cannot be debited on this batch's date, or False."""
        # Read from the receipts' prefetched debits: no query per receipt.
        rejected = receipt.debit_line_ids.filtered(lambda line: line.state == "rejected").sorted("id")
        company = self.company_id
        return (
            collection.exclusion_reason(
                receipt.amount_residual,
                self._mandate_values(mandate),
                self.collection_date,
                receipt._prenotification_date(),
                company.sepa_prenotification_days,
                rejections=len(rejected),
                last_represents=rejected[-1:].return_reason_id.action == "represent",
                max_representations=company.sepa_max_representations,
            )
            or False
        )

    # -------------------------------------------------------------------------
    # The collection calendar
    # -------------------------------------------------------------------------

    @api.model
    def _cron_prepare_calendar_batches(self):
        """Daily: prepare the batch of the collection date that is the lead time ahead, company by company.

        The collection date is :func:`collection.collection_date_prepared_on`
        (TARGET2 business days), the date the notices announced
        (:func:`collection.debit_date`). A date already prepared is left alone,
        so a run again the same day, or on the weekend that gives the same date,
        does nothing. Each company is committed on its own; one whose batch
        cannot be made is told why on the batch or in the log, and the others go on.
        """
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].search([("sepa_batch_calendar", "=", True)])
        cron = self.env["ir.cron"]
        cron._commit_progress_in_cron(remaining=len(companies))
        batches = self
        for company in companies:
            batches |= self.with_company(company)._prepare_calendar_batch(company, today)
            if not cron._commit_progress_in_cron(1):
                break
        return batches

    @api.model
    def _prepare_calendar_batch(self, company, today):
        """The batch of ``company``'s collection date prepared on ``today``, or nothing when there is none to make."""
        journal = company._sepa_batch_journal()
        if not journal:
            _logger.warning("SEPA calendar of %s: no bank journal with a bank account, no batch.", company.name)
            return self
        collection_date = collection.collection_date_prepared_on(today, company._sepa_batch_lead_days())
        domain = [
            ("company_id", "=", company.id),
            ("journal_id", "=", journal.id),
            ("collection_date", "=", collection_date),
            ("calendar_prepared", "=", True),
            ("state", "!=", "cancel"),
        ]
        if self.search_count(domain, limit=1):
            return self
        try:
            with self.env.cr.savepoint():
                batch = self.create(
                    {
                        "company_id": company.id,
                        "journal_id": journal.id,
                        "collection_date": collection_date,
                        "calendar_prepared": True,
                    }
                )
                batch.action_prepare()
        except UserError as exc:
            # Nothing to collect on that date: no batch, the receipts wait for a later one.
            _logger.info("SEPA calendar of %s, %s: %s", company.name, collection_date, exc)
            return self
        except psycopg2.IntegrityError:
            _logger.info("SEPA calendar of %s, %s: prepared by another run.", company.name, collection_date)
            return self
        if company.sepa_batch_auto_generate:
            batch._generate_and_post_from_calendar()
        batch._ask_to_send(today)
        return batch

    def _generate_and_post_from_calendar(self):
        """Generate the file and post the debits, as the buttons do; a file that cannot be made is told on the batch."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self.action_generate()
                self.action_confirm()
        except UserError as exc:
            self.message_post(body=self.env._("The file could not be made by the daily job: %s", exc))

    def _ask_to_send(self, today):
        """A task for an accountant: check the batch, make its file where needed and send it to the bank."""
        self.ensure_one()
        summary = (
            self.env._("Send the file to the bank")
            if self.state != "draft"
            else self.env._("Check the debits, generate the file and send it to the bank")
        )
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=today,
            summary=summary,
            note=self.env._(
                "Collection on %(date)s: %(count)s debit(s), %(amount)s; %(excluded)s receipt(s) left out.",
                date=self.collection_date,
                count=self.debit_count,
                amount=self.currency_id.format(self.amount_total),
                excluded=self.excluded_count,
            ),
            # The daily job runs as the superuser: the task goes to a person.
            user_id=self.env.ref("base.user_admin", raise_if_not_found=False).id or self.env.uid,
        )

    def _demo_date_as_noticed(self):
        """Demo data: date these batches on the first collection date the notices sent announced."""
        for batch in self:
            receipts = self.env["insurance.premium.receipt"].search(
                [
                    ("company_id", "=", batch.company_id.id),
                    ("payment_method", "=", "sepa_dd"),
                    ("state", "=", "open"),
                    ("notice_date", "!=", False),
                ]
            )
            if receipts:
                batch.collection_date = min(receipts.mapped(lambda r: r._notice_debit_date()))

    def _instalment_domain(self):
        self.ensure_one()
        return [
            ("request_id.company_id", "=", self.company_id.id),
            ("request_id.state", "=", "granted"),
            ("request_id.contract_id.payment_method", "=", "sepa_dd"),
            ("date_due", "<=", self.collection_date),
            ("debit_line_ids", "not any", [("state", "in", ("to_collect", "collected"))]),
        ]

    def _instalment_exclusion_reason(self, instalment, mandate, amount):
        """Why ``instalment`` cannot be debited on this batch's date, or False."""
        # The schedule sent with the grant is the debtor's pre-notification.
        granted = instalment.request_id.date_decided
        return (
            collection.exclusion_reason(
                amount,
                self._mandate_values(mandate),
                self.collection_date,
                granted.date() if granted else None,
                self.company_id.sepa_prenotification_days,
                # A rejected instalment is never presented again: its rejection broke the plan.
                rejections=len(instalment.debit_line_ids.filtered(lambda line: line.state == "rejected")),
            )
            or False
        )

    def _sequence_type(self, receipt, mandate, first_debit, instalment=None):
        """The sequence type of a debit of ``receipt`` (or of ``instalment``, for which it stands)."""
        return collection.sequence_type(
            self._mandate_values(mandate, first_debit),
            self.company_id.sepa_first_collection_frst,
            # An instalment is no period of the contract: never its final debit.
            period_end=None if instalment else receipt.period_end or None,
            contract_end=receipt.contract_id.date_end or None,
        )

    def action_prepare(self):
        """Take every direct-debit receipt due by the collection date, and the instalments of granted plans.

        Receipts that cannot go are kept as excluded lines with their reason; so
        are the receipts of a granted plan, whose instalments are debited instead.
        A receipt or instalment whose data the batch cannot read or record is left
        out (reason "error", told on the batch): the others are collected all the same.
        """
        for batch in self:
            if batch.state != "draft":
                raise UserError(_("Batch %s is no longer a draft.", batch.name))
            batch.line_ids.unlink()
            first_debit, failures = set(), []
            vals_list = batch._prepare_receipt_debits(first_debit, failures) + batch._prepare_instalment_debits(
                first_debit, failures
            )
            batch._create_debits(vals_list, failures)
            batch._tell_failures(failures)
            if not batch.collect_line_ids:
                raise UserError(
                    _(
                        "Nothing to collect on %(date)s: no direct-debit receipt is due with an active "
                        "mandate and a notice sent in time (%(excluded)s receipt(s) excluded).",
                        date=batch.collection_date,
                        excluded=len(vals_list),
                    )
                )
        return True

    def _debit_vals(self, vals, reason, mandate, first_debit, end_to_end_id, **sequence_args):
        if reason:
            vals.update(state="excluded", exclusion_reason=reason)
            return vals
        sequence_type = self._sequence_type(mandate=mandate, first_debit=first_debit, **sequence_args)
        first_debit.add(mandate.id)
        vals.update(state="to_collect", sequence_type=sequence_type, end_to_end_id=end_to_end_id)
        return vals

    def _prepare_receipt_debits(self, first_debit, failures):
        self.ensure_one()
        receipts = self.env["insurance.premium.receipt"].search(self._receipt_domain(), order="date_due, id")
        under_plan = set(
            self.env["arrears.plan.request"]
            .search([("company_id", "=", self.company_id.id), ("state", "=", "granted")])
            .receipt_ids.ids
        )
        vals_list = []
        for receipt in receipts:
            try:
                vals_list.append(self._receipt_debit_vals(receipt, receipt.id in under_plan, first_debit))
            except Exception as error:  # one receipt's bad data leaves it out, never the whole batch
                vals_list.append(self._failed_vals({"receipt_id": receipt.id}, error, failures))
        return vals_list

    def _receipt_debit_vals(self, receipt, under_plan, first_debit):
        mandate = receipt.contract_id.mandate_id
        reason = collection.UNDER_PLAN if under_plan else self._exclusion_reason(receipt, mandate)
        vals = {
            "batch_id": self.id,
            "receipt_id": receipt.id,
            "mandate_id": mandate.id,
            "amount": receipt.amount_residual,
        }
        end_to_end_id = f"{self.name}-{receipt.id}"
        return self._debit_vals(vals, reason, mandate, first_debit, end_to_end_id, receipt=receipt)

    def _prepare_instalment_debits(self, first_debit, failures):
        self.ensure_one()
        instalments = self.env["arrears.plan.instalment"].search(self._instalment_domain(), order="date_due, id")
        vals_list = []
        for instalment in instalments:
            try:
                vals_list.append(self._instalment_debit_vals(instalment, first_debit))
            except Exception as error:  # one instalment's bad data leaves it out, never the whole batch
                vals_list.append(self._failed_vals({"instalment_id": instalment.id}, error, failures))
        return vals_list

    def _instalment_debit_vals(self, instalment, first_debit):
        request = instalment.request_id
        mandate = request.contract_id.mandate_id
        amount = instalment._amount_to_collect()
        reason = self._instalment_exclusion_reason(instalment, mandate, amount)
        # The plan's oldest receipt stands for it (a rejection reopens the case through it);
        # a plan over fees only has none: the debit is the contract's.
        receipt = request.receipt_ids.sorted(lambda r: (r.date_due, r.id))[:1]
        vals = {
            "batch_id": self.id,
            "receipt_id": receipt.id,
            "instalment_id": instalment.id,
            "mandate_id": mandate.id,
            "amount": amount,
        }
        end_to_end_id = f"{self.name}-P{instalment.id}"
        return self._debit_vals(
            vals, reason, mandate, first_debit, end_to_end_id, receipt=receipt, instalment=instalment
        )

    def _failed_vals(self, vals, error, failures):
        """An excluded line for what could not be prepared (``vals`` names it), the error kept in ``failures``."""
        self.env.invalidate_all()
        failures.append((vals, error))
        return {**vals, "batch_id": self.id, "state": "excluded", "exclusion_reason": "error"}

    def _create_debits(self, vals_list, failures):
        """The lines of ``vals_list``; one that cannot be recorded is left out, with its error in ``failures``."""
        Debit = self.env["sepa.debit.line"]
        try:
            with self.env.cr.savepoint():
                return Debit.create(vals_list)
        except Exception:  # some line cannot be recorded: one at a time, to leave out that one only
            self.env.invalidate_all()
        debits = Debit
        for vals in vals_list:
            try:
                with self.env.cr.savepoint():
                    debits |= Debit.create(vals)
                continue
            except Exception as error:  # whatever its data, the line is left out and the others go
                subject = {key: vals[key] for key in ("receipt_id", "instalment_id") if vals.get(key)}
                error_vals = self._failed_vals(subject, error, failures)
            try:
                with self.env.cr.savepoint():
                    debits |= Debit.create(error_vals)
            except Exception:  # not even its excluded line: the batch's message names it
                self.env.invalidate_all()
        return debits

    def _tell_failures(self, failures):
        """Name on the batch, and in the log, what could not be prepared and why."""
        self.ensure_one()
        if not failures:
            return
        details = []
        for vals, error in failures:
            receipt = self.env["insurance.premium.receipt"].browse(vals.get("receipt_id"))
            instalment = self.env["arrears.plan.instalment"].browse(vals.get("instalment_id"))
            if instalment:
                subject = self.env._(
                    "instalment %(number)s of %(contract)s",
                    number=instalment.sequence,
                    contract=instalment.request_id.contract_id.name,
                )
            else:
                subject = receipt.name or self.env._("a debit")
            details.append(f"{subject}: {type(error).__name__}: {error}")
            _logger.warning("SEPA batch %s: %s left out: %r", self.name, subject, error)
        self.message_post(
            body=self.env._(
                "Left out of the batch, could not be prepared (to look into): %(details)s",
                details="; ".join(details),
            )
        )

    # -------------------------------------------------------------------------
    # The file
    # -------------------------------------------------------------------------

    @api.model
    def _postal_address(self, partner):
        """Structured address of a partner (or company), or None without a country."""
        if not partner.country_id:
            return None
        return pain008.PostalAddress(
            country=partner.country_id.code,
            street=partner.street or "",
            zip=partner.zip or "",
            city=partner.city or "",
        )

    def _creditor_party(self):
        self.ensure_one()
        bank_account = self.journal_id.bank_account_id
        if not bank_account:
            raise UserError(_("Journal %s has no bank account: set the creditor account first.", self.journal_id.name))
        company = self.company_id
        return pain008.Party(
            name=company.name,
            iban=bank_account.acc_number,
            bic=bank_account.bank_bic or "",
            address=self._postal_address(company.partner_id),
        )

    def _debtor_party(self, line):
        mandate = line.mandate_id
        return pain008.Party(
            name=line.partner_id.name,
            iban=mandate.debtor_iban,
            bic=mandate.debtor_bic or "",
            address=self._postal_address(line.partner_id),
        )

    def _remittance(self, line):
        instalment = line.instalment_id
        if instalment:
            return _(
                "Instalment %(number)s/%(count)s contract %(contract)s",
                number=instalment.sequence,
                count=len(instalment.request_id.instalment_ids),
                contract=line.contract_id.name,
            )
        return _(
            "Premium %(receipt)s contract %(contract)s", receipt=line.receipt_id.name, contract=line.contract_id.name
        )

    def _build_message(self):
        self.ensure_one()
        creditor_id = self.company_id.sepa_creditor_identifier
        if not creditor_id:
            raise UserError(_("Set the SEPA creditor identifier of %s first.", self.company_id.name))
        by_sequence = {}
        for line in self.collect_line_ids:
            mandate = line.mandate_id
            by_sequence.setdefault(line.sequence_type, []).append(
                pain008.Debit(
                    end_to_end_id=line.end_to_end_id,
                    amount=Decimal(str(line.amount)).quantize(pain008.CENT),
                    mandate_id=mandate.name,
                    mandate_date=mandate.signature_date,
                    debtor=self._debtor_party(line),
                    remittance=self._remittance(line),
                    amendment=mandate._amendment(),
                )
            )
        infos = [
            pain008.PaymentInfo(f"{self.name}-{seq}", self.collection_date, seq, debits)
            for seq, debits in sorted(by_sequence.items())
        ]
        return pain008.Message(
            message_id=self.name,
            created_at=fields.Datetime.now(),
            initiating_party=self.company_id.name,
            creditor=self._creditor_party(),
            creditor_id=creditor_id,
            payment_infos=infos,
        )

    def action_generate(self):
        """Build the file, validate it against the official XSD, attach it."""
        for batch in self:
            if batch.state != "draft":
                raise UserError(_("Batch %s already has its file.", batch.name))
            if not batch.collect_line_ids:
                raise UserError(_("Batch %s has no debit to collect: prepare it first.", batch.name))
            try:
                content = pain008.build(batch._build_message(), batch.pain_version)
                pain008.validate(content, batch.pain_version)
            except (pain008.SepaInputError, SepaTextError, pain008.SepaSchemaError) as exc:
                raise UserError(
                    _("The file of batch %(batch)s cannot be made: %(reason)s", batch=batch.name, reason=exc)
                ) from exc
            attachment = batch._attach_file(content)
            batch.state = "generated"
            batch.collect_line_ids.amendment = False
            for line in batch.collect_line_ids.filtered(lambda line: line.mandate_id.amendment_pending):
                line.amendment = line.mandate_id._amendment_values()
            batch.message_post(
                body=_(
                    "File %(file)s generated (%(version)s, %(count)s debits, %(amount)s), valid against the schema.",
                    file=attachment.name,
                    version=batch.pain_version,
                    count=batch.debit_count,
                    amount=batch.currency_id.format(batch.amount_total),
                ),
                attachment_ids=attachment.ids,
            )
        return True

    def action_download(self):
        action = super().action_download()
        self.message_post(body=_("File downloaded."))
        return action

    def action_mark_sent(self):
        self.filtered(lambda b: b.state in ("generated", "confirmed")).write({"sent": True})

    # -------------------------------------------------------------------------
    # Accounting
    # -------------------------------------------------------------------------

    def _outstanding_account(self):
        """The bank journal's outstanding-receipts account: debits in transit."""
        self.ensure_one()
        method_account = self.journal_id.inbound_payment_method_line_ids.payment_account_id[:1]
        if method_account:
            return method_account
        account = (
            self.env["account.chart.template"]
            .with_company(self.company_id)
            .ref("account_journal_payment_debit_account_id", raise_if_not_found=False)
        )
        if not account:
            raise UserError(_("Set an outstanding receipts account on journal %s.", self.journal_id.name))
        return account

    def action_confirm(self):
        """Post the debits in transit and reconcile each receipt's invoice with its debit.

        A receipt's debit settles that receipt; the debits of a plan's
        instalments settle the plan's receipts and fees together, oldest first.
        One entry per ``POSTING_CHUNK`` debits (a batch of a few hundred debits
        has one), each posted and reconciled with the ORM cache emptied after
        it: time grows linearly and memory stays flat however large the batch.
        """
        for batch in self:
            if batch.state != "generated":
                raise UserError(_("Generate the file of batch %s before posting it.", batch.name))
            lines = batch.collect_line_ids.filtered(lambda line: line.state == "to_collect")
            moves = self.env["account.move"]
            for debit_ids in batch._posting_chunks(lines):
                # A fresh recordset per chunk: what it reads is prefetched for the chunk only.
                moves |= batch._post_transit_chunk(self.env["sepa.debit.line"].browse(debit_ids))
                batch._release_cache()
            batch._flag_paid_twice(lines.filtered("paid_twice"))
            lines.state = "collected"
            lines.mandate_id.last_debit_date = batch.collection_date
            # Only what the file carried is known to the bank now; a change since waits for the next debit.
            lines.filtered("amended").mandate_id._clear_amendments()
            # A one-off mandate serves one debit.
            lines.mandate_id.filtered(lambda m: m.type == "oneoff").write({"state": "expired"})
            batch.write({"move_ids": [Command.set(moves.ids)], "state": "confirmed"})
            batch.message_post(
                body=_(
                    "Posted: %(count)s debits in transit, %(amount)s.",
                    count=len(lines),
                    amount=batch.currency_id.format(batch.amount_total),
                )
            )
        return True

    def _post_transit_chunk(self, debits):
        """One in-transit entry for ``debits``, posted and reconciled in one plan."""
        self.ensure_one()
        # Grouped, the debits still read their receipts all together.
        groups = debits.grouped(lambda line: line._settles())
        receivables = {owner: owner._open_receivable_lines() for owner in groups}
        items = [
            Command.create(
                {
                    "name": line.end_to_end_id,
                    "account_id": (
                        receivables[owner].account_id[:1] or line.partner_id.property_account_receivable_id
                    ).id,
                    "partner_id": (
                        line.receipt_id.move_id.commercial_partner_id or line.partner_id.commercial_partner_id
                    ).id,
                    "credit": line.amount,
                }
            )
            for owner, group in groups.items()
            for line in group
        ]
        items.append(
            Command.create(
                {
                    "name": _("SEPA direct debit %s", self.name),
                    "account_id": self._outstanding_account().id,
                    "debit": sum(debits.mapped("amount")),
                    "sepa_batch_id": self.id,
                }
            )
        )
        move = self.env["account.move"]._arrears_create_entries(
            [{"journal_id": self.journal_id.id, "date": self.collection_date, "ref": self.name, "line_ids": items}]
        )
        move.action_post()
        credit_items = iter(move.line_ids.filtered(lambda aml: aml.credit))
        plan = []
        for owner, group in groups.items():
            credits = self.env["account.move.line"]
            for line in group:
                line.move_line_id = next(credit_items)
                credits |= line.move_line_id
            # Paid meanwhile by another way (a card through the link): what the debit
            # takes beyond what is still open stays as the client's credit, to refund.
            still_open = sum(receivables[owner].mapped("amount_residual"))
            if self.currency_id.compare_amounts(sum(group.mapped("amount")), still_open) > 0:
                group.paid_twice = True
            if receivables[owner]:
                plan.append(receivables[owner] + credits)
        self.env["account.move.line"]._arrears_reconcile(plan)
        return move

    def _settle_transit(self):
        """Reconcile each batch's open items in transit together: what the bank paid settles what it owed.

        Whatever does not net stays open, on the batch's *Not Yet in the Bank*.
        """
        plan = []
        for batch in self:
            items = batch.transit_line_ids.filtered(lambda aml: not aml.reconciled and aml.parent_state == "posted")
            if items.filtered(lambda aml: aml.balance > 0) and items.filtered(lambda aml: aml.balance < 0):
                plan.append(items)
        if plan:
            self.env["account.move.line"]._arrears_reconcile(plan)

    def _report_shortfall(self, entries):
        """Tell an accountant what the bank did not credit, once its statement came, and which debits it left out."""
        for batch in self:
            if batch.bank_state != "partly" or batch.amount_in_transit <= 0:
                continue
            listed = set()
            for entry in entries.filtered(lambda e, batch=batch: e.batch_id == batch):
                listed.update((entry.end_to_end_ids or "").split())
            left_out = (
                batch.collect_line_ids.filtered(
                    lambda line, listed=listed: line.state == "collected" and line.end_to_end_id not in listed
                )
                if listed
                else batch.collect_line_ids.browse()
            )
            details = ", ".join(left_out.mapped("end_to_end_id"))
            note = _(
                "The bank credited %(banked)s for batch %(batch)s: %(missing)s is not in the bank yet "
                "(a rejection not reported yet, or a fee).",
                banked=batch.currency_id.format(batch.amount_banked),
                batch=batch.name,
                missing=batch.currency_id.format(batch.amount_in_transit),
            )
            if details:
                note += " " + _("Debits the statement did not list: %s.", details)
            batch.message_post(body=note)
            batch.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Direct debits not credited by the bank"),
                note=note,
                user_id=self.env.uid,
            )

    def _flag_paid_twice(self, debits):
        """Ask an accountant to refund what debits took on receipts already paid another way."""
        self.ensure_one()
        if not debits:
            return
        details = ", ".join(
            f"{line.receipt_id.name or line.contract_id.name} ({line.partner_id.name})" for line in debits
        )
        self.message_post(
            body=_(
                "%(count)s debit(s) collected on receipts already paid another way: the excess stays as the "
                "client's credit, to refund: %(details)s.",
                count=len(debits),
                details=details,
            )
        )
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Refund debits collected on paid receipts"),
            note=details,
            user_id=self.env.uid,
        )

    def _undo_mandate_updates(self, debits):
        """Mandates as if ``debits`` (cancelled, never sent) had not been posted."""
        for line in debits.filtered("amended"):
            line.mandate_id._restore_amendment(line.amendment)
        mandates = debits.mandate_id
        last = {}
        for line in self.env["sepa.debit.line"].search(
            [("mandate_id", "in", mandates.ids), ("state", "=", "collected")]
        ):
            last[line.mandate_id] = max(
                last.get(line.mandate_id, line.batch_id.collection_date), line.batch_id.collection_date
            )
        for mandate in mandates:
            values = {"last_debit_date": last.get(mandate, False)}
            if mandate.type == "oneoff" and mandate.state == "expired":
                values["state"] = "active"
            mandate.write(values)

    @api.model
    def _posting_chunks(self, debits):
        """Ids of ``debits`` in chunks of about ``POSTING_CHUNK``, the debits settling the same items together."""
        groups = defaultdict(list)
        for line in debits:
            groups[line._settles()].append(line.id)
        chunks, chunk = [], []
        for ids in groups.values():
            chunk += ids
            if len(chunk) >= POSTING_CHUNK:
                chunks.append(chunk)
                chunk = []
        return [*chunks, chunk] if chunk else chunks

    def _release_cache(self):
        """Write what is pending and forget the records read: the next chunk starts light."""
        self.env.flush_all()
        self.env.invalidate_all()

    def action_cancel(self):
        """Undo a batch that was not sent: entry reversed, receipts open again."""
        for batch in self:
            if batch.sent:
                raise UserError(
                    _("Batch %s was sent to the bank: it cannot be cancelled, reject its debits instead.", batch.name)
                )
            if batch.move_ids:
                batch.move_ids.line_ids.remove_move_reconcile()
                batch.move_ids._reverse_moves(
                    [
                        {"ref": self.env._("Cancellation of %s", batch.name), "date": move.date}
                        for move in batch.move_ids
                    ],
                    cancel=True,
                )
            collected = batch.line_ids.filtered(lambda line: line.state == "collected")
            batch.line_ids.filtered(lambda line: line.state != "excluded").state = "cancel"
            batch._undo_mandate_updates(collected)
            batch.write({"state": "cancel"})
            batch.message_post(body=_("Batch cancelled."))
        return True
