"""Benchmark: issue and post the premium receipts of N contracts, as the daily cron does.

    python3 tests/bench/bench_receipts.py [N ...]      (default: 1000 10000; 100000 takes long to seed)

For each N, one database is seeded with N contracts (the four splits, a receipt of each
falling due within the horizon), committed and ANALYZEd, then copied for each measure:

- ours, 1 worker: the receipts cron (``_cron_generate_receipts``) as Odoo's cron runner calls
  it, in its chunks, one commit each;
- ours, 2 workers: two processes running that cron at the same time on the same contracts
  (each claims its chunks with SKIP LOCKED): wall time, and whether any receipt or invoice
  number came out twice;
- Odoo's generic path: the same receipts, their invoices made by ``account.move.create`` from
  invoice lines and ``action_post``, in the same chunks and commits.

Each measure runs in a process of its own, which reports its receipts per second, SQL queries
per receipt and peak memory. Not a test: it asserts nothing.
"""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from odoo_env import accounting_company, bench_database

SPLITS = ("annual", "semiannual", "quarterly", "monthly")


def seed(n):
    """A database of ``n`` contracts whose first receipts fall due tomorrow; its name."""
    from odoo import api, fields
    from odoo.api import SUPERUSER_ID

    name = f"arrears_bench_receipts_{n}"
    with bench_database(name, modules=["insurance_arrears"], keep=True) as registry, registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        accounting_company(env)
        insurer = env["res.partner"].create(
            {"name": "Bench Insurer", "is_insurer": True, "insurer_commission_rate": 15}
        )
        start = fields.Date.context_today(env["res.partner"]) + timedelta(days=1)
        for offset in range(0, n, 10000):  # bounded memory while seeding 100,000
            size = min(10000, n - offset)
            clients = env["res.partner"].create([{"name": f"Client {offset + i}"} for i in range(size)])
            env["insurance.contract"].create(
                [
                    {
                        "name": f"BENCH-{offset + i:06d}",
                        "partner_id": client.id,
                        "insurer_id": insurer.id,
                        "date_start": start,
                        "split": SPLITS[i % 4],
                        "premium_net": 500 + i % 700,
                        "premium_tax": 45,
                        "premium_fee": 10,
                        "state": "active",
                    }
                    for i, client in enumerate(clients)
                ]
            )
            cr.commit()
            env.invalidate_all()
        cr.execute("ANALYZE")
        cr.commit()
    return name


def copy_database(template, name):
    import psycopg2

    connection = psycopg2.connect(dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cr:
        cr.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cr.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    connection.close()


def drop_database(name):
    import psycopg2

    connection = psycopg2.connect(dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cr:
        cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


def measure(database, path):
    """In this process: issue and post the receipts by ``path`` ('ours' or 'generic'); print figures as JSON."""
    import resource

    from odoo_env import _configure

    from odoo import api, sql_db
    from odoo.api import SUPERUSER_ID
    from odoo.modules.registry import Registry

    _configure()
    registry = Registry(database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cron = env.ref("insurance_arrears.ir_cron_generate_receipts")
        progress = env["ir.cron.progress"].create({"cron_id": cron.id, "remaining": 0, "done": 0})
        cr.commit()
        Contract = env["insurance.contract"].with_context(ir_cron_progress_id=progress.id, cron_id=cron.id)
        queries, start = sql_db.sql_counter, time.perf_counter()
        if path == "ours":
            Contract._cron_generate_receipts()
        else:
            generic_path(Contract)
        elapsed, queries = time.perf_counter() - start, sql_db.sql_counter - queries
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "queries": queries,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def generic_path(Contract):
    """Odoo's generic path for the same receipts: invoices synchronised from their invoice lines."""
    from odoo import fields
    from odoo.addons.insurance_arrears.models.insurance_contract import RECEIPT_CRON_BATCH
    from odoo.addons.insurance_arrears.models.insurance_premium_receipt import MOVE_CHUNK
    from odoo.tools import split_every

    env = Contract.env
    contracts = Contract.search([])
    horizon = env["insurance.contract"].browse(contracts[:1].ids).company_id.insurance_receipt_horizon_days
    until = fields.Date.context_today(contracts) + timedelta(days=horizon)  # as the cron's horizon
    Receipt = env["insurance.premium.receipt"].with_context(tracking_disable=True)
    for ids in split_every(RECEIPT_CRON_BATCH, contracts.ids):
        chunk = Contract.browse(ids)
        receipts = Receipt.create([vals for contract in chunk for vals in contract._prepare_receipt_vals(until)])
        for part in split_every(MOVE_CHUNK, receipts.ids):
            part = receipts.browse(part)
            moves = env["account.move"].create([receipt._prepare_move_vals() for receipt in part])
            for receipt, move in zip(part, moves, strict=True):
                receipt.move_id = move
            moves.action_post()
        env.cr.commit()
        env.invalidate_all()


def spawn(database, path):
    return subprocess.Popen(
        [sys.executable, __file__, "--measure", database, path], stdout=subprocess.PIPE, text=True, env=os.environ
    )


def result(process):
    out, _err = process.communicate()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if process.returncode or not lines:
        raise SystemExit(f"measure failed (exit {process.returncode})")
    return json.loads(lines[-1])


def books(database):
    """Receipts, posted invoices, receipts issued twice, invoice numbers given twice."""
    import psycopg2

    connection = psycopg2.connect(dbname=database)
    with connection.cursor() as cr:
        cr.execute("SELECT count(*), count(DISTINCT (contract_id, period_start)) FROM insurance_premium_receipt")
        receipts, distinct = cr.fetchone()
        cr.execute(
            "SELECT count(*), count(DISTINCT name) FROM account_move"
            " WHERE move_type = 'out_invoice' AND state = 'posted'"
        )
        invoices, numbers = cr.fetchone()
    connection.close()
    return receipts, invoices, receipts - distinct, invoices - numbers


def run(n):
    template = seed(n)
    figures = {}
    try:
        for label, paths in (
            ("ours, 1 worker", ["ours"]),
            ("ours, 2 workers", ["ours", "ours"]),
            ("generic", ["generic"]),
        ):
            database = f"{template}_run"
            copy_database(template, database)
            try:
                outcomes = [result(process) for process in [spawn(database, path) for path in paths]]
                elapsed = max(outcome["elapsed"] for outcome in outcomes)
                receipts, invoices, twice, numbers_twice = books(database)
                figures[label] = elapsed
                print(
                    f"N={n:>6} {label:<16}: {receipts} receipts, {invoices} invoices posted in "
                    f"{elapsed:.1f} s -> {receipts / elapsed:.0f} receipts/s, "
                    f"{sum(o['queries'] for o in outcomes) / max(receipts, 1):.1f} queries/receipt, "
                    f"peak RSS {max(o['rss_mb'] for o in outcomes):.0f} MB per process"
                    + (f"; issued twice: {twice}, numbers given twice: {numbers_twice}" if len(paths) > 1 else "")
                )
            finally:
                drop_database(database)
        print(f"N={n:>6} ours is {figures['generic'] / figures['ours, 1 worker']:.1f} x Odoo's generic path")
    finally:
        drop_database(template)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure(*sys.argv[2:4])
    else:
        for n in [int(a) for a in sys.argv[1:]] or [1000, 10000]:
            run(n)
