from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command

from .. import schedule

# Invoices created and posted per call: bounds the memory of account.move's line
# synchronisation on large batches (tests/bench/bench_receipts.py).
MOVE_CHUNK = 100
# Premium notices sent per committed chunk of the notice cron: each renders a PDF.
NOTICE_CHUNK = 50


class InsurancePremiumReceipt(models.Model):
    _name = "insurance.premium.receipt"
    _description = "Premium Receipt"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_due desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["name", "insurer_reference"]

    name = fields.Char(
        string="Receipt Number",
        required=True,
        copy=False,
        readonly=True,
        index="trigram",
        default="/",
    )
    contract_id = fields.Many2one(
        "insurance.contract", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Policyholder", store=True, index=True)
    insurer_id = fields.Many2one(related="contract_id.insurer_id", store=True, index=True)
    introducer_id = fields.Many2one(related="contract_id.introducer_id", store=True, index=True)
    product_line_id = fields.Many2one(related="contract_id.product_line_id", store=True, index=True)
    payment_method = fields.Selection(related="contract_id.payment_method", store=True)

    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    date_due = fields.Date(string="Due Date", required=True, index=True)
    prorata = fields.Float(
        string="Share of Period",
        digits=(12, 6),
        default=1.0,
        help="Share of the full period covered (1 for a full period).",
    )
    amount_net = fields.Monetary(string="Net Premium")
    amount_tax = fields.Monetary(string="Insurance Tax")
    amount_fee = fields.Monetary(string="Policy Fees")
    amount_total = fields.Monetary(string="Total", compute="_compute_amounts", store=True)
    commission_amount = fields.Monetary(string="Commission")
    insurer_amount = fields.Monetary(
        string="Due to Insurer",
        compute="_compute_amounts",
        store=True,
        help="Premium collected for the insurer, less the broker's commission.",
    )
    collects_for_insurer = fields.Boolean(
        default=True,
        help="Copied from the insurer when the receipt was issued: the broker collects "
        "the whole premium and remits the insurer's share.",
    )

    move_id = fields.Many2one("account.move", string="Invoice", copy=False, readonly=True, index=True)
    amount_residual = fields.Monetary(string="Amount Due", related="move_id.amount_residual", store=True)
    payment_state = fields.Selection(related="move_id.payment_state", store=True)
    amount_paid = fields.Monetary(compute="_compute_amount_paid")
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("open", "Open"),
            ("paid", "Paid"),
            ("cancel", "Cancelled"),
        ],
        compute="_compute_state",
        store=True,
        index=True,
        # Not tracked: it follows the invoice, whose chatter already tells each
        # payment and rejection; a message per receipt would cost a batch of
        # 1,000 debits 1,000 messages.
    )
    cancelled = fields.Boolean(copy=False, readonly=True)
    notice_date = fields.Date(
        string="Notice Sent On",
        copy=False,
        readonly=True,
        help="Date the premium notice went out; for SEPA debits it is the debtor's pre-notification.",
    )
    notice_amount = fields.Monetary(
        string="Amount Noticed",
        copy=False,
        readonly=True,
        help="The premium the last notice announced: a new notice goes out only if it changes.",
    )
    notice_payment_method = fields.Selection(
        selection="_selection_payment_method",
        string="Payment Method Noticed",
        copy=False,
        readonly=True,
        help="How the last notice asked for the premium: a new notice goes out if the contract's "
        "payment method changes (a direct debit, for one, needs its own pre-notification).",
    )
    notice_channel = fields.Selection(
        [("email", "E-mail"), ("post", "Post (Odoo postal service)"), ("print", "Letter to print")],
        copy=False,
        readonly=True,
        help="How the last premium notice went out.",
    )
    notice_replaced_date = fields.Date(
        string="Replaced Notice Date",
        copy=False,
        readonly=True,
        help="Date of the earlier notice the last one replaces (its amount changed).",
    )
    notice_replaced_amount = fields.Monetary(string="Replaced Notice Amount", copy=False, readonly=True)
    notice_pending = fields.Boolean(
        compute="_compute_notice_pending",
        store=True,
        index=True,
        help="No notice went out yet, or the amount changed since the last one.",
    )
    notice_print_id = fields.Many2one(
        "insurance.notice.print",
        string="Letters to Print",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The day's printable letters this notice went out with.",
    )
    statement_id = fields.Many2one(
        "insurance.insurer.statement",
        string="Insurer Statement",
        copy=False,
        readonly=True,
        index=True,
        check_company=True,
    )
    case_id = fields.Many2one("arrears.case", string="Arrears Case", copy=False, index=True)
    insurer_reference = fields.Char(
        string="Insurer's Receipt Number",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The number the insurer gave the receipt, for receipts the insurer issues.",
    )

    _contract_period_unique = models.Constraint(
        "UNIQUE(contract_id, period_start)",
        "A contract has one receipt per period.",
    )
    _amounts_positive = models.Constraint(
        "CHECK(amount_net >= 0 AND amount_tax >= 0 AND amount_fee >= 0)",
        "Receipt amounts cannot be negative.",
    )

    @api.depends("amount_net", "amount_tax", "amount_fee", "commission_amount", "collects_for_insurer")
    def _compute_amounts(self):
        for receipt in self:
            receipt.amount_total = receipt.amount_net + receipt.amount_tax + receipt.amount_fee
            receipt.insurer_amount = (
                receipt.amount_total - receipt.commission_amount if receipt.collects_for_insurer else 0.0
            )

    @api.depends("move_id.state", "payment_state", "cancelled")
    def _compute_state(self):
        for receipt in self:
            if receipt.cancelled or receipt.move_id.state == "cancel":
                receipt.state = "cancel"
            elif not receipt.move_id or receipt.move_id.state == "draft":
                receipt.state = "draft"
            elif receipt.payment_state in ("paid", "in_payment", "reversed"):
                receipt.state = "paid"
            else:
                receipt.state = "open"

    @api.model
    def _selection_payment_method(self):
        return self.env["insurance.contract"]._fields["payment_method"].selection

    @api.depends("notice_date", "notice_amount", "amount_total", "notice_payment_method", "payment_method")
    def _compute_notice_pending(self):
        for receipt in self:
            # A notice without an amount or a method predates their record: it stands.
            receipt.notice_pending = (
                not receipt.notice_date
                or bool(
                    receipt.notice_amount
                    and receipt.currency_id.compare_amounts(receipt.notice_amount, receipt.amount_total)
                )
                or not receipt._notice_method_stands()
            )

    def _notice_method_stands(self):
        """Whether the last notice announced the payment method the receipt has now (a notice from
        before the method was recorded stands)."""
        self.ensure_one()
        return not self.notice_payment_method or self.notice_payment_method == self.payment_method

    @api.depends("amount_total", "amount_residual", "collects_for_insurer")
    def _compute_amount_paid(self):
        for receipt in self:
            receipt.amount_paid = receipt.move_id.amount_total - receipt.amount_residual if receipt.move_id else 0.0

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            contract = self.env["insurance.contract"].browse(vals.get("contract_id"))
            end = contract.date_end
            if contract.state == "terminated" and end and fields.Date.to_date(vals["period_start"]) > end:
                raise ValidationError(
                    _(
                        "Contract %(number)s was terminated on %(date)s: no receipt can be issued "
                        "for a period starting on %(start)s.",
                        number=contract.name,
                        date=end,
                        start=vals["period_start"],
                    )
                )
            if contract.state == "draft":
                raise ValidationError(
                    _(
                        "Contract %(number)s is still a draft: activate it before issuing receipts.",
                        number=contract.name,
                    )
                )
        unnamed = [vals for vals in vals_list if vals.get("name", "/") == "/"]
        if unnamed:
            # The sequence looked up once (as next_by_code would, for the current company),
            # not once per receipt of a batch of thousands.
            sequence = self.env["ir.sequence"].search(
                [("code", "=", "insurance.premium.receipt"), ("company_id", "in", [self.env.company.id, False])],
                order="company_id",
                limit=1,
            )
            for vals in unnamed:
                vals["name"] = sequence.next_by_id() if sequence else False
        return super().create(vals_list)

    @api.constrains("period_start", "period_end")
    def _check_period(self):
        for receipt in self:
            if receipt.period_end < receipt.period_start:
                raise ValidationError(_("Receipt %(name)s: the period ends before it starts.", name=receipt.name))

    # -------------------------------------------------------------------------
    # Accounting
    # -------------------------------------------------------------------------

    def _prepare_move_vals(self):
        """Customer invoice of one receipt.

        Under a collection mandate the client is invoiced the whole premium: the
        insurer's share is credited to the insurers' third-party account and the
        commission to revenue. Otherwise the insurer is invoiced the commission.
        Odoo keeps one partner on all the lines of an invoice, so the insurer's
        line names the insurer and the receipt keeps ``insurer_id``; the insurer
        statement settles those lines receipt by receipt.
        """
        self.ensure_one()
        company = self.company_id
        contract = self.contract_id
        period = _("%(start)s to %(end)s", start=self.period_start, end=self.period_end)
        lines = []
        if self.collects_for_insurer:
            partner = self.partner_id
            lines.append(
                {
                    "name": _(
                        "Premium %(contract)s, %(period)s - %(insurer)s share",
                        contract=contract.name,
                        period=period,
                        insurer=self.insurer_id.name,
                    ),
                    "account_id": company.insurance_insurer_account_id.id,
                    "quantity": 1,
                    "price_unit": self.insurer_amount,
                    "tax_ids": [Command.clear()],
                }
            )
        else:
            partner = self.insurer_id
        if self.commission_amount:
            lines.append(
                {
                    "name": _("Brokerage commission %(contract)s, %(period)s", contract=contract.name, period=period),
                    "account_id": company.insurance_commission_account_id.id,
                    "quantity": 1,
                    "price_unit": self.commission_amount,
                    "tax_ids": [Command.clear()],
                }
            )
        today = fields.Date.context_today(self)
        return {
            "move_type": "out_invoice",
            "company_id": company.id,
            "journal_id": company.insurance_receipt_journal_id.id,
            "partner_id": partner.id,
            "invoice_date": min(self.date_due, today),
            "invoice_date_due": self.date_due,
            "invoice_origin": contract.name,
            "payment_reference": self.name,
            "ref": self.name,
            "invoice_line_ids": [Command.create(line) for line in lines],
        }

    def _prepare_move_lines(self, move_vals):
        """The whole journal items of an invoice of ``_prepare_move_vals``, as Odoo would make them.

        Our invoices carry no tax and a single due date: Odoo's synchronisation of
        an invoice's dynamic lines (taxes, payment terms, rounding) has nothing to add
        to them but costs most of their creation time. The product lines are given
        their balance and the receivable its amount and due date; its account, partner
        and label are left to Odoo's own computations, with the fiscal position's
        mapping. tests/test_receipt_invoice.py (this addon's) compares, field by field, an invoice
        made so with one made by Odoo's synchronisation.
        """
        currency = self.company_id.currency_id
        product_lines = []
        total = 0.0
        for command in move_vals.pop("invoice_line_ids"):
            line = command[2]
            amount = currency.round(line["price_unit"] * line["quantity"])
            total += amount
            product_lines.append({**line, "display_type": "product", "balance": -amount, "amount_currency": -amount})
        term_line = {
            "display_type": "payment_term",
            "balance": currency.round(total),
            "amount_currency": currency.round(total),
            "date_maturity": move_vals["invoice_date_due"],
        }
        return {**move_vals, "line_ids": [Command.create(line) for line in [*product_lines, term_line]]}

    def _post(self):
        """Create and post the invoices of draft receipts, in batches.

        The invoices are made whole (``_prepare_move_lines``) rather than
        synchronised by Odoo, without a creation message each (the receipt's number
        is their reference), and numbered with one look-up of the journal's last
        number per date (``account.move._arrears_sequence_formats``): the same
        numbers, without a gap, as Odoo gives them one by one.
        """
        receipts = self.filtered(lambda r: not r.move_id and not r.cancelled)
        receipts.company_id._insurance_ensure_accounting()
        with_amount = receipts.filtered(lambda r: r.amount_total or r.commission_amount)
        Move = self.env["account.move"].with_context(
            skip_invoice_sync=True, skip_analytic_sync=True, tracking_disable=True, mail_create_nosubscribe=True
        )
        moves = self.env["account.move"]
        with moves._arrears_sequence_formats():
            for start in range(0, len(with_amount), MOVE_CHUNK):
                chunk = with_amount[start : start + MOVE_CHUNK]
                chunk_moves = Move.create([r._prepare_move_lines(r._prepare_move_vals()) for r in chunk])
                chunk_moves = chunk_moves.with_env(self.env)
                for receipt, move in zip(chunk, chunk_moves, strict=True):
                    receipt.move_id = move
                chunk_moves.action_post()
                moves |= chunk_moves
        return moves

    def _cancel(self):
        """Cancel receipts: their posted invoices are reversed, never deleted."""
        posted = self.move_id.filtered(lambda m: m.state == "posted")
        if posted:
            posted._reverse_moves(
                [{"ref": self.env._("Cancellation of %s", m.ref or m.name)} for m in posted], cancel=True
            )
        self.move_id.filtered(lambda m: m.state == "draft").button_cancel()
        self.write({"cancelled": True})

    def _amend(self, vals):
        """Correct an issued receipt's amounts: its invoice credited in full, and a new invoice.

        A posted invoice is never rewritten; the receipt keeps its number and its
        period, and points to the new invoice.
        """
        self.ensure_one()
        if self.amount_paid:
            raise UserError(_("Receipt %s is already paid: correct it by hand.", self.name))
        old = self.move_id
        if old.state == "posted":
            old._reverse_moves([{"ref": self.env._("Amendment of %s", old.ref or old.name)}], cancel=True)
        self.write({**vals, "move_id": False})
        self._post()
        self.message_post(
            body=self.env._(
                "Amended by the insurer: invoice %(old)s credited, replaced by %(new)s (%(amount)s).",
                old=old.name or "",
                new=self.move_id.name or "",
                amount=self.currency_id.format(self.amount_total),
            )
        )

    def _insurer_lines(self):
        """Journal items crediting the insurer for these receipts."""
        accounts = self.company_id.insurance_insurer_account_id
        return self.move_id.line_ids.filtered(
            lambda line: line.account_id in accounts and line.display_type == "product"
        )

    def _open_receivable_lines(self):
        """Unreconciled receivable items of the receipts' invoices, which a payment settles."""
        return self.move_id._arrears_open_receivables()

    def _register_payments(self, journal, date=None, memo=None):
        """Post one payment per client for these receipts and reconcile them.

        A generic seam for every collection route (SEPA, card, transfer): the
        payments are created in one batch and reconciled with one
        reconciliation plan, never one wizard per receipt.

        :return: the posted ``account.payment`` records
        """
        receipts = self.filtered(lambda r: r.state == "open" and r.amount_residual > 0)
        if not receipts:
            return self.env["account.payment"]
        by_partner = defaultdict(lambda: self.env["insurance.premium.receipt"])
        for receipt in receipts:
            by_partner[receipt.move_id.commercial_partner_id] |= receipt
        date = date or fields.Date.context_today(self)
        return self.env["account.payment"]._arrears_post(
            [
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": sum(group.mapped("amount_residual")),
                    "date": date,
                    "journal_id": journal.id,
                    "memo": memo or ", ".join(group.mapped("name")),
                }
                for partner, group in by_partner.items()
            ],
            [group._open_receivable_lines() for group in by_partner.values()],
        )

    # -------------------------------------------------------------------------
    # Actions
    # -------------------------------------------------------------------------

    def _action_open(self, domain=None):
        action = self.env["ir.actions.act_window"]._for_xml_id("insurance_arrears.action_insurance_premium_receipt")
        if len(self) == 1 and not domain:
            action.update({"view_mode": "form", "res_id": self.id, "views": [(False, "form")]})
        else:
            action["domain"] = domain or [("id", "in", self.ids)]
        return action

    def action_post(self):
        if any(r.state != "draft" for r in self):
            raise UserError(_("Only draft receipts can be posted."))
        self._post()

    def action_cancel(self):
        if any(r.amount_paid for r in self):
            raise UserError(_("A receipt with a payment cannot be cancelled: unreconcile the payment first."))
        self._cancel()

    def action_view_invoice(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "view_mode": "form",
            "res_id": self.move_id.id,
        }

    def action_print_notice(self):
        return self.env.ref("insurance_arrears.action_report_premium_notice").report_action(self)

    def action_send_notice(self):
        """Open the composer with the premium notice for these receipts."""
        template = self.env.ref("insurance_arrears.mail_template_premium_notice")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment" if len(self) == 1 else "mass_mail",
                "mark_notice_sent": True,
            },
        }

    # -------------------------------------------------------------------------
    # Premium notices
    # -------------------------------------------------------------------------

    def _notice_domain(self, today):
        """Receipts whose notice may be due: open, unpaid, collected by the broker, not yet noticed at
        this amount, not in dunning.

        A superset: :meth:`_notice_due` keeps those whose day has come.
        """
        horizon = max(self.env["res.company"].search([]).mapped(lambda c: c._insurance_notice_days()) or [0])
        return [
            ("state", "=", "open"),
            ("amount_residual", ">", 0),
            ("notice_pending", "=", True),
            # Without a collection mandate the insurer asks the client for the premium, not the broker.
            ("collects_for_insurer", "=", True),
            # The notice is sent before the debit, itself on or after the due date.
            ("date_due", "<=", today + timedelta(days=horizon)),
            # Past due, the dunning speaks for the receipt.
            "|",
            ("case_id", "=", False),
            ("case_id.state", "!=", "open"),
        ]

    def _notice_due(self, today):
        """The receipts among these whose notice goes out on or before ``today``."""
        return self.filtered(
            lambda r: (
                r.notice_date
                or schedule.notice_send_date(r._notice_reference_date(today), r.company_id._insurance_notice_days())
                <= today
            )
        )

    def _notice_reference_date(self, notice_date):
        """The day the notice announces, for a notice sent on ``notice_date``: the due date (a collection
        route may announce another: sepa_dunning, the day of the debit)."""
        self.ensure_one()
        return self.date_due

    @api.model
    def _cron_send_notices(self):
        """Daily: send each open receipt's premium notice the company's number of days ahead.

        By e-mail where the client has an address, otherwise by post through
        Odoo's postal service where the company uses it, otherwise as a letter
        gathered with the day's others into one PDF for an accountant to print.
        Works in chunks committed one by one, each locked (two runs at once skip
        each other's receipts) and read again once locked, so that a run killed
        half-way and run again sends nothing twice.
        """
        today = fields.Date.context_today(self)
        receipts = self.search(self._notice_domain(today), order="date_due, id")._notice_due(today)
        self.env["ir.cron"]._process_in_chunks(
            receipts, NOTICE_CHUNK, self._notice_domain(today), lambda records: records._send_notices()
        )
        # Kept after the chunks: a run killed before it renders the PDF on its next run.
        self.env["insurance.notice.print"]._render_pending()
        return True

    def _send_notices(self):
        """Send the premium notice of each receipt, each by its channel, in batches.

        A receipt noticed before gets a notice replacing the earlier one (its
        amount or its payment method changed). The receipts are marked first, so that the notices
        rendered give the debit date of a notice sent today.

        :return: the receipts noticed
        """
        receipts = self.filtered(lambda r: r.state == "open")
        if not receipts:
            return receipts
        today = fields.Date.context_today(self)
        # One write per set of values: first notices share theirs but the amount.
        marks = receipts.grouped(
            lambda r: (
                r.notice_date or False,
                r.notice_amount if r.notice_date else 0.0,
                r.amount_total,
                r.payment_method,
            )
        )
        for (replaced_date, replaced_amount, amount, method), group in marks.items():
            group.write(
                {
                    "notice_replaced_date": replaced_date,
                    "notice_replaced_amount": replaced_amount,
                    "notice_date": today,
                    "notice_amount": amount,
                    "notice_payment_method": method,
                }
            )
        by_email = receipts.filtered(lambda r: r.partner_id.email)
        letters = receipts - by_email
        snailmail = self.env["snailmail.letter"]
        by_post = letters.filtered(
            lambda r: r.company_id.insurance_notice_snailmail and snailmail._is_valid_address(r.partner_id)
        )
        to_print = letters - by_post
        by_email._send_notice_emails()
        by_post._send_notice_letters()
        to_print._gather_notices_to_print(today)
        return receipts

    def _send_notice_emails(self):
        """The premium notice by e-mail, each in its client's language, rendered in one batch."""
        if not self:
            return
        self.notice_channel = "email"
        template = self.env.ref("insurance_arrears.mail_template_premium_notice")
        composer = (
            self.env["mail.compose.message"]
            .with_context(
                default_composition_mode="comment",
                default_model=self._name,
                default_res_ids=self.ids,
                default_template_id=template.id,
            )
            .create(
                {
                    "message_type": "comment",
                    "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"),
                }
            )
        )
        composer._action_send_mail()

    def _send_notice_letters(self):
        """The premium notice posted by Odoo's postal service: its own cron prints and sends the letters."""
        if not self:
            return
        self.notice_channel = "post"
        report = self.env.ref("insurance_arrears.action_report_premium_notice")
        self.env["snailmail.letter"].create(
            [
                {
                    "model": self._name,
                    "res_id": receipt.id,
                    "partner_id": receipt.partner_id.id,
                    "company_id": receipt.company_id.id,
                    "report_template": report.id,
                    "user_id": self.env.uid,
                }
                for receipt in self
            ]
        )

    def _gather_notices_to_print(self, day):
        """Add these notices to the day's letters to print of their company."""
        if not self:
            return
        self.notice_channel = "print"
        Print = self.env["insurance.notice.print"]
        for company, receipts in self.grouped("company_id").items():
            day_print = Print._for_day(company, day)
            receipts.notice_print_id = day_print
            day_print.to_render = True

    def _message_post_after_hook(self, message, msg_vals):
        # A notice sent from the composer counts as sent (pre-notification).
        if self.env.context.get("mark_notice_sent"):
            for receipt in self.filtered(lambda r: not r.notice_date):
                receipt.write(
                    {
                        "notice_date": fields.Date.context_today(self),
                        "notice_amount": receipt.amount_total,
                        "notice_payment_method": receipt.payment_method,
                        "notice_channel": "email",
                    }
                )
        return super()._message_post_after_hook(message, msg_vals)

    # -------------------------------------------------------------------------
    # Notice helpers (used by the QWeb report and the e-mail template)
    # -------------------------------------------------------------------------

    def _notice_payment_method_label(self):
        """The receipt's payment method as the notice names it, in the reader's language."""
        self.ensure_one()
        return dict(self._fields["payment_method"]._description_selection(self.env)).get(self.payment_method, "")

    def _notice_payment_html(self):
        """What the notice's e-mail says of how to pay (a collection route may say otherwise:
        sepa_dunning, the pre-notification of the debit)."""
        self.ensure_one()
        return Markup(self.env._("Please quote the reference %(reference)s with your payment.")) % {
            "reference": Markup("<strong>%s</strong>") % self.name
        }
