"""Benchmark: the daily dunning run over N open arrears cases.

    python3 tests/bench/bench_dunning.py [N ...]        (default: 10000 100000)

For each N, on a database of its own: N contracts, each with one unpaid receipt
and its open arrears case under the shipped L113-3 policy (seeded in batches,
committed and ANALYZEd, not measured). Then, measured:

- the run: every case reaches its first level, in the daily run's locked and
  committed chunks, with its notices created (e-mail and SMS, queued, not sent)
  and its payment link;
- 1,000 e-mail notices rendered from their template, each in its debtor's
  language, and queued as outgoing e-mails;
- a replay of the run, which must find nothing to do.

Prints seconds, SQL queries per case and notices created. Not a test.
"""

import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from odoo_env import accounting_company, bench_database

SEED_CHUNK = 5000


def _seed(env, n, introducer=None):
    """N contracts with one unpaid, overdue receipt each, and their open cases."""
    from odoo.tools import split_every

    company = accounting_company(env)
    company.dunning_policy_id = env.ref("sepa_dunning.dunning_policy_l113_3")
    insurer = env["res.partner"].create({"name": "Bench Insurer", "is_insurer": True, "is_company": True})
    due = date.today() - timedelta(days=3)
    quiet = env.context | {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
    for chunk in split_every(SEED_CHUNK, range(n)):
        partners = (
            env["res.partner"]
            .with_context(quiet)
            .create(
                [
                    {"name": f"Debtor {i:06d}", "email": f"debtor{i}@example.com", "phone": f"+3361{i:07d}"}
                    for i in chunk
                ]
            )
        )
        contracts = (
            env["insurance.contract"]
            .with_context(quiet)
            .create(
                [
                    {
                        "name": f"BENCH-{i:06d}",
                        "partner_id": partner.id,
                        "insurer_id": insurer.id,
                        "date_start": due,
                        "split": "annual",
                        "premium_net": 500.0,
                        "state": "active",
                        "introducer_id": introducer and introducer.id,
                    }
                    for i, partner in zip(chunk, partners, strict=True)
                ]
            )
        )
        receipts = (
            env["insurance.premium.receipt"]
            .with_context(quiet)
            .create(
                [
                    {
                        "name": f"Q/BENCH/{i:06d}",
                        "contract_id": contract.id,
                        "period_start": due,
                        "period_end": due + timedelta(days=364),
                        "date_due": due,
                        "amount_net": 500.0,
                    }
                    for i, contract in zip(chunk, contracts, strict=True)
                ]
            )
        )
        env.flush_all()
        # The invoices are not what is measured here: receipts are marked open
        # with their amount due directly, as posting would leave them.
        env.cr.execute(
            "UPDATE insurance_premium_receipt SET state = 'open', amount_residual = amount_total WHERE id = ANY(%s)",
            [receipts.ids],
        )
        env.invalidate_all()
        cases = env["arrears.case"].with_context(quiet).create([{"contract_id": c.id} for c in contracts])
        env.flush_all()
        env.cr.execute(
            """UPDATE insurance_premium_receipt r SET case_id = c.id
                 FROM arrears_case c WHERE c.contract_id = r.contract_id AND c.id = ANY(%s)""",
            [cases.ids],
        )
        env.invalidate_all()
        cases = env["arrears.case"].browse(cases.ids)
        cases._compute_amounts()
        cases._compute_dunning_next()
        env.flush_all()
        env.cr.commit()
    env.cr.execute("ANALYZE")
    return env["arrears.case"].search([("contract_id.name", "like", "BENCH-")])


def _run_chunks(env, today):
    """The daily run's loop, without the sending (measured apart)."""
    from odoo.addons.sepa_dunning.models.arrears_case import RUN_CHUNK
    from odoo.tools import split_every

    Case = env["arrears.case"]
    cases = Case.search(Case._dunning_domain(today), order="id")
    created = 0
    for ids in split_every(RUN_CHUNK, cases.ids):
        chunk = Case.browse(ids).try_lock_for_update().filtered_domain(Case._dunning_domain(today))
        created += len(chunk._dunning_advance(today))
        env.cr.commit()
    return len(cases), created


def run(n):
    from odoo import api, sql_db
    from odoo.api import SUPERUSER_ID

    database = bench_database(f"arrears_bench_dunning_{n}", modules=["sepa_dunning"])
    with database as registry, registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        cases = _seed(env, n)
        print(f"N={n}: seeded {len(cases)} cases in {time.perf_counter() - start:.1f} s (not measured)")
        today = date.today()

        queries = sql_db.sql_counter
        start = time.perf_counter()
        run_cases, created = _run_chunks(env, today)
        seconds = time.perf_counter() - start
        per_case = (sql_db.sql_counter - queries) / max(run_cases, 1)
        print(
            f"  run over {run_cases} cases: {seconds:.1f} s, {created} notices created, "
            f"{per_case:.1f} queries per case, {run_cases / seconds:.0f} cases/s"
        )

        emails = env["dunning.notice"].search([("channel", "=", "email"), ("state", "=", "queued")], limit=1000)
        queries = sql_db.sql_counter
        start = time.perf_counter()
        emails._send()
        env.flush_all()
        seconds = time.perf_counter() - start
        queued = env["mail.mail"].search_count([("model", "=", "arrears.case")])
        print(
            f"  {len(emails)} e-mail notices rendered and queued: {seconds:.1f} s, "
            f"{(sql_db.sql_counter - queries) / max(len(emails), 1):.1f} queries per notice, "
            f"{queued} e-mails queued"
        )
        env.cr.commit()

        start = time.perf_counter()
        replay_cases, replay_created = _run_chunks(env, today)
        print(
            f"  replayed run: {replay_cases} cases due, {replay_created} notices created, "
            f"{time.perf_counter() - start:.1f} s"
        )


if __name__ == "__main__":
    for size in [int(arg) for arg in sys.argv[1:]] or [10000, 100000]:
        run(size)
