from datetime import date

from odoo.addons.insurance_arrears.tests.common import InsuranceArrearsCommon

CREDITOR_ID = "FR72ZZZ123456"
CREDITOR_IBAN = "FR7630006000011234567890189"
DEBTOR_IBAN = "DE89370400440532013000"


def use_l113_3_policy(cls):
    """Make the shipped L113-3 policy the company's; the policyholder reads English and has a mobile."""
    cls.policy = cls.env.ref("sepa_dunning.dunning_policy_l113_3")
    cls.levels = cls.policy.level_ids.sorted("sequence")
    cls.company.dunning_policy_id = cls.policy
    cls.policyholder.phone = "+33612345678"
    cls.policyholder.lang = "en_US"


class SepaCommon(InsuranceArrearsCommon):
    """A company with a creditor identifier and a bank account, mandates on demand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sepa_creditor_identifier = CREDITOR_ID
        cls.company.partner_id.country_id = cls.env.ref("base.fr")
        cls.creditor_account = cls.env["res.partner.bank"].create(
            {
                "acc_number": CREDITOR_IBAN,
                "partner_id": cls.company.partner_id.id,
                "bank_id": cls.env["res.bank"].create({"name": "Crédit Test", "bic": "AGRIFRPP"}).id,
            }
        )
        cls.bank_journal.bank_account_id = cls.creditor_account
        cls.policyholder.country_id = cls.env.ref("base.fr")

    @classmethod
    def _create_mandate(cls, partner=None, **values):
        vals = {
            "name": f"UMR-{cls.env['sepa.mandate'].search_count([]) + 1:05d}",
            "partner_id": (partner or cls.policyholder).id,
            "debtor_iban": DEBTOR_IBAN,
            "debtor_bic": "DEUTDEFF",
            "signature_date": "2025-06-01",
            "creditor_identifier": CREDITOR_ID,
        }
        vals.update(values)
        mandate = cls.env["sepa.mandate"].create(vals)
        if mandate.signature_date:
            mandate.action_activate()
        return mandate

    @classmethod
    def _create_debit_contract(cls, mandate=None, partner=None, **values):
        partner = partner or cls.policyholder
        mandate = mandate if mandate is not None else cls._create_mandate(partner)
        return cls._create_contract(partner_id=partner.id, payment_method="sepa_dd", mandate_id=mandate.id, **values)

    def _issue(self, contract, until=date(2026, 1, 1), notice_date=date(2025, 12, 1)):
        receipts = contract._generate_receipts(until=until)
        receipts.notice_date = notice_date
        return receipts

    def _batch(self, collection_date=date(2026, 1, 5), **values):
        return self.env["sepa.debit.batch"].create(
            {
                "journal_id": self.bank_journal.id,
                "collection_date": collection_date,
                **values,
            }
        )
