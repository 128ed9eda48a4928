from odoo import api, fields, models
from odoo.addons.insurance_arrears.models.arrears_case import STAGE_SELECTION
from odoo.exceptions import ValidationError

from .. import timeline

CHANNELS = [
    ("email", "E-mail"),
    ("sms", "SMS"),
    ("letter", "Letter"),
    ("phone", "Phone Call"),
]


class DunningPolicy(models.Model):
    """An escalation ladder: the levels a case in arrears climbs, one at a time."""

    _name = "dunning.policy"
    _description = "Dunning Policy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Leave empty to share the policy between companies.")
    level_ids = fields.One2many("dunning.level", "policy_id", string="Levels", copy=True)
    business_day_holidays = fields.Boolean(
        string="French Public Holidays",
        default=True,
        help="Business-day delays and dates moved to a business day skip French public holidays.",
    )
    description = fields.Text(translate=True)

    def _steps(self):
        """The policy's levels as timeline steps, in ladder order."""
        self.ensure_one()
        return [level._step() for level in self.level_ids.sorted(lambda lvl: (lvl.sequence, lvl.id))]

    def _holidays(self):
        """Public holidays the business-day arithmetic skips, every year's (see timeline.YearlyHolidays)."""
        self.ensure_one()
        return timeline.FRENCH_PUBLIC_HOLIDAYS if self.business_day_holidays else frozenset()


class DunningLevel(models.Model):
    """One rung of the ladder: when it comes, through which channels, what it does."""

    _name = "dunning.level"
    _description = "Dunning Level"
    _order = "policy_id, sequence, id"

    policy_id = fields.Many2one("dunning.policy", required=True, index=True, ondelete="cascade")
    # Stored for the multi-company rule; empty on a shared policy's levels, shared with it.
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id, required=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    stage = fields.Selection(
        # The case's stages a level can reach: all but the first and the last.
        [(key, label) for key, label in STAGE_SELECTION if key not in ("new", "closed")],
        required=True,
        default="reminder",
        help="Stage the case shows once it reaches this level.",
    )
    delay = fields.Integer(required=True, default=0)
    delay_unit = fields.Selection(
        [
            (timeline.DAYS, "Days"),
            (timeline.BUSINESS_DAYS, "Business Days"),
            (timeline.MONTHS, "Months"),
        ],
        required=True,
        default=timeline.DAYS,
    )
    anchor = fields.Selection(
        [
            (timeline.ANCHOR_PREVIOUS, "After the previous level"),
            (timeline.ANCHOR_DUE, "After the first unpaid due date"),
        ],
        required=True,
        default=timeline.ANCHOR_PREVIOUS,
    )
    on_business_day = fields.Boolean(
        string="On a Business Day",
        help="A date falling on a weekend or a public holiday moves to the next business day.",
    )
    channel_email = fields.Boolean(string="E-mail")
    channel_sms = fields.Boolean(string="SMS")
    channel_letter = fields.Boolean(string="Letter (PDF)")
    channel_post = fields.Boolean(
        string="Posted Letter", help="The letter is to be posted (registered mail for a formal notice)."
    )
    channel_phone = fields.Boolean(string="Phone Call", help="An activity asks an accountant to call the debtor.")
    letter_fallback = fields.Boolean(
        string="Letter if the E-mail Bounces", default=True, help="A bounced or failed e-mail is replaced by a letter."
    )
    mail_template_id = fields.Many2one(
        "mail.template", string="E-mail Template", domain="[('model', '=', 'dunning.notice')]"
    )
    sms_template_id = fields.Many2one(
        "sms.template", string="SMS Template", domain="[('model', '=', 'dunning.notice')]"
    )
    letter_body = fields.Html(
        translate=True,
        sanitize_style=True,
        help="Text of the letter; the sender, the debtor, the receipts, the amounts, the deadline "
        "and the payment link are printed around it.",
    )
    deadline_days = fields.Integer(
        string="Deadline (days)",
        default=15,
        help="Days the debtor is given to pay, printed on the notice.",
    )
    fee_amount = fields.Monetary(string="Fee", help="Fee charged to the debtor when the case reaches the level.")
    action = fields.Selection(
        [
            ("none", "None"),
            ("suspend", "Suspend Cover"),
            ("terminate", "Terminate Contract"),
            ("collection", "Hand Over to a Collection Agency"),
        ],
        required=True,
        default="none",
    )

    @api.constrains("delay")
    def _check_delay(self):
        if any(level.delay < 0 for level in self):
            raise ValidationError(self.env._("A level's delay cannot be negative."))

    def _step(self):
        self.ensure_one()
        return timeline.Step(
            key=self.id,
            delay=self.delay,
            unit=self.delay_unit,
            anchor=self.anchor,
            on_business_day=self.on_business_day,
        )

    def _channels(self):
        """The channels of the level, in the order notices are created."""
        self.ensure_one()
        # A posted letter is a letter with a flag: one notice, printed and posted.
        return [
            code for code, _label in CHANNELS if self[f"channel_{code}"] or (code == "letter" and self.channel_post)
        ]
