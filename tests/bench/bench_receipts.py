"""Benchmark: issue and post premium receipts for N contracts.

    python3 tests/bench/bench_receipts.py [N ...]      (default: 1000 10000)

For each N, on a database of its own: N contracts are created in one batch,
committed and ANALYZEd, then the receipts of one period are issued and posted
by the same method the daily cron calls, in the cron's chunks, one commit each. Prints receipts per second and SQL
queries per receipt. Not a test: it asserts nothing.
"""

import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from odoo_env import accounting_company, bench_database


def run(n):
    from odoo import api, sql_db
    from odoo.api import SUPERUSER_ID

    with bench_database(f"arrears_bench_receipts_{n}", modules=["insurance_arrears"]) as registry:
        # importable once the addons path is set
        from odoo.addons.insurance_arrears.models.insurance_contract import RECEIPT_CRON_BATCH

        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            accounting_company(env)
            insurer = env["res.partner"].create(
                {
                    "name": "Bench Insurer",
                    "is_insurer": True,
                    "insurer_commission_rate": 15,
                }
            )
            clients = env["res.partner"].create([{"name": f"Client {i}"} for i in range(n)])
            env["insurance.contract"].create(
                [
                    {
                        "name": f"BENCH-{i:06d}",
                        "partner_id": client.id,
                        "insurer_id": insurer.id,
                        "date_start": "2026-01-01",
                        "split": ("annual", "semiannual", "quarterly", "monthly")[i % 4],
                        "premium_net": 500 + i % 700,
                        "premium_tax": 45,
                        "premium_fee": 10,
                        "state": "active",
                    }
                    for i, client in enumerate(clients)
                ]
            )
            cr.commit()
            cr.execute("ANALYZE")
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            contracts = env["insurance.contract"].search([])
            queries = sql_db.sql_counter
            start = time.perf_counter()
            receipts = env["insurance.premium.receipt"]
            # As the daily cron does: chunks of contracts, one transaction each.
            for offset in range(0, len(contracts), RECEIPT_CRON_BATCH):
                chunk = contracts[offset : offset + RECEIPT_CRON_BATCH]
                receipts |= chunk._generate_receipts(until=date(2026, 1, 1))
                cr.commit()
            elapsed = time.perf_counter() - start
            queries = sql_db.sql_counter - queries
            posted = env["account.move"].search_count([("id", "in", receipts.move_id.ids), ("state", "=", "posted")])
            cr.commit()
        print(
            f"N={n:>6}: {len(receipts)} receipts issued and {posted} invoices posted in {elapsed:.1f} s "
            f"-> {len(receipts) / elapsed:.0f} receipts/s, {queries / max(len(receipts), 1):.1f} queries/receipt"
        )


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [1000, 10000]:
        run(n)
