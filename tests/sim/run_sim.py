#!/usr/bin/env python3
"""The simulated brokerage: days of the product's own crons against a simulated bank, Stripe and debtors.

    python3 tests/sim/run_sim.py [--contracts 150] [--days 120] [--seed 14] [--keep] [--strict]

Boots a database of its own (``sim_<seed>_<pid>``, dropped afterwards unless
``--keep``) with the three addons and no demo data, installs a French brokerage
(EUR; Odoo's generic chart, or the French one with ``--chart fr``),
creates a portfolio and then lives day by day, each day frozen (freezegun; the
database's clock, ``cr.now()``, follows), no wall clock anywhere:

- 06:00 and 18:00: every active ``ir.cron`` of our three modules that is due
  runs as Odoo's cron runner runs it (``_acquire_one_job`` + ``_process_job``:
  its own cursor, a commit per chunk, rescheduled by its interval), so crons
  added to the modules later are run too;
- 09:00 the accountant: imports the bank's files (``sepa.return.import``:
  create, parse, confirm), sends premium notices (unless a cron of ours does),
  records transfers, prepares, generates, sends and posts the debit batches
  (unless a cron prepares them), pays the insurers' statements monthly;
- 10:00 the debtors (debtors.py): pay by link through Stripe, ask for a delay or
  a plan through the link page's model method, keep it or break it, pay twice;
  the broker refunds at Stripe, payers dispute; Stripe's events are delivered
  signed to the webhook's model method (``utils.verify_event`` then
  ``stripe.event._record``, exactly what the controller does), some duplicated,
  out of order, forged, or lost (only the polling cron finds those);
- 23:00 the invariants (invariants.py), each a check counted passed or failed.

Prints the count of each event, the violations (day, record, rule), and a last
line ``N passed, M failed`` (one check per invariant per day). Exit status 1 when
a check failed. Rules broken by a known product bug (invariants.KNOWN_FAILURES)
are reported as known failures, not counted, unless ``--strict``.
"""

import argparse
import base64
import contextlib
import datetime as dt
import logging
import os
import random
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from unittest.mock import patch

from freezegun.api import real_perf_counter

# The wall clock, for the figures only. Kept out of module globals: freezegun
# replaces every module attribute that is a real clock function.
_WALL = {"clock": real_perf_counter}


def real_clock():
    return _WALL["clock"]()


HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "bench")]

import invariants  # noqa: E402
import odoo_env  # noqa: E402  (makes `import odoo` work, as for the benchmarks)
from bank import Bank  # noqa: E402
from debtors import draw_debtor, forced_behaviours  # noqa: E402
from period import DEMO_WEEKS, START, simulated_period  # noqa: E402
from stripe_sim import WEBHOOK_SECRET, SimStripe, sign  # noqa: E402

OUR_MODULES = ("insurance_arrears", "sepa_dunning", "payment_link_stripe")
CREDITOR_ID = "FR72ZZZ123456"
CREDITOR_IBAN = "FR7630006000011234567890189"
# Valid IBANs of three banks (a debtor changing bank moves to another one).
DEBTOR_IBANS = ["FR7630004000031234567890143", "FR1420041010050500013M02606", "DE89370400440532013000"]
SPLITS = ["monthly", "quarterly", "semiannual", "annual"]
REJECTION_FEE = 7.5  # what the bank charges per rejected debit (and the company books)

_logger = logging.getLogger("sim")


@dataclass
class Truth:
    """What the outside world knows, to compare the books with."""

    bank_reports: dict = field(default_factory=dict)  # e2e -> (bank Debit, day the broker knows)
    stripe_paid: dict = field(default_factory=dict)  # checkout reference -> (amount, day)
    stripe_given_back: dict = field(default_factory=dict)  # checkout reference -> (amount, day)
    stripe_fees: dict = field(default_factory=dict)  # checkout reference -> Stripe's fee on the payment
    open_paid_cases: set = field(default_factory=set)
    files_unhandled: list = field(default_factory=list)
    batch_failures: list = field(default_factory=list)  # (collection date, error) of a batch that could not be made
    cron_errors: list = field(default_factory=list)
    bank_journal_id: int = 0
    bank_booked: list = field(default_factory=list)  # (day the statement arrives, amount) of every movement
    bank_pending: set = field(default_factory=set)  # batches the bank still has something to report on


class SimulatedCrash(Exception):
    """A cron worker killed by the simulation (not a product error)."""


# Crons two workers may run at the same time (their code says so): the daily dunning
# run, the Stripe events and the Stripe polling.
CONCURRENT_CRONS = (
    "Dunning: daily run (levels reached, notices sent)",
    "Stripe: process received events",
    "Stripe: check open checkouts and pending fees",
    "Insurance: issue premium receipts",
)


# What a run of two months or more must have seen at least once (see Simulation.check_flows).
FLOWS_AFTER_DAYS = 60
FLOWS = (
    "receipts_issued",
    "batches_sent",
    "debits_presented",
    "bank_file_imported_pain002_reject",
    "bank_file_imported_camt053",
    "transfers_received",
    "stripe_payments",
    "stripe_events_recorded",
    "dunning_notices",
    "plan_requests",
    "insurer_statements_paid",
)


# Crons that commit chunk by chunk, where a worker can die between two commits.
KILLABLE_CRONS = CONCURRENT_CRONS


class CronErrors(logging.Handler):
    """Counts the errors Odoo's cron runner logs (a cron that raised)."""

    def __init__(self, truth):
        super().__init__(logging.ERROR)
        self.truth = truth

    def emit(self, record):
        error = record.exc_info[1] if record.exc_info else None
        while error is not None:  # the server action's safe_eval wraps what the code raised
            if isinstance(error, SimulatedCrash):
                return
            error = error.__cause__ or error.__context__
        self.truth.cron_errors.append(record.getMessage()[:300])


class Simulation:
    def __init__(self, registry, args):
        self.registry = registry
        self.args = args
        self.start = args.start
        self.rng = random.Random(args.seed)
        self.bank = Bank(random.Random(args.seed + 1), rejection_fee=Decimal(str(REJECTION_FEE)))
        self.stripe = SimStripe()
        self.truth = Truth()
        self.events = Counter()
        self.debtors = {}  # partner id -> Debtor
        self.by_mandate = {}  # UMR -> Debtor
        self.pending_payments = []  # (day, session reference) abandoned checkouts paid later
        self.stripe_actions = defaultdict(list)  # day -> [(action, charge id, reference, amount)]
        self.charges = {}  # reference -> charge id
        self.results = Counter()
        self.violations = []
        self.known_seen = Counter()
        self.broken_days = Counter()
        self.seen = set()

    # ------------------------------------------------------------------
    # Clock and cursors
    # ------------------------------------------------------------------

    def at(self, day, hour, minute=0):
        self.clock.move_to(dt.datetime(day.year, day.month, day.day, hour, minute))

    @contextlib.contextmanager
    def env(self):
        from odoo import api
        from odoo.api import SUPERUSER_ID

        with self.registry.cursor() as cr:
            # The accountant, the bank file import and the debtors' page act as superuser
            # here: what is simulated is the business, not the access rights (tested elsewhere).
            yield api.Environment(cr, SUPERUSER_ID, {"tracking_disable": False})

    # ------------------------------------------------------------------
    # The brokerage
    # ------------------------------------------------------------------

    def install_company(self, env):
        company = env.company
        env.ref("base.EUR").active = True
        company.write(
            {
                "name": "Courtage Simulé SARL",
                "country_id": env.ref("base.fr").id,
                "currency_id": env.ref("base.EUR").id,
                "email": "gestion@courtage-simule.example",
                "insurance_orias_number": "07001234",
                "insurance_legal_mentions": "Courtier en assurances, ORIAS 07001234, garantie financière ABC",
            }
        )
        chart = "fr" if "l10n_fr_account" in self.modules else "generic_coa"
        if company.chart_template != chart:
            # Installing account put its generic chart on the company (it had no country then):
            # nothing is booked yet, so the French one replaces it.
            env["account.chart.template"].try_loading(chart, company, install_demo=False)
        company._insurance_ensure_accounting()
        self.chart = company.chart_template
        accounts = env["account.account"].with_company(company)
        bank = env["res.partner.bank"].create(
            {
                "acc_number": CREDITOR_IBAN,
                "partner_id": company.partner_id.id,
                "bank_id": env["res.bank"].create({"name": "Banque Simulée", "bic": "SOGEFRPP"}).id,
            }
        )
        self.bank_journal = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        self.bank_journal.bank_account_id = bank
        company.write(
            {
                "sepa_creditor_identifier": CREDITOR_ID,
                "sepa_rejection_fee": REJECTION_FEE,
                "sepa_rejection_fee_account_id": accounts.search([("account_type", "=", "expense")], limit=1).id,
                "sepa_charge_rejection_fee": True,
                "sepa_fee_income_account_id": accounts.search([("account_type", "=", "income")], limit=1).id,
                "dunning_policy_id": env.ref("sepa_dunning.dunning_policy_l113_3").id,
                # The daily job prepares each collection date's batch; the accountant sends the file.
                "sepa_batch_calendar": True,
                "sepa_batch_journal_id": self.bank_journal.id,
                # Stripe's test mode (the simulated Stripe) settles receipts only of a company flagged so.
                "arrears_test_company": True,
            }
        )
        stripe_journal = env["account.journal"].create(
            {"name": "Stripe", "code": "STRP", "type": "bank", "company_id": company.id}
        )
        provider = env["payment.provider"].search([("code", "=", "stripe"), ("company_id", "=", company.id)], limit=1)
        provider.write(
            {
                "state": "test",
                "stripe_secret_key": "sk_test_51SimulatedBrokerage",
                "stripe_publishable_key": "pk_test_51SimulatedBrokerage",
                "stripe_link_webhook_secret": WEBHOOK_SECRET,
                "journal_id": stripe_journal.id,
            }
        )
        env["arrears.plan.rule"].create(
            {"name": "Particuliers", "max_amount": 3000, "max_delay_days": 30, "max_instalments": 4}
        )
        return company

    def create_portfolio(self, env, n):
        rng = self.rng
        insurers = env["res.partner"].create(
            [
                {
                    "name": name,
                    "is_company": True,
                    "is_insurer": True,
                    "insurer_commission_rate": rate,
                    "insurer_collection_mandate": collects,
                }
                for name, rate, collects in (
                    ("Mutuelle Atlantique", 15.0, True),
                    ("Assurances du Rhône", 12.5, True),
                    ("Prévoyance Alpine", 18.0, True),
                    ("Compagnie Directe", 10.0, False),
                )
            ]
        )
        introducers = env["res.partner"].create(
            [{"name": name, "is_introducer": True} for name in ("Apporteur Martin", "Cabinet Leroy", "Agence Sud")]
        )
        lines = env["insurance.product.line"].create(
            [
                {"name": name, "code": code}
                for name, code in (("Auto", "AUTO"), ("Habitation", "MRH"), ("Santé", "SANTE"))
            ]
        )
        env["res.lang"]._activate_lang("fr_FR")
        debtors = []
        partner_vals = []
        forced = forced_behaviours()
        for index in range(n):
            if index < len(forced):
                method, behaviour = forced[index]
            else:
                method = "sepa_dd" if rng.random() < 0.55 else rng.choice(["transfer", "transfer", "card"])
                behaviour = None
            debtor = draw_debtor(rng, index, method, behaviour)
            debtors.append(debtor)
            partner_vals.append(
                {
                    "name": f"Client {index:05d}",
                    "email": f"client{index:05d}@example.com" if debtor.has_email else False,
                    "phone": f"+3361234{index:04d}",
                    "street": f"{index % 90 + 1} rue de la Paix",
                    "zip": "75002",
                    "city": "Paris",
                    "country_id": env.ref("base.fr").id,
                    "lang": debtor.lang,
                }
            )
        partners = env["res.partner"].create(partner_vals)
        sepa = [(d, p) for d, p in zip(debtors, partners, strict=True) if d.method == "sepa_dd"]
        mandates = env["sepa.mandate"].create(
            [
                {
                    "name": f"UMR-SIM-{d.index:06d}",
                    "partner_id": p.id,
                    "debtor_iban": DEBTOR_IBANS[d.index % 2],
                    "signature_date": self.start - dt.timedelta(days=rng.randint(30, 900)),
                    "creditor_identifier": CREDITOR_ID,
                }
                for d, p in sepa
            ]
        )
        mandates.action_activate()
        mandate_of = {p.id: m for (d, p), m in zip(sepa, mandates, strict=True)}
        contract_vals = []
        for debtor, partner in zip(debtors, partners, strict=True):
            insurer = insurers[0] if rng.random() < 0.4 else rng.choice(insurers)
            if debtor.method == "sepa_dd" and not insurer.insurer_collection_mandate:
                insurer = insurers[0]
            net = rng.randint(180, 2400)
            vals = {
                "name": f"SIM-{debtor.index:06d}",
                "partner_id": partner.id,
                "insurer_id": insurer.id,
                "introducer_id": rng.choice(introducers).id if rng.random() < 0.7 else False,
                "product_line_id": rng.choice(lines).id,
                # From 30 days on: every receipt is issued (and its notice sent) a horizon ahead.
                "date_start": self.start + dt.timedelta(days=30 + rng.randint(0, max(self.args.days // 2, 1))),
                "split": rng.choice(SPLITS),
                "payment_method": debtor.method,
                "premium_net": float(net),
                "premium_tax": round(net * 0.09, 2),
                "premium_fee": float(rng.choice([0, 10, 15])),
                "state": "active",
            }
            if debtor.method == "sepa_dd":
                vals["mandate_id"] = mandate_of[partner.id].id
            contract_vals.append(vals)
        contracts = env["insurance.contract"].create(contract_vals)
        for debtor, partner in zip(debtors, partners, strict=True):
            self.debtors[partner.id] = debtor
        for (debtor, _partner), mandate in zip(sepa, mandates, strict=True):
            self.by_mandate[mandate.name] = debtor
        self.events["contracts"] = len(contracts)
        for key in Counter(c.split for c in contracts):
            self.events[f"contracts_{key}"] = sum(1 for c in contracts if c.split == key)
        self.events["contracts_sepa"] = len(sepa)
        for debtor in debtors:
            self.events[f"debtor_{debtor.method}_{debtor.behaviour}"] += 1

    def setup(self):
        with self.env() as env:
            if self.args.demo:
                self.load_french(env)
            self.company = self.install_company(env)
            self.create_portfolio(env, self.args.contracts)
            # The crons start with the simulation's first day.
            env.cr.execute(
                """
                UPDATE ir_cron SET nextcall = %s, active = TRUE
                 WHERE id IN (SELECT res_id FROM ir_model_data WHERE model = 'ir.cron' AND module IN %s)
                """,
                (dt.datetime.combine(self.start, dt.time(5, 0)), OUR_MODULES),
            )
            self.bank_journal_id = self.truth.bank_journal_id = self.bank_journal.id
            env.cr.commit()

    def load_french(self, env):
        """French loaded before anything is written: the clients writing in French get French notices."""
        env["res.lang"]._activate_lang("fr_FR")
        env["ir.module.module"].search([("state", "=", "installed")])._update_translations("fr_FR")
        env.company.partner_id.lang = "fr_FR"
        env.ref("base.user_admin").tz = "Europe/Paris"

    def hand_over(self):
        """Leave the database ready to use today (``--demo``, what bin/demo serves), on the real clock.

        - The payment links take the demo provider (a simulated payment on a local
          page): the simulated Stripe answered only inside this run, its keys reach
          no Stripe, so its provider is turned off and the keys removed (a person
          can enter real test keys later). Its polling cron is turned off too: it
          would ask Stripe about the simulated checkouts every day (the product
          polls the checkouts of a disabled provider too) and log an error each time.
        - Our crons are due at their next time after now (not in the simulated past,
          where the cron runner would run each of them at once); the triggers the
          simulated days left are dropped.
        """
        from dateutil.relativedelta import relativedelta

        now = dt.datetime.utcnow().replace(microsecond=0)
        with self.env() as env:
            env.company.arrears_demo_payment = True
            stripe_providers = env["payment.provider"].search([("code", "=", "stripe")])
            stripe_providers.write(
                {
                    "state": "disabled",
                    "stripe_secret_key": False,
                    "stripe_publishable_key": False,
                    "stripe_link_webhook_secret": False,
                }
            )
            links = env["arrears.payment.link"].search([("state", "=", "active")])
            links._refresh_provider()
            env.ref("payment_link_stripe.ir_cron_poll_stripe_sessions").active = False
            crons = env["ir.cron"].browse(
                env["ir.model.data"].search([("model", "=", "ir.cron"), ("module", "in", OUR_MODULES)]).mapped("res_id")
            )
            for cron in crons:
                interval = relativedelta(**{cron.interval_type: cron.interval_number})
                nextcall = cron.nextcall
                while nextcall <= now:
                    nextcall += interval
                cron.nextcall = nextcall
            env.cr.execute("DELETE FROM ir_cron_trigger WHERE call_at <= %s", [now])
            env.cr.commit()
            with _mail_accepted():  # what the simulated days left in the queues
                env["mail.mail"].process_email_queue()
                env["sms.sms"].search([("state", "=", "outgoing")]).send()
            mails = env["mail.mail"].search_count([("state", "!=", "sent")])
            sms = env["sms.sms"].search_count([("state", "not in", ("sent", "pending"))])
            env.cr.commit()
            print(
                f"sim: handed over for today: {len(links)} active payment links on the demo provider, "
                f"Stripe provider off, {len(crons)} crons due after {now:%Y-%m-%d %H:%M} UTC, "
                f"{mails} e-mails and {sms} SMS not sent",
                flush=True,
            )

    # ------------------------------------------------------------------
    # Odoo's cron runner, for our modules
    # ------------------------------------------------------------------

    def run_due_crons(self, kill=None):
        """Run every due cron of our modules as the cron runner does; repeat while some are partly done.

        :param kill: name of a cron to kill once in the middle of a chunk (just before the
            chunk's commit): its work since its last commit is lost, and another worker
            takes the job over at once
        """
        from odoo.addons.base.models.ir_cron import IrCron

        original = IrCron._commit_progress
        target = {}
        if kill:
            with self.env() as env:
                target["id"] = env["ir.cron"].search([("cron_name", "=", kill)], limit=1).id

        def commit_progress(cron_self, processed=0, **kwargs):
            if processed and target.get("id") and cron_self.env.context.get("cron_id") == target["id"]:
                target["killed"] = target.pop("id")
                raise SimulatedCrash("worker killed in the middle of a chunk")
            return original(cron_self, processed, **kwargs)

        with patch.object(IrCron, "_commit_progress", commit_progress):
            for _round in range(20):
                with self.registry.cursor() as cr:
                    cr.execute(
                        "SELECT res_id FROM ir_model_data WHERE model = 'ir.cron' AND module IN %s", (OUR_MODULES,)
                    )
                    ours = {row[0] for row in cr.fetchall()}
                    jobs = [job for job in IrCron._get_all_ready_jobs(cr) if job["id"] in ours]
                if not jobs:
                    return
                for job in jobs:
                    with self.registry.cursor() as cron_cr:
                        acquired = IrCron._acquire_one_job(cron_cr, job["id"])
                        if not acquired:
                            continue
                        self.registry["ir.cron"]._process_job(cron_cr, acquired)
                        cron_cr.commit()
                    self.events[f"cron_run: {job['cron_name']}"] += 1
                    if target.get("killed") == job["id"]:
                        # Another worker takes the killed job over at once.
                        target.pop("killed")
                        self.events[f"fault: cron killed mid-chunk, run again: {job['cron_name']}"] += 1
                        with self.env() as env:
                            env["ir.cron"].browse(job["id"])._trigger()
                            env.cr.commit()

    def run_twice_at_once(self):
        """Two workers run the same cron's code at the same moment, each in its own transaction."""
        import threading

        from odoo import api
        from odoo.api import SUPERUSER_ID

        with self.env() as env:
            crons = env["ir.cron"].search([("cron_name", "in", list(CONCURRENT_CRONS))])
            chosen = self.rng.choice(crons.ids) if crons else None
            name = crons.browse(chosen).cron_name if chosen else ""
        if not chosen:
            return
        barrier = threading.Barrier(2)
        outcomes = []

        def worker():
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {"cron_id": chosen})
                    cron = env["ir.cron"].browse(chosen)
                    barrier.wait(timeout=30)
                    cron.ir_actions_server_id.run()
                    cr.commit()
                outcomes.append("done")
            except Exception as error:  # a worker refused by the database (serialization, lock): it lost the race
                outcomes.append(type(error).__name__)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        self.events[f"fault: two workers at once: {name}"] += 1
        for outcome in outcomes:
            self.events[f"fault: two workers at once: worker {outcome}"] += 1

    # ------------------------------------------------------------------
    # The accountant
    # ------------------------------------------------------------------

    def has_cron_on(self, env, model):
        """Whether an active cron of our modules works on ``model`` (then the accountant leaves it the job)."""
        crons = env["ir.cron"].search([("model_id.model", "=", model), ("active", "=", True)])
        return bool(
            crons
            and env["ir.model.data"].search_count(
                [("model", "=", "ir.cron"), ("module", "in", OUR_MODULES), ("res_id", "in", crons.ids)]
            )
        )

    def import_bank_files(self, day):
        files = self.bank.files_for(day)
        # A transfer cut in the middle arrives first; the whole file follows.
        files.sort(key=lambda f: f.kind != "truncated")
        # Several files on one morning: the accountant often reads them all, then confirms them.
        read_all_first = len(files) > 1 and self.rng.random() < 0.6
        parsed = [(bank_file, self.parse_file(bank_file)) for bank_file in files]
        if read_all_first:
            self.events["bank_files_read_together"] += len(files)
        for bank_file, record_id in parsed if read_all_first else ():
            self.confirm_file(bank_file, record_id)
        for bank_file, record_id in () if read_all_first else parsed:
            self.confirm_file(bank_file, record_id)
        for bank_file in files:
            if bank_file.kind in ("pain002_reject", "camt054_return"):
                for e2e in bank_file.end_to_end_ids:
                    self.truth.bank_reports[e2e] = (self.bank.debits[e2e], day)

    def parse_file(self, bank_file):
        """Upload and read a bank file, as the accountant does: the record is saved, then read (or refused)."""
        from odoo.exceptions import UserError

        with self.env() as env:
            record = env["sepa.return.import"].create(
                {"file": base64.b64encode(bank_file.content), "filename": bank_file.filename}
            )
            env.cr.commit()
            try:
                with env.cr.savepoint():
                    record.action_parse()
            except UserError as error:
                env.cr.commit()
                self.events[f"bank_file_refused_{bank_file.kind}"] += 1
                if bank_file.kind not in ("truncated", "resent"):
                    self.truth.files_unhandled.append(f"{bank_file.filename}: {error}")
                return None
            env.cr.commit()
            if bank_file.kind in ("truncated", "resent"):
                # A file a bank must refuse was read: nothing may come of it, the invariants will say.
                self.events[f"bank_file_NOT_refused_{bank_file.kind}"] += 1
            return record.id

    def confirm_file(self, bank_file, record_id):
        from odoo.exceptions import UserError

        if not record_id:
            return
        with self.env() as env:
            record = env["sepa.return.import"].browse(record_id)
            try:
                with env.cr.savepoint():
                    if record.matched_count or record.statement_entry_ids:
                        record.action_confirm()
            except UserError as error:
                self.truth.files_unhandled.append(f"{bank_file.filename}: confirm refused: {error}")
            env.cr.commit()
            self.events[f"bank_file_imported_{bank_file.kind}"] += 1
            self.events["bank_lines_listed_for_accountant"] += record.issue_count

    def send_notices(self, env, day):
        """Premium notices, as the accountant sends them from the composer (until a cron of ours does)."""
        if self.has_cron_on(env, "insurance.premium.receipt"):
            return
        receipts = env["insurance.premium.receipt"].search([("state", "=", "open"), ("notice_date", "=", False)])
        mailed = receipts._send_notices()
        self.events["notices_emailed"] += len(mailed)
        # No e-mail address: the notice is printed and posted; the composer's path marks it sent.
        for receipt in receipts - mailed:
            receipt.with_context(mark_notice_sent=True).message_post(body="Avis d'échéance envoyé par courrier.")
            self.events["notices_posted"] += 1

    def record_transfers(self, env, day):
        receipts = env["insurance.premium.receipt"].search(
            [("state", "=", "open"), ("date_due", "=", day), ("payment_method", "in", ("transfer", "card"))]
        )
        on_time = receipts.filtered(lambda r: self.debtors[r.partner_id.id].behaviour == "on_time")
        if on_time:
            on_time._register_payments(env["account.journal"].browse(self.bank_journal_id), date=day)
            self.events["transfers_received"] += len(on_time)

    @staticmethod
    def collection_date(day):
        """Each business day the accountant sends the batch collected two business days later (None at weekends)."""
        if day.weekday() >= 5:
            return None
        collection, left = day, 2
        while left:
            collection += dt.timedelta(days=1)
            left -= collection.weekday() < 5
        return collection

    def run_batches(self, env, day):
        from odoo.exceptions import UserError

        Batch = env["sepa.debit.batch"]
        collection = self.collection_date(day)
        if (
            collection
            # The calendar's cron prepares the batches only of a company that turned it on.
            and not (self.has_cron_on(env, "sepa.debit.batch") and env.company.sepa_batch_calendar)
            and not Batch.search_count([("collection_date", "=", collection), ("state", "!=", "cancel")])
        ):
            batch = Batch.create({"journal_id": self.bank_journal_id, "collection_date": collection})
            try:
                with env.cr.savepoint():
                    batch.action_prepare()
            except UserError:
                batch.unlink()
                self.events["batch_nothing_to_collect"] += 1
            except Exception as error:  # the product failed: no batch today, for anyone
                self.truth.batch_failures.append((collection, f"{type(error).__name__}: {str(error)[:200]}"))
                self.events["batch_preparation_FAILED"] += 1
                batch.unlink()
        for batch in Batch.search([("state", "=", "draft"), ("collection_date", "<=", day + dt.timedelta(days=3))]):
            if not batch.collect_line_ids:
                continue
            self.events["debits_excluded"] += len(batch.excluded_line_ids)
            for reason, count in Counter(batch.excluded_line_ids.mapped("exclusion_reason")).items():
                self.events[f"debit_excluded_{reason}"] += count
            batch.action_generate()
            batch.action_mark_sent()
            self.sent_today.append(batch)
        env.flush_all()

    def confirm_batches(self, env, day):
        for batch in self.sent_today:
            batch = env["sepa.debit.batch"].browse(batch.id)
            batch.action_confirm()
            self.events["batches_sent"] += 1
            self.events["debits_presented"] += batch.debit_count
            self.events["debits_amended"] += len(batch.collect_line_ids.filtered("amended"))
            content = batch.file_id.raw
            read = self.bank.receive(content, day, self.debit_fate)
            for debit in read:
                if debit.outcome in ("settled", "returned"):
                    self.truth.bank_reports[debit.end_to_end_id] = (_Settled(debit), batch.collection_date)
        self.sent_today = []

    def debit_fate(self, debit):
        debtor = self.by_mandate.get(debit.mandate_id)
        if debtor is None:
            return "MD01", None
        return debtor.debit_fate(self.rng)

    def pay_statements(self, env, day):
        if day.day != 1:
            return
        last_month_end = day - dt.timedelta(days=1)
        Statement = env["insurance.insurer.statement"]
        insurers = env["res.partner"].search([("is_insurer", "=", True), ("insurer_collection_mandate", "=", True)])
        for insurer in insurers:
            statement = Statement.create(
                {
                    "insurer_id": insurer.id,
                    "date_from": last_month_end.replace(day=1),
                    "date_to": last_month_end,
                    "journal_id": self.bank_journal_id,
                }
            )
            statement.action_compute()
            if not statement.receipt_ids:
                statement.unlink()
                continue
            statement.action_confirm()
            statement.action_pay()
            self.events["insurer_statements_paid"] += 1

    def change_ibans(self, env, day):
        for umr, debtor in self.by_mandate.items():
            if debtor.behaviour == "change_iban" and not debtor.iban_changed and self.rng.random() < 0.05:
                mandate = env["sepa.mandate"].search([("name", "=", umr)])
                if not mandate.last_debit_date:
                    continue  # before its first debit a mandate has nothing to amend
                mandate.debtor_iban = DEBTOR_IBANS[2]
                debtor.iban_changed = True
                self.events["mandate_iban_changed"] += 1

    def accountant(self, day):
        self.import_bank_files(day)
        with self.env() as env:
            self.send_notices(env, day)
            self.record_transfers(env, day)
            self.change_ibans(env, day)
            self.pay_statements(env, day)
            self.sent_today = []
            self.run_batches(env, day)
            env.cr.commit()

    # ------------------------------------------------------------------
    # The debtors, on the payment link
    # ------------------------------------------------------------------

    def checkout(self, link):
        """The payer clicks Pay on the link page: a Checkout Session at Stripe (None when nothing to pay)."""
        from odoo.addons.insurance_arrears.models.arrears_payment_link import PaymentProviderUnavailable
        from odoo.exceptions import UserError

        try:
            link._checkout_url()
        except (UserError, PaymentProviderUnavailable):
            return None
        return link.stripe_session_ids.sorted("id")[-1]

    def pay(self, env, session, day):
        """The payer pays the session at Stripe."""
        fee = round(session.amount_minor * 0.015) + 25
        charge = self.stripe.pay(session.stripe_session_id, fee)
        self.charges[session.reference] = charge
        self.truth.stripe_paid[session.reference] = (session.amount, day)
        self.truth.stripe_fees[session.reference] = fee / 100
        self.events["stripe_payments"] += 1
        debtor = self.debtors[session.partner_id.id]
        if debtor.behaviour == "refund" and "refund" not in debtor.events:
            debtor.events["refund"] = True
            self.stripe_actions[day + dt.timedelta(days=self.rng.randint(2, 12))].append(
                ("refund", session.reference, session.amount)
            )
        if debtor.behaviour == "dispute" and "dispute" not in debtor.events:
            debtor.events["dispute"] = True
            opened = day + dt.timedelta(days=self.rng.randint(5, 20))
            self.stripe_actions[opened].append(("dispute", session.reference, session.amount))

    def debtors_act(self, day):
        from odoo.exceptions import UserError

        with self.env() as env:
            cases = env["arrears.case"].search([("state", "=", "open")])
            for case in cases:
                debtor = self.debtors.get(case.partner_id.id)
                link = case.payment_link_id
                if not debtor or not link or link.state != "active":
                    continue
                days_open = (day - case.date_opened).days
                plan = case._active_plan()
                if plan:
                    self.follow_plan(env, debtor, plan, link, day)
                    continue
                wish = debtor.wants_plan(days_open)
                if wish:
                    kind, count = wish
                    try:
                        request = link._ask_plan(
                            kind,
                            delay_until=day + dt.timedelta(days=20) if kind == "delay" else None,
                            instalment_count=count if kind == "plan" else None,
                        )
                        self.events[f"plan_asked_{kind}_{request.state}"] += 1
                    except UserError:
                        self.events[f"plan_refused_{kind}"] += 1
                    continue
                if debtor.behaviour == "abandons_checkout" and "abandoned" not in debtor.events and days_open >= 1:
                    if self.checkout(link):
                        debtor.events["abandoned"] = day
                        self.events["checkouts_abandoned"] += 1
                    continue
                if debtor.behaviour == "abandons_checkout" and "abandoned" in debtor.events:
                    if (day - debtor.events["abandoned"]).days < 3:
                        continue
                elif not debtor.pays_link_on(days_open):
                    continue
                session = self.checkout(link)
                if session:
                    self.pay(env, session, day)
            env.cr.commit()
        self.deliver_events(day)

    def follow_plan(self, env, debtor, plan, link, day):
        due = plan.instalment_ids.filtered(lambda i: i.date_due <= day + dt.timedelta(days=1))
        if not due:
            return
        if not debtor.pays_instalment(len(due)):
            return
        if link._amount_to_ask() <= 0:
            return
        session = self.checkout(link)
        if session:
            self.pay(env, session, day)
            self.events[f"plan_instalment_paid_{plan.kind}"] += 1

    def pay_twice_open(self, day):
        """Before the batch goes, debtors who pay twice open the Stripe page of their open case."""
        self.twice = []
        with self.env() as env:
            for case in env["arrears.case"].search([("state", "=", "open")]):
                debtor = self.debtors.get(case.partner_id.id)
                wants = debtor and debtor.behaviour in ("pay_twice", "am04_once") and not debtor.paid_twice
                if wants and case.payment_link_id and self.rng.random() < 0.5:
                    session = self.checkout(case.payment_link_id)
                    if session:
                        debtor.paid_twice = True
                        self.twice.append(session.id)
            env.cr.commit()

    def pay_twice_pay(self, day):
        with self.env() as env:
            for session in env["stripe.checkout.session"].browse(self.twice):
                if self.stripe.objects[session.stripe_session_id]["status"] == "open":
                    self.pay(env, session, day)
                    self.events["paid_twice_debit_and_card"] += 1
            env.cr.commit()
        self.twice = []
        self.deliver_events(day)

    def broker_and_payers_at_stripe(self, day):
        for action, reference, amount in self.stripe_actions.pop(day, []):
            charge = self.charges[reference]
            if action == "refund":
                self.stripe.refund(charge, round(amount * 100))
                self.truth.stripe_given_back[reference] = (amount, day)
                self.events["stripe_refunds"] += 1
            elif action == "dispute":
                dispute = self.stripe.dispute(charge)
                self.events["stripe_disputes"] += 1
                closed = day + dt.timedelta(days=self.rng.randint(7, 30))
                self.stripe_actions[closed].append(("close_dispute", reference, (amount, dispute)))
            elif action == "close_dispute":
                amount, dispute = amount
                won = self.rng.random() < 0.5
                self.stripe.close_dispute(dispute, won)
                self.events[f"stripe_disputes_{'won' if won else 'lost'}"] += 1
                if not won:
                    self.truth.stripe_given_back[reference] = (amount, day)
        self.deliver_events(day)

    def deliver_events(self, day):
        """Stripe's events to the webhook: signed; some lost, duplicated, out of order, or forged."""
        from odoo.addons.payment_link_stripe import utils

        events = self.stripe.take_events()
        if self.rng.random() < 0.3:
            events.reverse()  # Stripe does not promise any order
        deliveries = []
        for event in events:
            roll = self.rng.random()
            first_refund = event["type"] == "charge.refunded" and not self.events["stripe_refund_events_lost"]
            if first_refund:
                # The first refund's event never comes, so that every run asks the polling to find it.
                self.events["stripe_refund_events_lost"] += 1
            if roll < 0.1 or first_refund:
                self.events["stripe_events_lost"] += 1
                continue
            deliveries.append(event)
            if roll < 0.2:
                deliveries.append(event)
                self.events["stripe_events_duplicated"] += 1
        if deliveries and self.rng.random() < 0.2:
            deliveries.append(dict(deliveries[0], id="evt_forged_" + deliveries[0]["id"]))
        for event in deliveries:
            payload = json_dumps(event)
            forged = event["id"].startswith("evt_forged_")
            header = sign(payload, secret="whsec_not_ours" if forged else WEBHOOK_SECRET)
            # What the webhook controller does with the request, in a request's own transaction.
            with self.env() as env:
                providers = env["payment.provider"]._stripe_link_providers_with_webhook()
                try:
                    verified, index = utils.verify_event(
                        payload.encode(), header, [utils.get_webhook_secret(p) for p in providers]
                    )
                except utils.WebhookRefused:
                    self.events["stripe_forged_refused" if forged else "stripe_event_REFUSED"] += 1
                    continue
                env["stripe.event"]._record(providers[index], verified)
                env.cr.commit()
                self.events["stripe_events_delivered"] += 1

    # ------------------------------------------------------------------
    # Invariants
    # ------------------------------------------------------------------

    def check(self, day):
        self.truth.bank_booked = self.bank.booked
        self.truth.bank_pending = self.bank.pending_batches()
        with self.env() as env:
            found = invariants.check_all(env, day, self.truth)
            found["crons_never_fail"] = [("ir.cron", message) for message in self.truth.cron_errors]
            self.truth.cron_errors = []
            env.cr.rollback()
        for rule, violations in found.items():
            known = rule in invariants.KNOWN_FAILURES and not self.args.strict
            if not violations:
                self.results["passed"] += 1
                continue
            if known:
                self.results["known"] += 1
                self.known_seen[rule] += 1
                if self.known_seen[rule] == 1:
                    self.violations.append((day, rule, violations[:3], True))
                continue
            self.results["failed"] += 1
            self.broken_days[rule] += 1
            # A violation is printed the first day it is seen (the check fails every day it lasts).
            new = [(record, detail) for record, detail in violations if (rule, record) not in self.seen]
            self.seen.update((rule, record) for record, _detail in violations)
            if new:
                self.violations.append((day, rule, new[:5], False))

    # ------------------------------------------------------------------

    def run(self):
        from freezegun import freeze_time

        from odoo import sql_db
        from odoo.addons.payment_link_stripe import utils

        self.modules = self.args.modules
        started = real_clock()
        with (
            freeze_time(dt.datetime.combine(self.start - dt.timedelta(days=1), dt.time(20, 0))) as clock,
            _database_clock_follows(sql_db),
            patch.object(utils, "_http_client", lambda: self.stripe),
            _mail_accepted() if self.args.demo else contextlib.nullcontext(),
        ):
            self.clock = clock
            self.setup()
            setup_seconds = real_clock() - started
            print(
                f"sim: database installed in {self.args.install_seconds:.0f} s; set up {self.args.contracts} "
                f"contracts ({self.events['contracts_sepa']} by direct debit), chart {self.chart}, "
                f"{setup_seconds:.0f} s",
                flush=True,
            )
            loop_started = real_clock()
            for offset in range(self.args.days):
                day = self.start + dt.timedelta(days=offset)
                self.at(day, 6)
                kill = self.rng.choice(KILLABLE_CRONS) if self.rng.random() < self.args.faults else None
                self.run_due_crons(kill=kill)
                self.at(day, 8, 50)
                if self.collection_date(day):
                    self.pay_twice_open(day)
                self.at(day, 9)
                self.accountant(day)
                with self.env() as env:
                    self.confirm_batches(env, day)
                    env.cr.commit()
                self.at(day, 9, 5)
                if getattr(self, "twice", None):
                    self.pay_twice_pay(day)
                self.at(day, 10)
                self.debtors_act(day)
                self.broker_and_payers_at_stripe(day)
                self.at(day, 18)
                if self.rng.random() < self.args.faults:
                    self.run_twice_at_once()
                self.run_due_crons()
                self.at(day, 23)
                self.check(day)
                if self.args.progress and (offset + 1) % self.args.progress == 0:
                    print(f"sim: day {offset + 1} ({day}) {dict(self.results)}", flush=True)
            self.loop_seconds = real_clock() - loop_started
        self.count_books()
        if self.args.demo:
            self.hand_over()
        return self.report()

    def count_books(self):
        with self.env() as env:
            for model, key in (
                ("insurance.premium.receipt", "receipts_issued"),
                ("arrears.case", "arrears_cases"),
                ("dunning.notice", "dunning_notices"),
                ("sepa.return.import", "bank_files_recorded"),
                ("stripe.event", "stripe_events_recorded"),
                ("arrears.plan.request", "plan_requests"),
            ):
                self.events[key] = env[model].search_count([])
            for state, count in env["arrears.case"]._read_group([], ["state"], ["__count"]):
                self.events[f"arrears_cases_{state}"] = count
            for level, count in env["dunning.notice"]._read_group([], ["level_id"], ["__count"]):
                self.events[f"dunning_notices: {level.name}"] = count
            for state, count in env["insurance.contract"]._read_group([], ["state"], ["__count"]):
                self.events[f"contracts_state_{state}"] = count
            for state, count in env["sepa.debit.line"]._read_group([], ["state"], ["__count"]):
                self.events[f"debit_lines_{state}"] = count

    def check_flows(self):
        """Each flow of the brokerage ran at least once: a step that silently stood aside is a failure.

        (Twice a change in the product left a whole flow idle, with every invariant holding over nothing.)
        """
        if self.args.days < FLOWS_AFTER_DAYS:
            return
        for flow in FLOWS:
            if self.events[flow]:
                self.results["passed"] += 1
            else:
                self.results["failed"] += 1
                self.violations.append(
                    (START + dt.timedelta(days=self.args.days - 1), "flow_ran", [(flow, "never happened")], False)
                )
                self.broken_days["flow_ran"] += 1

    def report(self):
        self.check_flows()
        for key, value in sorted(self.bank.counts.items()):
            self.events[f"bank: {key}"] = value
        print("sim: events")
        for key, value in sorted(self.events.items()):
            print(f"  {key:<60} {value:>8}")
        for day, rule, violations, known in self.violations:
            label = "KNOWN FAILURE" if known else "FAIL"
            for record, detail in violations:
                print(f"sim: {label} day {day} rule {rule}: {record}: {detail}")
        for rule, days in sorted(self.broken_days.items()):
            print(f"sim: rule {rule} broken on {days} day(s)")
        for rule, days in sorted(self.known_seen.items()):
            print(f"sim: known failure {rule} broken on {days} day(s): {invariants.KNOWN_FAILURES[rule]}")
        for rule in sorted(set(invariants.KNOWN_FAILURES) - set(self.known_seen)):
            print(
                f"sim: known failure {rule} held every day of this run: once its fix is merged, "
                "remove it from invariants.KNOWN_FAILURES"
            )
        days = self.args.days
        per_minute = days / (self.loop_seconds / 60) if self.loop_seconds else 0
        print(
            f"sim: {days} days in {self.loop_seconds:.0f} s ({per_minute:.1f} days simulated per minute), "
            f"{sum(self.results.values())} checks: {self.results['passed']} held, {self.results['failed']} broken, "
            f"{self.results['known']} broken by known bugs"
        )
        print(f"{self.results['passed']} passed, {self.results['failed']} failed")
        return 0 if not self.results["failed"] else 1


class _Settled:
    """A settled debit as the broker knows it (a later return does not change what was known then)."""

    def __init__(self, debit):
        self.debit = debit

    @property
    def outcome(self):
        return "settled"


class _AcceptingSmtp:
    """An SMTP session that takes every message (``--demo``)."""

    def quit(self):
        pass


@contextlib.contextmanager
def _mail_accepted():
    """E-mails and SMS are accepted, as by an SMTP server and Odoo's SMS service, and recorded as sent.

    For ``--demo``: the notices and answers the clients received are sent in the
    database left behind, not queued for the demo's server to try at its start.
    """
    from odoo.addons.base.models.ir_mail_server import IrMail_Server
    from odoo.addons.sms.tools.sms_api import SmsApi

    def send_sms_batch(api, messages, delivery_reports_url=False):
        return [{"uuid": number["uuid"], "state": "delivered"} for message in messages for number in message["numbers"]]

    with (
        patch.object(IrMail_Server, "_connect__", lambda server, *args, **kwargs: _AcceptingSmtp()),
        patch.object(IrMail_Server, "send_email", lambda server, message, *args, **kwargs: message["Message-Id"]),
        patch.object(SmsApi, "_send_sms_batch", send_sms_batch),
    ):
        yield


def json_dumps(value):
    import json

    return json.dumps(value)


@contextlib.contextmanager
def _database_clock_follows(sql_db):
    """``cr.now()`` (create dates, the cron runner's schedule) reads the frozen clock, not PostgreSQL's."""
    original = sql_db.BaseCursor.now

    def now(self):
        return dt.datetime.utcnow().replace(microsecond=0)

    sql_db.BaseCursor.now = now
    try:
        yield
    finally:
        sql_db.BaseCursor.now = original


def _modules(chart):
    # The French chart comes with l10n_fr_account, which pulls account_peppol (it needs the
    # phonenumbers package): opt-in, so that the test command runs wherever Odoo runs.
    return [*OUR_MODULES, "l10n_fr_account"] if chart == "fr" else list(OUR_MODULES)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=150)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--db", help="database name (default sim_<seed>_<pid>)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--data-dir", help="Odoo's data directory, where the attachments go (default Odoo's)")
    parser.add_argument("--strict", action="store_true", help="count known product bugs as failures")
    parser.add_argument(
        "--chart", choices=["generic", "fr"], default="generic", help="chart of accounts (fr: l10n_fr_account)"
    )
    parser.add_argument("--faults", type=float, default=0.1, help="share of days with a cron fault (0 for none)")
    parser.add_argument("--pdf", action="store_true", help="render the PDF reports with wkhtmltopdf")
    parser.add_argument("--progress", type=int, default=0, help="print the counts every N days")
    parser.add_argument(
        "--start", type=dt.date.fromisoformat, help=f"first simulated day, YYYY-MM-DD (default {START})"
    )
    parser.add_argument(
        "--until-today",
        action="store_true",
        help=f"simulate up to yesterday (instead of --days); without --start, from the Monday {DEMO_WEEKS} weeks ago",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="leave the database ready to use today (what bin/demo serves): French loaded, "
        "demo payment provider instead of the simulated Stripe, crons due after now",
    )
    args = parser.parse_args(argv)
    try:
        # The machine's date, read before any clock is frozen.
        args.start, args.days = simulated_period(args.start, args.days, args.until_today, dt.date.today())
    except ValueError as error:
        parser.error(str(error))
    args.modules = _modules(args.chart)
    name = args.db or f"sim_{args.seed}_{os.getpid()}"
    started = real_clock()
    try:
        with odoo_env.bench_database(name, modules=args.modules, keep=args.keep, data_dir=args.data_dir) as registry:
            args.install_seconds = real_clock() - started
            from odoo.tools import config

            if not args.pdf:
                # As in Odoo's own tests: reports render as HTML (wkhtmltopdf takes a second a page).
                config["test_enable"] = True
            logging.getLogger("stripe").setLevel(logging.WARNING)  # one line per simulated API call otherwise
            simulation = Simulation(registry, args)
            truth_handler = CronErrors(simulation.truth)
            logging.getLogger("odoo.addons.base.models.ir_cron").addHandler(truth_handler)
            return simulation.run()
    except Exception:  # the simulation itself broke: one failed check, with its traceback
        logging.getLogger("sim").exception("the simulation could not run")
        print("0 passed, 1 failed")
        return 2


if __name__ == "__main__":
    sys.exit(main())
