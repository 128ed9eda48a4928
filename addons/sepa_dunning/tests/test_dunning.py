import json
from datetime import date

import psycopg2
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestDunningLadder(DunningCommon):
    def test_shipped_policy_follows_l113_3(self):
        self.assertEqual(
            self.levels.mapped("stage"),
            ["reminder", "reminder", "formal_notice", "suspended", "terminated", "collection"],
        )
        self.assertEqual(self.levels[3].delay, 31, "30 full days after the formal notice")
        self.assertEqual(self.levels[3].action, "suspend")
        self.assertEqual(self.levels[4].delay, 10)
        self.assertEqual(self.levels[4].action, "terminate")

    def test_ladder_reaches_each_level_on_its_date(self):
        self._run("2026-01-05")
        case = self.case
        self.assertEqual(case.dunning_level_id, self.levels[0])
        self.assertEqual(case.stage, "reminder")
        self.assertEqual(sorted(self._notices(self.levels[0]).mapped("channel")), ["email", "sms"])
        self.assertEqual(case.dunning_next_date, date(2026, 1, 15))

        self._run("2026-01-14")
        self.assertEqual(case.dunning_level_id, self.levels[0], "not due yet")

        self._run("2026-01-15")
        self.assertEqual(case.dunning_level_id, self.levels[1])
        self.assertEqual(sorted(self._notices(self.levels[1]).mapped("channel")), ["email", "phone", "sms"])
        self.assertEqual(case.activity_ids.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        # 25 January 2026 is a Sunday: the formal notice waits for Monday.
        self.assertEqual(case.dunning_next_date, date(2026, 1, 26))

        self._run("2026-01-26")
        formal = self._notices(self.levels[2])
        self.assertEqual(case.stage, "formal_notice")
        self.assertEqual(sorted(formal.mapped("channel")), ["email", "letter"])
        letter = formal.filtered(lambda n: n.channel == "letter")
        self.assertTrue(letter.to_post)
        self.assertEqual(letter.state, "queued", "a letter waits to be printed")
        self.assertEqual((letter.suspension_date, letter.termination_date), (date(2026, 2, 26), date(2026, 3, 8)))
        self.assertEqual(case.dunning_next_date, date(2026, 2, 26))

    def test_suspension_and_termination_act_on_the_contract(self):
        for day in ("2026-01-05", "2026-01-15", "2026-01-26", "2026-02-26"):
            self._run(day)
        self.assertEqual(self.case.stage, "suspended")
        self.assertEqual(self.contract.state, "suspended")
        self.assertEqual(self.contract.date_suspended, date(2026, 2, 26))
        # The insurer learns it from its statement.
        statement = self.env["insurance.insurer.statement"].create(
            {"insurer_id": self.insurer.id, "date_from": "2026-02-01", "date_to": "2026-02-28"}
        )
        self.assertEqual(statement._non_payment_contracts(), self.contract)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("insurance_arrears.report_insurer_statement", statement.ids)[0]
            .decode()
        )
        self.assertIn("Cover stopped for non-payment", html)
        self.assertIn(self.contract.name, html)
        self._run("2026-03-08")
        self.assertEqual(self.contract.state, "terminated")
        self.assertEqual(self.contract.termination_reason, "non_payment")
        self.assertEqual(self.contract.date_terminated, date(2026, 3, 8))

    def test_payment_after_suspension_reinstates_the_cover(self):
        for day in ("2026-01-05", "2026-01-15", "2026-01-26", "2026-02-26"):
            self._run(day)
        case = self.case
        with freeze_time("2026-03-01"):
            self.receipts.filtered(lambda r: r.state == "open")._register_payments(self.bank_journal)
        self.assertEqual(case.state, "closed")
        self.assertEqual(self.contract.state, "active")

    def test_hand_over_exports_only_what_the_agency_needs(self):
        self.levels[0].fee_amount = 10.0
        for day in ("2026-01-05", "2026-01-15", "2026-01-26", "2026-02-26", "2026-03-08", "2026-03-23"):
            self._run(day)
        case = self.case
        self.assertEqual(case.stage, "collection")
        attachment = self.env["ir.attachment"].search([("res_model", "=", "arrears.case"), ("res_id", "=", case.id)])
        self.assertEqual(len(attachment), 1)
        export = json.loads(attachment.raw)
        self.assertEqual(export["contract"], self.contract.name)
        self.assertEqual(export["debtor"]["city"], "Paris")
        # The termination cancelled the April receipt: only January is owed.
        self.assertEqual(self.receipts[1].state, "cancel")
        self.assertEqual([r["number"] for r in export["receipts"]], [self.receipts[0].name])
        fee = case.fee_line_ids
        self.assertEqual(
            export["fees"],
            [{"entry": fee.move_id.name, "label": fee.name, "date": "2026-01-05", "amount_due": 10.0}],
        )
        self.assertEqual(export["amount_due"], 285.0)
        text = attachment.raw.decode()
        for private in ("jeanne.dupont@example.com", "+33612345678", "IBAN", "mandate"):
            self.assertNotIn(private, text)
        self.assertIn("collection agency", case.activity_ids.mapped("summary")[-1])
        self.assertFalse(case.dunning_next_date, "the ladder is finished")

    def test_replayed_run_sends_nothing_twice(self):
        self._run("2026-01-05")
        self._run("2026-01-05")
        self._run("2026-01-06")
        self.assertEqual(len(self._notices()), 2)
        mails = self.env["mail.mail"].search([("model", "=", "arrears.case"), ("res_id", "=", self.case.id)])
        self.assertEqual(len(mails), 1)

    @mute_logger("odoo.sql_db")
    def test_a_level_cannot_be_noticed_twice_on_a_channel(self):
        self._run("2026-01-05")
        with self.assertRaises(psycopg2.IntegrityError), self.env.cr.savepoint():
            self.env["dunning.notice"].create(
                {"case_id": self.case.id, "level_id": self.levels[0].id, "channel": "email"}
            )

    def test_payment_between_two_levels_stops_the_ladder(self):
        self._run("2026-01-05")
        case = self.case
        with freeze_time("2026-01-10"):
            case.payment_link_id._register_payment(case.amount_due, journal=self.bank_journal)
        self.assertEqual(case.state, "closed")
        self.assertFalse(case.dunning_next_date)
        self._run("2026-01-15")
        self.assertEqual(len(case.notice_ids), 2, "no second reminder after payment")

    def test_dispute_and_plan_pause_then_resume_at_the_same_level(self):
        self._run("2026-01-05")
        case = self.case
        case.action_dunning_pause("dispute", note="Client disputes the January premium")
        self.assertFalse(case.dunning_next_date)
        self._run("2026-01-20")
        self.assertEqual(case.dunning_level_id, self.levels[0])
        case.dunning_pause = "plan"
        self._run("2026-01-21")
        self.assertEqual(case.dunning_level_id, self.levels[0])
        case.action_dunning_resume()
        self.assertEqual(case.dunning_next_date, date(2026, 1, 15), "overdue: reached at the next run")
        self._run("2026-01-22")
        self.assertEqual(case.dunning_level_id, self.levels[1])

    def test_manual_move_needs_a_reason_and_continues_from_there(self):
        self._run("2026-01-05")
        case = self.case
        with self.assertRaises(UserError):
            case._dunning_move_to(self.levels[2], "")
        with freeze_time("2026-01-07"):
            wizard = self.env["dunning.move.level"].create(
                {"case_id": case.id, "level_id": self.levels[2].id, "reason": "Client said he will not pay"}
            )
            wizard.action_confirm()
        self.assertEqual(case.dunning_level_id, self.levels[2])
        self.assertEqual(case.stage, "formal_notice")
        self.assertIn("Client said he will not pay", case.message_ids[0].body)
        self.assertEqual(case.dunning_next_date, date(2026, 2, 7), "suspension counted from the move")

    def test_policy_is_the_product_lines_then_the_insurers_then_the_companys(self):
        other = self.policy.copy({"name": "Insurer policy"})
        third = self.policy.copy({"name": "Product line policy"})
        self.insurer.dunning_policy_id = other
        contract = self._create_contract(split="quarterly")
        contract._generate_receipts(until=date(2026, 1, 1))
        self._run("2026-01-05")
        self.assertEqual(contract.case_ids.dunning_policy_id, other)
        self.product_line.dunning_policy_id = third
        contract2 = self._create_contract(split="quarterly")
        contract2._generate_receipts(until=date(2026, 1, 1))
        self._run("2026-01-06")
        self.assertEqual(contract2.case_ids.dunning_policy_id, third)


@tagged("post_install", "-at_install")
class TestDunningNotices(DunningCommon):
    def test_email_states_who_writes_and_carries_the_link(self):
        self._run("2026-01-05")
        case = self.case
        notice = self._notices(self.levels[0]).filtered(lambda n: n.channel == "email")
        self.assertEqual(notice.state, "sent")
        mail = notice.mail_id
        self.assertEqual(mail.recipient_ids, self.policyholder)
        body = mail.body_html
        for fact in (
            self.company.name,
            "07001234",  # ORIAS
            "garantie financière ABC",  # legal mentions
            "Jeanne Dupont",
            self.contract.name,
            self.receipts[0].name,
            "275.00",
            case.payment_url,
            "/logo.png?company=",
        ):
            self.assertIn(fact, body)
        self.assertNotIn(self.receipts[1].name, body, "April is not due yet")
        self.assertIn(self.contract.name, mail.subject)
        self.assertEqual(mail.model, "arrears.case")
        self.assertEqual(mail.res_id, case.id)

    def test_sms_is_short_and_carries_the_link(self):
        self._run("2026-01-05")
        sms = self._notices(self.levels[0]).filtered(lambda n: n.channel == "sms").sms_id
        self.assertEqual(sms.number, "+33612345678")
        self.assertIn(self.case.payment_url, sms.body)
        self.assertIn("275.00", sms.body)
        self.assertIn(self.contract.name, sms.body)
        self.assertIn("SMS sent to", "".join(self.case.message_ids.mapped("body")))

    def test_formal_notice_letter_states_the_legal_deadlines_and_the_qr_code(self):
        for day in ("2026-01-05", "2026-01-15", "2026-01-26"):
            self._run(day)
        letter = self._notices(self.levels[2]).filtered(lambda n: n.channel == "letter")
        html = self.env["ir.actions.report"]._render_qweb_html("sepa_dunning.report_dunning_letter", letter.ids)[0]
        html = html.decode()
        for fact in (
            "L113-3",
            "02/26/2026",
            "03/08/2026",
            "Registered letter",
            self.case.payment_url,
            "data:image/png;base64,",
            "Jeanne Dupont",
            "12 rue de la Paix",
            self.receipts[0].name,
            "07001234",
        ):
            self.assertIn(fact, html)
        self.assertEqual(letter.state, "queued")
        letter.action_print()
        self.assertEqual(letter.state, "sent", "a printed letter counts as sent")

    def test_notice_speaks_the_debtors_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["sepa_dunning"], ["fr_FR"], overwrite=True)
        self.policyholder.lang = "fr_FR"
        self._run("2026-01-05")
        notices = self._notices(self.levels[0])
        body = notices.filtered(lambda n: n.channel == "email").mail_id.body_html
        self.assertIn("Bonjour Jeanne Dupont", body)
        self.assertNotIn("Dear", body)
        self.assertIn("impayé", notices.filtered(lambda n: n.channel == "sms").sms_id.body)

    def test_bounced_email_falls_back_to_a_letter(self):
        self._run("2026-01-05")
        case = self.case
        case._message_receive_bounce("jeanne.dupont@example.com", self.policyholder)
        email = self._notices(self.levels[0]).filtered(lambda n: n.channel == "email")
        self.assertEqual(email.state, "failed")
        letter = self._notices(self.levels[0]).filtered(lambda n: n.channel == "letter")
        self.assertEqual(letter.fallback_of_id, email)
        self.assertEqual(letter.state, "queued")
        self.assertIn("not delivered", "".join(case.message_ids.mapped("body")))

    def test_smtp_failure_falls_back_to_a_letter(self):
        self._run("2026-01-05")
        email = self._notices(self.levels[0]).filtered(lambda n: n.channel == "email")
        email.mail_id._postprocess_sent_message(
            success_pids=[], success_emails=[], failure_reason="Connection refused", failure_type="mail_smtp"
        )
        self.assertEqual(email.state, "failed")
        self.assertEqual(email.failure_reason, "Connection refused")
        self.assertTrue(self._notices(self.levels[0]).filtered(lambda n: n.channel == "letter"))

    def test_no_address_no_number_means_a_letter(self):
        self.policyholder.write({"email": False, "phone": False})
        self._run("2026-01-05")
        notices = self._notices(self.levels[0])
        self.assertEqual(sorted(notices.mapped("state")), ["failed", "failed", "queued"])
        self.assertEqual(len(notices.filtered(lambda n: n.channel == "letter")), 1, "one letter, not two")

    def test_level_fee_is_charged_and_asked_for_by_the_link(self):
        self.levels[0].fee_amount = 10.0
        self._run("2026-01-05")
        case = self.case
        fee = case.fee_line_ids
        self.assertEqual(len(fee), 1)
        self.assertEqual(
            (fee.partner_id, fee.debit, fee.account_id.account_type), (self.policyholder, 10.0, "asset_receivable")
        )
        income = fee.move_id.line_ids.filtered(lambda line: line.credit)
        self.assertEqual((income.account_id.code, income.credit), ("708800", 10.0))
        self.assertEqual(case.amount_due, 285.0)
        notice = self._notices(self.levels[0]).filtered(lambda n: n.channel == "email")
        self.assertEqual(notice.fee_amount, 10.0)
        self.assertEqual((notice.fee_line_ids, notice.fee_line_id), (fee, fee))
        self.assertIn("10.00", notice.mail_id.body_html)
        self.assertIn(fee.name, notice.mail_id.body_html, "the fee has its own line")
        with freeze_time("2026-01-10"):
            case.payment_link_id._register_payment(285.0, journal=self.bank_journal)
        self.assertEqual(fee.amount_residual, 0.0)
        self.assertEqual(case.state, "closed")

    def test_recovery_report_by_level_and_channel(self):
        self._run("2026-01-05")
        case = self.case
        with freeze_time("2026-01-12"):
            case.payment_link_id._register_payment(case.amount_due, journal=self.bank_journal)
        self.env.flush_all()
        rows = self.env["dunning.recovery.report"]._read_group(
            [("case_id", "=", case.id)],
            ["level_id", "channel"],
            ["notice_count:sum", "recovered_rate:avg", "days_to_payment:avg"],
        )
        self.assertEqual(
            sorted((level.name, channel, count, rate, days) for level, channel, count, rate, days in rows),
            [("First reminder", "email", 1, 100.0, 7.0), ("First reminder", "sms", 1, 100.0, 7.0)],
        )

    def test_granted_plan_pauses_the_ladder_and_a_missed_instalment_resumes_it(self):
        self.env["arrears.plan.rule"].create({"name": "Standard", "max_instalments": 3, "spacing_days": 30})
        self._run("2026-01-05")
        case = self.case
        with freeze_time("2026-01-06"):
            request = case.payment_link_id._ask_plan("plan", instalment_count=2)
        self.assertEqual((request.state, case.dunning_pause), ("granted", "plan"))
        self._run("2026-01-20")
        self.assertEqual(case.dunning_level_id, self.levels[0], "no reminder while the plan runs")
        with freeze_time("2026-02-10"):  # first instalment due on 5 February, nothing paid
            self.env["arrears.plan.request"]._cron_follow()
        self.assertEqual(request.state, "broken")
        self.assertFalse(case.dunning_pause)
        self._run("2026-02-10")
        self.assertEqual(case.dunning_level_id, self.levels[1], "the ladder goes on from where it stood")

    def test_a_contest_pauses_the_ladder_for_what_it_contests_and_only_that(self):
        self._run("2026-01-05")
        case = self.case
        link = case.payment_link_id
        january, april = self.receipts
        with freeze_time("2026-01-06"):
            first = link._contest(january.ids, "paid", note="Payé par chèque")
        self.assertEqual(case.dunning_pause, "contest", "nothing else to claim: the ladder waits for the answer")
        self.assertFalse(case.dunning_next_date)
        self.assertEqual((case.amount_due, case.amount_contested, link._amount_to_ask()), (275.0, 275.0, 0.0))
        self._run("2026-04-15")
        self.assertEqual(case._open_receipts(), january | april, "April's receipt joined the case")
        self.assertFalse(case.dunning_pause, "April's receipt is not contested: it is claimed")
        self.assertEqual(case.dunning_level_id, self.levels[1], "the ladder goes on from where it stood")
        for notice in self._notices(self.levels[1]):
            self.assertEqual(
                (notice.receipt_ids, notice.amount_due, notice.amount_contested), (april, 275.0, 275.0), notice.channel
            )
        mail = self._notices(self.levels[1]).filtered(lambda n: n.channel == "email").sudo().mail_id
        self.assertIn(april.name, mail.body_html)
        self.assertNotIn(january.name, mail.body_html, "the contested receipt is not claimed")
        self.assertRegex(mail.body_html, r"Not claimed here, as it awaits our answer to your contest:\s*\$\s*275\.00")
        self.assertEqual(link._amount_to_ask(), 275.0)

        with freeze_time("2026-04-16"):
            second = link._contest(april.ids, "amount")
        self.assertEqual(case.dunning_pause, "contest", "everything contested now")
        with freeze_time("2026-04-20"):
            first.answer = "Aucun chèque reçu."
            first.action_refuse()
        self.assertFalse(case.dunning_pause, "January is claimed again while April awaits its answer")
        self.assertEqual((case.amount_contested, link._amount_to_ask()), (275.0, 275.0))
        self._run("2026-04-27")  # 10 days after the second reminder, a Monday
        self.assertEqual(case.dunning_level_id, self.levels[2])
        self.assertEqual(self._notices(self.levels[2]).receipt_ids, january)
        with freeze_time("2026-04-28"):
            second.answer = "Le montant est celui du contrat."
            second.action_refuse()
        self.assertEqual((case.amount_contested, link._amount_to_ask()), (0.0, 550.0))

    def test_a_contest_leaves_a_pause_by_hand_as_it_is(self):
        self._run("2026-01-05")
        case = self.case
        case.action_dunning_pause("manual", note="Client au téléphone")
        contest = case.payment_link_id._contest(self.receipts[:1].ids, "other", note="Je conteste")
        self.assertEqual(case.dunning_pause, "manual")
        contest.answer = "Le reçu est dû."
        contest.action_refuse()
        self.assertEqual(case.dunning_pause, "manual", "the accountant's own pause is the accountant's to lift")

    def test_a_manager_who_is_not_administrator_can_run_the_ladder(self):
        manager = self.env["res.users"].create(
            {
                "login": "arrears-manager",
                "name": "Arrears Manager",
                "company_id": self.company.id,
                "company_ids": [(6, 0, self.company.ids)],
                "group_ids": [(6, 0, [self.env.ref("insurance_arrears.group_arrears_manager").id])],
            }
        )
        self.assertFalse(manager.has_group("base.group_system"))
        with freeze_time("2026-01-05"):
            self.env["arrears.case"]._cron_sync()
            notices = self.case.with_user(manager).action_dunning_run()
        self.assertEqual(sorted(notices.mapped("channel")), ["email", "sms"])
        self.assertEqual(set(notices.mapped("state")), {"sent"})

    def test_cases_without_policy_take_it_when_the_module_sets_the_default(self):
        with freeze_time("2026-01-05"):
            self.env["arrears.case"]._cron_sync()
        case = self.case
        case.dunning_policy_id = False
        self.company.dunning_policy_id = False
        self.env["res.company"]._dunning_set_default_policy()
        self.assertEqual(self.company.dunning_policy_id, self.policy)
        self.assertEqual(case.dunning_policy_id, self.policy)
        self.assertEqual(case.dunning_next_date, date(2026, 1, 1))


@tagged("post_install", "-at_install")
class TestDunningLetterCopy(DunningCommon, HttpCase):
    """The debtor downloads from the payment page a copy of each dunning letter sent to it."""

    def test_a_sent_letter_is_offered_on_the_page_and_its_download_noted(self):
        for day in ("2026-01-05", "2026-01-15", "2026-01-26"):
            self._run(day)
        letter = self._notices(self.levels[2]).filtered(lambda n: n.channel == "letter")
        link = self.case._ensure_payment_links()
        key = f"letter-{letter.id}"
        self.assertNotIn(key, self.url_open(f"/arrears/pay/{link.token}").text, "not printed yet: not sent")
        letter.action_print()
        self.assertIn(key, self.url_open(f"/arrears/pay/{link.token}").text)
        response = self.url_open(f"/arrears/pay/{link.token}/document/{key}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.contract.name, response.text)
        self.assertIn(self.levels[2].name, response.text)
        noted = self.case.message_ids.filtered(lambda m: "downloaded from the payment page" in (m.body or ""))
        self.assertIn(self.levels[2].name, noted.body)
        with mute_logger("odoo.http", "werkzeug"):
            other = self._notices(self.levels[1])[:1]
            self.assertEqual(self.url_open(f"/arrears/pay/{link.token}/document/letter-{other.id}").status_code, 404)
