from datetime import date

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import InsuranceArrearsCommon


@tagged("post_install", "-at_install")
class TestInsurerStatement(InsuranceArrearsCommon):
    def _collected_receipts(self):
        contract = self._create_contract(split="quarterly")
        receipts = contract._generate_receipts(until=date(2026, 12, 31)).sorted("period_start")
        receipts[:2]._register_payments(self.bank_journal, date=date(2026, 4, 2))
        return receipts

    def _statement(self, date_to="2026-06-30"):
        return self.env["insurance.insurer.statement"].create(
            {
                "insurer_id": self.insurer.id,
                "date_from": "2026-01-01",
                "date_to": date_to,
                "journal_id": self.bank_journal.id,
            }
        )

    def test_statement_takes_collected_receipts_and_pays_the_net(self):
        receipts = self._collected_receipts()
        statement = self._statement()
        statement.action_compute()
        self.assertEqual(statement.receipt_ids, receipts[:2])
        self.assertEqual(statement.amount_premium, 550.0)
        self.assertEqual(statement.amount_commission, 75.0)
        self.assertEqual(statement.amount_due, 475.0)
        statement.action_confirm()
        statement.action_pay()
        self.assertEqual(statement.state, "paid")
        payment = statement.payment_id
        self.assertEqual((payment.partner_id, payment.amount, payment.payment_type), (self.insurer, 475.0, "outbound"))
        # The insurer's third-party account is settled for these receipts.
        insurer_lines = statement.receipt_ids._insurer_lines()
        self.assertTrue(all(insurer_lines.mapped("reconciled")))
        pay_line = payment.move_id.line_ids.filtered(lambda line: line.account_id == self.insurer_account)
        self.assertEqual((pay_line.debit, pay_line.partner_id), (475.0, self.insurer))
        balance = sum(
            self.env["account.move.line"]
            .search(
                [
                    ("account_id", "=", self.insurer_account.id),
                    ("parent_state", "=", "posted"),
                    ("move_id", "in", (statement.receipt_ids.move_id | payment.move_id).ids),
                ]
            )
            .mapped("balance")
        )
        self.assertAlmostEqual(balance, 0.0)

    def test_the_statement_goes_to_the_insurer_with_its_payment_as_pdf_and_csv(self):
        self.insurer.write({"email": "bordereaux@assureur-mutuel.example", "lang": "en_US"})
        receipts = self._collected_receipts()
        receipts[0].insurer_reference = "AM-Q-0001"
        statement = self._statement()
        statement.action_compute()
        statement.action_confirm()
        statement.action_pay()
        message = statement.message_ids.filtered(lambda m: m.subject and statement.name in m.subject)
        self.assertEqual(len(message), 1)
        self.assertEqual(message.partner_ids, self.insurer)
        for text in (statement.name, "550.00", "75.00", "475.00"):
            self.assertIn(text, message.body)
        csv_name = f"{statement.name.replace('/', '-')}.csv"
        self.assertEqual(
            sorted(message.attachment_ids.mapped("name")), sorted([f"Statement - {statement.name}.html", csv_name])
        )
        rows = message.attachment_ids.filtered(lambda a: a.name == csv_name).raw.decode().splitlines()
        self.assertEqual(
            rows[0], "receipt;insurer_receipt;policy;contract;period_start;period_end;premium;commission;net"
        )
        first, second = receipts[:2]
        self.assertEqual(
            rows[1:],
            [
                f"{first.name};AM-Q-0001;;{first.contract_id.name};2026-01-01;2026-03-31;275.00;37.50;237.50",
                f"{second.name};;;{second.contract_id.name};2026-04-01;2026-06-30;275.00;37.50;237.50",
            ],
        )
        statement.action_send()
        self.assertEqual(len(statement.message_ids.filtered(lambda m: m.subject and statement.name in m.subject)), 2)
        self.insurer.email = False
        with self.assertRaisesRegex(UserError, "no e-mail address"):
            statement.action_send()

    def test_unpaid_and_already_stated_receipts_are_left_out(self):
        receipts = self._collected_receipts()
        first = self._statement(date_to="2026-12-31")
        first.action_compute()
        self.assertEqual(first.receipt_ids, receipts[:2], "unpaid receipts are not collected yet")
        second = self._statement(date_to="2026-12-31")
        second.action_compute()
        self.assertFalse(second.receipt_ids)
        with self.assertRaisesRegex(UserError, "no collected receipt"):
            second.action_confirm()

    def test_statement_cannot_be_paid_before_confirmation(self):
        self._collected_receipts()
        statement = self._statement(date_to="2026-12-31")
        statement.action_compute()
        with self.assertRaisesRegex(UserError, "Confirm statement"):
            statement.action_pay()
        self.assertFalse(statement.payment_id)
