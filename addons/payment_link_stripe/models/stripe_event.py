import json
import logging
from datetime import datetime, timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

from .. import const, events
from .stripe_checkout_session import RetryLater

_logger = logging.getLogger(__name__)

# Errors that mean "another transaction holds this payment": retry, not a failure.
_CONCURRENCY_ERRORS = (RetryLater, pg_errors.SerializationFailure, pg_errors.LockNotAvailable)


class StripeEvent(models.Model):
    """Each event Stripe sent to our webhook, recorded once, with what became of it.

    The webhook only verifies, records and answers; the accounting runs after
    the commit, in the processing cron, so that Stripe gets its answer fast
    and a slow posting never makes it deliver the event again.
    """

    _name = "stripe.event"
    _description = "Stripe Event"
    _order = "id desc"
    _rec_name = "stripe_event_id"

    stripe_event_id = fields.Char(required=True, readonly=True)
    event_type = fields.Char(string="Type", required=True, readonly=True, index=True)
    provider_id = fields.Many2one("payment.provider", readonly=True, ondelete="set null")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    livemode = fields.Boolean(string="Live", readonly=True)
    date_event = fields.Datetime(string="Created at Stripe", readonly=True)
    payload = fields.Text(
        readonly=True, help="The event as Stripe sent it, less the payer's personal and card details (never kept)."
    )
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("done", "Done"),
            ("ignored", "Ignored"),
            ("refused", "Refused"),
            ("error", "Error"),
        ],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    outcome = fields.Text(readonly=True)
    attempts = fields.Integer(readonly=True)
    date_processed = fields.Datetime(string="Processed On", readonly=True)
    session_id = fields.Many2one("stripe.checkout.session", string="Checkout", readonly=True, index="btree_not_null")
    case_id = fields.Many2one(related="session_id.case_id")

    _unique_stripe_event = models.UniqueIndex("(stripe_event_id)", "A Stripe event is recorded once.")
    _pending_index = models.Index("(id) WHERE state = 'pending'")

    # -------------------------------------------------------------------------
    # Recording (the webhook)
    # -------------------------------------------------------------------------

    @api.model
    def _record(self, provider, event):
        """Record a verified event once; a second delivery (even concurrent) records nothing.

        One ``INSERT ... ON CONFLICT DO NOTHING``: two deliveries of the same
        event at the same time never raise, the second finds the first.

        :return: the new event, or an empty recordset for a duplicate
        """
        handled = event["type"] in const.HANDLED_EVENTS
        created = event.get("created")
        now = fields.Datetime.now()
        query = SQL(
            """
                INSERT INTO stripe_event (
                    stripe_event_id, event_type, provider_id, company_id, livemode, date_event,
                    payload, state, outcome, attempts, create_uid, create_date, write_uid, write_date
                )
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s)
                ON CONFLICT (stripe_event_id) DO NOTHING
                RETURNING id
                """,
            event["id"],
            event["type"],
            provider.id or None,
            provider.company_id.id or None,
            bool(event.get("livemode")),
            datetime.utcfromtimestamp(created) if created else None,
            json.dumps(events.minimise(event), default=str),  # the stripe library reads decimals as Decimal
            "pending" if handled else "ignored",
            None if handled else "Event type not handled.",
            self.env.uid,
            now,
            self.env.uid,
            now,
        )
        try:
            # A concurrent delivery of the same event that committed after our
            # snapshot makes PostgreSQL refuse the insert (repeatable read): it
            # is recorded, by the other request.
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                row = self.env.cr.fetchone()
        except (pg_errors.SerializationFailure, pg_errors.UniqueViolation):
            return self.browse()
        if not row:
            return self.browse()
        if handled:
            self.env.ref("payment_link_stripe.ir_cron_process_stripe_events")._trigger()
        return self.browse(row[0])

    # -------------------------------------------------------------------------
    # Processing (the cron)
    # -------------------------------------------------------------------------

    @api.model
    def _cron_process(self):
        """Apply pending events in committed chunks of locked rows, oldest first.

        A chunk runs at once; after an error its events run one by one, so
        that one bad event never holds the others. An event whose payment is
        locked elsewhere, or whose payment is not recorded yet, stays pending
        and the cron comes back for it.
        """
        pending = self.search([("state", "=", "pending")], order="id")
        cron = self.env["ir.cron"]
        cron._commit_progress_in_cron(remaining=len(pending))
        retry = False
        for ids in split_every(const.CRON_CHUNK, pending.ids):
            chunk = cron._claim(self.browse(ids), [("state", "=", "pending")])
            try:
                with self.env.cr.savepoint():
                    retry |= chunk._process()
            except Exception:  # whatever failed, the chunk is replayed one event at a time
                self.env.invalidate_all()
                for event in chunk:
                    retry |= event._process_alone()
            if not cron._commit_progress_in_cron(len(ids)):
                break
        if retry:
            self.env.ref("payment_link_stripe.ir_cron_process_stripe_events")._trigger(
                fields.Datetime.now() + timedelta(minutes=1)
            )
        return True

    def _process_alone(self):
        """Process one event in its own savepoint; record its error instead of raising."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                return self._process()
        except Exception as error:  # recorded on the event for an accountant, never lost
            self.env.invalidate_all()
            _logger.warning("Stripe event %s could not be processed: %s", self.stripe_event_id, error)
            self.write(
                {
                    "state": "error",
                    "attempts": self.attempts + 1,
                    "outcome": str(error) if isinstance(error, UserError) else repr(error),
                    "date_processed": fields.Datetime.now(),
                }
            )
            return False

    def _process(self):
        """Apply each event of ``self`` to its checkout.

        :return: whether some event must be tried again later
        """
        retry = False
        Session = self.env["stripe.checkout.session"]
        for event in self:
            outcome = events.read_event(json.loads(event.payload))
            if outcome.kind == events.NOTHING:
                event._finish("ignored", self.env._("Nothing to do for this event."))
                continue
            try:
                with self.env.cr.savepoint():
                    session = Session._find_for_outcome(outcome)
                    if not session and outcome.kind in events.NEEDS_INTENT_LOOKUP:
                        session = Session._find_through_stripe(event.provider_id, outcome)
                    if not session:
                        event._finish("ignored", self.env._("No checkout of ours: another integration's payment."))
                        continue
                    reason = session._refusal(outcome, event.provider_id)
                    if reason:
                        event._refuse(session, reason)
                        continue
                    event.session_id = session
                    text = session._apply_outcome(outcome)
            except _CONCURRENCY_ERRORS:
                self.env.invalidate_all()
                retry = True
                if event.attempts + 1 >= const.MAX_EVENT_ATTEMPTS:
                    event._finish("error", self.env._("Still not applicable after several attempts."))
                else:
                    event.write({"attempts": event.attempts + 1, "outcome": self.env._("Waiting: tried again later.")})
                continue
            event._finish("done", text)
        return retry

    def _refuse(self, session, reason):
        """Record the event as refused for ``session``, with the reason, and tell the accountant."""
        self.ensure_one()
        session._notify_refusal(reason)
        if session.provider_id != self.provider_id:
            # The event is the other provider's company's: it names nothing of the checkout's company.
            reason = self.env._("It names a checkout of another provider: nothing applied.")
        else:
            self.session_id = session
        self._finish("refused", reason)

    def _finish(self, state, outcome):
        self.write({"state": state, "outcome": outcome, "date_processed": fields.Datetime.now()})

    def action_retry(self):
        """Button: process the events in error again."""
        self.filtered(lambda e: e.state == "error").write({"state": "pending", "attempts": 0})
        self.env.ref("payment_link_stripe.ir_cron_process_stripe_events")._trigger()
