import base64
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models

from .. import timeline
from .dunning_policy import CHANNELS


class DunningNotice(models.Model):
    """One notice of one level to one debtor through one channel.

    Created once per case, level and channel (a unique index guarantees it,
    whatever runs at the same time or replays), then sent: e-mails and SMS are
    queued, letters wait to be printed, a phone call is an accountant's
    activity.
    """

    _name = "dunning.notice"
    _description = "Dunning Notice"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "level_id"

    # No check_company: the company is the case's own (related), so always consistent;
    # the check cost a fifth of a dunning run (tests/bench/bench_dunning.py).
    case_id = fields.Many2one("arrears.case", required=True, index=True, ondelete="cascade")
    level_id = fields.Many2one("dunning.level", required=True, index=True, ondelete="restrict", check_company=True)
    policy_id = fields.Many2one(related="level_id.policy_id")
    stage = fields.Selection(related="level_id.stage")
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="case_id.currency_id")
    partner_id = fields.Many2one(related="case_id.partner_id", string="Debtor", store=True, index=True)
    contract_id = fields.Many2one(related="case_id.contract_id", store=True, index=True)
    insurer_id = fields.Many2one(related="case_id.insurer_id")
    channel = fields.Selection(CHANNELS, required=True)
    state = fields.Selection(
        [
            ("queued", "Ready"),
            ("sent", "Sent"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="queued",
        required=True,
        index=True,
        help="Ready: e-mails and SMS wait for the next sending, letters for printing.",
    )
    date = fields.Date(required=True, default=fields.Date.context_today, help="Day the case reached the level.")
    date_sent = fields.Datetime(string="Sent On", readonly=True)
    date_deadline = fields.Date(string="Pay By")
    to_post = fields.Boolean(help="The letter is to be posted, not only printed.")
    amount_due = fields.Monetary(
        help="Amount claimed when the notice was made, fees included, contested receipts left out."
    )
    amount_contested = fields.Monetary(
        string="Contested", help="Receipts the debtor contested, awaiting our answer: told apart, not claimed."
    )
    fee_amount = fields.Monetary(string="Fees", help="Fees still due when the notice was made, this level's included.")
    fee_line_ids = fields.Many2many(
        "account.move.line",
        "dunning_notice_fee_line_rel",
        string="Fees Due",
        help="Each fee still due (bank rejection, earlier levels, this level): a line each on the notice.",
    )
    fee_line_id = fields.Many2one("account.move.line", string="This Level's Fee", readonly=True)
    receipt_ids = fields.Many2many("insurance.premium.receipt", string="Receipts Concerned", readonly=True)
    link_id = fields.Many2one("arrears.payment.link", string="Payment Link", readonly=True)
    payment_url = fields.Char(related="link_id.url", string="Payment Link URL")
    suspension_date = fields.Date(
        string="Cover Suspended From",
        help="Formal notice of a non-life contract: article L113-3 of the Insurance Code.",
    )
    termination_date = fields.Date(string="Contract Terminable From")
    # Outgoing e-mails and SMS are readable by administrators only (Odoo's rights).
    mail_id = fields.Many2one(
        "mail.mail", string="E-mail", readonly=True, index="btree_not_null", groups="base.group_system"
    )
    sms_id = fields.Many2one("sms.sms", string="SMS", readonly=True, index="btree_not_null", groups="base.group_system")
    failure_reason = fields.Char(readonly=True)
    fallback_of_id = fields.Many2one(
        "dunning.notice", string="Replaces", readonly=True, help="The failed notice this letter replaces."
    )

    _one_notice_per_level_and_channel = models.UniqueIndex(
        "(case_id, level_id, channel)", "A case gets each level's notice once per channel."
    )

    @api.depends("level_id.name", "channel")
    def _compute_display_name(self):
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for notice in self:
            notice.display_name = f"{notice.level_id.name} ({channels.get(notice.channel, '')})"

    # -------------------------------------------------------------------------
    # Creation
    # -------------------------------------------------------------------------

    @api.model
    def _prepare_notice_vals(self, case, level, today, channel, receipts, link, fee_line=None):
        """Values of one notice: the facts it prints are frozen when it is made."""
        # This level's fee, if any, is already among the case's fees.
        fees = case._fee_lines().filtered(lambda fee: fee.amount_residual > 0)
        values = {
            "case_id": case.id,
            "level_id": level.id,
            "channel": channel,
            "date": today,
            "date_deadline": today + timedelta(days=level.deadline_days),
            "to_post": channel == "letter" and level.channel_post,
            "amount_due": case._amount_claimed(),
            "amount_contested": case.amount_contested,
            "fee_amount": sum(fees.mapped("amount_residual")),
            "fee_line_ids": [fields.Command.set(fees.ids)],
            "fee_line_id": fee_line.id if fee_line else False,
            "receipt_ids": [fields.Command.set(receipts.ids)],
            "link_id": link.id,
        }
        if level.stage == "formal_notice" and case.product_line_id.non_life:
            values["suspension_date"], values["termination_date"] = timeline.l113_3_deadlines(today)
        return values

    # -------------------------------------------------------------------------
    # Sending
    # -------------------------------------------------------------------------

    def _send(self):
        """Send the queued notices of ``self``: e-mails and SMS queued, calls scheduled.

        Letters stay ready until they are printed (``action_print``).
        """
        queued = self.filtered(lambda n: n.state == "queued")
        by_channel = queued.grouped("channel")
        if "email" in by_channel:
            by_channel["email"]._send_emails()
        if "sms" in by_channel:
            by_channel["sms"]._send_sms()
        if "phone" in by_channel:
            by_channel["phone"]._schedule_calls()

    def _send_emails(self):
        no_address = self.filtered(lambda n: not n.partner_id.email)
        no_address._fail(self.env._("The debtor has no e-mail address."))
        notices = self - no_address
        mails = self.env["mail.mail"]
        for level, group in notices.grouped("level_id").items():
            template = level.mail_template_id or self.env.ref("sepa_dunning.mail_template_dunning_notice")
            # One rendering pass for the whole group, each in its debtor's language.
            rendered = template._generate_template(group.ids, ("subject", "body_html", "email_from", "reply_to"))
            # sudo(): queuing outgoing mail is an administrator's right in Odoo; the
            # engine queues what its own templates rendered, for a manager's button too.
            mails |= (
                self.env["mail.mail"]
                .sudo()
                .create(
                    [
                        {
                            "subject": rendered[notice.id].get("subject"),
                            "body_html": rendered[notice.id].get("body_html"),
                            "email_from": rendered[notice.id].get("email_from") or notice.company_id.email_formatted,
                            "reply_to": rendered[notice.id].get("reply_to"),
                            "recipient_ids": [fields.Command.link(notice.partner_id.id)],
                            # Kept in the case's chatter: what was sent, to whom, when.
                            "model": "arrears.case",
                            "res_id": notice.case_id.id,
                            "message_type": "email_outgoing",
                            "auto_delete": False,
                        }
                        for notice in group
                    ]
                )
            )
        for notice, mail in zip(notices.sudo(), mails, strict=True):
            notice.mail_id = mail
        notices.write({"state": "sent", "date_sent": fields.Datetime.now()})

    def _send_sms(self):
        no_number = self.filtered(lambda n: not n.partner_id.phone)
        no_number._fail(self.env._("The debtor has no mobile number."))
        notices = self - no_number
        bodies = {}
        for level, group in notices.grouped("level_id").items():
            template = level.sms_template_id or self.env.ref("sepa_dunning.sms_template_dunning_notice")
            bodies.update(template._render_field("body", group.ids, compute_lang=True))
        # sudo(): as for e-mails, the SMS queue is an administrators' model.
        sms = (
            self.env["sms.sms"]
            .sudo()
            .create(
                [
                    {
                        "number": notice.partner_id.phone_sanitized or notice.partner_id.phone,
                        "partner_id": notice.partner_id.id,
                        "body": bodies[notice.id],
                        "state": "outgoing",
                    }
                    for notice in notices
                ]
            )
        )
        for notice, message in zip(notices.sudo(), sms, strict=True):
            notice.sms_id = message
        notices.write({"state": "sent", "date_sent": fields.Datetime.now()})
        notices.case_id._message_log_batch(
            bodies={
                notice.case_id.id: self.env._(
                    "%(level)s: SMS sent to %(number)s: %(body)s",
                    level=notice.level_id.name,
                    number=message.number,
                    body=message.body,
                )
                for notice, message in zip(notices, sms, strict=True)
            }
        )

    def _schedule_calls(self):
        for notice in self:
            notice.case_id.activity_schedule(
                "mail.mail_activity_data_call",
                date_deadline=notice.date,
                summary=self.env._("Call the debtor: %(level)s", level=notice.level_id.name),
                note=self.env._(
                    "%(amount)s due on contract %(contract)s.",
                    amount=notice.currency_id.format(notice.amount_due),
                    contract=notice.contract_id.name,
                ),
                user_id=notice.case_id.user_id.id or self.env.uid,
            )
        self.write({"state": "sent", "date_sent": fields.Datetime.now()})

    def action_print(self):
        """Print the letters; printing counts as sending them."""
        letters = self.filtered(lambda n: n.channel == "letter")
        printed = letters.filtered(lambda n: n.state == "queued")
        printed.write({"state": "sent", "date_sent": fields.Datetime.now()})
        printed.case_id._message_log_batch(
            bodies={
                notice.case_id.id: self.env._(
                    "Letter printed: %(level)s%(post)s.",
                    level=notice.level_id.name,
                    post=self.env._(", to post") if notice.to_post else "",
                )
                for notice in printed
            }
        )
        return self.env.ref("sepa_dunning.action_report_dunning_letter").report_action(letters)

    # -------------------------------------------------------------------------
    # Failures
    # -------------------------------------------------------------------------

    def _fail(self, reason):
        """Mark notices as failed and, where the level allows it, replace an e-mail by a letter."""
        if not self:
            return
        self.write({"state": "failed", "failure_reason": reason})
        bodies = defaultdict(list)
        for notice in self:
            bodies[notice.case_id.id].append(
                self.env._("%(notice)s not delivered: %(reason)s", notice=notice.display_name, reason=reason)
            )
        self.case_id._message_log_batch(bodies={case_id: "\n".join(texts) for case_id, texts in bodies.items()})
        fallback = self.filtered(lambda n: n.channel in ("email", "sms") and n.level_id.letter_fallback)
        existing = self.search(
            [
                ("case_id", "in", fallback.case_id.ids),
                ("level_id", "in", fallback.level_id.ids),
                ("channel", "=", "letter"),
            ]
        )
        have_letter = {(n.case_id, n.level_id) for n in existing}
        values = []
        for notice in fallback:
            if (notice.case_id, notice.level_id) in have_letter:
                continue
            have_letter.add((notice.case_id, notice.level_id))
            values.append(
                {
                    "case_id": notice.case_id.id,
                    "level_id": notice.level_id.id,
                    "channel": "letter",
                    "date": notice.date,
                    "date_deadline": notice.date_deadline,
                    "amount_due": notice.amount_due,
                    "fee_amount": notice.fee_amount,
                    "fee_line_ids": [fields.Command.set(notice.fee_line_ids.ids)],
                    "receipt_ids": [fields.Command.set(notice.receipt_ids.ids)],
                    "link_id": notice.link_id.id,
                    "suspension_date": notice.suspension_date,
                    "termination_date": notice.termination_date,
                    "fallback_of_id": notice.id,
                }
            )
        letters = self.create(values)
        letters.case_id._message_log_batch(
            bodies=dict.fromkeys(
                letters.case_id.ids, self.env._("A letter replaces the notice that was not delivered.")
            )
        )
        return letters

    # -------------------------------------------------------------------------
    # What the notices print (used by the templates and the letter)
    # -------------------------------------------------------------------------

    def _notice_lang(self):
        self.ensure_one()
        return self.partner_id._arrears_lang()

    def _qr_code_src(self):
        """Data URI of the QR code of the payment link, printed on letters."""
        self.ensure_one()
        if not self.payment_url:
            return False
        barcode = self.env["ir.actions.report"].barcode("QR", self.payment_url, width=160, height=160)
        return "data:image/png;base64," + base64.b64encode(barcode).decode()
