from datetime import timedelta

from odoo import api, fields, models

from .. import collection

# Debits whose payment receipt goes out in one transaction of the daily job.
RECEIPT_CHUNK = 50
# A debit collected longer ago than this gets no e-mail (a job turned on late sends no old receipts).
RECEIPT_HORIZON_DAYS = 30

EXCLUSION_REASONS = [
    ("no_mandate", "No mandate on the contract"),
    ("mandate_inactive", "Mandate not active"),
    ("mandate_after_date", "Mandate signed after the collection date"),
    ("notice_missing", "No premium notice sent (pre-notification)"),
    ("notice_late", "Notice sent too late (pre-notification period)"),
    ("notice_before_mandate", "Notice sent before the mandate was signed"),
    ("zero_amount", "Nothing to collect"),
    ("rejected", "Rejected: not to be presented again"),
    ("represent_limit", "Presented again too many times"),
    ("under_plan", "Collected by the instalments of a plan"),
    ("error", "Could not be prepared (see the batch's messages)"),
]


class SepaDebitLine(models.Model):
    _name = "sepa.debit.line"
    _description = "SEPA Direct Debit"
    _order = "batch_id, state, partner_id, id"
    _rec_name = "end_to_end_id"
    _rec_names_search = ["end_to_end_id", "partner_id", "receipt_id"]
    _check_company_auto = True

    batch_id = fields.Many2one("sepa.debit.batch", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="batch_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    receipt_id = fields.Many2one(
        "insurance.premium.receipt",
        index="btree_not_null",
        ondelete="restrict",
        check_company=True,
        help="The receipt this debit collects; for an instalment, the plan's oldest receipt (none for a plan "
        "over fees only).",
    )
    instalment_id = fields.Many2one(
        "arrears.plan.instalment",
        index="btree_not_null",
        ondelete="restrict",
        readonly=True,
        check_company=True,
        help="The instalment of a granted plan this debit collects; its receipt is then the plan's oldest.",
    )
    contract_id = fields.Many2one(
        "insurance.contract", compute="_compute_contract_id", store=True, index=True, check_company=True
    )
    partner_id = fields.Many2one(related="contract_id.partner_id", store=True, string="Debtor")
    mandate_id = fields.Many2one("sepa.mandate", index=True, check_company=True)
    amount = fields.Monetary()
    sequence_type = fields.Selection([("FRST", "First"), ("RCUR", "Recurrent"), ("OOFF", "One-off"), ("FNAL", "Final")])
    end_to_end_id = fields.Char(string="End-to-End Id", index=True, copy=False)
    state = fields.Selection(
        [
            ("to_collect", "To Collect"),
            ("excluded", "Excluded"),
            ("collected", "Collected"),
            ("rejected", "Rejected"),
            ("cancel", "Cancelled"),
        ],
        default="to_collect",
        required=True,
        index=True,
    )
    exclusion_reason = fields.Selection(EXCLUSION_REASONS)
    return_reason_id = fields.Many2one("sepa.return.reason", string="Rejection Reason", readonly=True)
    amendment = fields.Json(readonly=True, copy=False, help="The amendment the debit carries, as sent.")
    amended = fields.Boolean(compute="_compute_amended", store=True, help="The debit carries a mandate amendment.")
    paid_twice = fields.Boolean(
        readonly=True,
        copy=False,
        help="Collected on a receipt paid meanwhile another way: the excess is the client's credit, to refund.",
    )
    payment_receipt_date = fields.Date(
        string="Payment Receipt On",
        readonly=True,
        copy=False,
        help="Day the payment receipt was issued, once no bank returned the debit in time: e-mailed to the "
        "debtor who has an address, and on its payment page.",
    )
    move_line_id = fields.Many2one(
        "account.move.line",
        string="In-Transit Item",
        readonly=True,
        copy=False,
        help="Receivable item of the batch entry settling the receipt; a rejection reverses it.",
    )

    _receipt_or_instalment = models.Constraint(
        "CHECK (receipt_id IS NOT NULL OR instalment_id IS NOT NULL)",
        "A debit collects a receipt or an instalment of a plan.",
    )
    _end_to_end_unique = models.UniqueIndex(
        "(end_to_end_id) WHERE end_to_end_id IS NOT NULL",
        "An end-to-end id identifies one debit.",
    )

    @api.depends("end_to_end_id", "partner_id.name", "amount")
    def _compute_display_name(self):
        for debit in self:
            amount = debit.currency_id.format(debit.amount)
            debit.display_name = f"{debit.end_to_end_id or ''}, {debit.partner_id.name or ''}, {amount}"

    @api.depends("receipt_id.contract_id", "instalment_id.request_id.contract_id")
    def _compute_contract_id(self):
        for line in self:
            line.contract_id = line.instalment_id.request_id.contract_id or line.receipt_id.contract_id

    @api.depends("amendment")
    def _compute_amended(self):
        for line in self:
            line.amended = bool(line.amendment)

    def _settles(self):
        """What this debit pays: its receipt, or for an instalment its plan (receipts and fees)."""
        self.ensure_one()
        return self.instalment_id.request_id or self.receipt_id

    # -------------------------------------------------------------------------
    # Payment receipt
    # -------------------------------------------------------------------------

    def _arrears_settled(self):
        """What this debit settled, receipt by receipt: ``[(receipt, amount)]``, by due date."""
        self.ensure_one()
        return self.move_line_id._arrears_settled_receipts()

    def _arrears_settled_contracts(self, settled):
        """The contracts of the receipts in ``settled`` (as ``_arrears_settled`` gives them)."""
        return self.env["insurance.contract"].union(*(receipt.contract_id for receipt, _amount in settled))

    @api.model
    def _receipt_domain(self, today):
        """Debits collected for good on ``today`` whose payment receipt is still to issue."""
        return [
            ("state", "=", "collected"),
            ("payment_receipt_date", "=", False),
            ("batch_id.collection_date", "<=", collection.last_settled_collection_date(today)),
            ("batch_id.collection_date", ">=", today - timedelta(days=RECEIPT_HORIZON_DAYS)),
        ]

    @api.model
    def _cron_send_payment_receipts(self):
        """Daily: the payment receipt of each debit collected, once the banks' return window is past.

        A debit no bank returned within :data:`collection.RETURN_BUSINESS_DAYS`
        business days of its collection date is paid: its debtor gets the
        receipt, as a payer through the link does at once. In chunks committed
        one by one, each locked and read again once locked: a run killed
        half-way, or two at once, send nothing twice.
        """
        today = fields.Date.context_today(self)
        debits = self.search(self._receipt_domain(today), order="id")
        self.env["ir.cron"]._process_in_chunks(
            debits, RECEIPT_CHUNK, self._receipt_domain(today), lambda records: records._send_payment_receipts()
        )
        return True

    def _send_payment_receipts(self):
        """Issue these debits' payment receipts: by e-mail where the debtor has an address, in its
        language with the PDF attached, kept in the history of the contract."""
        self.env.ref("sepa_dunning.mail_template_debit_receipt")._arrears_post(
            self.filtered(lambda debit: debit.partner_id.email), lambda debit: debit.contract_id
        )
        self.payment_receipt_date = fields.Date.context_today(self)
