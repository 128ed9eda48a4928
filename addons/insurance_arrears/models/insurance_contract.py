import logging
from datetime import timedelta
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import split_every

from .. import schedule

_logger = logging.getLogger(__name__)

SPLIT_SELECTION = [
    ("annual", "Annual"),
    ("semiannual", "Semi-annual"),
    ("quarterly", "Quarterly"),
    ("monthly", "Monthly"),
]

# How the client pays; sepa_dunning adds the SEPA direct debit.
PAYMENT_METHOD_SELECTION = [
    ("card", "Card"),
    ("transfer", "Bank Transfer"),
    ("cheque", "Cheque"),
]

# Contracts handled per transaction by the receipt cron: small enough for a
# crash to lose little work, large enough for batched ORM calls to pay off.
RECEIPT_CRON_BATCH = 500


class InsuranceContract(models.Model):
    _name = "insurance.contract"
    _description = "Insurance Contract"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["name", "insurer_reference"]

    name = fields.Char(string="Contract Number", required=True, tracking=True, copy=False)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Policyholder",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    insurer_id = fields.Many2one(
        "res.partner",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_insurer', '=', True)]",
        check_company=True,
    )
    introducer_id = fields.Many2one(
        "res.partner",
        index=True,
        tracking=True,
        domain="[('is_introducer', '=', True)]",
        check_company=True,
    )
    product_line_id = fields.Many2one(
        "insurance.product.line",
        index=True,
        tracking=True,
        check_company=True,
    )
    opportunity_id = fields.Many2one("crm.lead", check_company=True)
    user_id = fields.Many2one("res.users", string="Account Manager", default=lambda self: self.env.user, tracking=True)

    date_start = fields.Date(string="Start Date", required=True, tracking=True)
    date_anniversary = fields.Date(
        string="Anniversary",
        compute="_compute_date_anniversary",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
        help="Its day and month fix the start of each premium period.",
    )
    date_end = fields.Date(
        string="End of Cover",
        tracking=True,
        copy=False,
        help="Last day covered. No receipt is issued for a period after it.",
    )
    split = fields.Selection(SPLIT_SELECTION, required=True, default="annual", tracking=True)
    payment_method = fields.Selection(PAYMENT_METHOD_SELECTION, required=True, default="transfer", tracking=True)

    premium_net = fields.Monetary(string="Annual Net Premium", tracking=True)
    premium_tax = fields.Monetary(string="Annual Insurance Tax", tracking=True)
    premium_fee = fields.Monetary(string="Annual Policy Fees", tracking=True)
    premium_total = fields.Monetary(string="Annual Premium", compute="_compute_premium_total", store=True)
    insurer_reference = fields.Char(string="Insurer's Policy Number", index="btree_not_null", copy=False, tracking=True)
    receipts_by_insurer = fields.Boolean(
        string="Receipts Issued by the Insurer",
        compute="_compute_receipts_by_insurer",
        store=True,
        readonly=False,
        help="The insurer's receipt files bring this contract's receipts; the daily job issues none.",
    )
    commission_rate = fields.Float(
        string="Commission (%)",
        digits=(5, 2),
        tracking=True,
        compute="_compute_commission_rate",
        store=True,
        readonly=False,
    )

    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Active"),
            ("suspended", "Suspended"),
            ("terminated", "Terminated"),
        ],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
        index=True,
    )
    date_suspended = fields.Date(string="Suspended On", copy=False, tracking=True)
    date_terminated = fields.Date(string="Terminated On", copy=False, tracking=True)
    termination_reason = fields.Selection(
        [
            ("non_payment", "Non-payment"),
            ("policyholder", "Policyholder's request"),
            ("insurer", "Insurer's decision"),
            ("other", "Other"),
        ],
        copy=False,
        tracking=True,
    )

    receipt_ids = fields.One2many("insurance.premium.receipt", "contract_id", string="Receipts")
    receipt_count = fields.Integer(compute="_compute_counts")
    case_ids = fields.One2many("arrears.case", "contract_id", string="Arrears Cases")
    case_count = fields.Integer(compute="_compute_counts")

    _name_company_unique = models.Constraint(
        "UNIQUE(name, company_id)",
        "A contract number must be unique per company.",
    )
    _premium_positive = models.Constraint(
        "CHECK(premium_net >= 0 AND premium_tax >= 0 AND premium_fee >= 0)",
        "Premium amounts cannot be negative.",
    )

    @api.depends("date_start")
    def _compute_date_anniversary(self):
        for contract in self:
            if not contract.date_anniversary:
                contract.date_anniversary = contract.date_start

    @api.depends("premium_net", "premium_tax", "premium_fee")
    def _compute_premium_total(self):
        for contract in self:
            contract.premium_total = contract.premium_net + contract.premium_tax + contract.premium_fee

    @api.depends("insurer_id")
    def _compute_commission_rate(self):
        for contract in self:
            if not contract.commission_rate:
                contract.commission_rate = contract.insurer_id.insurer_commission_rate

    def _compute_counts(self):
        receipts = dict(
            self.env["insurance.premium.receipt"]._read_group(
                [("contract_id", "in", self.ids)], ["contract_id"], ["__count"]
            )
        )
        cases = dict(
            self.env["arrears.case"]._read_group([("contract_id", "in", self.ids)], ["contract_id"], ["__count"])
        )
        for contract in self:
            contract.receipt_count = receipts.get(contract, 0)
            contract.case_count = cases.get(contract, 0)

    @api.depends("name", "partner_id")
    def _compute_display_name(self):
        for contract in self:
            contract.display_name = (
                f"{contract.name} - {contract.partner_id.name}" if contract.partner_id else contract.name
            )

    # -------------------------------------------------------------------------
    # Validation
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # The database would refuse these too, but with a message no user can act on.
            if not vals.get("insurer_id"):
                raise ValidationError(
                    _(
                        "Contract %(number)s has no insurer: every contract is placed with an insurer.",
                        number=vals.get("name") or _("(new)"),
                    )
                )
            for field in ("premium_net", "premium_tax", "premium_fee"):
                if (vals.get(field) or 0) < 0:
                    raise ValidationError(
                        _(
                            "Contract %(number)s: premium amounts cannot be negative.",
                            number=vals.get("name") or _("(new)"),
                        )
                    )
        return super().create(vals_list)

    @api.constrains("premium_net", "premium_tax", "premium_fee", "commission_rate")
    def _check_amounts(self):
        for contract in self:
            if min(contract.premium_net, contract.premium_tax, contract.premium_fee) < 0:
                raise ValidationError(
                    _("Contract %(number)s: premium amounts cannot be negative.", number=contract.name)
                )
            if not 0 <= contract.commission_rate <= 100:
                raise ValidationError(
                    _(
                        "Contract %(number)s: the commission rate must be between 0 and 100%%.",
                        number=contract.name,
                    )
                )

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for contract in self:
            if contract.date_end and contract.date_end < contract.date_start:
                raise ValidationError(
                    _("Contract %(number)s: the cover cannot end before it starts.", number=contract.name)
                )

    @api.constrains("insurer_id")
    def _check_insurer(self):
        for contract in self:
            if not contract.insurer_id.is_insurer:
                raise ValidationError(
                    _(
                        "%(partner)s is not flagged as an insurer: tick 'Insurer' on its form first.",
                        partner=contract.insurer_id.display_name,
                    )
                )

    # -------------------------------------------------------------------------
    # Life cycle
    # -------------------------------------------------------------------------

    def action_activate(self):
        self.filtered(lambda c: c.state in ("draft", "suspended")).write(
            {
                "state": "active",
                "date_suspended": False,
            }
        )

    def action_suspend(self, date=None):
        """Suspend the cover (the premiums keep running, the cover does not)."""
        self.filtered(lambda c: c.state == "active").write(
            {
                "state": "suspended",
                "date_suspended": date or fields.Date.context_today(self),
            }
        )

    def action_reinstate(self):
        """Cover back in force after the arrears were paid."""
        suspended = self.filtered(lambda c: c.state == "suspended")
        suspended.write({"state": "active", "date_suspended": False})
        for contract in suspended:
            contract.message_post(body=_("Cover reinstated."))

    def action_terminate(self, date=None, reason="other"):
        """Terminate the contracts on ``date`` (today by default).

        Receipts for periods starting after that day are cancelled (their
        invoices reversed) when nothing was paid on them.
        """
        date = date or fields.Date.context_today(self)
        contracts = self.filtered(lambda c: c.state != "terminated")
        contracts.write(
            {
                "state": "terminated",
                "date_terminated": date,
                "date_end": date,
                "termination_reason": reason,
            }
        )
        later = contracts.receipt_ids.filtered(
            lambda r: r.period_start > date and r.state == "open" and not r.amount_paid
        )
        later._cancel()
        return True

    def _certificate_receipt(self, day=None):
        """The receipt whose period a certificate of insurance covers: today's, while the contract is in force.

        None for a contract suspended, terminated or not yet active, or whose receipt
        of today's period is cancelled or not issued.
        """
        self.ensure_one()
        day = day or fields.Date.context_today(self)
        if self.state != "active":
            return self.env["insurance.premium.receipt"]
        return self.receipt_ids.filtered(lambda r: not r.cancelled and r.period_start <= day <= r.period_end)[:1]

    # -------------------------------------------------------------------------
    # Receipt generation
    # -------------------------------------------------------------------------

    @api.model
    def _cron_generate_receipts(self):
        """Issue the receipts falling due within each company's horizon.

        Works in chunks committed one by one, so that a crash loses at most one
        chunk; the unique (contract, period) constraint and the 'after the last
        receipt' rule make a replay harmless.
        """
        domain = [
            ("state", "in", ("active", "suspended", "terminated")),
            ("receipts_by_insurer", "=", False),
            "|",
            ("date_end", "=", False),
            ("date_end", ">=", fields.Date.context_today(self) - timedelta(days=366)),
        ]
        contracts = self.search(domain)
        cron = self.env["ir.cron"]
        # Committed now (in a cron job) so that each claim below is the first statement of
        # its transaction: it then sees every receipt another worker has committed.
        cron._commit_progress_in_cron(remaining=len(contracts))
        for ids in split_every(RECEIPT_CRON_BATCH, contracts.ids):
            # Contracts another worker is issuing are locked: skipped, they are its own.
            self.browse(ids).try_lock_for_update(allow_referencing=True)._generate_receipts()
            if not cron._commit_progress_in_cron(len(ids)):
                break  # out of time: the cron is called again for the rest
        return True

    @api.depends("insurer_id")
    def _compute_receipts_by_insurer(self):
        for contract in self:
            contract.receipts_by_insurer = contract.insurer_id.insurer_issues_receipts

    def _generate_receipts(self, until=None):
        """Create and post the missing receipts of these contracts.

        :param until: last due date to cover; defaults to today plus each
            company's horizon
        :return: the receipts created
        """
        # The receipts of a contract its insurer issues come from the insurer's files.
        contracts = self.filtered(
            lambda c: c.state in ("active", "suspended", "terminated") and not c.receipts_by_insurer
        )
        if not contracts:
            return self.env["insurance.premium.receipt"]
        today = fields.Date.context_today(self)
        last_end = dict(
            self.env["insurance.premium.receipt"]._read_group(
                [("contract_id", "in", contracts.ids)], ["contract_id"], ["period_end:max"]
            )
        )
        vals_list = []
        for contract in contracts:
            horizon = until or today + timedelta(days=contract.company_id.insurance_receipt_horizon_days)
            vals_list.extend(contract._prepare_receipt_vals(horizon, last_end.get(contract)))
        # Receipts are issued by the thousand: no creation message or tracking per
        # receipt and invoice (the invoice and the receipt number say it all).
        Receipt = self.env["insurance.premium.receipt"].with_context(tracking_disable=True)
        receipts = Receipt.create(vals_list)
        receipts._post()
        return receipts.with_context(tracking_disable=False)

    def _prepare_receipt_vals(self, until, after=None):
        """Values of the receipts due on or before ``until`` not yet issued."""
        self.ensure_one()
        parts = {
            "amount_net": Decimal(str(self.premium_net)),
            "amount_tax": Decimal(str(self.premium_tax)),
            "amount_fee": Decimal(str(self.premium_fee)),
        }
        collects = self.insurer_id.insurer_collection_mandate
        vals_list = []
        for period in schedule.periods(
            self.date_anniversary, self.split, self.date_start, until, end=self.date_end or None, after=after
        ):
            amounts = schedule.period_amounts(parts, self.split, period.fraction)
            shares = schedule.collection_split(
                amounts["amount_net"],
                amounts["amount_tax"],
                amounts["amount_fee"],
                self.commission_rate,
                collects_for_insurer=collects,
            )
            vals_list.append(
                {
                    "contract_id": self.id,
                    "period_start": period.start,
                    "period_end": period.end,
                    "date_due": period.start,
                    "prorata": float(period.fraction),
                    "collects_for_insurer": collects,
                    "commission_amount": float(shares["commission"]),
                    **{field: float(amount) for field, amount in amounts.items()},
                }
            )
        return vals_list

    # -------------------------------------------------------------------------
    # Actions
    # -------------------------------------------------------------------------

    def action_generate_receipts(self):
        receipts = self._generate_receipts()
        if not receipts:
            raise UserError(_("No receipt falls due within the horizon for these contracts."))
        return receipts._action_open()

    def action_view_receipts(self):
        return self.receipt_ids._action_open(domain=[("contract_id", "in", self.ids)])

    def action_view_cases(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("insurance_arrears.action_arrears_case")
        action["domain"] = [("contract_id", "in", self.ids)]
        action["context"] = {"search_default_filter_open": 0}
        return action
