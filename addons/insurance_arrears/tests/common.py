import base64
import contextlib
import logging
from datetime import date
from pathlib import Path
from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user
from odoo.tests.common import ChromeBrowser, get_db_name
from odoo.tools import config


@contextlib.contextmanager
def cron_out_of_time(env, after):
    """Run the block as a cron job whose time runs out once ``after`` items are processed.

    ``ir.cron._commit_progress`` is replaced: it counts what the job says it
    processed and commits nothing (the test's transaction stays whole).
    """
    done = {"items": 0}

    def commit_progress(cron, processed=0, *, remaining=None, deactivate=False):
        done["items"] += processed
        return 0 if done["items"] >= after else 60.0

    job = env["ir.cron"].search([], limit=1)  # any job: the crons only ask whether they run in one
    with patch.object(type(env["ir.cron"]), "_commit_progress", commit_progress):
        yield env(context=dict(env.context, cron_id=job.id))


_logger = logging.getLogger(__name__)


class PhoneBrowserMixin:
    """A payment link's page in a real headless Chromium at a phone's screen size (with HttpCase)."""

    browser_size = "390,844"  # a common phone, in CSS pixels
    touch_enabled = True

    # For the scripts: ``await showAnswer(response)`` puts the page a form's POST answered in place
    # of the document, as a browser would show it, but without running its scripts again (through
    # document.write they ran a second time and sometimes failed after the test had ended).
    SHOW_ANSWER = """
        const showAnswer = async (response) => {
            const answer = new DOMParser().parseFromString(await response.text(), "text/html");
            answer.querySelectorAll("script").forEach((script) => script.remove());
            document.documentElement.replaceWith(document.adoptNode(answer.documentElement));
        };
    """

    def _run_on_a_phone(self, token, code, screenshot):
        """Run ``code`` on the page of the link of ``token``; save the page as it ends as ``screenshot``.

        ``code`` may call ``showAnswer`` (see SHOW_ANSWER).
        """
        code = self.SHOW_ANSWER + code
        shots = []
        wait_code_ok = ChromeBrowser._wait_code_ok

        def wait_then_shoot(browser, *args, **kwargs):
            result = wait_code_ok(browser, *args, **kwargs)
            shot = browser._websocket_request("Page.captureScreenshot", params={"format": "png"})
            shots.append(base64.b64decode(shot["data"]))
            return result

        with patch.object(ChromeBrowser, "_wait_code_ok", wait_then_shoot):
            self.browser_js(f"/arrears/pay/{token}", code, ready="document.readyState === 'complete'")
        self.assertEqual(len(shots), 1)
        self.assertTrue(shots[0].startswith(b"\x89PNG"), "a screenshot of the page at phone size")
        path = Path(config["screenshots"]) / get_db_name() / screenshot
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(shots[0])
        _logger.info("Payment link page at phone size: %s", path)


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

    @classmethod
    def _create_quarterly_contract(cls, until=date(2026, 4, 1), **values):
        """A quarterly contract with its receipts due up to ``until`` issued and posted.

        With the default ``until``: the receipts of January and April, 275.00 each.
        """
        contract = cls._create_contract(**{"split": "quarterly", **values})
        contract._generate_receipts(until=until)
        return contract

    @classmethod
    def _create_contract_in_arrears(cls, on="2026-04-20", until=date(2026, 4, 1), **values):
        """A quarterly contract whose receipts due up to ``until`` are unpaid on day ``on``, its case opened.

        The receipts are issued and the cases synchronised on ``on``, as the crons of that
        day do. With the defaults: January's and April's receipts, 550.00 due on 20 April 2026.
        """
        contract = cls._create_contract(**{"split": "quarterly", **values})
        with freeze_time(on):
            contract._generate_receipts(until=until)
            cls.env["arrears.case"]._cron_sync()
        return contract

    def _lines_by_account(self, move):
        """{account: (debit, credit, partner)} of a move, as an accountant reads it."""
        return {line.account_id: (line.debit, line.credit, line.partner_id) for line in move.line_ids}


class PaymentLinkCommon(InsuranceArrearsCommon):
    """A case of 550.00 in arrears (two quarterly receipts) with its payment link, the demo provider on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The demo provider takes the links' payments where a person turned it on.
        cls.company.arrears_demo_payment = True
        cls.contract = cls._create_contract_in_arrears()
        cls.receipts = cls.contract.receipt_ids.sorted("period_start")
        cls.case = cls.contract.case_ids
        cls.link = cls.case._ensure_payment_links()

    def _receivable_lines(self, payment):
        return payment.move_id.line_ids.filtered(lambda line: line.account_id == self.receivable_account)


class PlanCommon(PaymentLinkCommon):
    """An open case of 550.00 (two quarterly receipts) with its link, and the company's rule."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["arrears.plan.rule"].search([]).unlink()
        cls.rule = cls.env["arrears.plan.rule"].create(
            {"name": "Standard", "max_amount": 1000.0, "max_delay_days": 30, "max_instalments": 3, "spacing_days": 30}
        )


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


class CompanyRulesCommon(InsuranceArrearsCommon):
    """Two brokers in one database: an arrears manager in each, who works in its own only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Courtier B")["company"]
        cls.manager_a = new_test_user(
            cls.env,
            login="manager_company_a",
            groups="insurance_arrears.group_arrears_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.manager_b = new_test_user(
            cls.env,
            login="manager_company_b",
            groups="insurance_arrears.group_arrears_manager",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
        )

    def _as(self, user, records):
        """The records as the user opens them: its own companies, no sudo."""
        return records.with_user(user).with_context(allowed_company_ids=user.company_ids.ids)

    def assertHiddenFromOtherCompany(self, records, fields=("display_name",)):
        """Company A's user reads the records; company B's user neither finds nor reads them."""
        self.assertTrue(records, "nothing to hide: the test built no record")
        self.assertEqual(self._as(self.manager_a, records).read(list(fields))[0]["id"], records[0].id)
        outsider = self._as(self.manager_b, records.browse())
        self.assertFalse(outsider.search([("id", "in", records.ids)]))
        with self.assertRaises(AccessError):
            self._as(self.manager_b, records).read(list(fields))

    def assertSharedWithOtherCompany(self, records):
        """A record of no company is company B's too: found and read."""
        self.assertFalse(records.company_id)
        outsider = self._as(self.manager_b, records)
        self.assertEqual(outsider.search([("id", "in", records.ids)]), outsider)
        outsider.read(["display_name"])
