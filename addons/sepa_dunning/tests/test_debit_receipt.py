import base64

from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from .common import SepaCommon, pain002


@tagged("post_install", "-at_install")
class TestDebitReceipt(SepaCommon):
    """A direct debit no bank returned in time is paid: its debtor gets a payment receipt, once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref("sepa_dunning.ir_cron_send_debit_receipts")
        cls.policyholder.write({"email": "jeanne.dupont@example.com", "lang": "en_US"})
        cls.paul = cls.env["res.partner"].create({"name": "Paul Martin"})  # no e-mail address
        cls.marie = cls.env["res.partner"].create({"name": "Marie Curie", "email": "marie@example.com"})
        cls.contracts = {
            partner: cls._create_debit_contract(partner=partner, split="quarterly")
            for partner in (cls.policyholder, cls.paul, cls.marie)
        }
        for contract in cls.contracts.values():
            cls._issue(contract)
        cls.batch = cls._confirmed_batch()  # collected on Monday 5 January 2026
        cls.debits = {line.partner_id: line for line in cls.batch.collect_line_ids}

    def _run_cron(self, day):
        with freeze_time(day), self.enter_registry_test_mode():
            self.cron.method_direct_trigger()
        self.env.invalidate_all()

    def _receipt_messages(self, partner):
        return self.contracts[partner].message_ids.filtered(
            lambda message: "Direct debit received" in (message.subject or "")
        )

    def test_the_receipt_goes_once_the_return_window_is_past_and_never_for_a_rejected_debit(self):
        jeanne = self.policyholder
        self._run_cron("2026-01-09")  # four business days: a bank may still return the debits
        self.assertFalse(any(self.batch.collect_line_ids.mapped("payment_receipt_date")))
        self.assertFalse(self._receipt_messages(jeanne))

        # Marie's bank returns hers within the window.
        returned = self.debits[self.marie]
        with freeze_time("2026-01-08"):
            record = self.env["sepa.return.import"].create(
                {
                    "file": base64.b64encode(pain002(self.batch.name, [(returned.end_to_end_id, 275.0, "AM04")])),
                    "filename": "status.xml",
                }
            )
            record.action_parse()
            record.action_confirm()
        self.assertEqual(returned.state, "rejected")

        self._run_cron("2026-01-12")  # fifth business day: collected for good
        debit = self.debits[jeanne]
        self.assertEqual(str(debit.payment_receipt_date), "2026-01-12")
        message = self._receipt_messages(jeanne)
        self.assertEqual(len(message), 1)
        self.assertEqual(message.partner_ids, jeanne)
        receipt = debit.receipt_id
        for text in ("275.00", receipt.name, debit.mandate_id.name, "01/05/2026", "continues"):
            self.assertIn(text, message.body)
        self.assertEqual(message.attachment_ids.mapped("name"), [f"Payment receipt - {debit.end_to_end_id}.html"])
        document = message.attachment_ids.raw.decode()
        for text in (
            "Payment Receipt",
            "Jeanne Dupont",
            f"SEPA direct debit, mandate {debit.mandate_id.name}",
            "275.00",
        ):
            self.assertIn(text, document)
        self.assertEqual(self.debits[self.paul].payment_receipt_date, debit.payment_receipt_date, "on the page only")
        self.assertFalse(self._receipt_messages(self.paul))
        self.assertFalse(returned.payment_receipt_date, "a debit returned is not paid")
        self.assertFalse(self._receipt_messages(self.marie))

        self._run_cron("2026-01-13")
        self.assertEqual(len(self._receipt_messages(jeanne)), 1, "one receipt per debit")

    def test_the_receipt_speaks_the_debtors_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["insurance_arrears", "sepa_dunning"], ["fr_FR"], overwrite=True
        )
        self.policyholder.lang = "fr_FR"
        self._run_cron("2026-01-12")
        message = self.contracts[self.policyholder].message_ids.filtered(
            lambda m: "Prélèvement reçu" in (m.subject or "")
        )
        self.assertEqual(len(message), 1)
        self.assertIn("est encaissé", message.body)
        document = message.attachment_ids.raw.decode()
        self.assertIn("Reçu de paiement", document)
        self.assertIn(f"prélèvement SEPA, mandat {self.debits[self.policyholder].mandate_id.name}", document)

    def test_a_job_turned_on_late_sends_no_old_receipts(self):
        self._run_cron("2026-03-01")
        self.assertFalse(any(self.batch.collect_line_ids.mapped("payment_receipt_date")))
        self.assertFalse(self._receipt_messages(self.policyholder))

    @mute_logger("odoo.addons.mail.models.mail_render_mixin", "odoo.addons.insurance_arrears.models.ir_cron")
    def test_a_receipt_that_cannot_render_leaves_the_others_to_go(self):
        self.debits[self.paul].partner_id.email = "paul@example.com"
        template = self.env.ref("sepa_dunning.mail_template_debit_receipt")
        template.body_html = (
            '<p t-if="object.partner_id.name == \'Paul Martin\'" t-out="object.no_such_field"/><p>Thank you.</p>'
        )
        self._run_cron("2026-01-12")
        self.assertTrue(self._receipt_messages(self.policyholder))
        self.assertFalse(self.debits[self.paul].payment_receipt_date, "tried again at the next run")
