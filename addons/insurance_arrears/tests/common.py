from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.fields import Command


class InsuranceArrearsCommon(AccountTestInvoicingCommon):
    """One company with its chart, two insurers, an introducer and a product line."""

    @classmethod
    def get_default_groups(cls):
        # The tests run as an arrears manager, not as superuser: access rights count.
        return super().get_default_groups() | cls.env.ref("insurance_arrears.group_arrears_manager")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.insurance_orias_number = "07001234"
        cls.company.insurance_legal_mentions = "Courtier en assurances, garantie financière ABC"
        cls.company._insurance_ensure_accounting()
        cls.insurer_account = cls.company.insurance_insurer_account_id
        cls.commission_account = cls.company.insurance_commission_account_id
        cls.receivable_account = cls.company_data["default_account_receivable"]
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.insurer = cls._create_insurer("Assureur Mutuel", rate=15.0)
        cls.insurer_direct = cls._create_insurer("Assureur Direct", rate=10.0, collects=False)
        cls.introducer = cls.env["res.partner"].create({"name": "Apporteur Martin", "is_introducer": True})
        cls.product_line = cls.env["insurance.product.line"].create({"name": "Auto", "code": "AUTO"})
        cls.policyholder = cls.env["res.partner"].create(
            {
                "name": "Jeanne Dupont",
                "email": "jeanne.dupont@example.com",
                "street": "12 rue de la Paix",
                "zip": "75002",
                "city": "Paris",
            }
        )

    @classmethod
    def _create_insurer(cls, name, rate=15.0, collects=True):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "is_insurer": True,
                "insurer_commission_rate": rate,
                "insurer_collection_mandate": collects,
            }
        )

    @classmethod
    def _create_contract(cls, **values):
        vals = {
            "name": f"CNT-{cls.env['insurance.contract'].search_count([]) + 1:05d}",
            "partner_id": cls.policyholder.id,
            "insurer_id": cls.insurer.id,
            "introducer_id": cls.introducer.id,
            "product_line_id": cls.product_line.id,
            "date_start": "2026-01-01",
            "split": "quarterly",
            "payment_method": "transfer",
            "premium_net": 1000.0,
            "premium_tax": 90.0,
            "premium_fee": 10.0,
            "state": "active",
        }
        vals.update(values)
        return cls.env["insurance.contract"].create(vals)

    def _lines_by_account(self, move):
        """{account: (debit, credit, partner)} of a move, as an accountant reads it."""
        return {line.account_id: (line.debit, line.credit, line.partner_id) for line in move.line_ids}


class PartnerApiCommon(InsuranceArrearsCommon):
    """Helpers for the partner web service: its users and their keys."""

    @classmethod
    def _partner_user(cls, login, partner):
        return (
            cls.env["res.users"]
            .sudo()
            .create(
                {
                    "login": login,
                    "partner_id": partner.id,
                    "group_ids": [
                        Command.set(
                            [
                                cls.env.ref("base.group_portal").id,
                                cls.env.ref("insurance_arrears.group_arrears_partner_api").id,
                            ]
                        )
                    ],
                }
            )
        )

    @classmethod
    def _partner_key(cls, user, name="extranet"):
        """A key as the manager's wizard issues it (scoped to the partner web service)."""
        wizard = cls.env["arrears.api.key.wizard"].create({"user_id": user.id, "name": name})
        wizard.action_generate()
        return wizard.key
