from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .. import uploads
from .common import PaymentLinkCommon

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@tagged("post_install", "-at_install")
class TestContest(PaymentLinkCommon, HttpCase):
    """A debtor contests receipts from the payment page; an accountant answers from the case."""

    def _page(self):
        return self.url_open(f"/arrears/pay/{self.link.token}").text

    def _csrf(self):
        return self._page().split('name="csrf_token" value="')[1].split('"')[0]

    def _contest(self, receipts=None, reason="paid", note="Payé par virement le 3 mars", files=(), **extra):
        data = {"csrf_token": self._csrf(), "reason": reason, "note": note, **extra}
        if receipts is not None:
            data["receipt_ids"] = [str(receipt_id) for receipt_id in receipts]
        response = self.url_open(
            f"/arrears/pay/{self.link.token}/contest",
            data=data,
            files=[("files", file) for file in files] or None,
        )
        self.assertEqual(response.status_code, 200)
        return response.url.rsplit("status=", 1)[-1] if "status=" in response.url else None

    def _nothing_recorded(self):
        self.assertFalse(self.case.contest_ids)
        attachments = self.env["ir.attachment"].search(
            [
                "|",
                "&",
                ("res_model", "=", "arrears.case"),
                ("res_id", "=", self.case.id),
                ("res_model", "=", "mail.compose.message"),
            ]
        )
        self.assertFalse(attachments, "no file kept")

    def test_a_contest_from_the_page_keeps_its_files_with_the_case_and_asks_an_accountant(self):
        page = self._page()
        self.assertIn('id="arrears_contest"', page)
        self.assertIn('enctype="multipart/form-data"', page)
        for receipt in self.receipts:
            self.assertIn(f'id="arrears_contest_receipt_{receipt.id}"', page)
        status = self._contest(
            self.receipts[:1].ids, files=[("relevé.pdf", PDF, "application/pdf"), ("photo.jpeg", PNG, "image/jpeg")]
        )
        self.assertEqual(status, "contest_received")
        contest = self.case.contest_ids
        self.assertEqual(len(contest), 1)
        self.assertEqual(
            (contest.receipt_ids, contest.reason, contest.note, contest.state),
            (self.receipts[0], "paid", "Payé par virement le 3 mars", "pending"),
        )
        files = contest.attachment_ids.sorted("name")
        self.assertEqual(files.mapped("name"), ["photo.png", "relevé.pdf"], "named after what they hold")
        self.assertEqual(files.mapped("mimetype"), ["image/png", "application/pdf"])
        self.assertEqual(files.mapped("raw"), [PNG, PDF])
        self.assertEqual(set(files.mapped("res_model")), {"arrears.case"})
        self.assertEqual(set(files.mapped("res_id")), {self.case.id})
        self.assertFalse(any(files.mapped("public")), "never public")
        with mute_logger("odoo.http", "werkzeug"):
            self.assertNotEqual(self.url_open(f"/web/content/{files[0].id}").status_code, 200, "not for the public")

        activity = contest.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.case.user_id or self.env.ref("base.user_admin"))
        self.assertIn(self.receipts[0].name, activity.note)
        note = self.case.message_ids.filtered(lambda m: "Receipts contested" in (m.body or ""))
        self.assertIn(self.receipts[0].name, note.body)
        self.assertIn("Already paid", note.body)
        self.assertEqual(note.attachment_ids, contest.attachment_ids)
        acknowledgement = contest.message_ids.filtered(lambda m: self.policyholder in m.partner_ids)
        self.assertEqual(len(acknowledgement), 1, "the debtor is told its contest was received")
        self.assertIn("We have received your contest", acknowledgement.body)
        self.assertIn(self.receipts[0].name, acknowledgement.body)
        self.assertIn(self.link.url, acknowledgement.body)

        page = self._page()
        self.assertIn('id="arrears_contests"', page)
        self.assertIn("Awaiting Answer", page)
        self.assertNotIn(f'id="arrears_contest_receipt_{self.receipts[0].id}"', page, "not contested twice")
        self.assertIn(f'id="arrears_contest_receipt_{self.receipts[1].id}"', page)

    @mute_logger("odoo.http", "werkzeug")
    def test_files_are_checked_by_what_they_hold_and_a_refused_one_keeps_nothing(self):
        receipts = self.receipts[:1].ids
        program = b"MZ\x90\x00" + b"\x00" * 60
        self.assertEqual(self._contest(receipts, files=[("releve.pdf", program, "application/pdf")]), "contest_type")
        self.assertEqual(
            self._contest(receipts, files=[("page.html", b"<html><script>alert(1)</script>", "text/html")]),
            "contest_type",
        )
        large = PDF + b"0" * uploads.MAX_BYTES
        self.assertEqual(self._contest(receipts, files=[("scan.pdf", large, "application/pdf")]), "contest_too_large")
        four = [(f"p{i}.pdf", PDF, "application/pdf") for i in range(uploads.MAX_FILES + 1)]
        self.assertEqual(self._contest(receipts, files=four), "contest_too_many")
        self._nothing_recorded()
        self.assertIn(
            'id="arrears_contest_type"', self.url_open(f"/arrears/pay/{self.link.token}?status=contest_type").text
        )

    @mute_logger("odoo.http", "werkzeug")
    def test_a_forged_post_for_another_case_or_without_reason_records_nothing(self):
        other = self._create_contract_in_arrears(partner_id=self.env["res.partner"].create({"name": "Autre"}).id)
        paid = self.receipts[0]
        paid._register_payments(self.bank_journal)
        for receipts, reason in (
            (other.receipt_ids[:1].ids, "paid"),  # another debtor's receipt
            ([self.receipts[1].id, other.receipt_ids[0].id], "paid"),  # one of ours, one not
            (paid.ids, "paid"),  # paid: no longer open
            ([999999999], "paid"),
            ([], "paid"),
            (None, "paid"),
            (self.receipts[1:].ids, "ransom"),
            (self.receipts[1:].ids, ""),
        ):
            self.assertEqual(self._contest(receipts, reason=reason), "contest_invalid", (receipts, reason))
        self.assertEqual(self._contest(None, receipt_ids="abc"), "contest_invalid")
        self._nothing_recorded()
        self.assertFalse(other.case_ids.contest_ids)

        csrf_less = self.url_open(
            f"/arrears/pay/{self.link.token}/contest", data={"receipt_ids": str(self.receipts[1].id), "reason": "paid"}
        )
        self.assertEqual(csrf_less.status_code, 400, "no contest without the page's CSRF token")
        self._nothing_recorded()

    @mute_logger("odoo.http", "werkzeug")
    def test_a_receipt_awaiting_an_answer_is_not_contested_again_nor_from_a_closed_link(self):
        self.assertEqual(self._contest(self.receipts.ids), "contest_received")
        self.assertEqual(self._contest(self.receipts[1:].ids, reason="amount"), "contest_pending")
        self.assertEqual(len(self.case.contest_ids), 1)
        contest = self.case.contest_ids
        contest.answer = "Nous n'avons reçu aucun virement."
        contest.action_refuse()
        self.assertEqual(self._contest(self.receipts[1:].ids, reason="amount"), "contest_received", "answered: again")
        self.assertEqual(len(self.case.contest_ids), 2)

        csrf = self._csrf()
        token = self.link.token
        self.case.action_new_payment_link()
        response = self.url_open(
            f"/arrears/pay/{token}/contest",
            data={"csrf_token": csrf, "receipt_ids": str(self.receipts[0].id), "reason": "paid"},
        )
        self.assertEqual(response.status_code, 404, "a revoked link takes nothing")
        self.assertEqual(len(self.case.contest_ids), 2)

    @mute_logger("odoo.http", "werkzeug")
    def test_the_page_asks_for_what_is_not_contested_and_the_payment_settles_that(self):
        january, april = self.receipts
        self.assertEqual(self._contest(january.ids), "contest_received")
        self.assertEqual((self.case.amount_due, self.case.amount_contested), (550.0, 275.0))
        page = self._page()
        self.assertRegex(page, rf"{january.name}\s*<span[^>]*>contested</span>")
        self.assertNotRegex(page, rf"{april.name}\s*<span[^>]*>contested</span>")
        self.assertIn('id="arrears_amount_contested"', page)
        self.assertRegex(page, r"Total due now</td>\s*<td[^>]*>[^<]*<span[^>]*>275\.00<")
        self.assertRegex(page, r"Pay\s*[^<]*<span[^>]*>275\.00</span>\s*now")

        # Paid as the page asks (the demo provider): April is settled, not January, the oldest but contested.
        csrf = self._csrf()
        self.url_open(f"/arrears/pay/{self.link.token}/checkout", data={"csrf_token": csrf})
        self.url_open(f"/arrears/pay/{self.link.token}/demo/success", data={"csrf_token": csrf})
        self.assertEqual(self.link.amount_paid, 275.0)
        self.assertEqual((january.amount_residual, april.amount_residual), (275.0, 0.0))
        self.assertFalse(self.link.overpaid)
        self.assertEqual((self.case.state, self.case.amount_contested), ("open", 275.0))
        page = self._page()
        self.assertIn('id="arrears_all_contested"', page, "nothing to pay while January awaits our answer")
        self.assertRegex(page, r'id="arrears_pay_now"\s+disabled=')
        with self.assertRaisesRegex(UserError, "awaits our answer to your contest"):
            self.link._check_checkout()

    def test_a_payment_of_more_than_asked_settles_the_contested_receipt_with_the_rest(self):
        january, april = self.receipts
        self.link._contest(april.ids, "amount")
        self.link._register_payment(550.0)
        self.assertEqual((january.amount_residual, april.amount_residual), (0.0, 0.0))
        self.assertFalse(self.link.overpaid, "nothing left as a credit while a receipt was open")

    def test_a_refusal_needs_the_answer_the_debtor_reads_on_the_page_and_by_email(self):
        self._contest(self.receipts[:1].ids)
        contest = self.case.contest_ids
        with self.assertRaises(UserError):
            contest.action_refuse()
        contest.answer = "Votre virement du 3 mars a réglé le reçu précédent."
        contest.action_refuse()
        self.assertEqual(contest.state, "refused")
        self.assertTrue(contest.date_answered)
        self.assertFalse(contest.activity_ids, "the accountant's activity is done")
        answer = contest.message_ids.filtered(
            lambda m: self.policyholder in m.partner_ids and "cannot accept" in (m.body or "")
        )
        self.assertEqual(len(answer), 1)
        self.assertIn("Votre virement du 3 mars", answer.body)
        self.assertIn("The amounts remain due", answer.body)
        page = self._page()
        self.assertIn("Votre virement du 3 mars", page)
        self.assertIn("Refused", page)
        self.assertEqual(self.case.amount_due, 550.0, "nothing changed in the books")
        with self.assertRaises(UserError):
            contest.action_accept()

    def test_accepted_with_cancellation_credits_the_receipts_and_closes_the_case(self):
        self._contest(self.receipts.ids, reason="terminated", note="Résilié au 31 décembre")
        contest = self.case.contest_ids
        moves = self.receipts.move_id
        contest.answer = "Le contrat est bien résilié : les reçus sont annulés."
        contest.action_accept_cancel()
        self.assertEqual(contest.state, "accepted")
        self.assertTrue(all(self.receipts.mapped("cancelled")))
        credit_notes = self.env["account.move"].search([("reversed_entry_id", "in", moves.ids)])
        self.assertEqual(len(credit_notes), 2)
        self.assertEqual(sorted(credit_notes.mapped("amount_total")), sorted(moves.mapped("amount_total")))
        self.assertEqual(set(moves.mapped("payment_state")), {"reversed"})
        self.assertEqual(self.case.state, "closed", "nothing is due any more")
        answer = contest.message_ids.filtered(
            lambda m: self.policyholder in m.partner_ids and "is accepted" in (m.body or "")
        )
        self.assertEqual(len(answer), 1)
        self.assertIn("les reçus sont annulés", answer.body)

    def test_the_page_and_the_email_speak_the_debtors_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["insurance_arrears"], ["fr_FR"], overwrite=True)
        self.policyholder.lang = "fr_FR"
        page = self._page()
        self.assertIn("Contester une quittance", page)
        self.assertIn("Déjà payé", page)
        self._contest(self.receipts[:1].ids)
        acknowledgement = self.case.contest_ids.message_ids.filtered(lambda m: self.policyholder in m.partner_ids)
        self.assertIn("Nous avons bien reçu votre contestation", acknowledgement.body)
