import re
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date, html_escape

from .. import signing
from ..iso20022.pain008 import SepaInputError, check_iban

# Letters, digits and the few signs a mandate reference (UMR) may hold.
UMR_FORBIDDEN = re.compile(r"[^A-Za-z0-9/\-?:().,'+]")
# Codes one payment link may ask for in a day: each costs an SMS, and a forwarded link must not flood a phone.
MAX_CODES_A_DAY = 5


class MandateRefused(UserError):
    """A signature that does not start; ``code`` tells the page which answer to show.

    Codes: ``closed`` (the link no longer open), ``unavailable`` (the broker takes
    no direct debit), ``invalid`` (no name), ``iban``, ``no_contact`` (no mobile or
    e-mail on record to send the code to), ``too_many_codes``.
    """

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class SepaMandateSignature(models.Model):
    """A SEPA mandate signed online from the payment page, with a one-time code, and its evidence.

    The debtor gives its name and IBAN, reads the mandate, and types back the code sent to
    the mobile or mailbox of its record (a simple electronic signature). Signed, it makes
    the mandate: a new one (first debit FRST) where the contract's mandate is not active,
    else the same mandate with the new account (an amendment the next debit carries).
    """

    _name = "sepa.mandate.signature"
    _description = "SEPA Mandate Signed Online"
    _order = "id desc"
    _check_company_auto = True

    link_id = fields.Many2one("arrears.payment.link", required=True, readonly=True, index=True, ondelete="cascade")
    case_id = fields.Many2one(related="link_id.case_id", store=True)
    contract_id = fields.Many2one("insurance.contract", required=True, readonly=True, index=True, check_company=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Debtor", store=True)
    debtor_name = fields.Char(string="Account Holder", required=True, readonly=True)
    debtor_iban = fields.Char(string="IBAN", required=True, readonly=True)
    debtor_bic = fields.Char(string="BIC", readonly=True)
    mandate_reference = fields.Char(string="Mandate Reference (UMR)", required=True, readonly=True)
    creditor_identifier = fields.Char(required=True, readonly=True)
    kind = fields.Selection(
        [("new", "New Mandate"), ("amendment", "New Account on the Mandate")], required=True, readonly=True
    )
    state = fields.Selection(
        [("pending", "Awaiting the Code"), ("signed", "Signed"), ("expired", "Expired")],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    channel = fields.Selection([("sms", "SMS"), ("email", "E-mail")], string="Code Sent By", readonly=True)
    destination = fields.Char(string="Code Sent To", readonly=True, help="Masked: what the evidence shows of it.")
    # Only an HMAC of the code, bound to this signature and keyed by the database secret.
    code_digest = fields.Char(readonly=True, copy=False, groups="base.group_system")
    code_sent_at = fields.Datetime(readonly=True)
    attempt_count = fields.Integer(string="Attempts", readonly=True)
    attempt_log = fields.Text(string="Each Attempt", readonly=True)
    signed_at = fields.Datetime(readonly=True)
    ip_address = fields.Char(string="IP Address", readonly=True)
    user_agent = fields.Char(string="Browser", readonly=True)
    mandate_id = fields.Many2one("sepa.mandate", readonly=True, index="btree_not_null", check_company=True)
    document_id = fields.Many2one("ir.attachment", string="Signed Mandate", readonly=True)
    document_sha256 = fields.Char(string="SHA-256 of the Signed Mandate", readonly=True)
    collect_open_receipts = fields.Boolean(
        string="Open Receipts Debited Too",
        readonly=True,
        help="At signing, the debtor asked for the receipts it owes to be collected by the first debit the "
        "pre-notification allows.",
    )
    collected_receipt_ids = fields.Many2many(
        "insurance.premium.receipt", string="Receipts Announced for Debit", readonly=True
    )

    # -------------------------------------------------------------------------
    # From the page
    # -------------------------------------------------------------------------

    @api.model
    def _start(self, link, debtor_name, iban, send=True):
        """A signature asked for from ``link``'s page: checked, its code sent to the debtor's record.

        :raise MandateRefused: nothing is kept
        """
        case = link.case_id
        contract = case.contract_id
        company = contract.company_id
        if not link._is_open_to_payer() or case.state != "open":
            raise MandateRefused("closed", self.env._("This link is no longer open."))
        if not company.sepa_creditor_identifier:
            raise MandateRefused("unavailable", self.env._("Payment by direct debit is not offered."))
        debtor_name = " ".join((debtor_name or "").split())[:70]
        if not debtor_name:
            raise MandateRefused("invalid", self.env._("Give the account holder's name."))
        try:
            iban = check_iban(iban or "")
        except SepaInputError as error:
            raise MandateRefused("iban", self.env._("This IBAN is not valid.")) from error
        # Over the last 24 hours, not since midnight: no second burst of codes as the date turns.
        since = fields.Datetime.now() - timedelta(days=1)
        if self.search_count([("link_id", "=", link.id), ("create_date", ">=", since)]) >= MAX_CODES_A_DAY:
            raise MandateRefused("too_many_codes", self.env._("Too many codes asked for today."))
        partner = contract.partner_id
        if partner.phone:
            channel, destination = "sms", signing.mask_phone(partner.phone_sanitized or partner.phone)
        elif partner.email:
            channel, destination = "email", signing.mask_email(partner.email)
        else:
            raise MandateRefused("no_contact", self.env._("No mobile number or e-mail address to send a code to."))
        self.search([("link_id", "=", link.id), ("state", "=", "pending")]).state = "expired"
        mandate = contract.mandate_id
        amendment = contract.payment_method == "sepa_dd" and mandate.state == "active"
        signature = self.create(
            {
                "link_id": link.id,
                "contract_id": contract.id,
                "debtor_name": debtor_name,
                "debtor_iban": iban,
                "debtor_bic": self.env["sepa.mandate"]._normalise_bank_vals({"debtor_iban": iban, "debtor_bic": False})[
                    "debtor_bic"
                ]
                or False,
                "mandate_reference": mandate.name if amendment else "/",
                "creditor_identifier": company.sepa_creditor_identifier,
                "kind": "amendment" if amendment else "new",
                "channel": channel,
                "destination": destination,
            }
        )
        if not amendment:
            signature.mandate_reference = signature._new_reference()
        code = signature._new_code()
        if send:
            signature._send_code(code)
        return signature

    @api.model
    def _demo_sign_online(self, case, iban):
        """Demo data: the mandate of ``case``'s contract blocked (account closed), a new one signed online."""
        case.contract_id.mandate_id.action_block("AC04 Closed account")
        signature = self._start(case._ensure_payment_links(), case.partner_id.name, iban, send=False)
        return signature._sign(signature._new_code(), ip_address="192.0.2.10", user_agent="Demo")

    def _new_reference(self):
        """The reference of the mandate to sign: the contract's, the day's date and this signature."""
        self.ensure_one()
        suffix = f"-{fields.Date.context_today(self):%Y%m%d}-{self.id}"
        return UMR_FORBIDDEN.sub("", self.contract_id.name or "MDT")[: 35 - len(suffix)] + suffix

    def _new_code(self):
        """A new code for this signature: only its digest is kept; the code is returned to be sent."""
        self.ensure_one()
        code = signing.new_code()
        # sudo(): the digest is an administrators' field, written for the page's public user.
        self.sudo().write(
            {
                "code_digest": signing.code_digest(self._secret(), self.id, code),
                "code_sent_at": fields.Datetime.now(),
                "attempt_count": 0,
            }
        )
        return code

    def _secret(self):
        # sudo(): the database secret is a system parameter; it never leaves the server.
        return self.env["ir.config_parameter"].sudo().get_param("database.secret")

    def _send_code(self, code):
        """The code, by SMS or e-mail to the debtor's record, in its language, queued and sent at once."""
        self.ensure_one()
        partner = self.partner_id
        lang = partner._arrears_lang()
        text = self.with_context(lang=lang).env._(
            "%(company)s: your code to sign the direct debit mandate %(reference)s is %(code)s. "
            "It is valid for 10 minutes. Never give it to anyone.",
            company=self.company_id.name,
            reference=self.mandate_reference,
            code=code,
        )
        # sudo(): the SMS and e-mail queues are administrators' models; only the code's text goes there.
        if self.channel == "sms":
            self.env["sms.sms"].sudo().create(
                {"number": partner.phone_sanitized or partner.phone, "partner_id": partner.id, "body": text}
            )
            self.env.ref("sms.ir_cron_sms_scheduler_action")._trigger()
        else:
            self.env["mail.mail"].sudo().create(
                {
                    "subject": self.with_context(lang=lang).env._("Your code to sign the mandate"),
                    "email_from": self.company_id.email_formatted or self.env.user.email_formatted,
                    "email_to": partner.email_formatted,
                    "body_html": f"<p>{html_escape(text)}</p>",
                    "auto_delete": True,
                }
            )
            self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger()

    def _sign(self, code, ip_address=None, user_agent=None, collect_open=False):
        """The code typed back: each try logged; the right one in time makes the mandate.

        :param collect_open: the debtor ticked "collect what I owe by this debit": the
            case's open receipts are announced for the first debit allowed
            (:meth:`_collect_open_receipts`)

        :return: one of :mod:`..signing`'s outcomes (``signed``, ``wrong``, ``expired``,
            ``too_many``); an answered or dropped signature gives ``expired``
        """
        self.ensure_one()
        if self.state != "pending":
            return signing.EXPIRED
        now = fields.Datetime.now()
        # sudo(): the digest is an administrators' field, read for the page's public user.
        stored = self.sudo().code_digest or ""
        outcome = signing.check(
            signing.code_digest(self._secret(), self.id, code), stored, self.code_sent_at, now, self.attempt_count
        )
        line = f"{fields.Datetime.to_string(now)} UTC, {ip_address or '-'}: {outcome}"
        values = {
            "attempt_count": self.attempt_count + 1,
            "attempt_log": "\n".join(filter(None, [self.attempt_log, line])),
        }
        if outcome in (signing.EXPIRED, signing.TOO_MANY):
            values["state"] = "expired"
        if outcome == signing.SIGNED:
            values.update(
                state="signed",
                signed_at=now,
                ip_address=ip_address,
                user_agent=(user_agent or "")[:250],
                collect_open_receipts=bool(collect_open),
            )
        self.write(values)
        if outcome == signing.SIGNED:
            self._make_mandate()
            if collect_open:
                self._collect_open_receipts()
        return outcome

    def _collectable_receipts(self):
        """The case's open receipts the new mandate may collect: none under a granted delay or plan
        (its own dates stand), none the debtor contests while the answer is pending."""
        self.ensure_one()
        case = self.case_id
        if case.state != "open" or case._active_plan():
            return self.env["insurance.premium.receipt"]
        return case._claimed_receipts()

    def _collect_open_receipts(self):
        """The debtor's choice at signing: each collectable receipt gets a new premium notice, dated
        after the signature, that announces the first debit the pre-notification allows; the batch
        of that date takes it. Meanwhile the case's dunning waits for that debit
        (``arrears.case._pause_for_contests_and_debits``)."""
        self.ensure_one()
        receipts = self._collectable_receipts()
        if not receipts:
            return receipts
        receipts._send_notices()
        self.collected_receipt_ids = receipts
        case = self.case_id
        if not case.dunning_pause:
            case.dunning_pause = "direct_debit"
        debit_dates = sorted({receipt._notice_debit_date() for receipt in receipts})
        case.message_post(
            body=self.env._(
                "At signing, the debtor asked for what it owes to be debited: receipts %(receipts)s "
                "(%(amount)s) announced for the direct debit of %(date)s.",
                receipts=", ".join(receipts.mapped("name")),
                amount=format_amount(self.env, sum(receipts.mapped("amount_residual")), case.currency_id),
                date=format_date(self.env, debit_dates[-1]),
            ),
            subtype_xmlid="mail.mt_note",
        )
        return receipts

    def _make_mandate(self):
        """The signed mandate: created or amended, the contract back on direct debit, the evidence kept."""
        self.ensure_one()
        contract = self.contract_id
        if self.kind == "amendment":
            mandate = contract.mandate_id
            mandate.write({"debtor_iban": self.debtor_iban, "debtor_bic": self.debtor_bic or False})
        else:
            mandate = self.env["sepa.mandate"].create(
                {
                    "name": self.mandate_reference,
                    "company_id": self.company_id.id,
                    "partner_id": self.partner_id.id,
                    "debtor_iban": self.debtor_iban,
                    "debtor_bic": self.debtor_bic or False,
                    "creditor_identifier": self.creditor_identifier,
                    "signature_date": fields.Date.context_today(self),
                    "state": "active",
                }
            )
        contract.write({"payment_method": "sepa_dd", "mandate_id": mandate.id})
        self.mandate_id = mandate
        document, _kind = (
            self.env["ir.actions.report"]
            .with_context(lang=self.partner_id._arrears_lang())
            ._render_qweb_pdf("sepa_dunning.action_report_mandate_signature", self.ids)
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{self.mandate_reference}.pdf",
                "raw": document,
                "mimetype": "application/pdf",
                "res_model": mandate._name,
                "res_id": mandate.id,
            }
        )
        self.write({"document_id": attachment.id, "document_sha256": signing.document_hash(document)})
        channels = dict(self._fields["channel"]._description_selection(self.env))
        summary = self.env._(
            "Mandate signed online by %(name)s (IBAN %(iban)s) with a code sent by %(channel)s to %(to)s, "
            "from %(ip)s; signed document %(file)s, SHA-256 %(hash)s.",
            name=self.debtor_name,
            iban=self.debtor_iban,
            channel=channels[self.channel],
            to=self.destination,
            ip=self.ip_address or "-",
            file=attachment.name,
            hash=self.document_sha256,
        )
        mandate.message_post(body=summary, subtype_xmlid="mail.mt_note")
        self.case_id.message_post(body=summary, subtype_xmlid="mail.mt_note")
        self._send_copy(attachment)
        return mandate

    def _send_copy(self, attachment):
        """The signed mandate, to the debtor's address of record (never shown on the page: it holds the IBAN)."""
        partner = self.partner_id
        if not partner.email:
            return
        lang = partner._arrears_lang()
        text = self.with_context(lang=lang).env._(
            "Your direct debit mandate %(reference)s with %(company)s is signed. Your copy is attached; each "
            "debit will be announced to you by its premium notice.",
            reference=self.mandate_reference,
            company=self.company_id.name,
        )
        # sudo(): the e-mail queue is an administrators' model.
        self.env["mail.mail"].sudo().create(
            {
                "subject": self.with_context(lang=lang).env._("Your direct debit mandate %s", self.mandate_reference),
                "email_from": self.company_id.email_formatted or self.env.user.email_formatted,
                "email_to": partner.email_formatted,
                "body_html": f"<p>{html_escape(text)}</p>",
                "attachment_ids": [Command.link(attachment.id)],
            }
        )

    def _masked_iban(self):
        """The IBAN as the page shows it: its country, check digits and last four characters."""
        self.ensure_one()
        iban = self.debtor_iban or ""
        return f"{iban[:4]} **** {iban[-4:]}" if len(iban) > 8 else iban
