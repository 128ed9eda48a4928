from odoo import api, fields, models

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
