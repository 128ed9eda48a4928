"""Benchmark: a SEPA direct-debit batch of N debits, from receipts to reconciled invoices.

    python3 tests/bench/bench_sepa.py [N ...]        (default: 1000 10000)

With BENCH_SEED_CACHE=1 the seeded database is kept (``..._seed``) and copied
for each run, to measure a change without seeding again.

For each N, on a database of its own: N contracts with active mandates, their
receipts issued and notified (setup, not measured, in a process of its own so
that the measured process holds only Odoo's registry), data committed and
ANALYZEd; then, measured: building the batch (gathering and checking the
receipts), generating and validating the pain.008 file, posting the debits in
transit and reconciling the invoices. Prints seconds per step, SQL queries, and
the peak memory of the measured steps. Not a test: it asserts nothing.
"""

import base64
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from odoo_env import accounting_company, bench_database, existing_database, update_database

IBANS = ["DE89370400440532013000", "FR7630004000031234567890143", "FR1420041010050500013M02606"]


def _reset_peak_rss():
    # Linux: writing 5 resets the peak resident set size of this process.
    Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _timed(env, *steps):
    """Run ``(label, step)`` pairs; return ``(label, seconds, SQL queries, peak RSS MB)`` for each."""
    from odoo import sql_db

    figures = []
    for label, step in steps:
        _reset_peak_rss()
        queries = sql_db.sql_counter
        start = time.perf_counter()
        step()
        env.flush_all()
        figures.append((label, time.perf_counter() - start, sql_db.sql_counter - queries, _peak_rss_mb()))
    return figures


def seed(n):
    """Set up the database of the run for N (its own process)."""
    from odoo import api
    from odoo.api import SUPERUSER_ID

    with (
        bench_database(f"arrears_bench_sepa_{n}", modules=["sepa_dunning"], keep=True) as registry,
        registry.cursor() as cr,
    ):
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = accounting_company(env)
        company.sepa_creditor_identifier = "FR72ZZZ123456"
        journal = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)
        journal.bank_account_id = env["res.partner.bank"].create(
            {
                "acc_number": "FR7630006000011234567890189",
                "partner_id": company.partner_id.id,
            }
        )
        insurer = env["res.partner"].create({"name": "Insurer", "is_insurer": True, "insurer_commission_rate": 15})
        clients = env["res.partner"].create([{"name": f"Client {i}"} for i in range(n)])
        mandates = env["sepa.mandate"].create(
            [
                {
                    "name": f"UMR-{i:07d}",
                    "partner_id": c.id,
                    "debtor_iban": IBANS[i % 3],
                    "signature_date": "2025-01-01",
                    "creditor_identifier": "FR72ZZZ123456",
                    "state": "active",
                }
                for i, c in enumerate(clients)
            ]
        )
        contracts = env["insurance.contract"].create(
            [
                {
                    "name": f"SDD-{i:07d}",
                    "partner_id": c.id,
                    "insurer_id": insurer.id,
                    "date_start": "2026-01-01",
                    "split": "annual",
                    "payment_method": "sepa_dd",
                    "mandate_id": m.id,
                    "premium_net": 300 + i % 500,
                    "premium_tax": 27,
                    "premium_fee": 5,
                    "state": "active",
                }
                for i, (c, m) in enumerate(zip(clients, mandates, strict=True))
            ]
        )
        print(f"N={n}: setting up {n} receipts (not measured)...", flush=True)
        receipts = contracts._generate_receipts(until=date(2026, 1, 1))
        receipts.notice_date = date(2025, 12, 1)
        cr.commit()
        cr.execute("ANALYZE")


def run(n):
    from odoo import api
    from odoo.api import SUPERUSER_ID

    name = f"arrears_bench_sepa_{n}"
    if os.environ.get("BENCH_SEED_CACHE"):
        # Iterating on the code: the seeded database is kept once and copied for each run.
        seeded = f"{name}_seed"
        if subprocess.run(["psql", "-lqt"], capture_output=True, text=True).stdout.count(f" {seeded} ") == 0:
            subprocess.run([sys.executable, __file__, "--seed", str(n)], check=True)
            rename = f'ALTER DATABASE "{name}" RENAME TO "{seeded}"'
            subprocess.run(["psql", "-d", "postgres", "-c", rename], check=True)
        subprocess.run(["createdb", "-T", seeded, name], check=True)
        # The code may have changed since the seed: update the addons, in a process of their own.
        subprocess.run([sys.executable, __file__, "--update", name], check=True)
    else:
        subprocess.run([sys.executable, __file__, "--seed", str(n)], check=True)
    with existing_database(name) as registry:
        from odoo.addons.sepa_dunning.iso20022 import returns  # importable once the addons path is set

        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            journal_id = env["account.journal"].search([("type", "=", "bank"), ("bank_account_id", "!=", False)]).id
            start_rss = _rss_mb()
            batch = env["sepa.debit.batch"].create({"journal_id": journal_id, "collection_date": "2026-01-05"})
            figures = _timed(
                env,
                ("build the batch", batch.action_prepare),
                ("generate + validate the file", batch.action_generate),
                ("post + reconcile", batch.action_confirm),
            )
            peak = max(f[3] for f in figures)
            paid = env["insurance.premium.receipt"].search_count([("state", "=", "paid")])
            cr.commit()

            # The bank rejects every debit, 7 in 10 for insufficient funds (AM04: presented
            # again), 3 in 10 for a closed account (AC04: mandate blocked), and takes 7.50 a
            # rejection that the company charges on to the client: import (read + match),
            # then confirm (undo, fee entry, fee invoices, mandates, arrears cases).
            company = env.company
            accounts = env["account.account"].with_company(company)
            company.write(
                {
                    "sepa_rejection_fee": 7.5,
                    "sepa_rejection_fee_account_id": accounts.search([("account_type", "=", "expense")], limit=1).id,
                    "sepa_charge_rejection_fee": True,
                    "sepa_fee_income_account_id": accounts.search([("account_type", "=", "income")], limit=1).id,
                }
            )
            content = returns.status_report(
                batch.name,
                [
                    (f"{batch.name}-{d.sequence_type}", d.end_to_end_id, d.amount, "AM04" if i % 10 < 7 else "AC04")
                    for i, d in enumerate(batch.collect_line_ids)
                ],
                date(2026, 1, 7),
            )
            record = env["sepa.return.import"].create({"file": base64.b64encode(content), "filename": "status.xml"})
            rejection_figures = _timed(
                env,
                ("import rejections", record.action_parse),
                ("confirm rejections", record.action_confirm),
            )
            reopened = env["insurance.premium.receipt"].search_count([("state", "=", "open")])
            blocked = env["sepa.mandate"].search_count([("state", "=", "blocked")])
            fees = len(record.line_ids.fee_line_id)
            cr.commit()
        print(f"N={n:>6}  {'(process before the flow)':<30}            RSS {start_rss:.0f} MB")
        for label, seconds, queries, step_peak in figures:
            print(f"N={n:>6}  {label:<30} {seconds:7.2f} s  {queries:>7} queries  peak RSS {step_peak:.0f} MB")
        total = sum(f[1] for f in figures)
        print(f"N={n:>6}  {'whole debit flow':<30} {total:7.2f} s  peak RSS {peak:.0f} MB, {paid} receipts paid")
        for label, seconds, queries, step_peak in rejection_figures:
            print(f"N={n:>6}  {label:<30} {seconds:7.2f} s  {queries:>7} queries  peak RSS {step_peak:.0f} MB")
        total = sum(f[1] for f in rejection_figures)
        print(
            f"N={n:>6}  {'whole rejection flow':<30} {total:7.2f} s  {reopened} receipts open again, "
            f"{blocked} mandates blocked, {fees} fees charged to clients"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--seed"]:
        seed(int(sys.argv[2]))
    elif sys.argv[1:2] == ["--update"]:
        update_database(sys.argv[2], ["sepa_dunning"])
    else:
        for n in [int(a) for a in sys.argv[1:]] or [1000, 10000]:
            run(n)
