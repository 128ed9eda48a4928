from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.insurance_arrears.tests.common import cron_out_of_time
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..models import sepa_mandate
from .common import DEBTOR_IBAN, SepaCommon


@tagged("post_install", "-at_install")
class TestMandate(SepaCommon):
    def test_iban_bic_and_creditor_identifier_are_checked_and_compacted(self):
        mandate = self._create_mandate(debtor_iban="de89 3704 0044 0532 0130 00", debtor_bic="deutdeff")
        self.assertEqual(mandate.debtor_iban, DEBTOR_IBAN)
        self.assertEqual(mandate.debtor_bic, "DEUTDEFF")
        self.assertEqual(mandate.state, "active")

    def test_invalid_iban_is_refused_and_nothing_created(self):
        count = self.env["sepa.mandate"].search_count([])
        with self.assertRaisesRegex(ValidationError, "not a valid IBAN"):
            self._create_mandate(debtor_iban="DE89370400440532013001")
        self.assertEqual(self.env["sepa.mandate"].search_count([]), count)

    def test_creditor_identifier_with_wrong_check_digit_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "creditor identifier FR73ZZZ123456 is not valid"):
            self._create_mandate(creditor_identifier="FR73ZZZ123456")
        with self.assertRaisesRegex(ValidationError, "not valid"):
            self.company.sepa_creditor_identifier = "FR73ZZZ123456"

    def test_mandate_without_signature_date_cannot_be_activated(self):
        mandate = self._create_mandate(signature_date=False)
        with self.assertRaisesRegex(UserError, "has no signature date"):
            mandate.action_activate()
        self.assertEqual(mandate.state, "draft")

    def test_active_mandate_keeps_its_signature_date(self):
        mandate = self._create_mandate()
        with self.assertRaisesRegex(ValidationError, "needs its signature date"):
            mandate.signature_date = False

    def test_changes_of_a_used_mandate_become_a_pending_amendment(self):
        mandate = self._create_mandate()
        mandate.last_debit_date = date(2026, 1, 5)
        old_name = mandate.name
        mandate.write({"name": "UMR-NEW-1", "creditor_identifier": "DE98ZZZ09999999999"})
        # Same bank (same bank code in the IBAN): the original IBAN travels.
        mandate.debtor_iban = "DE62370400440532013001"
        amendment = mandate._amendment()
        self.assertEqual(amendment.original_mandate_id, old_name)
        self.assertEqual(amendment.original_creditor_id, "FR72ZZZ123456")
        self.assertEqual(amendment.original_iban, DEBTOR_IBAN)
        self.assertFalse(amendment.new_debtor_bank)

    def test_new_company_creditor_identifier_is_an_amendment_of_its_used_mandates(self):
        used = self._create_mandate()
        used.last_debit_date = date(2026, 1, 5)
        unused = self._create_mandate()
        self.company.sepa_creditor_identifier = "DE98ZZZ09999999999"
        self.assertEqual((used + unused).mapped("creditor_identifier"), ["DE98ZZZ09999999999"] * 2)
        self.assertEqual(used._amendment().original_creditor_id, "FR72ZZZ123456")
        self.assertIsNone(unused._amendment(), "never debited: nothing to tell the bank")

    def test_move_to_another_bank_is_smnda(self):
        mandate = self._create_mandate()
        mandate.last_debit_date = date(2026, 1, 5)
        mandate.debtor_iban = "FR7630006000011234567890189"
        amendment = mandate._amendment()
        self.assertTrue(amendment.new_debtor_bank)
        self.assertFalse(amendment.original_iban)

    def test_unused_mandate_changes_carry_no_amendment(self):
        mandate = self._create_mandate()
        mandate.name = "UMR-RENAMED"
        self.assertIsNone(mandate._amendment())

    def test_mandate_unused_for_36_months_expires(self):
        old = self._create_mandate(signature_date="2022-01-01")
        used = self._create_mandate(signature_date="2022-01-01")
        used.last_debit_date = date(2025, 1, 5)
        with freeze_time("2026-11-22"):
            self.env["sepa.mandate"]._cron_expire()
        self.assertEqual(old.state, "expired")
        self.assertEqual(used.state, "active")

    def test_contract_mandate_must_be_the_policyholder_s(self):
        other = self.env["res.partner"].create({"name": "Someone Else"})
        with self.assertRaisesRegex(ValidationError, "belongs to Someone Else"):
            self._create_debit_contract(mandate=self._create_mandate(other))

    def test_expiry_out_of_time_leaves_the_rest_to_the_next_run_and_tells_each_once(self):
        mandates = self._create_mandate(signature_date="2022-01-01") | self._create_mandate(signature_date="2022-01-01")
        expired = self.env["sepa.mandate"].search_count([("state", "=", "expired")])
        with freeze_time("2026-11-22"), patch.object(sepa_mandate, "EXPIRY_CHUNK", 1):
            with cron_out_of_time(self.env, after=1) as env:
                env["sepa.mandate"]._cron_expire()
            self.assertEqual(
                self.env["sepa.mandate"].search_count([("state", "=", "expired")]),
                expired + 1,
                "one chunk, then out of time",
            )
            self.env["sepa.mandate"]._cron_expire()
        self.assertEqual(mandates.mapped("state"), ["expired", "expired"])
        for mandate in mandates:
            self.assertEqual(len(mandate.message_ids.filtered(lambda m: "Expired" in (m.body or ""))), 1)
