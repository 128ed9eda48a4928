import logging
from datetime import datetime, timedelta

import stripe
from psycopg2 import errors as pg_errors

from odoo import Command, api, fields, models
from odoo.addons.insurance_arrears.models.arrears_payment_link import PaymentProviderUnavailable
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

from .. import checkout, const, events, utils

_logger = logging.getLogger(__name__)


class RetryLater(Exception):
    """The outcome cannot be applied yet (row locked, payment not recorded yet): try again later."""


class StripeCheckoutSession(models.Model):
    """One Stripe Checkout Session, created when a payer clicks Pay on a link.

    It asks for the amount due at that click, under an opaque reference; every
    event and every poll about it ends here, under a row lock, so that one
    payment intent gives one payment whatever the number and order of the
    messages that announce it.
    """

    _name = "stripe.checkout.session"
    _description = "Stripe Checkout Session"
    _order = "id desc"
    _rec_name = "reference"
    _check_company_auto = True

    link_id = fields.Many2one(
        "arrears.payment.link", required=True, index=True, ondelete="cascade", readonly=True, check_company=True
    )
    case_id = fields.Many2one(related="link_id.case_id", store=True, index=True)
    company_id = fields.Many2one(related="link_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="link_id.partner_id", string="Debtor")
    provider_id = fields.Many2one(
        "payment.provider", required=True, readonly=True, ondelete="restrict", check_company=True
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    reference = fields.Char(
        required=True, readonly=True, copy=False, help="The opaque reference Stripe knows this checkout by."
    )
    stripe_session_id = fields.Char(required=True, readonly=True, copy=False)
    stripe_payment_intent_id = fields.Char(readonly=True, copy=False)
    stripe_charge_id = fields.Char(readonly=True, copy=False, index="btree_not_null")
    url = fields.Char(string="Checkout URL", readonly=True, copy=False)
    amount_minor = fields.Integer(string="Amount Asked (minor units)", readonly=True)
    amount = fields.Monetary(string="Amount Asked", readonly=True)
    amount_received = fields.Monetary(readonly=True, copy=False)
    amount_fee = fields.Monetary(
        string="Stripe Fee",
        readonly=True,
        copy=False,
        help="Stripe's fees on this payment: the charge's and disputes'.",
    )
    amount_refunded = fields.Monetary(readonly=True, copy=False, help="Given back: refunds and lost disputes.")
    amount_refunded_minor = fields.Integer(readonly=True, copy=False)
    amount_disputed_lost_minor = fields.Integer(readonly=True, copy=False)
    expires_at = fields.Datetime(readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("paid", "Paid"), ("failed", "Failed"), ("expired", "Expired")],
        default="open",
        required=True,
        readonly=True,
        index=True,
    )
    waiting_async = fields.Boolean(
        string="Payment Under Way",
        readonly=True,
        copy=False,
        help="Completed with an asynchronous method: the money is announced later.",
    )
    dispute_state = fields.Selection(
        [("open", "Dispute Open"), ("won", "Dispute Won"), ("lost", "Dispute Lost")], readonly=True, copy=False
    )
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False, index="btree_not_null")
    fee_move_id = fields.Many2one("account.move", string="Fee Entry", readonly=True, copy=False)
    dispute_fee_minor = fields.Integer(readonly=True, copy=False, help="Stripe's dispute fees booked so far.")
    dispute_fee_move_ids = fields.Many2many(
        "account.move",
        "stripe_checkout_session_dispute_fee_rel",
        string="Dispute Fee Entries",
        readonly=True,
        copy=False,
    )
    fee_pending = fields.Boolean(
        readonly=True, copy=False, help="Paid, but Stripe's fee is not known yet: the safety net books it later."
    )
    reversal_move_ids = fields.Many2many(
        "account.move", "stripe_checkout_session_reversal_rel", "session_id", "move_id", readonly=True, copy=False
    )
    date_paid = fields.Datetime(readonly=True, copy=False, index="btree_not_null")
    date_checked = fields.Datetime(string="Last Checked", readonly=True, copy=False)
    expiry_unconfirmed = fields.Boolean(
        string="Expiry to Confirm",
        readonly=True,
        copy=False,
        help="Expired here past its time while Stripe still said open: read once more at Stripe before it "
        "is let go (a payment made just before the expiry is still posted).",
    )
    event_ids = fields.One2many("stripe.event", "session_id", string="Events", readonly=True)

    _unique_reference = models.UniqueIndex("(reference)", "A checkout reference is unique.")
    _unique_stripe_session = models.UniqueIndex("(stripe_session_id)", "A Stripe session is recorded once.")
    _unique_payment_intent = models.UniqueIndex(
        "(stripe_payment_intent_id) WHERE stripe_payment_intent_id IS NOT NULL",
        "A payment intent belongs to one checkout.",
    )
    _unique_payment = models.UniqueIndex(
        "(payment_id) WHERE payment_id IS NOT NULL", "A payment is recorded for one checkout."
    )
    _poll_index = models.Index("(state, create_date) WHERE state = 'open' OR fee_pending OR expiry_unconfirmed")

    # -------------------------------------------------------------------------
    # Checkout: the payer clicks Pay
    # -------------------------------------------------------------------------

    @api.model
    def _checkout_for_link(self, link):
        """A Checkout Session asking for ``link``'s amount due now; reused while it still fits.

        :raise PaymentProviderUnavailable: Stripe cannot be reached (nothing recorded)
        """
        provider = self.env["payment.provider"]._stripe_link_provider(link.company_id)
        if not provider:
            raise PaymentProviderUnavailable()
        currency = link.currency_id
        # The amount due now, or the instalments due under a plan the debtor was granted.
        amount_minor = checkout.to_minor(link._amount_to_ask(), currency.name)
        now = fields.Datetime.now()
        reusable = self.search(
            [
                ("link_id", "=", link.id),
                ("state", "=", "open"),
                ("waiting_async", "=", False),
                ("amount_minor", "=", amount_minor),
                ("currency_id", "=", currency.id),
                ("provider_id", "=", provider.id),
                ("expires_at", ">", now + timedelta(seconds=const.CHECKOUT_REUSE_MARGIN_SECONDS)),
            ],
            limit=1,
        )
        if reusable:
            return reusable
        self.search(
            [("link_id", "=", link.id), ("state", "=", "open"), ("waiting_async", "=", False)]
        )._expire_at_stripe()
        reference = checkout.new_reference()
        base_url = link.get_base_url()
        return_url = f"{base_url}{const.RETURN_ROUTE}/{reference}"
        expires_at = now + timedelta(seconds=const.CHECKOUT_LIFETIME_SECONDS)
        company = link.company_id
        params = checkout.session_params(
            amount_minor=amount_minor,
            currency_code=currency.name,
            reference=reference,
            success_url=f"{return_url}?status=paid",
            cancel_url=f"{return_url}?status=cancelled",
            expires_at=_utc_timestamp(expires_at),
            display_name=company.name,
            logo_url=f"{base_url}/logo.png?company={company.id}",
        )
        client = utils._stripe_client(provider)
        try:
            session = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": reference})
        except stripe.StripeError as error:
            self._log_stripe_error("creating a checkout session", error)
            raise PaymentProviderUnavailable() from error
        return self.create(
            {
                "link_id": link.id,
                "provider_id": provider.id,
                "currency_id": currency.id,
                "reference": reference,
                "stripe_session_id": session["id"],
                "url": session["url"],
                "amount_minor": amount_minor,
                "amount": float(checkout.from_minor(amount_minor, currency.name)),
                "expires_at": expires_at,
            }
        )

    def _expire_at_stripe(self):
        """Close at Stripe the sessions a new amount supersedes: no second tab can pay a stale amount.

        A session Stripe will not expire (paid meanwhile, or Stripe unreachable)
        stays open here: its payment, if any, arrives by webhook or polling.
        """
        for session in self:
            try:
                utils._stripe_client(session.provider_id).v1.checkout.sessions.expire(session.stripe_session_id)
            except stripe.StripeError as error:
                self._log_stripe_error("expiring a superseded checkout session", error)
                continue
            session.state = "expired"

    @api.model
    def _log_stripe_error(self, doing, error):
        # Unreachable Stripe is an operator's warning; a refused call (bad key,
        # bad parameter) is an error someone must fix.
        log = _logger.warning if utils.is_unavailable(error) else _logger.error
        log("Stripe error while %s: %s (%s)", doing, type(error).__name__, getattr(error, "user_message", "") or "")

    # -------------------------------------------------------------------------
    # Outcomes: from webhook events and from polling
    # -------------------------------------------------------------------------

    @api.model
    def _find_for_outcome(self, outcome):
        """Our checkout an outcome is about, found by the Stripe ids it carries."""
        for field, value in (
            ("stripe_session_id", outcome.session_id),
            ("stripe_payment_intent_id", outcome.payment_intent_id),
            ("reference", outcome.reference),
            ("stripe_charge_id", outcome.charge_id),
        ):
            if value:
                session = self.search([(field, "=", value)], limit=1)
                if session:
                    return session
        return self.browse()

    @api.model
    def _find_through_stripe(self, provider, outcome):
        """Our checkout for a charge or dispute event that names only a payment intent we do not know yet.

        The payment intent carries the checkout's reference in its metadata.

        :raise RetryLater: Stripe cannot be reached now
        """
        if not outcome.payment_intent_id or not provider:
            return self.browse()
        try:
            intent = utils._stripe_client(provider).v1.payment_intents.retrieve(outcome.payment_intent_id).to_dict()
        except stripe.StripeError as error:
            self._log_stripe_error("reading a payment intent", error)
            if utils.is_unavailable(error):
                raise RetryLater() from error
            return self.browse()
        reference = (intent.get("metadata") or {}).get("reference")
        return self.search([("reference", "=", reference)], limit=1) if reference else self.browse()

    def _apply_outcome(self, outcome, intent=None):
        """Apply what Stripe says about this checkout; safe to repeat, in any order.

        Locks the checkout's row first: a webhook event and the polling on the
        same payment wait for each other's commit (the later one then sees the
        payment and adds nothing).

        :param intent: the payment intent expanded down to its balance
            transaction, when the caller already has it (polling)
        :return: a short text of what was done, for the event's log
        :raise RetryLater: the row is locked by another transaction
        """
        self.ensure_one()
        if not _lock_rows(self):
            raise RetryLater()
        self.invalidate_recordset()
        ids = {}
        if outcome.payment_intent_id and not self.stripe_payment_intent_id:
            ids["stripe_payment_intent_id"] = outcome.payment_intent_id
        if outcome.charge_id and not self.stripe_charge_id:
            ids["stripe_charge_id"] = outcome.charge_id
        if ids:
            self.write(ids)
        handler = {
            events.PAY: self._apply_payment,
            events.WAIT: self._apply_waiting,
            events.FAIL: self._apply_failure,
            events.DECLINED: self._apply_decline,
            events.EXPIRE: self._apply_expiry,
            events.REFUND: self._apply_refund,
            events.DISPUTE_OPEN: self._apply_dispute_open,
            events.DISPUTE_LOST: self._apply_dispute_lost,
            events.DISPUTE_WON: self._apply_dispute_won,
        }.get(outcome.kind)
        if not handler:
            return self.env._("Nothing to do.")
        result = handler(outcome, intent=intent)
        if outcome.kind in (events.DISPUTE_OPEN, events.DISPUTE_LOST, events.DISPUTE_WON):
            self._book_dispute_fee(outcome)
        return result

    # -------------------------------------------------------------------------
    # Does an outcome belong to this checkout?
    # -------------------------------------------------------------------------

    def _refusal(self, outcome, provider):
        """Why ``outcome``, verified with ``provider``'s secret, must not be applied here (None: it fits).

        :return: the reason, as an accountant reads it, or None
        """
        self.ensure_one()
        own = self.provider_id
        code = events.refusal(
            outcome,
            same_provider=bool(provider) and provider == own,
            provider_live=own.state != "test",
            test_allowed=self.company_id.arrears_test_company,
            asked_minor=self.amount_minor,
            asked_currency=self.currency_id.name,
        )
        if not code:
            return None
        if code == events.REFUSED_PROVIDER:
            return self.env._(
                "Verified with the webhook secret of %(provider)s, not with that of %(own)s, "
                "whose checkout %(ref)s it names.",
                provider=provider.display_name or self.env._("an unknown provider"),
                own=own.display_name,
                ref=self.reference,
            )
        if code == events.REFUSED_MODE:
            live, test = self.env._("live"), self.env._("test")
            return self.env._(
                "Stripe reports it in %(mode)s mode, but the provider %(provider)s is in %(expected)s mode.",
                mode=live if outcome.livemode else test,
                provider=own.display_name,
                expected=test if own.state == "test" else live,
            )
        if code == events.REFUSED_TEST_COMPANY:
            return self.env._(
                "A test-mode payment cannot settle the receipts of %(company)s: the company is not "
                "flagged as a test company.",
                company=self.company_id.name,
            )
        if code == events.REFUSED_CURRENCY:
            return self.env._(
                "Stripe reports an amount in %(paid)s for checkout %(ref)s, which asked for %(asked)s.",
                paid=outcome.currency,
                ref=self.reference,
                asked=self.currency_id.name,
            )
        return self.env._(
            "Stripe reports %(paid)s received for checkout %(ref)s, which asked for %(asked)s.",
            paid=self.currency_id.format(self._minor_to_amount(outcome.amount_minor)),
            ref=self.reference,
            asked=self.currency_id.format(self.amount),
        )

    def _notify_refusal(self, reason, repeat=True):
        """Tell the case's accountant that Stripe reported something refused for this checkout.

        A note on the case each time (unless ``repeat`` is off and the
        accountant was already told); one open to-do at a time, however many
        refused reports arrive.
        """
        self.ensure_one()
        case = self.case_id
        summary = self.env._("Stripe report refused")
        told = case.activity_ids.filtered(lambda activity: activity.summary == summary)
        if told and not repeat:
            return
        note = self.env._("Nothing was posted. %(reason)s Check the payment in Stripe's dashboard.", reason=reason)
        case.message_post(body=note)
        if not told:
            case.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=note,
                user_id=case.user_id.id or self.env.uid,
            )

    def _minor_to_amount(self, amount_minor):
        return float(checkout.from_minor(amount_minor, self.currency_id.name))

    def _apply_payment(self, outcome, intent=None):
        if self.payment_id:
            return self.env._("Payment already recorded (%(payment)s).", payment=self.payment_id.name)
        amount = self._minor_to_amount(outcome.amount_minor)
        if outcome.currency and outcome.currency != self.currency_id.name:
            raise UserError(
                self.env._(
                    "Stripe reports a payment in %(paid)s for a checkout in %(asked)s.",
                    paid=outcome.currency,
                    asked=self.currency_id.name,
                )
            )
        if self.currency_id.compare_amounts(amount, 0) <= 0:
            return self.env._("No amount received.")
        link = self.link_id
        journal = self.provider_id._stripe_link_journal()
        payment = link._register_payment(amount, journal=journal, reference=self.reference)
        self.write(
            {
                "state": "paid",
                "waiting_async": False,
                "payment_id": payment.id,
                "amount_received": amount,
                "date_paid": fields.Datetime.now(),
                "fee_pending": True,
            }
        )
        self._book_fee(intent)
        return self.env._("Payment %(payment)s of %(amount)s recorded.", payment=payment.name, amount=amount)

    def _apply_waiting(self, outcome, intent=None):
        if self.payment_id or self.waiting_async:
            return self.env._("Nothing new.")
        self.waiting_async = True
        self.case_id.message_post(
            body=self.env._("Payment started through the payment link; the bank confirms it in a few days.")
        )
        return self.env._("Asynchronous payment under way.")

    def _apply_failure(self, outcome, intent=None):
        if self.payment_id or self.state == "failed":
            return self.env._("Nothing new.")
        self.write({"state": "failed", "waiting_async": False})
        self.case_id.message_post(
            body=self.env._("The payment started through the payment link failed: nothing was received.")
        )
        return self.env._("Payment failed.")

    def _apply_decline(self, outcome, intent=None):
        if self.payment_id:
            return self.env._("Nothing new.")
        self.case_id.message_post(
            body=self.env._(
                "A payment attempt through the payment link was declined (%(code)s).",
                code=outcome.detail or self.env._("no reason given"),
            )
        )
        return self.env._("Attempt declined.")

    def _apply_expiry(self, outcome, intent=None):
        if self.state != "open" or self.payment_id:
            return self.env._("Nothing new.")
        self.write({"state": "expired", "waiting_async": False})
        return self.env._("Expired unpaid.")

    def _give_back(self, amount_minor, reason):
        """Reverse ``amount_minor`` of the payment in the accounts and reopen the case."""
        if not self.payment_id:
            # The payment's own event may still be on its way: try again later.
            raise RetryLater()
        already = self.amount_refunded_minor + self.amount_disputed_lost_minor
        received_minor = checkout.to_minor(self.amount_received, self.currency_id.name)
        amount_minor = min(amount_minor, received_minor - already)
        if amount_minor <= 0:
            return self.env["account.move"]
        amount = self._minor_to_amount(amount_minor)
        reversal = self.link_id._register_refund(self.payment_id, amount, reason=reason)
        self.write(
            {
                "amount_refunded": self.amount_refunded + amount,
                "reversal_move_ids": [Command.link(reversal.id)],
            }
        )
        return reversal

    def _apply_refund(self, outcome, intent=None):
        # Stripe gives the running total refunded on the charge: only the difference is new.
        new_minor = outcome.amount_minor - self.amount_refunded_minor
        if new_minor <= 0:
            return self.env._("Refund already recorded.")
        reversal = self._give_back(new_minor, self.env._("Stripe refund %(ref)s", ref=self.reference))
        self.amount_refunded_minor = outcome.amount_minor
        return self.env._("Refund recorded (%(move)s).", move=reversal.name or "-")

    def _apply_dispute_open(self, outcome, intent=None):
        if self.dispute_state == "open":
            return self.env._("Nothing new.")
        self.dispute_state = "open"
        case = self.case_id
        note = self.env._(
            "The payer disputes %(amount)s paid through the payment link (reason: %(reason)s). "
            "Answer the dispute in Stripe's dashboard before its deadline.",
            amount=self.currency_id.format(self._minor_to_amount(outcome.amount_minor)),
            reason=outcome.detail or "-",
        )
        case.message_post(body=note)
        case.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Stripe dispute to answer"),
            note=note,
            user_id=case.user_id.id or self.env.uid,
        )
        return self.env._("Dispute opened.")

    def _apply_dispute_lost(self, outcome, intent=None):
        if self.dispute_state == "lost":
            return self.env._("Dispute already recorded as lost.")
        reversal = self._give_back(outcome.amount_minor, self.env._("Stripe dispute lost %(ref)s", ref=self.reference))
        self.write(
            {
                "dispute_state": "lost",
                "amount_disputed_lost_minor": self.amount_disputed_lost_minor + outcome.amount_minor,
            }
        )
        return self.env._("Dispute lost: payment reversed (%(move)s).", move=reversal.name or "-")

    def _apply_dispute_won(self, outcome, intent=None):
        if self.dispute_state in ("won", "lost"):
            return self.env._("Nothing new.")
        self.dispute_state = "won"
        self.case_id.message_post(
            body=self.env._("The dispute on the payment through the link was closed in our favour.")
        )
        return self.env._("Dispute won.")

    # -------------------------------------------------------------------------
    # Stripe's fee
    # -------------------------------------------------------------------------

    def _book_fee(self, intent=None):
        """Book Stripe's fee on the payment, from the charge's balance transaction.

        ``intent`` is the payment intent expanded down to the balance
        transaction; without it the intent is read from Stripe. When Stripe is
        unreachable or has not settled the charge yet, the fee stays pending
        and the safety net books it on a later run.
        """
        self.ensure_one()
        if not self.payment_id or self.fee_move_id:
            self.fee_pending = False
            return self.fee_move_id
        if intent is None and self.stripe_payment_intent_id:
            try:
                intent = (
                    utils._stripe_client(self.provider_id)
                    .v1.payment_intents.retrieve(
                        self.stripe_payment_intent_id, params={"expand": ["latest_charge.balance_transaction"]}
                    )
                    .to_dict()
                )
            except stripe.StripeError as error:
                self._log_stripe_error("reading a payment's fee", error)
                return self.env["account.move"]
        fee = events.fee_of(events.balance_transaction_of(intent))
        if fee is None:
            return self.env["account.move"]
        charge = intent.get("latest_charge") or {}
        if charge.get("id") and not self.stripe_charge_id:
            self.stripe_charge_id = charge["id"]
        fee_minor, fee_currency_code = fee
        if fee_minor <= 0:
            self.fee_pending = False
            return self.env["account.move"]
        move = self._create_fee_move(fee_minor, fee_currency_code or self.currency_id.name)
        self.write({"fee_move_id": move.id, "fee_pending": False})
        return move

    def _book_dispute_fee(self, outcome):
        """Book what Stripe's dispute fees changed since the last dispute event (a fee, or its return)."""
        if outcome.fee_minor is None or not self.payment_id:
            return self.env["account.move"]
        new_minor = outcome.fee_minor - self.dispute_fee_minor
        if not new_minor:
            return self.env["account.move"]
        label = self.env._("Stripe dispute fee %(ref)s", ref=self.reference)
        if new_minor < 0:
            label = self.env._("Stripe dispute fee returned %(ref)s", ref=self.reference)
        move = self._create_fee_move(new_minor, outcome.fee_currency or self.currency_id.name, label=label)
        self.write(
            {
                "dispute_fee_minor": outcome.fee_minor,
                "dispute_fee_move_ids": [Command.link(move.id)],
            }
        )
        return move

    def _create_fee_move(self, fee_minor, fee_currency_code, label=None):
        """The fee as an expense against the journal's outstanding receipts, where the payment sits.

        The Stripe journal then carries the net amount Stripe pays out. A
        negative fee (given back) is booked the other way round.
        """
        payment = self.payment_id
        company = payment.company_id
        currency = self.env["res.currency"].with_context(active_test=False).search([("name", "=", fee_currency_code)])
        if not currency:
            raise UserError(self.env._("Unknown currency %(code)s in Stripe's fee.", code=fee_currency_code))
        fee = float(checkout.from_minor(fee_minor, fee_currency_code))
        date = fields.Date.context_today(self)
        balance = currency._convert(fee, company.currency_id, company, date)
        liquidity = payment._seek_for_lines()[0][:1]
        label = label or self.env._("Stripe fee %(ref)s", ref=self.reference)
        values = {"name": label, "currency_id": currency.id}
        move = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": payment.journal_id.id,
                    "date": date,
                    "ref": label,
                    "line_ids": [
                        Command.create(
                            {
                                **values,
                                "account_id": self.provider_id._stripe_fee_account().id,
                                "balance": balance,
                                "amount_currency": fee,
                            }
                        ),
                        Command.create(
                            {
                                **values,
                                "account_id": liquidity.account_id.id,
                                "balance": -balance,
                                "amount_currency": -fee,
                            }
                        ),
                    ],
                }
            )
        )
        move.action_post()
        self.amount_fee += balance
        return move

    # -------------------------------------------------------------------------
    # Safety net
    # -------------------------------------------------------------------------

    def _poll_domain(self):
        now = fields.Datetime.now()
        limit = now - timedelta(seconds=const.POLL_AFTER_SECONDS)
        return [
            "|",
            "|",
            "|",
            "|",
            "&",
            ("state", "=", "open"),
            ("create_date", "<", limit),
            ("fee_pending", "=", True),
            "&",
            ("state", "=", "paid"),
            ("payment_id", "=", False),
            ("expiry_unconfirmed", "=", True),
            # Paid: money may still be given back (refund, dispute) for as long as Stripe allows
            # it, and for as long as a dispute is open, once a day.
            "&",
            "&",
            ("payment_id", "!=", False),
            "|",
            ("date_paid", ">=", now - timedelta(days=const.MONEY_BACK_WATCH_DAYS)),
            ("dispute_state", "=", "open"),
            "|",
            ("date_checked", "=", False),
            ("date_checked", "<", now - timedelta(seconds=const.MONEY_BACK_POLL_SECONDS)),
        ]

    @api.model
    def _cron_poll(self):
        """Ask Stripe about checkouts whose outcome we do not know, as the events would have told.

        Open sessions older than a few minutes (an event lost, a payment made
        just before expiry), sessions expired here while Stripe still said
        open, payments whose fee is not booked yet, and paid checkouts for as
        long as their money may be given back (refunds, disputes: read once a
        day). Works in committed chunks of locked rows; when Stripe is down the
        run stops and the next one starts over: nothing is lost.
        """
        sessions = self.search(self._poll_domain(), order="date_checked asc nulls first, id")
        cron = self.env["ir.cron"]
        cron._commit_progress_in_cron(remaining=len(sessions))
        for ids in split_every(const.CRON_CHUNK, sessions.ids):
            # The webhook may have settled some meanwhile: left out.
            chunk = cron._claim(self.browse(ids), self._poll_domain())
            try:
                chunk._poll()
            except stripe.StripeError:
                # Logged by _poll: Stripe is down; nothing more this run, the next one takes over.
                cron._commit_progress_in_cron(len(ids), remaining=0)
                break
            if not cron._commit_progress_in_cron(len(ids)):
                break
        return True

    def _poll(self):
        """Read each checkout back from Stripe and apply what it says.

        :raise stripe.StripeError: Stripe is unreachable (the caller stops)
        """
        now = fields.Datetime.now()
        for session in self:
            try:
                with self.env.cr.savepoint():
                    if session.payment_id:
                        session._poll_paid()
                    else:
                        session._poll_session(now)
            except stripe.StripeError as error:
                self._log_stripe_error("polling a checkout", error)
                if utils.is_unavailable(error):
                    raise
            except UserError as error:
                self.env.invalidate_all()
                _logger.warning("Checkout %s not settled by polling: %s", session.reference, error)
            session.date_checked = now

    def _poll_session(self, now):
        """Read the Checkout Session back from Stripe: paid, still open, expired.

        :raise stripe.StripeError: Stripe refused or could not be reached
        """
        self.ensure_one()
        data = (
            utils._stripe_client(self.provider_id)
            .v1.checkout.sessions.retrieve(
                self.stripe_session_id,
                params={"expand": ["payment_intent.latest_charge.balance_transaction"]},
            )
            .to_dict()
        )
        outcome = events.read_session(data)
        intent = data.get("payment_intent") if isinstance(data.get("payment_intent"), dict) else None
        values = {}
        if outcome.kind == events.NOTHING and self._past_expiry(now):
            if self.state == "open":
                # Stripe has not expired it yet: let it go here, and read it once more later.
                outcome = events.Outcome(events.EXPIRE)
                values["expiry_unconfirmed"] = True
            elif self.expiry_unconfirmed and self.expires_at < now - timedelta(seconds=const.EXPIRY_CONFIRM_SECONDS):
                values["expiry_unconfirmed"] = False  # Stripe keeps it open long after its time: let it go
        elif outcome.kind != events.NOTHING:
            # Stripe said what became of it: nothing more to confirm.
            values["expiry_unconfirmed"] = False
        self._apply_polled(outcome, intent=intent)
        if values:
            self.write(values)

    def _poll_paid(self):
        """Read a paid checkout's charge (and disputes, once disputed) back from Stripe: fee, refunds, disputes.

        What a lost ``charge.refunded`` or ``charge.dispute.*`` event would
        have said is applied the same way, once (Stripe's running totals).

        :raise stripe.StripeError: Stripe refused or could not be reached
        """
        self.ensure_one()
        if not self.stripe_payment_intent_id:
            return
        client = utils._stripe_client(self.provider_id)
        intent = client.v1.payment_intents.retrieve(
            self.stripe_payment_intent_id, params={"expand": ["latest_charge.balance_transaction"]}
        ).to_dict()
        if self.fee_pending:
            self._book_fee(intent)
        charge = intent.get("latest_charge")
        if not isinstance(charge, dict):
            return
        self._apply_polled(events.read_charge_refunds(charge))
        if not charge.get("disputed") and not self.dispute_state:
            return  # never disputed: no dispute to read
        disputes = client.v1.disputes.list(
            params={"payment_intent": self.stripe_payment_intent_id, "limit": const.DISPUTES_PER_CHARGE}
        ).to_dict()
        for dispute in sorted(disputes.get("data") or [], key=lambda d: d.get("created") or 0):
            self._apply_polled(events.read_dispute(dispute))

    def _apply_polled(self, outcome, intent=None):
        """Apply what polling read, under the checks an event passes; an outcome it cannot apply is left."""
        self.ensure_one()
        if outcome.kind == events.NOTHING:
            return
        if outcome.kind != events.EXPIRE:
            reason = self._refusal(outcome, self.provider_id)
            if reason:
                _logger.warning("Checkout %s: polled outcome refused: %s", self.reference, reason)
                self._notify_refusal(reason, repeat=False)
                return
        try:
            with self.env.cr.savepoint():
                self._apply_outcome(outcome, intent=intent)
        except RetryLater:
            # Another transaction (the event cron) holds this checkout: it settles it.
            _logger.info("Checkout %s busy elsewhere; polled again on the next run.", self.reference)
        except UserError as error:
            _logger.warning("Checkout %s not settled by polling: %s", self.reference, error)

    def _past_expiry(self, now):
        return bool(self.expires_at and self.expires_at < now - timedelta(minutes=5))

    def _poll_on_return(self):
        """The payer is back from Stripe: read the outcome now if we do not know it yet."""
        self.ensure_one()
        if self.state != "open" or self.payment_id:
            return
        try:
            self._poll()
        except stripe.StripeError:
            return  # logged by _poll; the webhook or the safety net will tell

    def action_poll(self):
        """Button: ask Stripe now."""
        try:
            self._poll()
        except stripe.StripeError as error:
            raise UserError(self.env._("Stripe cannot be reached; try again later.")) from error


def _lock_rows(records):
    """The rows of ``records`` this transaction could lock now (others are busy elsewhere).

    ``FOR UPDATE SKIP LOCKED``; a row changed by a transaction that committed
    after ours began (repeatable read refuses to lock it) counts as busy too,
    quietly: it is taken again on the next run.

    Not ``try_lock_for_update()``: this lock is taken in the middle of a
    transaction (a webhook request, an event applied after others), where that
    refusal happens; Odoo's method would let it abort the transaction and log
    it as a bad query. The crons lock their chunks with Odoo's method: there
    the lock opens the chunk's transaction, which repeatable read cannot refuse.
    """
    if not records:
        return records
    cr = records.env.cr
    try:
        with cr.savepoint(flush=False):
            cr.execute(
                SQL(
                    "SELECT id FROM %s WHERE id IN %s FOR UPDATE SKIP LOCKED",
                    SQL.identifier(records._table),
                    tuple(records.ids),
                ),
                log_exceptions=False,
            )
            locked = {row[0] for row in cr.fetchall()}
    except pg_errors.SerializationFailure:
        return records.browse()
    return records.browse([record_id for record_id in records.ids if record_id in locked])


def _utc_timestamp(naive_utc):
    """Seconds since the epoch of a naive UTC datetime (how Odoo stores them)."""
    return int((naive_utc - datetime(1970, 1, 1)).total_seconds())
