from odoo.tests import HttpCase, tagged

from .common import PhoneBrowserMixin, PlanCommon


@tagged("post_install", "-at_install")
class TestLinkOnAPhone(PhoneBrowserMixin, PlanCommon, HttpCase):
    """The payment link page in a real headless Chromium at a phone's screen size."""

    def test_ask_for_a_plan_on_a_phone(self):
        # The script reads the page as the payer sees it, opens the plan choice, picks two
        # instalments and sends the form; the answer page replaces the document, so the
        # screenshot taken after shows the confirmation at phone size.
        code = """
            (async () => {
                const fail = (message) => console.error(message);
                if (document.documentElement.scrollWidth > window.innerWidth + 1) {
                    return fail("the page is wider than the phone: " + document.documentElement.scrollWidth);
                }
                const pay = document.querySelector("#arrears_pay_now");
                if (!pay || !pay.textContent.includes("550.00")) {
                    return fail("no pay button with the amount due");
                }
                const details = document.querySelector("#arrears_ask_plan");
                details.querySelector("summary").click();
                if (!details.open) {
                    return fail("the plan choice does not open");
                }
                const form = details.querySelector("form");
                form.querySelector("select[name=instalments]").value = "2";
                const response = await fetch(form.action, {method: "POST", body: new FormData(form)});
                await showAnswer(response);
                if (!document.querySelector("#arrears_request_granted")) {
                    return fail("no confirmation on the answer page");
                }
                if (!document.querySelector("#arrears_plan_schedule")) {
                    return fail("no schedule on the answer page");
                }
                console.log("test successful");
            })();
        """
        self._run_on_a_phone(self.link.token, code, "arrears_link_phone.png")
        request = self.case.plan_request_ids
        self.assertEqual((request.kind, request.instalment_count, request.state), ("plan", 2, "granted"))

    def test_contest_a_receipt_with_a_photo_on_a_phone(self):
        # The debtor opens the contest form, ticks its first receipt, picks "already paid", writes a
        # word and attaches a PDF through the file input itself, as the phone's picker would.
        receipt = self.case._open_receipts().sorted("date_due")[0]
        code = """
            (async () => {
                const fail = (message) => console.error(message);
                const details = document.querySelector("#arrears_contest");
                details.querySelector("summary").click();
                if (!details.open) {
                    return fail("the contest form does not open");
                }
                if (document.documentElement.scrollWidth > window.innerWidth + 1) {
                    return fail("the open form is wider than the phone");
                }
                const form = details.querySelector("form");
                form.querySelector("#arrears_contest_receipt_RECEIPT_ID").checked = true;
                form.querySelector("select[name=reason]").value = "paid";
                form.querySelector("textarea[name=note]").value = "Payé par chèque n° 1234";
                const input = form.querySelector("input[type=file]");
                const files = new DataTransfer();
                files.items.add(new File(["%PDF-1.4 cheque"], "cheque.pdf", {type: "application/pdf"}));
                input.files = files.files;
                const response = await fetch(form.action, {method: "POST", body: new FormData(form)});
                await showAnswer(response);
                if (!document.querySelector("#arrears_contest_received")) {
                    return fail("no acknowledgement on the answer page");
                }
                if (!document.querySelector("#arrears_contests")) {
                    return fail("the contest is not listed on the page");
                }
                console.log("test successful");
            })();
        """.replace("RECEIPT_ID", str(receipt.id))
        self._run_on_a_phone(self.link.token, code, "arrears_contest_phone.png")
        contest = self.case.contest_ids
        self.assertEqual((contest.receipt_ids, contest.reason, contest.state), (receipt, "paid", "pending"))
        self.assertEqual(contest.note, "Payé par chèque n° 1234")
        self.assertEqual(contest.attachment_ids.mapped("name"), ["cheque.pdf"])
        self.assertEqual(contest.attachment_ids.raw, b"%PDF-1.4 cheque")
