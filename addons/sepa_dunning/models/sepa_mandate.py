from datetime import timedelta

from dateutil.relativedelta import relativedelta
from schwifty import IBAN

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import split_every

from ..iso20022.pain008 import Amendment, SepaInputError, check_bic, check_creditor_id, check_iban
from ..iso20022.text import SepaTextError, check_identifier

# A mandate with no debit for 36 months lapses (SEPA Core rulebook).
EXPIRY_MONTHS = 36
# Mandates lapsed per committed chunk of the daily cron.
EXPIRY_CHUNK = 1000


class SepaMandate(models.Model):
    _name = "sepa.mandate"
    _description = "SEPA Direct Debit Mandate"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "signature_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Mandate Reference (UMR)", required=True, tracking=True, copy=False)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    partner_id = fields.Many2one(
        "res.partner", string="Debtor", required=True, index=True, tracking=True, check_company=True
    )
    debtor_iban = fields.Char(string="Debtor IBAN", required=True, tracking=True)
    debtor_bic = fields.Char(string="Debtor BIC", tracking=True)
    signature_date = fields.Date(tracking=True)
    creditor_identifier = fields.Char(
        required=True,
        tracking=True,
        default=lambda self: self.env.company.sepa_creditor_identifier,
    )
    type = fields.Selection([("recurrent", "Recurrent"), ("oneoff", "One-off")], default="recurrent", required=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Active"),
            ("blocked", "Blocked"),
            ("revoked", "Revoked"),
            ("expired", "Expired"),
        ],
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
    )
    block_reason = fields.Char(tracking=True, copy=False)
    last_debit_date = fields.Date(readonly=True, copy=False, help="Collection date of the last debit sent.")
    contract_ids = fields.One2many("insurance.contract", "mandate_id", string="Contracts")
    signature_ids = fields.One2many("sepa.mandate.signature", "mandate_id", string="Signed Online")
    # An amendment waits here until the next debit carries it, then is cleared.
    amend_original_mandate_id = fields.Char(string="Original Reference", readonly=True, copy=False)
    amend_original_creditor_id = fields.Char(string="Original Creditor Identifier", readonly=True, copy=False)
    amend_original_iban = fields.Char(string="Original IBAN", readonly=True, copy=False)
    amend_new_debtor_bank = fields.Boolean(string="Debtor Changed Bank", readonly=True, copy=False)
    amendment_pending = fields.Boolean(compute="_compute_amendment_pending")

    _name_company_unique = models.Constraint(
        "UNIQUE(name, company_id)", "A mandate reference (UMR) must be unique per company."
    )

    @api.depends(
        "amend_original_mandate_id", "amend_original_creditor_id", "amend_original_iban", "amend_new_debtor_bank"
    )
    def _compute_amendment_pending(self):
        for mandate in self:
            mandate.amendment_pending = bool(mandate._amendment())

    # -------------------------------------------------------------------------
    # Validation
    # -------------------------------------------------------------------------

    @api.model
    def _normalise_bank_vals(self, vals):
        """Check and compact IBAN, BIC and creditor identifier in ``vals``."""
        if vals.get("debtor_iban"):
            try:
                vals["debtor_iban"] = check_iban(vals["debtor_iban"])
            except SepaInputError as exc:
                raise ValidationError(
                    _(
                        "%(iban)s is not a valid IBAN: check its country code, length and check digits.",
                        iban=vals["debtor_iban"],
                    )
                ) from exc
            if "debtor_bic" in vals and not vals["debtor_bic"]:
                # Derived from the bank code where the bank registry knows it.
                vals["debtor_bic"] = str(IBAN(vals["debtor_iban"]).bic or "")
        if vals.get("debtor_bic"):
            try:
                vals["debtor_bic"] = check_bic(vals["debtor_bic"])
            except SepaInputError as exc:
                raise ValidationError(_("%(bic)s is not a valid BIC.", bic=vals["debtor_bic"])) from exc
        if vals.get("creditor_identifier"):
            try:
                vals["creditor_identifier"] = check_creditor_id(vals["creditor_identifier"])
            except SepaInputError as exc:
                raise ValidationError(
                    _(
                        "The creditor identifier %(value)s is not valid: check its digits.",
                        value=vals["creditor_identifier"],
                    )
                ) from exc
        if vals.get("name"):
            try:
                check_identifier(vals["name"])
            except SepaTextError as exc:
                raise ValidationError(
                    _(
                        "Mandate reference %(ref)s: up to 35 letters, digits and / - ? : ( ) . , ' + with no space.",
                        ref=vals["name"],
                    )
                ) from exc
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault("debtor_bic", False)
            self._normalise_bank_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("debtor_iban") and "debtor_bic" not in vals:
            # A new account may be at another bank: its BIC is derived again, never kept from the old one.
            vals = dict(vals, debtor_bic=False)
        self._normalise_bank_vals(vals)
        watched = {"name", "creditor_identifier", "debtor_iban"}
        if watched & vals.keys():
            for mandate in self.filtered("last_debit_date"):
                mandate._record_amendment(vals)
        return super().write(vals)

    def _record_amendment(self, vals):
        """Remember the original values of a used mandate for its next debit."""
        self.ensure_one()
        pending = {}
        if vals.get("name") and vals["name"] != self.name and not self.amend_original_mandate_id:
            pending["amend_original_mandate_id"] = self.name
        if (
            vals.get("creditor_identifier")
            and vals["creditor_identifier"] != self.creditor_identifier
            and not self.amend_original_creditor_id
        ):
            pending["amend_original_creditor_id"] = self.creditor_identifier
        new_iban = vals.get("debtor_iban")
        if new_iban and new_iban != self.debtor_iban:
            # Same bank: the bank code inside the IBAN is unchanged. Otherwise SMNDA.
            same_bank = IBAN(new_iban).bank_code == IBAN(self.debtor_iban).bank_code
            if same_bank and not self.amend_new_debtor_bank:
                pending.setdefault("amend_original_iban", self.amend_original_iban or self.debtor_iban)
            else:
                pending.update(amend_new_debtor_bank=True, amend_original_iban=False)
        if pending:
            super().write(pending)
        return bool(pending)

    def _amendment(self):
        """The amendment the next debit must carry, or None."""
        self.ensure_one()
        amendment = Amendment(
            original_mandate_id=self.amend_original_mandate_id or "",
            original_creditor_id=self.amend_original_creditor_id or "",
            original_iban=self.amend_original_iban or "",
            new_debtor_bank=self.amend_new_debtor_bank,
        )
        return amendment or None

    @api.constrains("state", "signature_date")
    def _check_signature_date(self):
        for mandate in self.filtered(lambda m: m.state == "active" and not m.signature_date):
            raise ValidationError(_("Mandate %(ref)s is active: it needs its signature date.", ref=mandate.name))

    def _amendment_values(self):
        """The pending amendment as stored values (kept on the debit that carries it)."""
        self.ensure_one()
        return {
            "amend_original_mandate_id": self.amend_original_mandate_id,
            "amend_original_creditor_id": self.amend_original_creditor_id,
            "amend_original_iban": self.amend_original_iban,
            "amend_new_debtor_bank": self.amend_new_debtor_bank,
        }

    def _restore_amendment(self, values):
        """Pend again an amendment whose debit never reached the bank (its batch was cancelled)."""
        self.ensure_one()
        if not values or self.amendment_pending:
            return False
        # super(): restoring originals is not a change of the mandate to record as an amendment.
        return super().write(values)

    def _clear_amendments(self):
        return super(SepaMandate, self.filtered("amendment_pending")).write(
            {
                "amend_original_mandate_id": False,
                "amend_original_creditor_id": False,
                "amend_original_iban": False,
                "amend_new_debtor_bank": False,
            }
        )

    @api.model
    def _demo_for_debit_contracts(self, contract_ids):
        """Demo data: these contracts' policyholders signed a mandate this week; the contracts move
        to direct debit on it (the notice job then sends their coming receipts' pre-notifications)."""
        contracts = self.env["insurance.contract"].browse(contract_ids)
        ibans = ["FR7630004000031234567890143", "FR1420041010050500013M02606", "DE89370400440532013000"]
        signed = fields.Date.context_today(self) - timedelta(days=3)
        mandates = self.create(
            [
                {
                    "name": f"DEMO-UMR-{contract.id:05d}",
                    "company_id": contract.company_id.id,
                    "partner_id": contract.partner_id.id,
                    "debtor_iban": ibans[index % len(ibans)],
                    "signature_date": signed,
                    "creditor_identifier": contract.company_id.sepa_creditor_identifier,
                    "state": "active",
                }
                for index, contract in enumerate(contracts)
            ]
        )
        for contract, mandate in zip(contracts, mandates, strict=True):
            contract.write({"payment_method": "sepa_dd", "mandate_id": mandate.id})
        return mandates

    # -------------------------------------------------------------------------
    # Life cycle
    # -------------------------------------------------------------------------

    def action_activate(self):
        for mandate in self:
            if not mandate.signature_date:
                raise UserError(_("Mandate %(ref)s has no signature date.", ref=mandate.name))
        self.write({"state": "active", "block_reason": False})

    def action_block(self, reason=None):
        self.write({"state": "blocked", "block_reason": reason or _("Blocked by hand")})

    def action_revoke(self):
        self.write({"state": "revoked"})

    @api.model
    def _cron_expire(self):
        """Mandates with no debit for 36 months lapse.

        In chunks committed one by one, each locked and read again once locked:
        a mandate lapsed leaves the search, so a run out of time takes up the rest.
        """
        limit = fields.Date.context_today(self) - relativedelta(months=EXPIRY_MONTHS)
        domain = [
            ("state", "=", "active"),
            "|",
            ("last_debit_date", "<", limit),
            "&",
            ("last_debit_date", "=", False),
            ("signature_date", "<", limit),
        ]
        lapsed = self.search(domain, order="id")
        cron = self.env["ir.cron"]
        cron._commit_progress_in_cron(remaining=len(lapsed))
        body = _("Expired: no debit for %(months)s months.", months=EXPIRY_MONTHS)
        for ids in split_every(EXPIRY_CHUNK, lapsed.ids):
            # A debit or a revocation may have come meanwhile: left out.
            chunk = cron._claim(self.browse(ids), domain)
            chunk.write({"state": "expired"})
            chunk._message_log_batch(bodies=dict.fromkeys(chunk.ids, body))
            if not cron._commit_progress_in_cron(len(ids)):
                break
        return True
