from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import split_every

from .. import schedule

# Contracts given their case, or cases closed or aged, per committed chunk of the daily sync.
SYNC_CHUNK = 500

STAGE_SELECTION = [
    ("new", "New"),
    ("reminder", "Reminder"),
    ("formal_notice", "Formal Notice"),
    ("suspended", "Cover Suspended"),
    ("terminated", "Contract Terminated"),
    ("collection", "Collection Agency"),
    ("closed", "Settled"),
]

AGEING_SELECTION = [
    ("0_30", "0-30 days"),
    ("31_60", "31-60 days"),
    ("61_90", "61-90 days"),
    ("90_plus", "Over 90 days"),
]


class ArrearsCase(models.Model):
    _name = "arrears.case"
    _description = "Arrears Case"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "oldest_due_date, id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    contract_id = fields.Many2one(
        "insurance.contract", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Debtor", store=True, index=True)
    insurer_id = fields.Many2one(related="contract_id.insurer_id", store=True, index=True)
    introducer_id = fields.Many2one(related="contract_id.introducer_id", store=True, index=True)
    product_line_id = fields.Many2one(related="contract_id.product_line_id", store=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        string="Accountant",
        tracking=True,
        default=lambda self: self.env.user,
    )

    state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")],
        default="open",
        required=True,
        index=True,
        tracking=True,
    )
    stage = fields.Selection(
        STAGE_SELECTION,
        default="new",
        required=True,
        tracking=True,
        group_expand="_group_expand_stage",
    )
    cause = fields.Selection(
        [("unpaid", "Unpaid Receipt")],  # collection routes add theirs (sepa_dunning: a bank rejection)
        default="unpaid",
        required=True,
    )
    receipt_ids = fields.One2many("insurance.premium.receipt", "case_id", string="Receipts")
    open_receipt_ids = fields.Many2many(
        "insurance.premium.receipt", compute="_compute_open_receipt_ids", string="Open Receipts"
    )
    fee_line_ids = fields.One2many(
        "account.move.line",
        "arrears_fee_case_id",
        string="Fees Charged",
        readonly=True,
        help="Fees charged to the debtor in this case (bank rejection, dunning): each a receivable item, "
        "part of what is due.",
    )
    amount_fees = fields.Monetary(string="Fees Due", compute="_compute_amounts", store=True)
    amount_due = fields.Monetary(compute="_compute_amounts", store=True, help="Premiums and fees due now.")
    oldest_due_date = fields.Date(compute="_compute_amounts", store=True, index=True)
    amount_contested = fields.Monetary(
        string="Contested",
        compute="_compute_amount_contested",
        store=True,
        help="Part of the amount due that the debtor contests, awaiting our answer: not claimed meanwhile.",
    )
    ageing = fields.Selection(
        AGEING_SELECTION,
        compute="_compute_ageing",
        store=True,
        help="Days since the oldest unpaid due date; refreshed daily.",
    )
    days_overdue = fields.Integer(compute="_compute_ageing", store=True)
    date_opened = fields.Date(default=fields.Date.context_today, readonly=True)
    date_closed = fields.Date(readonly=True, copy=False)
    next_action = fields.Char(tracking=True)
    next_action_date = fields.Date(tracking=True)
    plan_request_ids = fields.One2many("arrears.plan.request", "case_id", string="Delay and Plan Requests")
    contest_ids = fields.One2many("arrears.contest", "case_id", string="Contests")
    payment_link_ids = fields.One2many("arrears.payment.link", "case_id", string="Payment Links")
    payment_link_id = fields.Many2one(
        "arrears.payment.link", compute="_compute_payment_link_id", string="Active Payment Link"
    )
    payment_url = fields.Char(compute="_compute_payment_link_id", string="Payment Link URL")

    _one_open_case_per_contract = models.UniqueIndex(
        "(contract_id) WHERE state = 'open'",
        "A contract has one open arrears case at a time.",
    )

    @api.depends("contract_id.name", "date_opened")
    def _compute_name(self):
        for case in self:
            case.name = f"{case.contract_id.name or ''} / {case.date_opened or ''}"

    def _open_receipts(self):
        return self.receipt_ids.filtered(lambda r: r.state == "open" and r.amount_residual > 0)

    def _contested_receipts(self):
        """The open receipts of these cases that a contest awaiting our answer holds."""
        contests = self.contest_ids.filtered(lambda contest: contest.state == "pending")
        return self._open_receipts() & contests.receipt_ids

    def _claimed_receipts(self):
        """The open receipts these cases claim now: all but the contested ones."""
        return self._open_receipts() - self._contested_receipts()

    def _amount_claimed(self):
        """What the case asks the debtor for now: all that is due but what it contests."""
        self.ensure_one()
        return self.currency_id.round(self.amount_due - self.amount_contested)

    @api.depends("contest_ids.state", "contest_ids.receipt_ids", "receipt_ids.amount_residual", "receipt_ids.state")
    def _compute_amount_contested(self):
        for case in self:
            case.amount_contested = sum(case._contested_receipts().mapped("amount_residual"))

    @api.depends("receipt_ids.amount_residual", "receipt_ids.state")
    def _compute_open_receipt_ids(self):
        for case in self:
            case.open_receipt_ids = case._open_receipts()

    @api.depends(
        "receipt_ids.amount_residual",
        "receipt_ids.state",
        "receipt_ids.date_due",
        "fee_line_ids.amount_residual",
        "fee_line_ids.parent_state",
    )
    def _compute_amounts(self):
        for case in self:
            open_receipts = case._open_receipts()
            case.amount_fees = sum(case._fee_lines().mapped("amount_residual"))
            case.amount_due = sum(open_receipts.mapped("amount_residual")) + case.amount_fees
            case.oldest_due_date = min(open_receipts.mapped("date_due"), default=False)

    def _open_receivable_lines(self):
        """Unreconciled receivable lines of the case (receipts and fees), which a payment settles."""
        open_fees = self._fee_lines().filtered(lambda line: not line.reconciled)
        return self._open_receipts().move_id._arrears_open_receivables() | open_fees

    def _fee_lines(self):
        """The fees the case asks for: the posted ones."""
        return self.fee_line_ids.filtered(lambda line: line.parent_state == "posted")

    def _charge_fees(self, charges, ref):
        """Charge fees to the debtors of cases: one receivable item each.

        One entry per company and date in the receipts journal, whatever the number
        of fees (a bank file rejecting a thousand debits makes one entry, not a
        thousand invoices); the income is one line per account.

        :param charges: list of ``(case, amount, label, income_account, date)``
        :param ref: the entries' reference (the bank file, the dunning run)
        :return: the receivable items, in the order of ``charges``
        """
        groups = defaultdict(list)
        for index, (case, _amount, _label, _account, date) in enumerate(charges):
            groups[case.company_id, date].append(index)
        items = [None] * len(charges)
        moves = self.env["account.move"]
        for (company, date), indexes in groups.items():
            if not company.insurance_receipt_journal_id:
                raise UserError(_("Set the journal of premium receipts on company %s.", company.name))
            income = defaultdict(float)
            line_vals = []
            for index in indexes:
                case, amount, label, account, _date = charges[index]
                amount = company.currency_id.round(amount)
                income[account] += amount
                line_vals.append(
                    Command.create(
                        {
                            "name": label,
                            "account_id": case.partner_id.with_company(company).property_account_receivable_id.id,
                            "partner_id": case.partner_id.id,
                            "debit": amount,
                            "date_maturity": date,
                            "arrears_fee_case_id": case.id,
                        }
                    )
                )
            line_vals.extend(
                Command.create({"name": ref, "account_id": account.id, "credit": company.currency_id.round(total)})
                for account, total in income.items()
            )
            move = self.env["account.move"]._arrears_create_entries(
                [
                    {
                        "journal_id": company.insurance_receipt_journal_id.id,
                        "company_id": company.id,
                        "date": date,
                        "ref": ref,
                        "line_ids": line_vals,
                    }
                ]
            )
            moves |= move
            for index, line in zip(indexes, move.line_ids.filtered("arrears_fee_case_id"), strict=True):
                items[index] = line
        moves.action_post()
        return items

    @api.depends("oldest_due_date")
    def _compute_ageing(self):
        today = fields.Date.context_today(self)
        for case in self:
            case.days_overdue, case.ageing = case._ageing_on(today)

    def _ageing_on(self, today):
        """(days overdue, ageing bucket) of the case on ``today``."""
        self.ensure_one()
        if not self.oldest_due_date:
            return 0, False
        return (today - self.oldest_due_date).days, schedule.ageing_bucket(self.oldest_due_date, today)

    @api.depends("payment_link_ids.state", "payment_link_ids.token")
    def _compute_payment_link_id(self):
        for case in self:
            case.payment_link_id = case.payment_link_ids.filtered(lambda link: link.state == "active")[:1]
            case.payment_url = case.payment_link_id.url

    @api.model
    def _group_expand_stage(self, stages, domain):
        return [key for key, _label in STAGE_SELECTION]

    # -------------------------------------------------------------------------
    # Opening and closing
    # -------------------------------------------------------------------------

    @api.model
    def _cron_sync(self):
        """Daily: open cases for overdue receipts, close settled ones, age the rest.

        Works in chunks committed one by one: first the overdue receipts of a
        few hundred contracts at a time (each contract's receipts in the same
        chunk, under a lock on the contract), then the open cases settled or
        not aged to today. What a chunk did leaves the search, so a run out of
        time, killed, or run twice at once, takes up the rest and nothing twice.

        :return: whether all was done (False: out of time, the cron runner calls again)
        """
        today = fields.Date.context_today(self)
        cron = self.env["ir.cron"]
        by_contract = self._overdue_receipts(today).grouped("contract_id")
        cron._commit_progress_in_cron(remaining=len(by_contract))
        for contract_ids in split_every(SYNC_CHUNK, [contract.id for contract in by_contract]):
            # Not FOR UPDATE: receipts and cases referencing the contracts may still be created meanwhile.
            contracts = self.env["insurance.contract"].browse(contract_ids).try_lock_for_update(allow_referencing=True)
            receipts = self.env["insurance.premium.receipt"].union(*(by_contract[c] for c in contracts))
            # Read again once locked: another run may have given these receipts their case meanwhile.
            self.env.invalidate_all()
            self._open_for_receipts(receipts.filtered_domain(self._overdue_domain(today)))
            if not cron._commit_progress_in_cron(len(contract_ids)):
                return False
        stale = self.search([("state", "=", "open")])._stale_on(today)
        cron._commit_progress_in_cron(remaining=len(stale))
        for ids in split_every(SYNC_CHUNK, stale.ids):
            cases = self.browse(ids).try_lock_for_update()
            # Read again once locked: another run may have closed or aged these cases meanwhile.
            self.env.invalidate_all()
            cases.filtered_domain([("state", "=", "open")])._stale_on(today)._refresh()
            if not cron._commit_progress_in_cron(len(ids)):
                return False
        return True

    def _stale_on(self, today):
        """The cases among these that the daily sync has to close (nothing due) or to age to ``today``."""
        return self.filtered(
            lambda case: case.amount_due <= 0 or (case.days_overdue, case.ageing) != case._ageing_on(today)
        )

    @api.model
    def _overdue_domain(self, today):
        """Receipts in arrears on ``today`` that no open case holds yet: unpaid past their due date."""
        return [
            ("state", "=", "open"),
            ("collects_for_insurer", "=", True),
            ("amount_residual", ">", 0),
            ("date_due", "<", today),
            "|",
            ("case_id", "=", False),
            ("case_id.state", "=", "closed"),
        ]

    @api.model
    def _overdue_receipts(self, today):
        """The receipts in arrears on ``today`` that no open case holds yet."""
        return self.env["insurance.premium.receipt"].search(self._overdue_domain(today))

    @api.model
    def _open_for_receipts(self, receipts, cause="unpaid", fees=None):
        """Attach unpaid receipts, and fees due again, to their contract's open case, opening it if needed.

        :param fees: fee items of closed cases that are due again (a payment given back)
        :return: the cases the receipts and fees now belong to
        """
        fees = fees if fees is not None else self.env["account.move.line"]
        contracts = receipts.contract_id | fees.arrears_fee_case_id.contract_id
        if not contracts:
            return self
        open_cases = self.search([("contract_id", "in", contracts.ids), ("state", "=", "open")])
        by_contract = {case.contract_id: case for case in open_cases}
        missing = contracts.filtered(lambda c: c not in by_contract)
        # Opened by the thousand after a bank file: no tracking message per case,
        # one batched log below instead.
        new_cases = self.with_context(tracking_disable=True).create(
            [{"contract_id": c.id, "cause": cause} for c in missing]
        )
        by_contract.update({case.contract_id: case for case in new_cases})
        for case, case_receipts in receipts.grouped(lambda receipt: by_contract[receipt.contract_id]).items():
            case_receipts.case_id = case
        for case, case_fees in fees.grouped(lambda fee: by_contract[fee.arrears_fee_case_id.contract_id]).items():
            case_fees.arrears_fee_case_id = case
        new_cases._message_log_batch(
            bodies={
                case.id: self.env._(
                    "Case opened: %(count)s unpaid receipt(s), %(amount)s due since %(date)s.",
                    count=len(case.open_receipt_ids),
                    amount=case.currency_id.format(case.amount_due),
                    date=case.oldest_due_date,
                )
                if case.oldest_due_date
                else self.env._(
                    "Case opened: fees charged earlier are due again, %(amount)s.",
                    amount=case.currency_id.format(case.amount_due),
                )
                for case in new_cases
            }
        )
        return open_cases | new_cases

    def _refresh(self):
        """Close the cases with nothing left due; refresh the ageing of the others."""
        settled = self.filtered(lambda c: c.state == "open" and c.amount_due <= 0)
        settled._close()
        (self - settled)._compute_ageing()
        return settled

    def _close(self):
        today = fields.Date.context_today(self)
        self.write({"state": "closed", "stage": "closed", "date_closed": today})
        self.payment_link_ids.filtered(lambda link: link.state == "active").state = "closed"
        # Paid, by whatever route: cover suspended for non-payment is back in force.
        self.contract_id.filtered(lambda c: c.state == "suspended").action_reinstate()
        body = _("Case closed: nothing is due any more.")
        self._message_log_batch(bodies=dict.fromkeys(self.ids, body))

    # -------------------------------------------------------------------------
    # Payment link
    # -------------------------------------------------------------------------

    def _ensure_payment_links(self):
        """Give every open case of ``self`` its active payment link, in one batch.

        :return: the active links of the open cases
        """
        open_cases = self.filtered(lambda c: c.state == "open")
        Link = self.env["arrears.payment.link"]
        links = Link.search([("case_id", "in", open_cases.ids), ("state", "=", "active")])
        missing = open_cases - links.case_id
        links |= Link.create([{"case_id": case.id} for case in missing])
        missing.invalidate_recordset(["payment_link_id", "payment_url"])
        return links

    def action_new_payment_link(self):
        """Revoke the active link (a forwarded or leaked one) and issue a new one."""
        old = self.payment_link_id
        old.state = "cancelled"
        old.flush_recordset(["state"])  # the one-active-link index is checked on insert
        self._ensure_payment_links()
        for case in self.filtered("payment_link_id"):
            case.message_post(body=_("New payment link issued; the previous one no longer works."))

    # -------------------------------------------------------------------------
    # Partner web service
    # -------------------------------------------------------------------------

    def _api_values(self, detail=False):
        """What a partner's extranet gets of each case: the documented list, nothing more.

        No address, no bank account, no mandate. Called on cases the partner's
        record rules let it read; the values are read with sudo() because the
        partner cannot read the debtor's partner record itself.
        """
        values = []
        for case in self.sudo():
            link = case.payment_link_id
            item = {
                "id": case.id,
                "contract": case.contract_id.name,
                "policyholder": case.partner_id.name,
                "insurer": case.insurer_id.name,
                "state": case.state,
                "stage": case.stage,
                "amount_due": case.amount_due,
                # Part of amount_due: the receipts a contest of the debtor holds, not claimed meanwhile.
                "amount_contested": case.amount_contested,
                "currency": case.currency_id.name,
                "oldest_due_date": case.oldest_due_date.isoformat() if case.oldest_due_date else None,
                "days_overdue": case.days_overdue,
                "link": link._api_values() if link else None,
            }
            if detail:
                contested = case._contested_receipts()
                item["receipts"] = [
                    {
                        "number": receipt.name,
                        "period_start": receipt.period_start.isoformat(),
                        "period_end": receipt.period_end.isoformat(),
                        "due_date": receipt.date_due.isoformat(),
                        "amount": receipt.amount_total,
                        "amount_due": receipt.amount_residual,
                        "contested": receipt in contested,
                    }
                    for receipt in case._open_receipts().sorted("date_due")
                ]
            values.append(item)
        return values

    def _active_plan(self):
        """The granted delay or plan the debtor is keeping, if any."""
        self.ensure_one()
        return self.plan_request_ids.filtered(lambda r: r.state == "granted")[:1]

    def _on_plan_granted(self):
        """Hook: a delay or a plan was granted (the dunning engine pauses)."""

    def _on_plan_broken(self):
        """Hook: an instalment was missed (the dunning engine resumes)."""

    def _on_contest_opened(self):
        """Hook: the debtor contests receipts of the case (the dunning engine waits for the answer)."""

    def _on_contest_answered(self):
        """Hook: a contest is answered (the dunning engine resumes when none is pending)."""

    def action_refresh(self):
        self._refresh()

    def action_view_receipts(self):
        return self.receipt_ids._action_open(domain=[("case_id", "in", self.ids)])
