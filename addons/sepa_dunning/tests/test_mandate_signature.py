import hashlib
import re
from datetime import timedelta

from odoo import fields
from odoo.addons.insurance_arrears.tests.common import PhoneBrowserMixin
from odoo.tests import HttpCase, freeze_time, tagged
from odoo.tools import mute_logger

from .. import collection
from .common import DEBTOR_IBAN, SepaCommon

NEW_IBAN = "FR7630004000031234567890143"


class MandateCommon(SepaCommon, HttpCase):
    """A debtor in arrears on a contract paid by direct debit, its payment link, and the page's forms."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policyholder.phone = "+33612345678"
        cls.policyholder.lang = "en_US"
        cls.old_mandate = cls._create_mandate(last_debit_date="2026-01-05")
        # In arrears as a debit rejected leaves it: its case open, the contract still on its mandate.
        cls.contract = cls._create_contract_in_arrears(payment_method="transfer")
        cls.contract.write({"payment_method": "sepa_dd", "mandate_id": cls.old_mandate.id})
        cls.case = cls.contract.case_ids
        assert cls.case, "the case of the receipts unpaid"
        cls.link = cls.case._ensure_payment_links()

    def _page(self, link=None):
        response = self.url_open(f"/arrears/pay/{(link or self.link).token}")
        self.assertEqual(response.status_code, 200)
        return response.text

    def _post(self, path, link=None, **data):
        link = link or self.link
        csrf = self._page(link).split('name="csrf_token" value="')[1].split('"')[0]
        response = self.url_open(f"/arrears/pay/{link.token}/{path}", data={"csrf_token": csrf, **data})
        self.assertEqual(response.status_code, 200)
        return response.url.rsplit("status=", 1)[-1] if "status=" in response.url else None

    def _ask_code(self, iban=NEW_IBAN, link=None, name="Jeanne Dupont"):
        return self._post("mandate", link=link, debtor_name=name, iban=iban)

    def _code_sent(self):
        sms = self.env["sms.sms"].search([("partner_id", "=", self.policyholder.id)], order="id desc", limit=1)
        return re.search(r"\b(\d{6})\b", sms.body).group(1), sms

    def _signatures(self):
        return self.env["sepa.mandate.signature"].search([("link_id", "=", self.link.id)])


@tagged("post_install", "-at_install")
class TestMandateSignedOnline(MandateCommon):
    """A debtor whose direct debit stopped signs a new mandate from its payment page with a one-time code."""

    @mute_logger("odoo.http", "werkzeug")
    def test_a_stopped_debit_comes_back_with_a_new_mandate_signed_by_sms_code(self):
        self.old_mandate.action_block("AC04 Account closed")
        page = self._page()
        self.assertIn('id="arrears_mandate_stopped"', page)
        self.assertNotIn(DEBTOR_IBAN, page, "the page never shows the account of record")

        self.assertEqual(self._ask_code(iban="FR76 3000 4000 0312 3456 7890 144"), "mandate_iban")
        self.assertEqual(self._ask_code(name="  "), "mandate_invalid")
        self.assertFalse(self._signatures(), "nothing kept from a refused request")

        self.assertEqual(self._ask_code(iban="fr76 3000 4000 0312 3456 7890 143"), "mandate_code_sent")
        signature = self._signatures()
        code, sms = self._code_sent()
        self.assertEqual(
            (signature.state, signature.kind, signature.channel, signature.destination, signature.debtor_iban),
            ("pending", "new", "sms", "+33*******78", NEW_IBAN),
        )
        self.assertEqual(sms.number, "+33612345678")
        self.assertIn(signature.mandate_reference, sms.body)
        self.assertNotIn(code, signature.sudo().code_digest, "only a digest of the code is kept")
        page = self._page()
        self.assertIn('id="arrears_mandate_code_sent"', page)
        self.assertIn("+33*******78", page)
        for shown in (signature.mandate_reference, "FR72ZZZ123456", "FR76 **** 0143", "8 weeks"):
            self.assertIn(shown, page)
        self.assertNotIn(NEW_IBAN, page, "the IBAN typed is shown masked")

        wrong = "000000" if code != "000000" else "111111"
        self.assertEqual(self._post("mandate/sign", code=wrong), "mandate_wrong")
        answer = self.url_open(f"/arrears/pay/{self.link.token}?status=mandate_wrong").text
        self.assertIn("4 attempt(s) left", answer)
        self.assertEqual(self._post("mandate/sign", code=f"{code[:3]} {code[3:]}"), "mandate_signed")

        mandate = signature.mandate_id
        self.assertNotEqual(mandate, self.old_mandate)
        self.assertEqual(
            (mandate.name, mandate.state, mandate.signature_date, mandate.debtor_iban, mandate.creditor_identifier),
            (signature.mandate_reference, "active", fields.Date.today(), NEW_IBAN, "FR72ZZZ123456"),
        )
        self.assertFalse(mandate.last_debit_date, "a new mandate: its first debit is FRST")
        self.assertEqual(self.old_mandate.state, "blocked")
        self.assertEqual((self.contract.mandate_id, self.contract.payment_method), (mandate, "sepa_dd"))
        # The evidence: the signed document and its hash, the time, the address, the channel, each try.
        document = signature.document_id
        self.assertEqual((document.res_model, document.res_id), ("sepa.mandate", mandate.id))
        self.assertEqual(signature.document_sha256, hashlib.sha256(document.raw).hexdigest())
        self.assertIn(signature.mandate_reference, document.raw.decode())
        self.assertIn("+33*******78", document.raw.decode())
        self.assertEqual(signature.ip_address, "127.0.0.1")
        self.assertEqual(signature.attempt_count, 2)
        self.assertEqual([line.rsplit(": ", 1)[1] for line in signature.attempt_log.splitlines()], ["wrong", "signed"])
        self.assertIn(signature.document_sha256, mandate.message_ids[0].body)
        copy = self.env["mail.mail"].search([("email_to", "ilike", "jeanne.dupont@example.com")], order="id desc")[:1]
        self.assertIn(signature.mandate_reference, copy.subject)
        self.assertEqual(copy.attachment_ids, document)
        self.assertIn('id="arrears_mandate_signed"', self._page())
        self.assertEqual(self._post("mandate/sign", code=code), "mandate_expired", "a code signs once")

        # The open receipts' notices predate the mandate: no batch debits them until a notice since.
        batch = self._batch(collection_date=fields.Date.today() + timedelta(days=30))
        receipts = self.case._open_receipts()
        receipts.notice_date = fields.Date.today() - timedelta(days=20)  # their notices, sent before
        self.assertEqual({batch._exclusion_reason(receipt, mandate) for receipt in receipts}, {"notice_before_mandate"})

    @mute_logger("odoo.http", "werkzeug")
    def test_what_is_owed_is_debited_too_when_the_debtor_ticks_it_at_signing(self):
        self.old_mandate.action_block("AC04 Account closed")
        january, april = self.case._open_receipts().sorted("date_due")
        (january | april).notice_date = fields.Date.to_date("2026-03-15")  # their notices, sent before
        contest = self.env["arrears.contest"]._open(self.case, april, "amount", "Not this amount.", [])
        april_noticed = april.notice_date
        self.assertEqual(self._ask_code(), "mandate_code_sent")
        page = self._page()
        self.assertIn('id="arrears_mandate_collect_open"', page)
        self.assertRegex(page, r"what I owe now:\s*<strong[^>]*>[^<]*<span[^>]*>275\.00<", "not the contested one")
        code, _sms = self._code_sent()
        self.assertEqual(self._post("mandate/sign", code=code, collect_open="1"), "mandate_signed")

        signature = self._signatures()
        mandate = signature.mandate_id
        self.assertTrue(signature.collect_open_receipts, "the choice is part of the evidence")
        self.assertEqual(signature.collected_receipt_ids, january, "not the receipt contested, awaiting an answer")
        today = fields.Date.today()
        self.assertEqual((january.notice_date, april.notice_date), (today, april_noticed))
        notice = january.message_ids.filtered(lambda m: self.policyholder in m.partner_ids)[:1]
        debit_date = january._notice_debit_date()
        self.assertGreater(debit_date, today)
        self.assertIn(mandate.name, notice.body, "the new notice announces the debit under the new mandate")
        self.assertEqual(self.case.dunning_pause, "direct_debit", "April contested, January to be debited")
        note = self.case.message_ids.filtered(lambda message: "announced for the direct debit" in (message.body or ""))
        self.assertIn(january.name, note.body)
        self.assertNotIn(april.name, note.body)
        self.assertIn('id="arrears_mandate_signed"', self._page())

        # The batch of the announced date takes it; the one before may not (the notice's period).
        self.assertFalse(self._batch(collection_date=debit_date)._exclusion_reason(january, mandate))
        self.assertEqual(
            self._batch(collection_date=today + timedelta(days=1))._exclusion_reason(january, mandate), "notice_late"
        )
        # The contest refused: the dunning still waits for January's debit.
        contest.answer = "The amount is the one of your contract."
        contest.action_refuse()
        self.assertEqual(self.case.dunning_pause, "direct_debit")

        # The batch of that date debits January; five business days later its receipt is on the page.
        batch = self._batch(collection_date=debit_date)
        batch.action_prepare()
        self.assertEqual(batch.collect_line_ids.receipt_id, january)
        batch.action_generate()
        batch.action_confirm()
        self.assertEqual((january.state, self.case.state), ("paid", "open"))
        self.assertEqual(self.case._pause_for_contests_and_debits(debit_date), self.case, "April is dunned again")
        self.assertFalse(self.case.dunning_pause)
        with freeze_time(collection.add_business_days(debit_date, collection.RETURN_BUSINESS_DAYS)):
            self.env["sepa.debit.line"]._cron_send_payment_receipts()
        debit = batch.collect_line_ids
        key = f"debit-{debit.id}"
        self.assertIn(f"/document/{key}", self._page())
        response = self.url_open(f"/arrears/pay/{self.link.token}/document/{key}")
        self.assertEqual(response.status_code, 200)
        for text in ("Payment Receipt", january.name, mandate.name, "275.00"):
            self.assertIn(text, response.text)

    def test_the_dunning_waits_for_the_debit_asked_at_signing_and_resumes_if_it_does_not_come(self):
        self.old_mandate.action_block("AC04 Account closed")
        level = self.case.dunning_step
        # As the page signs (its public user's sudo link).
        Signature = self.env["sepa.mandate.signature"].sudo()
        signature = Signature._start(self.link.sudo(), "Jeanne Dupont", NEW_IBAN, send=False)
        self.assertEqual(signature._sign(signature._new_code(), collect_open=False), "signed")
        self.assertFalse(self.case.dunning_pause, "not asked: the dunning goes on, the page's link pays")
        self.assertFalse(signature.collected_receipt_ids)

        signature = Signature._start(self.link.sudo(), "Jeanne Dupont", NEW_IBAN, send=False)
        self.assertEqual(signature._sign(signature._new_code(), collect_open=True), "signed")
        receipts = self.case._open_receipts()
        self.assertEqual(signature.collected_receipt_ids, receipts)
        self.assertEqual(self.case.dunning_pause, "direct_debit")
        today = fields.Date.today()
        debit_date = max(receipts.mapped(lambda receipt: receipt._notice_debit_date()))
        for day in (today, debit_date):
            self.assertFalse(self.case._dunning_advance(day), "no reminder for a premium its debtor has us debit")
            self.assertFalse(self.case._pause_for_contests_and_debits(day))
        # No batch took them (the accountant left them out): past the day, the ladder goes on where it stood.
        self.assertEqual(self.case._pause_for_contests_and_debits(debit_date + timedelta(days=1)), self.case)
        self.assertFalse(self.case.dunning_pause)
        self.assertEqual(self.case.dunning_step, level)

    def test_a_new_account_on_an_active_mandate_is_an_amendment_of_it(self):
        self.assertEqual(self._ask_code(), "mandate_code_sent")
        signature = self._signatures()
        self.assertEqual((signature.kind, signature.mandate_reference), ("amendment", self.old_mandate.name))
        code, _sms = self._code_sent()
        self.assertEqual(self._post("mandate/sign", code=code), "mandate_signed")
        self.assertEqual(signature.mandate_id, self.old_mandate)
        self.assertEqual(self.env["sepa.mandate"].search_count([("partner_id", "=", self.policyholder.id)]), 1)
        self.assertEqual(self.old_mandate.debtor_iban, NEW_IBAN)
        self.assertTrue(self.old_mandate.amend_new_debtor_bank, "another bank: the next debit says SMNDA")
        self.assertEqual(self.old_mandate.signature_date.isoformat(), "2025-06-01", "the mandate goes on")

    @mute_logger("odoo.http", "werkzeug")
    def test_a_code_expires_allows_five_tries_and_is_asked_anew(self):
        self._ask_code()
        first = self._signatures()
        code, _sms = self._code_sent()
        first.sudo().code_sent_at = fields.Datetime.now() - timedelta(minutes=11)
        self.assertEqual(self._post("mandate/sign", code=code), "mandate_expired")
        self.assertEqual(first.state, "expired")

        self._ask_code()
        second = self._signatures() - first
        code, _sms = self._code_sent()
        wrong = "000000" if code != "000000" else "111111"
        outcomes = [self._post("mandate/sign", code=wrong) for _try in range(5)]
        self.assertEqual(outcomes, ["mandate_wrong"] * 4 + ["mandate_too_many"])
        self.assertEqual(self._post("mandate/sign", code=code), "mandate_expired", "not even the right code now")
        self.assertEqual((second.state, second.attempt_count), ("expired", 5))
        self.assertFalse(self.env["sepa.mandate.signature"].search([("mandate_id", "!=", False)]))

        for _code in range(3):  # five codes a day per link: 2 asked above
            self.assertEqual(self._ask_code(), "mandate_code_sent")
        self.assertEqual(self._ask_code(), "mandate_too_many_codes")
        self.assertEqual(len(self._signatures()), 5)
        # Over the last 24 hours, not by calendar day: codes of 23 hours ago count, of 25 hours ago no more.
        for hours, outcome in ((23, "mandate_too_many_codes"), (2, "mandate_code_sent")):
            self.env.cr.execute(
                "UPDATE sepa_mandate_signature SET create_date = create_date - make_interval(hours => %s)"
                " WHERE id IN %s",
                [hours, tuple(self._signatures().ids)],
            )
            self.env.invalidate_all()
            self.assertEqual(self._ask_code(), outcome, f"{hours} hours more")

    @mute_logger("odoo.http", "werkzeug")
    def test_a_code_signs_only_on_its_own_link_and_never_without_the_page(self):
        other_contract = self._create_contract_in_arrears(payment_method="transfer")
        other_link = other_contract.case_ids._ensure_payment_links()
        self._ask_code()
        code, _sms = self._code_sent()
        self.assertEqual(self._post("mandate/sign", link=other_link, code=code), "mandate_expired")
        csrf_less = self.url_open(f"/arrears/pay/{self.link.token}/mandate/sign", data={"code": code})
        self.assertEqual(csrf_less.status_code, 400)
        self.assertEqual(self._signatures().state, "pending", "neither signed it")
        self.assertFalse(other_contract.mandate_id)

    @mute_logger("odoo.http", "werkzeug")
    def test_no_code_without_a_number_or_address_of_record_nor_for_a_closed_case(self):
        self.policyholder.write({"phone": False})
        self.assertEqual(self._ask_code(), "mandate_code_sent", "by e-mail where there is no mobile")
        signature = self._signatures()
        self.assertEqual((signature.channel, signature.destination), ("email", "j" + "*" * 12 + "@example.com"))
        mail = self.env["mail.mail"].search([("email_to", "ilike", "jeanne.dupont@example.com")], order="id desc")[:1]
        self.assertIn(signature.mandate_reference, mail.body_html)
        self.policyholder.write({"email": False})
        self.assertEqual(self._ask_code(), "mandate_no_contact")
        self.policyholder.write({"email": "jeanne.dupont@example.com"})
        csrf = self._page().split('name="csrf_token" value="')[1].split('"')[0]
        self.link.state = "cancelled"
        response = self.url_open(
            f"/arrears/pay/{self.link.token}/mandate", data={"csrf_token": csrf, "debtor_name": "X", "iban": NEW_IBAN}
        )
        self.assertIn("status=mandate_closed", response.url)
        self.assertEqual(len(self._signatures()), 1, "nothing asked on a revoked link")

    def test_the_mandate_and_the_code_speak_the_debtors_language(self):
        self.policyholder.lang = "fr_FR"
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["sepa_dunning"], ["fr_FR"], overwrite=True)
        page = self._page()
        self.assertIn("Payer par prélèvement", page)
        self._ask_code()
        _code, sms = self._code_sent()
        self.assertIn("votre code pour signer le mandat de prélèvement", sms.body)
        self.assertIn("En signant ce formulaire de mandat", self._page())


@tagged("post_install", "-at_install")
class TestMandateOnAPhone(PhoneBrowserMixin, MandateCommon):
    """The mandate signed in a real headless Chromium at a phone's screen size."""

    def test_sign_the_mandate_on_a_phone(self):
        self.old_mandate.action_block("AC04 Account closed")
        self.assertEqual(self._ask_code(), "mandate_code_sent")
        code, _sms = self._code_sent()
        # The page as the debtor's phone shows it with the code sent: the mandate, then the code typed.
        script = """
            (async () => {
                const fail = (message) => console.error(message);
                const details = document.querySelector("#arrears_mandate");
                if (!details || !details.open) {
                    return fail("the mandate is not shown open");
                }
                if (!document.querySelector("#arrears_mandate_text")) {
                    return fail("no mandate text to read");
                }
                if (document.documentElement.scrollWidth > window.innerWidth + 1) {
                    return fail("the mandate is wider than the phone");
                }
                const form = document.querySelector("#arrears_mandate_code").form;
                form.querySelector("#arrears_mandate_code").value = "CODE";
                const response = await fetch(form.action, {method: "POST", body: new FormData(form)});
                await showAnswer(response);
                if (!document.querySelector("#arrears_mandate_signed")) {
                    return fail("no confirmation of the mandate signed");
                }
                console.log("test successful");
            })();
        """.replace("CODE", code)
        self._run_on_a_phone(self.link.token, script, "arrears_mandate_phone.png")
        self.assertEqual(self.contract.mandate_id.state, "active")
        self.assertNotEqual(self.contract.mandate_id, self.old_mandate)
