import itertools
import json
import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import timeline

_logger = logging.getLogger(__name__)

# Cases advanced per transaction by the daily run; a crash loses one chunk,
# which the next run redoes (notices are unique per case, level and channel).
RUN_CHUNK = 1000


class ArrearsCase(models.Model):
    _inherit = "arrears.case"

    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        compute="_compute_dunning_policy_id",
        store=True,
        readonly=False,
        tracking=True,
        check_company=True,
        help="The product line's policy, else the insurer's, else the company's.",
    )
    cause = fields.Selection(selection_add=[("rejection", "Bank Rejection")], ondelete={"rejection": "set default"})
    dunning_level_id = fields.Many2one("dunning.level", string="Level Reached", readonly=True, tracking=True)
    dunning_step = fields.Integer(string="Levels Reached", readonly=True, default=0)
    dunning_level_date = fields.Date(string="Level Reached On", readonly=True)
    dunning_next_date = fields.Date(
        string="Next Level On",
        compute="_compute_dunning_next",
        store=True,
        index=True,
        help="Day the next level is due; empty when the ladder is finished or paused.",
    )
    dunning_next_level_id = fields.Many2one("dunning.level", compute="_compute_dunning_next", store=True)
    dunning_pause = fields.Selection(
        [
            ("plan", "Payment Plan"),
            ("dispute", "Dispute"),
            ("contest", "Contest Awaiting Answer"),
            ("direct_debit", "Direct Debit to Come"),
            ("manual", "Paused by Hand"),
        ],
        string="Dunning Paused",
        tracking=True,
        help="While paused, no level is reached; the ladder resumes where it stood.",
    )
    dunning_represent_pending = fields.Boolean(
        string="Debit Presented Again",
        compute="_compute_dunning_representation",
        store=True,
        help="A debit rejected for insufficient funds goes into the next batch again: no level is reached "
        "until it is collected (the case closes) or rejected again for good.",
    )
    dunning_start_date = fields.Date(
        string="Ladder Counts From",
        compute="_compute_dunning_representation",
        store=True,
        help="The oldest open receipt's due date, or the day its direct debit was first rejected if later.",
    )
    notice_ids = fields.One2many("dunning.notice", "case_id", string="Notices")
    notice_count = fields.Integer(compute="_compute_notice_count")

    @api.depends("contract_id.product_line_id", "contract_id.insurer_id", "company_id")
    def _compute_dunning_policy_id(self):
        for case in self:
            if case.dunning_policy_id and case._origin.dunning_step:
                continue  # a ladder under way keeps its policy
            case.dunning_policy_id = (
                case.contract_id.product_line_id.dunning_policy_id
                or case.contract_id.insurer_id.with_company(case.company_id).dunning_policy_id
                or case.company_id.dunning_policy_id
            )

    @api.depends(
        "receipt_ids.state",
        "receipt_ids.amount_residual",
        "receipt_ids.date_due",
        "receipt_ids.debit_line_ids.state",
        "receipt_ids.debit_line_ids.return_reason_id.action",
        "receipt_ids.contract_id.payment_method",
        "receipt_ids.contract_id.mandate_id.state",
        "company_id.sepa_max_representations",
    )
    def _compute_dunning_representation(self):
        receipts = self._open_receipts()
        first_rejection = dict(
            self.env["sepa.return.line"]._read_group(
                [("receipt_id", "in", receipts.ids), ("state", "=", "done"), ("match_state", "=", "matched")],
                ["receipt_id"],
                ["date:min"],
            )
        )
        for case in self:
            pending, starts = False, []
            for receipt in case._open_receipts():
                starts.append(timeline.ladder_start(receipt.date_due, first_rejection.get(receipt)))
                # An instalment's debit is not presented again: its rejection breaks the plan
                # and the dunning resumes at once.
                debits = receipt.debit_line_ids.filtered(
                    lambda debit: (
                        not debit.instalment_id
                        and debit.state in (timeline.TO_COLLECT, timeline.COLLECTED, timeline.REJECTED)
                    )
                ).sorted("id")
                contract = receipt.contract_id
                pending = pending or timeline.representation_pending(
                    [(debit.state, debit.return_reason_id.action == "represent") for debit in debits],
                    case.company_id.sepa_max_representations,
                    can_present=contract.payment_method == "sepa_dd" and contract.mandate_id.state == "active",
                )
            case.dunning_represent_pending = pending
            case.dunning_start_date = min(starts, default=False)

    def _dunning_row(self):
        """What the ladder needs of the case, the same for the form's next level and for the daily run.

        :return: ``(case id, policy id, levels reached, day the ladder counts from,
            day the last level was reached, paused)``, as :func:`timeline.due_steps` reads it
        """
        self.ensure_one()
        paused = (
            bool(self.dunning_pause)
            or self.dunning_represent_pending
            or self.state != "open"
            or not self.dunning_start_date
        )
        return (
            self.id,
            self.dunning_policy_id.id,
            self.dunning_step,
            self.dunning_start_date or None,
            self.dunning_level_date or None,
            paused,
        )

    @api.depends(
        "state",
        "dunning_pause",
        "dunning_represent_pending",
        "dunning_step",
        "dunning_level_date",
        "dunning_start_date",
        "dunning_policy_id.business_day_holidays",
        "dunning_policy_id.level_ids.sequence",
        "dunning_policy_id.level_ids.delay",
        "dunning_policy_id.level_ids.delay_unit",
        "dunning_policy_id.level_ids.anchor",
        "dunning_policy_id.level_ids.on_business_day",
    )
    def _compute_dunning_next(self):
        steps_by_policy, holidays_by_policy = self._dunning_ladders()
        rows = [case._dunning_row() for case in self]
        # The very function the daily run cuts at its day (timeline.due_steps): one rule for both.
        found = {row[0]: row[2:] for row in timeline.next_steps(rows, steps_by_policy, holidays_by_policy)}
        for case in self:
            step, date = found.get(case.id, (None, False))
            case.dunning_next_date = date
            case.dunning_next_level_id = step.key if step else False

    def _dunning_ladders(self):
        """The ladder and the holidays of each policy of these cases, by policy id.

        What the form's next level and the daily run both count with.

        :return: ``(steps_by_policy, holidays_by_policy)``, as :func:`timeline.next_steps` reads them
        """
        policies = self.dunning_policy_id
        steps_by_policy = {policy.id: policy._steps() for policy in policies}
        return steps_by_policy, {policy.id: policy._holidays() for policy in policies}

    @api.depends("notice_ids")
    def _compute_notice_count(self):
        counts = dict(self.env["dunning.notice"]._read_group([("case_id", "in", self.ids)], ["case_id"], ["__count"]))
        for case in self:
            case.notice_count = counts.get(case, 0)

    # -------------------------------------------------------------------------
    # The daily run
    # -------------------------------------------------------------------------

    def _dunning_domain(self, today):
        return [
            ("state", "=", "open"),
            ("dunning_pause", "=", False),
            ("dunning_represent_pending", "=", False),
            ("dunning_next_date", "<=", today),
        ]

    @api.model
    def _overdue_receipts(self, today):
        # A receipt whose direct debit is still to come (announced for today or later, or in a
        # batch not posted yet) is not in arrears: dunned now, its debtor would pay it, then be debited.
        return super()._overdue_receipts(today).filtered(lambda receipt: not receipt._awaits_direct_debit(today))

    @api.model
    def _cron_dunning_run(self):
        """Daily: every open case reaches the level its dates call for, then notices go out.

        Works in chunks committed one by one; two runs at once skip each
        other's locked cases, and a replay finds nothing left to do. Out of
        time, it stops after a chunk and the cron runner calls it again.
        """
        if not self.env["arrears.case"]._cron_sync():
            # Out of time while opening and closing cases: a case paid off but
            # not closed yet must not be dunned. The next call finishes the sync first.
            return False
        today = fields.Date.context_today(self)
        # Few cases: those waiting on a contest (a receipt due since is claimed) or on a debit asked for.
        self.search(
            [("state", "=", "open"), ("dunning_pause", "in", ("contest", "direct_debit"))]
        )._pause_for_contests_and_debits(today)
        cases = self.search(self._dunning_domain(today), order="id")
        self.env["ir.cron"]._process_in_chunks(
            cases, RUN_CHUNK, self._dunning_domain(today), lambda cases: cases._dunning_advance(today)._send()
        )
        return True

    def action_dunning_run(self):
        """Manager's button: run the ladder now for these cases (or all when called on none)."""
        today = fields.Date.context_today(self)
        cases = (self or self.search([])).filtered_domain(self._dunning_domain(today))
        notices = cases._dunning_advance(today)
        notices._send()
        return notices

    @api.model
    def _demo_replay_dunning(self):
        """Demo data: replay the daily runs of the last weeks, each case from another day.

        The demo cases stand at several levels (a reminder, a formal notice, a
        suspension...), each with the notices its runs sent.
        """
        today = fields.Date.context_today(self)
        self._cron_sync()
        # Days since each case's first reminder: one case per rung of the L113-3 ladder.
        started_days_ago = [5, 15, 28, 45, 75]
        cases = self.search([("state", "=", "open"), ("dunning_pause", "=", False)], order="id")
        for case, days_ago in zip(cases, itertools.cycle(started_days_ago), strict=False):
            day = today - timedelta(days=days_ago)
            for _run in range(20):  # a ladder has a handful of levels: bounded
                case._dunning_advance(day)._send()
                if not case.dunning_next_date or case.dunning_next_date > today:
                    break
                day = max(case.dunning_next_date, day)

    def _dunning_advance(self, today):
        """Move each case of ``self`` to its next level, with its notices, fee and action.

        One level per case per run: a level is never skipped, and the legal
        delays after a formal notice run from the day it was actually sent.

        :return: the notices created
        """
        if not self:
            return self.env["dunning.notice"]
        # Each policy with its own ladder and holidays, as "Next level on" shows them (_compute_dunning_next).
        steps_by_policy, holidays_by_policy = self._dunning_ladders()
        rows = [case._dunning_row() for case in self]
        due = timeline.due_steps(rows, steps_by_policy, today, holidays_by_policy)
        if not due:
            return self.env["dunning.notice"]
        Level = self.env["dunning.level"]
        reached = [(self.browse(case_id), Level.browse(step.key), index) for case_id, index, step, _date in due]
        cases = self.browse([case.id for case, _level, _index in reached])
        link_by_case = {link.case_id: link for link in cases._ensure_payment_links()}
        fee_items = self._dunning_charge_fees([(case, level) for case, level, _index in reached if level.fee_amount])
        # The receipts each notice claims, read in one query for the whole chunk: not the contested ones.
        open_receipts = self.env["insurance.premium.receipt"].search(
            [("case_id", "in", cases.ids), ("state", "=", "open"), ("amount_residual", ">", 0)]
        )
        receipts_by_case = (open_receipts - cases._contested_receipts()).grouped("case_id")
        no_receipt = self.env["insurance.premium.receipt"]
        notice_vals = [
            self.env["dunning.notice"]._prepare_notice_vals(
                case,
                level,
                today,
                channel,
                receipts_by_case.get(case, no_receipt),
                link_by_case.get(case, self.env["arrears.payment.link"]),
                fee_items.get(case),
            )
            for case, level, _index in reached
            for channel in level._channels()
        ]
        notices = self.env["dunning.notice"].create(notice_vals)
        # Same level, same values: one write per level instead of one per case.
        by_level = defaultdict(lambda: self.env["arrears.case"])
        for case, level, index in reached:
            by_level[level, index] |= case
        for (level, index), group in by_level.items():
            group.with_context(tracking_disable=True).write(
                {
                    "dunning_level_id": level.id,
                    "dunning_step": index + 1,
                    "dunning_level_date": today,
                    "stage": level.stage,
                }
            )
            group._dunning_act(level, today)
        # No chatter message here: each notice tells the case's history when it
        # goes out (the e-mail itself, the SMS, the printed letter, the call).
        return notices

    def _dunning_charge_fees(self, case_levels):
        """Charge each level's fee to the debtor; the fee joins what the case asks for.

        :return: {case: fee item}
        """
        if not case_levels:
            return {}
        today = fields.Date.context_today(self)
        items = self._charge_fees(
            [
                (
                    case,
                    level.fee_amount,
                    self.env._(
                        "Dunning fee: %(level)s, contract %(contract)s",
                        level=level.name,
                        contract=case.contract_id.name,
                    ),
                    case.company_id._dunning_fee_account(),
                    today,
                )
                for case, level in case_levels
            ],
            ref=self.env._("Dunning fees"),
        )
        return {case: item for (case, _level), item in zip(case_levels, items, strict=True)}

    def _dunning_act(self, level, today):
        """What the level does to the contract: suspend, terminate, hand over."""
        if level.action == "suspend":
            contracts = self.contract_id.filtered(lambda c: c.state == "active")
            contracts.action_suspend(today)
            for contract in contracts:
                contract.message_post(body=self.env._("Cover suspended for non-payment (%(level)s).", level=level.name))
        elif level.action == "terminate":
            contracts = self.contract_id.filtered(lambda c: c.state != "terminated")
            contracts.action_terminate(today, reason="non_payment")
        elif level.action == "collection":
            self._dunning_hand_over()

    def _dunning_hand_over(self):
        """Hand the cases over to the collection agency: a file with only what it needs, and an activity."""
        attachments = self.env["ir.attachment"].create(
            [
                {
                    "name": f"collection-{case.contract_id.name}.json".replace("/", "-"),
                    "res_model": "arrears.case",
                    "res_id": case.id,
                    "mimetype": "application/json",
                    "raw": json.dumps(case._collection_export(), indent=2, ensure_ascii=False).encode(),
                }
                for case in self
            ]
        )
        for case, attachment in zip(self, attachments, strict=True):
            case.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Send the case to the collection agency"),
                note=self.env._("The hand-over file %(file)s is attached to the case.", file=attachment.name),
                user_id=case.user_id.id or self.env.uid,
            )
        return attachments

    def _collection_export(self):
        """What a collection agency needs to pursue the debt, and nothing more.

        The debtor's identity and postal address (the agency writes to them), the
        contract, the unpaid receipts and fees, and the notices already sent. No
        bank account, no mandate, no e-mail or phone.
        """
        self.ensure_one()
        partner = self.partner_id
        return {
            "case": self.name,
            "creditor": self.company_id.name,
            "debtor": {
                "name": partner.name,
                "street": partner.street or "",
                "street2": partner.street2 or "",
                "zip": partner.zip or "",
                "city": partner.city or "",
                "country": partner.country_id.code or "",
            },
            "contract": self.contract_id.name,
            "currency": self.currency_id.name,
            "receipts": [
                {"number": r.name, "due_date": r.date_due.isoformat(), "amount_due": r.amount_residual}
                for r in self._open_receipts().sorted("date_due")
            ],
            "fees": [
                {
                    "entry": fee.move_id.name,
                    "label": fee.name,
                    "date": fee.date.isoformat(),
                    "amount_due": fee.amount_residual,
                }
                for fee in self._fee_lines().filtered(lambda fee: fee.amount_residual > 0)
            ],
            "amount_due": self.amount_due,
            "notices": [
                {"level": n.level_id.name, "channel": n.channel, "date": n.date.isoformat(), "state": n.state}
                for n in self.notice_ids.sorted("date")
            ],
        }

    # -------------------------------------------------------------------------
    # Pause, resume, manual moves
    # -------------------------------------------------------------------------

    def action_dunning_pause(self, reason="manual", note=None):
        self.filtered(lambda c: c.state == "open").write({"dunning_pause": reason})
        if note:
            for case in self:
                case.message_post(body=self.env._("Dunning paused: %(note)s", note=note))

    def _on_plan_granted(self):
        res = super()._on_plan_granted()
        self.filtered(lambda c: c.state == "open").dunning_pause = "plan"
        return res

    def _on_plan_broken(self):
        res = super()._on_plan_broken()
        # Back on the ladder at the level it stood; the next level is due at once if its date passed.
        self.filtered(lambda c: c.dunning_pause == "plan").dunning_pause = False
        return res

    def _on_contest_opened(self):
        res = super()._on_contest_opened()
        self._pause_for_contests_and_debits(fields.Date.context_today(self))
        return res

    def _on_contest_answered(self):
        res = super()._on_contest_answered()
        self._pause_for_contests_and_debits(fields.Date.context_today(self))
        return res

    def _pause_for_contests_and_debits(self, today):
        """The pauses the engine sets and lifts itself (by hand, for a dispute or a plan are people's to lift).

        - ``contest``: the ladder pauses for what the debtor contests, not for the rest. A case whose
          every open receipt is contested waits while an accountant checks what it says; one that
          has others goes on claiming them, its notices leaving the contested ones out.
        - ``direct_debit``: a debit the debtor asked for when signing its mandate is still to come.

        Lifted, the ladder goes on where it stood: once a receipt is left to claim (a contest
        answered, a new receipt due) or once no receipt awaits its debit (collected, the case
        closes; rejected or left out of its batch, the dunning goes on).

        :return: the cases whose pause changed
        """
        changed = self.browse()
        for case in self.filtered(
            lambda c: c.state == "open" and c.dunning_pause in (False, "contest", "direct_debit")
        ):
            receipts = case._open_receipts()
            awaits_debit = any(receipt._awaits_direct_debit(today) for receipt in receipts)
            if case.dunning_pause == "direct_debit" and awaits_debit:
                continue
            if receipts and not case._claimed_receipts():
                pause = "contest"
            elif case.dunning_pause and awaits_debit:
                pause = "direct_debit"
            else:
                pause = False
            if case.dunning_pause != pause:
                case.dunning_pause = pause
                changed |= case
        return changed

    def action_dunning_resume(self):
        self.write({"dunning_pause": False})

    def action_open_dunning_move(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Move to a Level"),
            "res_model": "dunning.move.level",
            "view_mode": "form",
            "target": "new",
            "context": {"default_case_id": self.id},
        }

    def _dunning_move_to(self, level, reason):
        """Put the case at ``level`` by hand (no notice sent); the ladder continues from there."""
        self.ensure_one()
        if self.state != "open":
            raise UserError(self.env._("Only an open case can be moved."))
        if level.policy_id != self.dunning_policy_id:
            raise UserError(self.env._("The level must belong to the case's dunning policy."))
        if not reason:
            raise UserError(self.env._("Say why the case is moved."))
        index = self.dunning_policy_id.level_ids.sorted(lambda lvl: (lvl.sequence, lvl.id)).ids.index(level.id)
        self.write(
            {
                "dunning_level_id": level.id,
                "dunning_step": index + 1,
                "dunning_level_date": fields.Date.context_today(self),
                "stage": level.stage,
            }
        )
        self.message_post(
            body=self.env._("Moved by hand to level %(level)s: %(reason)s", level=level.name, reason=reason)
        )

    def action_view_notices(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("sepa_dunning.action_dunning_notice")
        action["domain"] = [("case_id", "in", self.ids)]
        return action

    # -------------------------------------------------------------------------
    # Delivery failures
    # -------------------------------------------------------------------------

    def _message_receive_bounce(self, email, partner):
        # A bounced dunning e-mail: the last e-mail notice of the case failed.
        notices = self.notice_ids.filtered(lambda n: n.channel == "email" and n.state == "sent")
        notices.sorted("id")[-1:]._fail(self.env._("the e-mail to %(email)s bounced", email=email))
        return super()._message_receive_bounce(email, partner)
