"""Benchmark: the partner web service and the managers' reporting on N receipts.

    python3 tests/bench/bench_api.py [N]        (default: 100000)

On a database of its own: N contracts, each with one unpaid receipt and its open
case, all introduced by one partner whose portal user has an API key (seeded,
committed and ANALYZEd, not measured). An Odoo server with two workers serves
the database on a free local port. Measured:

- "get one case" (GET /api/arrears/v1/cases/<id>): requests per second and
  latency percentiles, sequential, then with 8 concurrent clients;
- "list cases" (first page of 50 of the N cases);
- the reporting queries: arrears by ageing bucket and by insurer over the N
  receipts (the pivot's read_group on the SQL view).

Prints figures; asserts nothing.
"""

import os
import random
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dunning import _seed
from odoo_env import ODOO_PATH, ROOT, bench_database


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(database, port):
    addons = [str(ODOO_PATH / "addons"), str(ODOO_PATH / "odoo" / "addons"), str(ROOT / "addons")]
    command = [
        sys.executable,
        str(ODOO_PATH / "odoo-bin"),
        "-c",
        str(ROOT / "odoo.conf"),
        f"--addons-path={','.join(addons)}",
        f"--db_host={os.environ.get('PGHOST', '127.0.0.1')}",
        f"--db_port={os.environ.get('PGPORT', '5432')}",
        "-d",
        database,
        f"--db-filter=^{database}$",
        "--http-interface=127.0.0.1",
        f"--http-port={port}",
        "--workers=2",
        "--max-cron-threads=0",
        "--log-level=warn",
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _attempt in range(120):
        try:
            requests.get(f"http://127.0.0.1:{port}/web/health", timeout=30)
            return server
        except requests.RequestException:
            time.sleep(0.5)
    server.kill()
    sys.exit("the Odoo server did not start")


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _measure(label, session_factory, urls, concurrency):
    def call(url, session=None):
        session = session or session_factory()
        start = time.perf_counter()
        response = session.get(url, timeout=30)
        response.raise_for_status()
        return time.perf_counter() - start

    start = time.perf_counter()
    if concurrency == 1:
        session = session_factory()
        latencies = [call(url, session) for url in urls]
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = list(pool.map(call, urls))
    seconds = time.perf_counter() - start
    print(
        f"  {label}: {len(urls) / seconds:.0f} req/s, p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {_percentile(latencies, 0.95) * 1000:.0f} ms, p99 {_percentile(latencies, 0.99) * 1000:.0f} ms"
    )


def run(n):
    from odoo import api
    from odoo.api import SUPERUSER_ID
    from odoo.fields import Command

    database = f"arrears_bench_api_{n}"
    with bench_database(database, modules=["sepa_dunning"]) as registry, registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        introducer = env["res.partner"].create({"name": "Bench Introducer", "is_introducer": True})
        cases = _seed(env, n, introducer=introducer)
        user = env["res.users"].create(
            {
                "login": "bench-partner",
                "partner_id": introducer.id,
                "group_ids": [
                    Command.set(
                        [env.ref("base.group_portal").id, env.ref("insurance_arrears.group_arrears_partner_api").id]
                    )
                ],
            }
        )
        # The partner web service only takes keys of its own scope (as the manager's wizard issues them).
        key = env["res.users.apikeys"].with_user(user).sudo()._generate("insurance_arrears.partner_api", "bench", None)
        env.company.arrears_api_rate_limit = 0  # measure the service, not the limiter
        env.cr.commit()
        print(f"N={n}: seeded {len(cases)} cases in {time.perf_counter() - start:.0f} s (not measured)")

        for label, groupby in (("arrears by ageing bucket", ["ageing"]), ("arrears by insurer", ["insurer_id"])):
            start = time.perf_counter()
            rows = env["arrears.report"]._read_group([], groupby, ["amount_due:sum", "receipt_count:sum"])
            total = sum(count for *_key, _amount, count in rows)
            print(f"  reporting, {label}: {(time.perf_counter() - start) * 1000:.0f} ms over {total} receipts")

        port = _free_port()
        server = _start_server(database, port)
        try:

            def session_factory():
                session = requests.Session()
                session.headers["Authorization"] = f"Bearer {key}"
                return session

            base = f"http://127.0.0.1:{port}/api/arrears/v1"
            sample = random.Random(0).sample(cases.ids, min(2000, len(cases)))
            session_factory().get(f"{base}/cases/{sample[0]}", timeout=30)  # warm the workers
            _measure("get one case, sequential", session_factory, [f"{base}/cases/{i}" for i in sample[:500]], 1)
            _measure("get one case, 8 clients", session_factory, [f"{base}/cases/{i}" for i in sample[500:]], 8)
            _measure("list cases (page of 50), 8 clients", session_factory, [f"{base}/cases"] * 200, 8)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 100000)
