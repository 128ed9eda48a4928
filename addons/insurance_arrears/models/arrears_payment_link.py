import secrets
from datetime import timedelta, timezone
from decimal import Decimal
from urllib.parse import urlencode

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from .. import plans, uploads

# The payer's page of a link, and under it the checkout, requests and demo provider.
PAGE_ROUTE = "/arrears/pay"


class PaymentProviderUnavailable(Exception):
    """A provider could not be reached: the payer is asked to try again later.

    Providers raise it from ``_checkout_url``; nothing is recorded when they do.
    """


class PaymentProviderNotReady(UserError):
    """No provider is ready to take a card payment for the link: the payer is told how else to pay."""


class ArrearsPaymentLink(models.Model):
    """The payment link of an arrears case, whatever the provider behind it.

    The customer's URL holds only an unguessable token and always asks for the
    amount due at the moment it is opened: a link clicked days after the notice
    never makes anyone pay twice or pay a stale amount. Providers (demo here,
    Stripe in its own addon) extend ``provider`` and ``_checkout_url``; the
    accounting of a payment is ``_register_payment``, the same for all.
    """

    _name = "arrears.payment.link"
    _description = "Arrears Payment Link"
    _order = "id desc"
    _check_company_auto = True
    _rec_name = "case_id"

    # No check_company: the company is the case's own (related), so always consistent;
    # the check cost a fifth of a dunning run (tests/bench/bench_dunning.py).
    case_id = fields.Many2one("arrears.case", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="case_id.currency_id")
    partner_id = fields.Many2one(related="case_id.partner_id", string="Debtor", store=True, index=True)
    contract_id = fields.Many2one(related="case_id.contract_id", store=True, index=True)
    introducer_id = fields.Many2one(related="case_id.introducer_id", store=True, index=True)
    insurer_id = fields.Many2one(related="case_id.insurer_id", store=True, index=True)

    token = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: secrets.token_urlsafe(32),
        groups="insurance_arrears.group_arrears_user,insurance_arrears.group_arrears_partner_api",
    )
    url = fields.Char(string="Link", compute="_compute_url")
    provider = fields.Selection(
        [("none", "None (card payment unavailable)"), ("demo", "Demo (simulated payment)")],
        required=True,
        default=lambda self: self._default_provider(),
        help="Who takes the payment. None: no provider is ready, the page says how else to pay. "
        "Demo: a simulated payment on a local page, where the company turned the demo provider on.",
    )
    state = fields.Selection(
        [
            ("active", "Active"),
            ("paid", "Paid"),
            ("closed", "Closed"),
            ("cancelled", "Cancelled"),
        ],
        default="active",
        required=True,
        index=True,
        help="Active until the case is closed: Paid when a payment through the link settled it, "
        "Closed when it was settled otherwise, Cancelled when an accountant revoked it.",
    )
    amount_due = fields.Monetary(related="case_id.amount_due", string="Amount Due Now")
    amount_paid = fields.Monetary(readonly=True, copy=False)
    provider_reference = fields.Char(
        readonly=True, copy=False, index="btree_not_null", help="The provider's id of the last checkout."
    )
    date_expiry = fields.Date(string="Expires On", help="Leave empty: the link is valid until the case is closed.")
    open_count = fields.Integer(string="Times Opened", readonly=True, copy=False)
    date_first_opened = fields.Datetime(string="First Opened", readonly=True, copy=False)
    date_paid = fields.Datetime(string="Paid On", readonly=True, copy=False)
    payment_ids = fields.One2many("account.payment", "arrears_link_id", string="Payments", readonly=True)
    overpaid = fields.Boolean(
        readonly=True,
        copy=False,
        help="A payment through the link exceeded what was due: the excess is the client's credit, to refund or keep.",
    )

    _unique_token = models.UniqueIndex("(token)", "A payment link token is unique.")
    _one_active_link_per_case = models.UniqueIndex(
        "(case_id) WHERE state = 'active'", "A case has one active payment link at a time."
    )

    @api.model
    def _default_provider(self):
        """The provider new links of the current company use (see ``_provider_for_company``)."""
        return self._provider_for_company(self.env.company)

    @api.model
    def _provider_for_company(self, company):
        """The provider that takes ``company``'s links now: the last installed one that is ready.

        Providers override it and call super when they are not ready. The demo
        provider only where a person turned it on for the company; otherwise
        none, and the page says that card payment is unavailable.
        """
        return "demo" if company.arrears_demo_payment else "none"

    @api.model_create_multi
    def create(self, vals_list):
        # A link belongs to its case's company, which may not be the current one.
        chosen = {}
        for vals in vals_list:
            if "provider" in vals or not vals.get("case_id"):
                continue
            company = self.env["arrears.case"].browse(vals["case_id"]).company_id
            if company not in chosen:
                chosen[company] = self._provider_for_company(company)
            vals["provider"] = chosen[company]
        return super().create(vals_list)

    def _provider_ready(self):
        """Whether this link's own provider can take a card payment now (providers extend it)."""
        self.ensure_one()
        return self.provider == "demo" and bool(self.company_id.arrears_demo_payment)

    def _effective_provider(self):
        """The provider a payment through this link goes to now.

        Its own while it is ready, else the company's current one: Stripe
        configured after the link went out takes its payments, and a demo
        provider turned off simulates nothing any more.
        """
        self.ensure_one()
        if self._provider_ready():
            return self.provider
        return self._provider_for_company(self.company_id)

    def _refresh_provider(self):
        """Switch the link to the provider that takes its payments now (see ``_effective_provider``)."""
        for link in self:
            provider = link._effective_provider()
            if provider != link.provider:
                link.provider = provider

    def _other_ways_to_pay(self):
        """What the page says when card payment is unavailable: a transfer with the reference, a contact.

        The company's own bank account (its first bank journal's), never the
        debtor's.
        """
        self.ensure_one()
        company = self.company_id
        Journal = self.env["account.journal"]
        journal = Journal.search(
            [*Journal._check_company_domain(company), ("type", "=", "bank"), ("bank_account_id", "!=", False)],
            order="sequence, id",
            limit=1,
        )
        account = journal.bank_account_id or company.partner_id.bank_ids[:1]
        return {
            "transfer_iban": account.acc_number or "",
            "transfer_bic": account.bank_bic or "",
            "transfer_reference": self.case_id.contract_id.name or "",
            "contact_email": company.email or "",
            "contact_phone": company.phone or "",
        }

    def _page_path(self, status=None):
        """The payer's page of this link, from the site's root, showing ``status`` (an outcome) if given."""
        self.ensure_one()
        path = f"{PAGE_ROUTE}/{self.token}"
        return f"{path}?{urlencode({'status': status})}" if status else path

    @api.depends("token")
    def _compute_url(self):
        for link in self:
            link.url = link.token and link.get_base_url() + link._page_path()

    # -------------------------------------------------------------------------
    # Provider seam
    # -------------------------------------------------------------------------

    def _is_payable(self):
        """Whether the link can take a payment now."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        return (
            self.state == "active"
            and self.case_id.state == "open"
            and self.amount_due > 0
            and not (self.date_expiry and self.date_expiry < today)
        )

    def _checkout_url(self):
        """Where to send the payer to pay the amount due now.

        Providers override it for their own ``provider`` value and call super
        otherwise. Raises ``PaymentProviderUnavailable`` when the provider
        cannot be reached, ``UserError`` when nothing can be paid.
        """
        self.ensure_one()
        self._check_checkout()
        self._refresh_provider()
        if self.provider == "demo":
            return f"{self._page_path()}/demo"
        raise PaymentProviderNotReady(self.env._("Payment by card is unavailable for this link."))

    def _check_checkout(self):
        """Refuse a checkout with nothing to pay now (nothing due, or instalments the bank debits)."""
        self.ensure_one()
        if not self._is_payable():
            raise UserError(self.env._("Nothing is due on this link any more."))
        if self.currency_id.compare_amounts(self._amount_to_ask(), 0) <= 0:
            raise UserError(self._nothing_to_pay_now())

    def _nothing_to_pay_now(self):
        """Why a link still payable asks for nothing now (a collection route may know better:
        sepa_dunning, an instalment its bank debits)."""
        self.ensure_one()
        if not self.case_id._active_plan():
            return self.env._("Nothing is to be paid now: all that is due awaits our answer to your contest.")
        return self.env._("Nothing is to be paid now: your next instalment is not due yet.")

    def _is_open_to_payer(self):
        """Whether the customer page shows the link (who asks, for what): not once revoked,
        replaced, expired or settled; then the page only says whom to contact.

        False for no link at all, after the same work (the page of an unknown token
        takes the time of a revoked one's)."""
        today = fields.Date.context_today(self)
        return len(self) == 1 and self.state == "active" and not (self.date_expiry and self.date_expiry < today)

    def _record_opening(self):
        """Count an opening of the customer page (the dashboards measure conversion)."""
        now = fields.Datetime.now()
        for link in self:
            link.write({"open_count": link.open_count + 1, "date_first_opened": link.date_first_opened or now})

    def _page_values(self, status=None):
        """What the customer page shows: who asks, for which contract, what is due now.

        Nothing a person holding a forwarded link should not see: no address,
        no bank account, no mandate.
        """
        self.ensure_one()
        case = self.case_id
        plan = case._active_plan()
        rule = self.env["arrears.plan.rule"]._for_case(case)
        today = fields.Date.context_today(self)
        return {
            "plan": plan,
            "pending_request": case.plan_request_ids.filtered(lambda r: r.state == "pending")[:1],
            "contests": case.contest_ids.sorted("id"),
            "contested_receipts": case.contest_ids.filtered(lambda c: c.state == "pending").receipt_ids,
            "max_contest_files": uploads.MAX_FILES,
            "max_contest_megabytes": uploads.MAX_BYTES // (1024 * 1024),
            "contest_reasons": self.env["arrears.contest"]._fields["reason"]._description_selection(self.env),
            "rule": rule,
            "max_delay_date": today + timedelta(days=max(rule.max_delay_days, 1) if rule else 60),
            "max_instalments": max(rule.max_instalments, 2) if rule else 6,
            "min_delay_date": today + timedelta(days=1),
            "amount_to_ask": self._amount_to_ask(),
            "page_path": self._page_path(),
            "company": self.company_id,
            "currency": self.currency_id,
            "contract": case.contract_id,
            "partner_name": case.partner_id.name,
            "insurer_name": case.insurer_id.name,
            "receipts": case._open_receipts().sorted("date_due"),
            "fees": case._fee_lines().filtered(lambda fee: fee.amount_residual > 0).sorted("date"),
            "amount_due": case._amount_claimed(),
            "amount_contested": case.amount_contested,
            "payable": self._is_payable(),
            "documents": [(key, label) for key, (label, _report, _record) in self._page_documents().items()],
            "status": status,
            **self._provider_page_values(),
        }

    def _page_documents(self):
        """The copies the debtor may download from the page, each by a key of its own.

        :return: ``{key: (label, report xmlid, record)}``: each open receipt's notice, the
            receipt of each payment made through the link and, while the contract is in
            force, its certificate of insurance
        """
        self.ensure_one()
        case = self.case_id
        documents = {
            f"notice-{receipt.id}": (
                self.env._("Premium notice %s", receipt.name),
                "insurance_arrears.action_report_premium_notice",
                receipt,
            )
            for receipt in case._open_receipts().sorted("date_due")
        }
        for payment in self.payment_ids.filtered(lambda p: p.state not in ("draft", "canceled")).sorted("date"):
            documents[f"payment-{payment.id}"] = (
                self.env._("Payment receipt of %(date)s", date=format_date(self.env, payment.date)),
                "insurance_arrears.action_report_payment_receipt",
                payment,
            )
        contract = case.contract_id
        if contract and contract._certificate_receipt():
            documents[f"certificate-{contract.id}"] = (
                self.env._("Certificate of insurance %s", contract.name),
                "insurance_arrears.action_report_insurance_certificate",
                contract,
            )
        return documents

    def _page_document(self, key):
        """The PDF of the page's document ``key`` and its file name, its download noted on the case.

        :return: ``(content, file name)``, or None for a key the page does not offer
        """
        self.ensure_one()
        document = self._page_documents().get(key)
        if not document:
            return None
        label, report, record = document
        content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(report, record.ids)
        self.case_id.message_post(
            body=self.env._("%(document)s downloaded from the payment page.", document=label),
            author_id=self.partner_id.id,
            subtype_xmlid="mail.mt_note",
        )
        return content, f"{label}.pdf"

    def _provider_page_values(self):
        """What the page says about the means of payment: card (a demonstration?) or other ways to pay."""
        provider = self._effective_provider()
        return {
            "card_payment": provider != "none",
            "demo_payment": provider == "demo",
            **self._other_ways_to_pay(),
        }

    def _api_values(self):
        """The link as the partner web service shows it (the documented fields)."""
        self.ensure_one()
        link = self.sudo()  # called on a link the partner's record rules let it read
        return {
            "url": link.url,
            "token": link.token,
            "state": link.state,
            "amount_due": link.amount_due if link.state == "active" else 0.0,
            "amount_paid": link.amount_paid,
            "currency": link.currency_id.name,
            "opened": link.open_count,
            # RFC 3339 (the OpenAPI date-time), null until paid; Odoo keeps UTC without the zone.
            "paid_at": link.date_paid.replace(tzinfo=timezone.utc).isoformat() if link.date_paid else None,
        }

    def _amount_to_ask(self):
        """What the payer is asked for now: all that is due but what it contests, or the instalments due
        under a granted plan."""
        self.ensure_one()
        case = self.case_id
        plan = case._active_plan()
        if not plan:
            return case._amount_claimed()
        schedule = [(i.date_due, Decimal(str(i.amount)), i.collection == "link") for i in plan.instalment_ids]
        amount = plans.amount_to_ask(
            schedule,
            Decimal(str(plan.amount_paid)),
            fields.Date.context_today(self),
            Decimal(str(case.amount_due)),
        )
        return self.currency_id.round(float(amount))

    def _ask_plan(self, kind, delay_until=None, instalment_count=None, note=None):
        """A request for a delay or a plan from the customer page (see ``arrears.plan.request._ask``)."""
        self.ensure_one()
        if not self._is_payable():
            raise UserError(self.env._("Nothing is due on this link any more."))
        return self.env["arrears.plan.request"]._ask(
            self.case_id, kind, delay_until=delay_until, instalment_count=instalment_count, note=(note or "")[:1000]
        )

    def _contest(self, receipt_ids, reason, note=None, files=()):
        """A contest of receipts from the customer page (see ``arrears.contest._open``).

        :param receipt_ids: the ids the page sent, checked there against the case's open receipts
        :param files: ``[(name, bytes)]`` as sent
        """
        self.ensure_one()
        if not self._is_payable():
            raise UserError(self.env._("Nothing is due on this link any more."))
        receipts = self.env["insurance.premium.receipt"].browse(receipt_ids).exists()
        return self.env["arrears.contest"]._open(self.case_id, receipts, reason, note, files)

    def _demo_open(self):
        """Whether the demo provider's pages answer for this link (a person turned it on for the company)."""
        self.ensure_one()
        return self.provider == "demo" and self._provider_ready()

    def _demo_outcome(self, success):
        """The demo provider's simulated outcome: a payment of the amount due, or a decline.

        :return: the status shown to the payer
        """
        self.ensure_one()
        if not self._demo_open():
            # A simulated payment posts a real entry: only where a person chose the demo provider.
            raise UserError(self.env._("The demo payment provider is not turned on for this company."))
        if not success:
            self.case_id.message_post(body=self.env._("Demo payment declined on the payment link."))
            return "failed"
        if not self._is_payable():
            return "nothing_due"
        self._register_payment(self._amount_to_ask(), reference=self.env._("Demo payment"))
        return "paid"

    # -------------------------------------------------------------------------
    # Accounting of a payment (provider-neutral)
    # -------------------------------------------------------------------------

    def _payment_journal(self):
        """Journal that receives payments of this link's provider (the company's bank for the demo)."""
        self.ensure_one()
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(self.company_id), ("type", "=", "bank")], limit=1
        )
        if not journal:
            raise UserError(self.env._("Company %(company)s has no bank journal.", company=self.company_id.name))
        return journal

    def _register_payment(self, amount, journal=None, date=None, reference=None):
        """Post a payment received through this link and settle the case's receipts with it.

        One ``account.payment`` on ``journal`` (the provider's), reconciled with
        the open receipts of the case oldest first, in one reconciliation plan.
        What is left unpaid stays due; an excess stays on the client's account
        as a credit and the link is flagged as overpaid, so that an accountant
        refunds it (this is how a link paid while a direct debit of the same
        receipt also went through shows up).

        :return: the posted ``account.payment``
        """
        self.ensure_one()
        if amount <= 0:
            raise UserError(self.env._("A payment amount must be positive."))
        journal = journal or self._payment_journal()
        case = self.case_id
        # Settling the case closes its links: remember that this one was live, and whether the cover was off.
        was_active = self.state == "active"
        was_suspended = case.contract_id.state == "suspended"
        # What the page asked for first; a contested receipt only with what is left over.
        contested = case._contested_receipts().move_id._arrears_open_receivables()
        receivable = case._open_receivable_lines() - contested
        # The caller may be a public route or a webhook: work in the link's company.
        payment = (
            self.env["account.payment"]
            .with_company(self.company_id)
            ._arrears_post(
                [
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": case.partner_id.commercial_partner_id.id,
                        "amount": amount,
                        "date": date or fields.Date.context_today(self),
                        "journal_id": journal.id,
                        "memo": reference or case.contract_id.name,
                        "arrears_link_id": self.id,
                    }
                ],
                [receivable],
            )
        )
        counterpart = payment._arrears_counterpart(receivable.account_id)
        currency = self.currency_id
        if contested and counterpart.filtered(lambda line: not line.reconciled):
            self.env["account.move.line"]._arrears_reconcile([contested + counterpart])
        # What the receipts did not absorb stays as the client's credit.
        excess = -sum(counterpart.mapped("amount_residual")) if counterpart else amount
        values = {"amount_paid": self.amount_paid + amount}
        if currency.compare_amounts(excess, 0) > 0:
            values["overpaid"] = True
        if was_active and (case.state == "closed" or case.amount_due <= 0):
            values.update(state="paid", date_paid=fields.Datetime.now())
        self.write(values)
        payment.arrears_reinstated = was_suspended and case.contract_id.state == "active"
        payment._arrears_send_payment_receipt()
        case.message_post(
            body=self.env._(
                "Payment of %(amount)s received through the payment link (%(journal)s).",
                amount=currency.format(amount),
                journal=journal.name,
            )
        )
        if values.get("overpaid"):
            case.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Overpayment to refund"),
                note=self.env._(
                    "%(amount)s paid through the link exceeds what was due: refund the client or keep it as a credit.",
                    amount=currency.format(excess),
                ),
                user_id=case.user_id.id or self.env.uid,
            )
        return payment

    def _register_refund(self, payment, amount, reason=None, date=None):
        """Give back ``amount`` of a payment received through this link (a refund, a lost dispute).

        The accounts are given back by ``account.payment._arrears_give_back``;
        the receipts it had paid that are due again go back to an open arrears
        case. Giving back an excess (the client's credit) reopens nothing and
        clears the overpayment flag once no credit is left.

        :return: the posted reversal ``account.move``
        """
        self.ensure_one()
        currency = payment.company_currency_id
        reason = reason or self.env._("Refund of %(payment)s", payment=payment.name)
        reversal, owed = payment._arrears_give_back(amount, reason, date=date)
        receipts = self.env["insurance.premium.receipt"].search([("move_id", "in", owed.move_id.ids)])
        reopened = receipts.filtered(lambda r: r.state == "open" and r.amount_residual > 0)
        fees_due = owed.filtered(lambda line: not line.reconciled and line.arrears_fee_case_id.state == "closed")
        cases = self.env["arrears.case"]._open_for_receipts(reopened, fees=fees_due)
        if self.overpaid and all(
            currency.is_zero(line.amount_residual)
            for line in self.payment_ids.move_id.line_ids
            if line.account_id.account_type == "asset_receivable"
        ):
            self.overpaid = False
        body = self.env._(
            "%(amount)s of payment %(payment)s given back (%(reason)s).",
            amount=currency.format(amount),
            payment=payment.name,
            reason=reason,
        )
        for case in self.case_id | cases:
            case.message_post(body=body)
        return reversal
