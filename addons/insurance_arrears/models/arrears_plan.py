from datetime import timedelta
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

from .. import plans

# Requests a link may send in a day: enough for a debtor who changes its mind,
# not for a script.
MAX_REQUESTS_PER_DAY = 3

# Plans followed per committed chunk of the daily cron.
FOLLOW_CHUNK = 200


class PlanRequestRefused(UserError):
    """A request that is not recorded; ``code`` tells the link page which answer to show.

    Codes: ``invalid`` (no date after today, fewer than two instalments),
    ``out_of_bounds`` (beyond the rules' maximum), ``under_way`` (a request is
    pending or a plan is running), ``too_many`` (requests of the day), ``nothing_due``.
    """

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class ArrearsPlanRule(models.Model):
    """What a debtor can be granted at once from the link page, per company, insurer or product line."""

    _name = "arrears.plan.rule"
    _description = "Delay and Instalment Plan Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    insurer_id = fields.Many2one("res.partner", domain="[('is_insurer', '=', True)]", help="Only for this insurer.")
    product_line_id = fields.Many2one("insurance.product.line", check_company=True, help="Only for this line.")
    max_amount = fields.Monetary(string="Up to", default=2000.0, help="Largest amount due granted at once.")
    max_delay_days = fields.Integer(string="Longest Delay (days)", default=30)
    max_instalments = fields.Integer(string="Most Instalments", default=3)
    spacing_days = fields.Integer(string="Days between Instalments", default=30)
    one_per_year = fields.Boolean(string="One per Contract per 12 Months", default=True)
    after_formal_notice = fields.Boolean(
        string="Also after the Formal Notice", help="Grant at once even when the formal notice has gone out."
    )

    def _rules(self):
        self.ensure_one()
        return plans.Rules(
            max_amount=Decimal(str(self.max_amount)),
            max_delay_days=self.max_delay_days,
            max_instalments=self.max_instalments,
            spacing_days=self.spacing_days,
            one_per_year=self.one_per_year,
            after_formal_notice=self.after_formal_notice,
        )

    @api.model
    def _for_case(self, case):
        """The most specific rule of the case: product line, then insurer, then company-wide."""
        rules = self.search([("company_id", "=", case.company_id.id)])
        for candidate in (
            rules.filtered(lambda r: r.product_line_id == case.product_line_id and r.product_line_id),
            rules.filtered(lambda r: r.insurer_id == case.insurer_id and r.insurer_id and not r.product_line_id),
            rules.filtered(lambda r: not r.insurer_id and not r.product_line_id),
        ):
            if candidate:
                return candidate[0]
        return self


class ArrearsPlanRequest(models.Model):
    """A debtor's request, from the link page, for a delay or an instalment plan."""

    _name = "arrears.plan.request"
    _description = "Delay or Instalment Plan Request"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _rec_name = "case_id"

    case_id = fields.Many2one("arrears.case", required=True, index=True, ondelete="cascade", check_company=True)
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="case_id.currency_id")
    partner_id = fields.Many2one(related="case_id.partner_id", string="Debtor", store=True, index=True)
    contract_id = fields.Many2one(related="case_id.contract_id", store=True, index=True)
    kind = fields.Selection([(plans.DELAY, "Delay"), (plans.PLAN, "Instalment Plan")], required=True)
    state = fields.Selection(
        [
            ("pending", "To Review"),
            ("granted", "Granted"),
            ("refused", "Refused"),
            ("kept", "Kept"),
            ("broken", "Instalment Missed"),
        ],
        required=True,
        default="pending",
        index=True,
        tracking=True,
    )
    amount = fields.Monetary(string="Amount Due at Request", readonly=True)
    delay_until = fields.Date(string="Pay By")
    instalment_count = fields.Integer(string="Instalments")
    note = fields.Text(string="Debtor's Message")
    review_reasons = fields.Char(readonly=True, help="Why the rules did not grant it at once.")
    decision_reason = fields.Text(string="Reason Given", tracking=True)
    decided_by_id = fields.Many2one("res.users", readonly=True)
    date_decided = fields.Datetime(string="Decided On", readonly=True)
    receipt_ids = fields.Many2many("insurance.premium.receipt", string="Receipts Concerned", readonly=True)
    instalment_ids = fields.One2many("arrears.plan.instalment", "request_id", string="Schedule", readonly=True)
    amount_paid = fields.Monetary(compute="_compute_amount_paid", help="Paid on the receipts concerned since.")
    debtor_case_count = fields.Integer(string="Debtor's Cases", compute="_compute_debtor_history")
    debtor_request_count = fields.Integer(string="Debtor's Requests", compute="_compute_debtor_history")

    _one_pending_request_per_case = models.UniqueIndex(
        "(case_id) WHERE state = 'pending'", "A contract has one request to review at a time."
    )

    @api.depends("receipt_ids.amount_residual", "case_id.fee_line_ids.amount_residual", "amount")
    def _compute_amount_paid(self):
        for request in self:
            request.amount_paid = request.amount - request._residual()

    def _covered_lines(self):
        """The receivable items the request covers: its receipts', then the case's fees."""
        self.ensure_one()
        return self.receipt_ids.move_id._arrears_receivables() | self.case_id._fee_lines()

    def _residual(self):
        """What is still unpaid of what the request covers."""
        return sum(self._covered_lines().mapped("amount_residual"))

    def _open_receivable_lines(self):
        """Unreconciled receivable items the plan's payments settle."""
        return self._covered_lines().filtered(lambda line: not line.reconciled)

    def _compute_debtor_history(self):
        for request in self:
            partner = request.partner_id
            request.debtor_case_count = self.env["arrears.case"].search_count([("partner_id", "=", partner.id)])
            request.debtor_request_count = self.search_count([("partner_id", "=", partner.id)])

    def _reason_text(self, code):
        texts = {
            "amount": self.env._("the amount is above what can be granted at once"),
            "delay": self.env._("the delay is longer than what can be granted at once"),
            "instalments": self.env._("more instalments than can be granted at once"),
            "once_a_year": self.env._("a delay or plan was already granted on this contract in the last 12 months"),
            "formal_notice": self.env._("the formal notice has already been sent"),
            "no_rule": self.env._("no rule allows a delay or a plan for this contract"),
        }
        return texts.get(code, code)

    # -------------------------------------------------------------------------
    # Asking and deciding
    # -------------------------------------------------------------------------

    @api.model
    def _ask(self, case, kind, delay_until=None, instalment_count=None, note=None):
        """Record a debtor's request and answer it: granted at once when the rules allow, else to review.

        Requests of one case are serialised: the case's row is locked (and touched,
        so that a concurrent request waiting on it is retried by Odoo and then sees
        this one), and a case has at most one pending request (unique index).

        :raise PlanRequestRefused: a request that makes no sense (no date, one
            instalment), beyond the rules' maximum, while another is under way,
            nothing due, too many requests today; nothing is recorded.
        """
        self.env.cr.execute(
            SQL("UPDATE arrears_case SET write_date = (now() AT TIME ZONE 'UTC') WHERE id = %s", case.id)
        )
        case.invalidate_recordset(["write_date"])
        if case.state != "open" or case.amount_due <= 0:
            raise PlanRequestRefused("nothing_due", self.env._("Nothing is due on this contract any more."))
        if case.plan_request_ids.filtered(lambda r: r.state in ("pending", "granted")):
            raise PlanRequestRefused("under_way", self.env._("A request is already under way for this contract."))
        since = fields.Datetime.now() - timedelta(days=1)
        if self.search_count([("case_id", "=", case.id), ("create_date", ">", since)]) >= MAX_REQUESTS_PER_DAY:
            raise PlanRequestRefused(
                "too_many", self.env._("Too many requests today: please try again tomorrow or call us.")
            )
        today = fields.Date.context_today(self)
        rule = self.env["arrears.plan.rule"]._for_case(case)
        rules = rule._rules() if rule else None
        max_delay_days, max_instalments = plans.limits(rules)
        last = self.search(
            [("contract_id", "=", case.contract_id.id), ("state", "in", ("granted", "kept", "broken"))],
            order="date_decided desc",
            limit=1,
        )
        ask = plans.Request(
            kind=kind,
            amount=Decimal(str(case.amount_due)),
            today=today,
            stage=case.stage,
            delay_until=delay_until,
            instalments=instalment_count,
            last_plan_date=last.date_decided and last.date_decided.date(),
        )
        reasons = plans.check(rules, ask)
        if "bad_request" in reasons:
            raise PlanRequestRefused("invalid", self.env._("Choose a date after today, or at least two instalments."))
        if "out_of_bounds" in reasons:
            raise PlanRequestRefused(
                "out_of_bounds",
                self.env._(
                    "Ask for at most %(count)s instalments, or a date no later than %(date)s.",
                    count=max_instalments,
                    date=today + timedelta(days=max_delay_days),
                ),
            )
        request = self.create(
            {
                "case_id": case.id,
                "kind": kind,
                "amount": case.amount_due,
                "delay_until": delay_until,
                "instalment_count": instalment_count if kind == plans.PLAN else 1,
                "note": note,
                "receipt_ids": [fields.Command.set(case._open_receipts().ids)],
                "review_reasons": ", ".join(reasons),
            }
        )
        case.message_post(body=request._summary(self.env._("Request from the payment link")))
        if reasons:
            request.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Review a payment request"),
                note="; ".join(request._reason_text(r) for r in reasons),
                user_id=case.user_id.id or self.env.ref("base.user_admin").id,
            )
            request._notify_debtor()
        else:
            request._grant(rule, self.env._("Within the broker's rules."))
        return request

    def _summary(self, title):
        self.ensure_one()
        if self.kind == plans.DELAY:
            what = self.env._("a delay until %(date)s", date=self.delay_until)
        else:
            what = self.env._("%(count)s instalments", count=self.instalment_count)
        text = self.env._(
            "%(title)s: %(what)s for %(amount)s.",
            title=title,
            what=what,
            amount=self.currency_id.format(self.amount),
        )
        return text + (f" « {self.note} »" if self.note else "")

    def _grant(self, rule, reason):
        self.ensure_one()
        spacing = rule.spacing_days if rule else 30
        today = fields.Date.context_today(self)
        if self.kind == plans.DELAY:
            schedule = [(self.delay_until, Decimal(str(self.amount)))]
        else:
            schedule = plans.instalments(
                Decimal(str(self.amount)), self.instalment_count, today + timedelta(days=spacing), spacing
            )
        self.write(
            {
                "state": "granted",
                "decision_reason": reason,
                "decided_by_id": self.env.uid,
                "date_decided": fields.Datetime.now(),
                "instalment_ids": [
                    fields.Command.create({"sequence": index, "date_due": day, "amount": float(amount)})
                    for index, (day, amount) in enumerate(schedule, start=1)
                ],
            }
        )
        # The ladder waits while the plan is kept; it resumes at its level if not.
        self.case_id._on_plan_granted()
        self.case_id.message_post(body=self._summary(self.env._("Granted")))
        self._notify_debtor()

    def action_grant(self):
        for request in self.filtered(lambda r: r.state == "pending"):
            rule = self.env["arrears.plan.rule"]._for_case(request.case_id)
            request._grant(rule, request.decision_reason or self.env._("Granted by an accountant."))
            request.activity_ids.action_done()

    def action_refuse(self):
        for request in self.filtered(lambda r: r.state == "pending"):
            if not request.decision_reason:
                raise UserError(self.env._("Give the debtor the reason of the refusal."))
            request.write({"state": "refused", "decided_by_id": self.env.uid, "date_decided": fields.Datetime.now()})
            request.case_id.message_post(body=request._summary(self.env._("Refused")) + " " + request.decision_reason)
            request.activity_ids.action_done()
            request._notify_debtor()

    def _notify_debtor(self):
        """The answer (or the acknowledgement of a request to review) by e-mail."""
        template = self.env.ref("insurance_arrears.mail_template_plan_request")
        for request in self.filtered(lambda r: r.partner_id.email):
            request.message_post_with_source(template, subtype_xmlid="mail.mt_comment")

    # -------------------------------------------------------------------------
    # Following the plans
    # -------------------------------------------------------------------------

    @api.model
    def _cron_follow(self):
        """Daily: a plan paid off is kept; a plan behind its schedule is broken and dunning resumes.

        Works in chunks committed one by one, each locked (two runs at once
        skip each other's plans) and read again once locked; a plan kept or
        broken leaves the search, so a run out of time takes up the rest.
        """
        today = fields.Date.context_today(self)
        requests = self.search([("state", "=", "granted")], order="id")
        cron = self.env["ir.cron"]
        cron._commit_progress_in_cron(remaining=len(requests))
        for ids in split_every(FOLLOW_CHUNK, requests.ids):
            cron._claim(self.browse(ids), [("state", "=", "granted")])._follow(today)
            if not cron._commit_progress_in_cron(len(ids)):
                break
        return True

    def _follow(self, today):
        """Keep the plans of ``self`` paid off, break those behind their schedule (one write, one log for the kept)."""
        kept = self.filtered(lambda r: r.currency_id.compare_amounts(r.amount_paid, r.amount) >= 0)
        missed = (self - kept).filtered(
            lambda r: plans.missed(
                [(i.date_due, Decimal(str(i.amount))) for i in r.instalment_ids if i._awaited()],
                Decimal(str(r.amount_paid)),
                today,
            )
        )
        kept.write({"state": "kept"})
        # A case has one plan under way at a time (see _ask): one note per case.
        kept.case_id._message_log_batch(
            bodies={request.case_id.id: request._summary(self.env._("Kept")) for request in kept}
        )
        missed._break()

    def _break(self):
        """An instalment is missed (or its debit rejected): the plan ends and the dunning resumes at its level."""
        for request in self.filtered(lambda r: r.state == "granted"):
            request.state = "broken"
            request.case_id._on_plan_broken()
            request.case_id.message_post(body=request._summary(self.env._("Instalment missed, dunning resumes")))
            request._notify_debtor()


class ArrearsPlanInstalment(models.Model):
    _name = "arrears.plan.instalment"
    _description = "Plan Instalment"
    _order = "request_id, sequence"

    request_id = fields.Many2one("arrears.plan.request", required=True, index=True, ondelete="cascade")
    # Stored for the multi-company rule (the request's, so always consistent).
    company_id = fields.Many2one(related="request_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="request_id.currency_id")
    sequence = fields.Integer()
    date_due = fields.Date(string="Due Date", required=True)
    amount = fields.Monetary(required=True)
    collection = fields.Selection(
        [("link", "Payment Link")],
        string="Paid By",
        compute="_compute_collection",
        help="Paid by the debtor through the case's payment link, or collected by the broker.",
    )

    @api.depends("request_id.contract_id")
    def _compute_collection(self):
        self.collection = "link"

    def _awaited(self):
        """Whether the debtor has to pay this instalment by its date (the plan breaks if not)."""
        self.ensure_one()
        return True

    def _collection_label(self):
        self.ensure_one()
        return dict(self._fields["collection"]._description_selection(self.env)).get(self.collection, "")
