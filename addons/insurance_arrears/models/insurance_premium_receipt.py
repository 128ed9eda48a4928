from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command

# Invoices created and posted per call: bounds the memory of account.move's line
# synchronisation on large batches (tests/bench/bench_receipts.py).
MOVE_CHUNK = 100


class InsurancePremiumReceipt(models.Model):
    _name = "insurance.premium.receipt"
    _description = "Premium Receipt"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_due desc, id desc"
    _check_company_auto = True

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
    statement_id = fields.Many2one(
        "insurance.insurer.statement",
        string="Insurer Statement",
        copy=False,
        readonly=True,
        index=True,
        check_company=True,
    )
    case_id = fields.Many2one("arrears.case", string="Arrears Case", copy=False, index=True)

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
        sequence = self.env["ir.sequence"]
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = sequence.next_by_code("insurance.premium.receipt")
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

    def _post(self):
        """Create and post the invoices of draft receipts, in one batch."""
        receipts = self.filtered(lambda r: not r.move_id and not r.cancelled)
        receipts.company_id._insurance_ensure_accounting()
        with_amount = receipts.filtered(lambda r: r.amount_total or r.commission_amount)
        moves = self.env["account.move"]
        for start in range(0, len(with_amount), MOVE_CHUNK):
            chunk = with_amount[start : start + MOVE_CHUNK]
            chunk_moves = self.env["account.move"].create([r._prepare_move_vals() for r in chunk])
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
        payment_vals = [
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
        ]
        # Generate the journal entries now: the receipts are reconciled with them.
        payments = self.env["account.payment"].with_context(force_payment_move=True).create(payment_vals)
        payments.action_post()
        plan = []
        for payment, group in zip(payments, by_partner.values(), strict=True):
            receivable = group._open_receivable_lines()
            counterpart = payment.move_id.line_ids.filtered_domain([("account_id", "in", receivable.account_id.ids)])
            plan.append(receivable + counterpart)
        self.env["account.move.line"]._arrears_reconcile(plan)
        return payments

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

    def _send_notices(self):
        """Send the premium notice of each receipt by e-mail, in one batch."""
        template = self.env.ref("insurance_arrears.mail_template_premium_notice")
        receipts = self.filtered(lambda r: r.partner_id.email)
        for receipt in receipts:
            receipt.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
        receipts.notice_date = fields.Date.context_today(self)
        return receipts

    def _message_post_after_hook(self, message, msg_vals):
        # A notice sent from the composer counts as sent (pre-notification).
        if self.env.context.get("mark_notice_sent"):
            self.filtered(lambda r: not r.notice_date).notice_date = fields.Date.context_today(self)
        return super()._message_post_after_hook(message, msg_vals)

    # -------------------------------------------------------------------------
    # Notice helpers (used by the QWeb report and the e-mail template)
    # -------------------------------------------------------------------------

    def _notice_mandate_reference(self):
        """Mandate reference printed on a direct-debit notice (filled by sepa_dunning)."""
        self.ensure_one()
        return False

    def _notice_debit_date(self):
        """Date the premium will be debited (filled by sepa_dunning)."""
        self.ensure_one()
        return self.date_due
