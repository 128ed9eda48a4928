"""Benchmark: import an insurer's receipt file of N lines, as an accountant does.

    python3 tests/bench/bench_receipt_import.py [N ...]      (default: 10000)

For each N, a database of its own holds N quarterly contracts of an insurer that issues
its receipts (seeded and committed, not measured). A CSV of N receipt lines in the
insurer's layout (French dates and decimals) is then:

- read by ``receipt_files.read`` alone (the pure reader);
- checked (``action_check``: read, each line matched to its contract and receipts);
- imported (``action_confirm``: the N receipts created and their invoices posted),
  committed.

Prints seconds and lines per second for each step. Not a test: it asserts nothing.
"""

import base64
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from odoo_env import accounting_company, bench_database

HEADER = "Police;Quittance;Debut;Fin;Echeance;TTC;Taxes;Frais;Commission;Type"


def _file(n):
    rows = [HEADER]
    for i in range(n):
        # Net 250.00 a quarter at 15 %: commission 37.50; taxes 22.50, fees 2.50.
        rows.append(f"INS-{i:06d};Q-{i:07d};01/01/2026;31/03/2026;;275,00;22,50;2,50;37,50;")
    return "\r\n".join(rows).encode("latin-1")


def measure(n):
    from odoo import api
    from odoo.api import SUPERUSER_ID

    data = _file(n)
    database = bench_database(f"arrears_bench_import_{n}", modules=["insurance_arrears"])
    with database as registry, registry.cursor() as cr:
        from odoo.addons.insurance_arrears import receipt_files  # importable once the database is up

        env = api.Environment(cr, SUPERUSER_ID, {})
        accounting_company(env)
        insurer = env["res.partner"].create(
            {"name": "Bench Insurer", "is_insurer": True, "insurer_commission_rate": 15}
            | {"insurer_issues_receipts": True}
        )
        clients = env["res.partner"].create([{"name": f"Client {i}"} for i in range(n)])
        env["insurance.contract"].create(
            [
                {
                    "name": f"CNT-{i:06d}",
                    "insurer_reference": f"INS-{i:06d}",
                    "partner_id": client.id,
                    "insurer_id": insurer.id,
                    "date_start": "2026-01-01",
                    "split": "quarterly",
                    "premium_net": 1000,
                    "premium_tax": 90,
                    "premium_fee": 10,
                    "state": "active",
                }
                for i, client in enumerate(clients)
            ]
        )
        profile = env["insurance.receipt.import.profile"].create(
            {"name": "Bench", "insurer_id": insurer.id, "encoding": "latin-1"}
            | {f"column_{name}": header for name, header in zip(receipt_files.FIELDS, HEADER.split(";"), strict=True)}
        )
        cr.commit()

        started = time.perf_counter()
        lines = receipt_files.read(data, profile._profile())
        read_seconds = time.perf_counter() - started
        record = env["insurance.receipt.import"].create(
            {"name": "bench.csv", "profile_id": profile.id, "data": base64.b64encode(data)}
        )
        started = time.perf_counter()
        record.action_check()
        env.flush_all()
        check_seconds = time.perf_counter() - started
        started = time.perf_counter()
        record.action_confirm()
        env.flush_all()
        cr.commit()
        confirm_seconds = time.perf_counter() - started
        created = env["insurance.premium.receipt"].search_count([("insurer_reference", "!=", False)])
    print(
        f"N={n:>7,} lines ({len(data) / 1e6:.1f} MB): read {read_seconds:6.2f} s ({len(lines) / read_seconds:,.0f}/s), "
        f"check {check_seconds:6.2f} s ({n / check_seconds:,.0f}/s), "
        f"import {confirm_seconds:6.2f} s ({n / confirm_seconds:,.0f}/s); "
        f"total {read_seconds + check_seconds + confirm_seconds:.1f} s, {created:,} receipts posted"
    )


if __name__ == "__main__":
    for size in [int(arg) for arg in sys.argv[1:]] or [10000]:
        measure(size)
