"""Benchmark: the Stripe webhook against a running Odoo with workers, then the accounting.

    python3 tests/bench/bench_stripe_webhook.py [N]        (default: 400)

On a database of its own: N contracts with an overdue posted receipt, their
arrears cases, payment links and open Stripe Checkout Sessions, a Stripe
provider in test mode (setup, committed and ANALYZEd, not measured). Then an
Odoo server is started with Odoo's own sizing rule, ``--workers`` = 2 x CPUs + 1
(``BENCH_WORKERS`` to choose another number), on a free localhost port, and,
measured:

- N/2 signed ``checkout.session.completed`` events posted one after the other,
  then N/2 more from 8 concurrent senders: events/s and p50/p95/p99 latency
  of the webhook (signature check, recording, handing over to the cron);
- one event replayed 10 times, and another delivered by 8 senders at once;
- the processing of every recorded event into the accounts (payments
  reconciled, fees booked) in this process, Stripe's HTTP layer answered
  locally, as the cron would do it;
- the processing cron and the polling safety net on the same payment at the
  same moment, in two transactions.

Prints the figures and the payments counted for the replayed events (each must
be exactly one). Not a test: it asserts nothing.
"""

import copy
import hashlib
import hmac
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from odoo_env import ODOO_PATH, ROOT, accounting_company, bench_database

DB = "arrears_bench_stripe"
SECRET = "whsec_bench_8d1f0e6c"
FIXTURES = ROOT / "addons" / "payment_link_stripe" / "tests" / "fixtures" / "stripe_objects.json"
SENDERS = 8
# Odoo's deployment guide: (2 x CPUs) + 1 workers for a server of its own.
WORKERS = int(os.environ.get("BENCH_WORKERS") or 2 * len(os.sched_getaffinity(0)) + 1)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed(env, n):
    """N overdue receipts, their cases, links and open checkout sessions; the Stripe provider."""
    company = accounting_company(env)
    company.arrears_test_company = True  # a test-mode provider settles only a test company's receipts
    journal = env["account.journal"].create(
        {"name": "Stripe", "code": "STRP", "type": "bank", "company_id": company.id}
    )
    provider = env["payment.provider"].search([("code", "=", "stripe"), ("company_id", "=", company.id)], limit=1)
    provider.write(
        {
            "state": "test",
            "stripe_secret_key": "sk_test_bench",
            "stripe_publishable_key": "pk_test_bench",
            "stripe_link_webhook_secret": SECRET,
            "journal_id": journal.id,
        }
    )
    insurer = env["res.partner"].create({"name": "Bench Insurer", "is_insurer": True, "is_company": True})
    start = date.today() - timedelta(days=40)
    quiet = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
    partners = env["res.partner"].with_context(**quiet).create([{"name": f"Payer {i:05d}"} for i in range(n)])
    contracts = (
        env["insurance.contract"]
        .with_context(**quiet)
        .create(
            [
                {
                    "name": f"STRIPE-{i:05d}",
                    "partner_id": partner.id,
                    "insurer_id": insurer.id,
                    "date_start": start,
                    "split": "annual",
                    "premium_net": 300.0 + i % 200,
                    "state": "active",
                }
                for i, partner in enumerate(partners)
            ]
        )
    )
    contracts._generate_receipts(until=start)
    env["arrears.case"]._cron_sync()
    links = env["arrears.case"].search([("state", "=", "open")])._ensure_payment_links()
    currency = company.currency_id
    expires = env.cr.now() + timedelta(hours=1)
    sessions = env["stripe.checkout.session"].create(
        [
            {
                "link_id": link.id,
                "provider_id": provider.id,
                "currency_id": currency.id,
                "reference": f"arl_bench_{i:05d}",
                "stripe_session_id": f"cs_test_bench_{i:05d}",
                "url": f"https://checkout.stripe.com/c/pay/cs_test_bench_{i:05d}",
                "amount_minor": round(link.amount_due * 100),
                "amount": link.amount_due,
                "expires_at": expires,
            }
            for i, link in enumerate(links.sorted("id"))
        ]
    )
    return sessions


def _completed_event(fixture, session, event_id):
    obj = copy.deepcopy(fixture["checkout.session"])
    obj.update(
        id=session["stripe_session_id"],
        client_reference_id=session["reference"],
        metadata={"reference": session["reference"]},
        amount_total=session["amount_minor"],
        amount_subtotal=session["amount_minor"],
        currency=session["currency"],
        customer_details=None,
        payment_intent=f"pi_bench_{session['reference'][-5:]}",
        payment_status="paid",
        status="complete",
    )
    event = copy.deepcopy(fixture["event"])
    event.update(id=event_id, type="checkout.session.completed", created=int(time.time()), data={"object": obj})
    return json.dumps(event)


def _signature(payload):
    timestamp = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class _Sender:
    """Posts signed payloads to the webhook, one HTTP session per thread."""

    def __init__(self, url):
        import requests

        self.url = url
        self._local = threading.local()
        self._requests = requests

    def post(self, payload):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._requests.Session()
        headers = {"Content-Type": "application/json", "Stripe-Signature": _signature(payload)}
        start = time.perf_counter()
        response = session.post(self.url, data=payload, headers=headers, timeout=30)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"webhook answered {response.status_code}: {response.text[:200]}")
        return elapsed


def _figures(label, latencies, seconds):
    ordered = sorted(latencies)

    def pct(p):
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    print(
        f"  {label:<28} {len(latencies):>5} events  {len(latencies) / seconds:7.1f} events/s  "
        f"p50 {pct(50):6.1f} ms  p95 {pct(95):6.1f} ms  p99 {pct(99):6.1f} ms  "
        f"(mean {statistics.mean(ordered) * 1000:.1f} ms)"
    )


ACCESS = re.compile(r'"POST /arrears/stripe/webhook HTTP/1\.\d" 200 - \d+ ([\d.]+) ([\d.]+)')


def _server_times(log_path, start, end):
    """Seconds spent inside the server per webhook call, from Odoo's access log between two offsets."""
    with open(log_path) as log:
        log.seek(start)
        text = log.read(end - start)
    return [float(sql) + float(other) for sql, other in ACCESS.findall(text)]


def _log_offset(server):
    time.sleep(0.5)  # the workers flush their last access lines
    return Path(server.log_path).stat().st_size


def _start_server(port):
    addons_path = ",".join([str(ODOO_PATH / "addons"), str(ODOO_PATH / "odoo" / "addons"), str(ROOT / "addons")])
    command = [
        sys.executable,
        str(ODOO_PATH / "odoo-bin"),
        "-c",
        str(ROOT / "odoo.conf"),
        f"--addons-path={addons_path}",
        f"--db_host={os.environ.get('PGHOST', '127.0.0.1')}",
        f"--db_port={os.environ.get('PGPORT', '5432')}",
        # One database named, no dbfilter: Odoo then does not list the server's
        # databases on each request without a session (every webhook call).
        "-d",
        DB,
        f"--workers={WORKERS}",
        "--max-cron-threads=0",  # the accounting is measured below, in this process
        f"--http-port={port}",
        "--http-interface=127.0.0.1",
        f"--gevent-port={_free_port()}",
        "--log-level=warn",
        # Odoo's access log gives each request's time inside the server (SQL + Python).
        "--log-handler=werkzeug:INFO",
        "--no-database-list",
    ]
    if os.environ.get("PGUSER"):
        command.append(f"--db_user={os.environ['PGUSER']}")
    if os.environ.get("PGPASSWORD"):
        command.append(f"--db_password={os.environ['PGPASSWORD']}")
    log = tempfile.NamedTemporaryFile("w+", prefix="bench_stripe_", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, text=True)
    server.log_path = log.name
    import requests

    for _attempt in range(120):
        try:
            if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"Odoo did not start: {Path(log.name).read_text()[-2000:]}")
        time.sleep(1)
    server.terminate()
    raise RuntimeError("Odoo did not answer within 2 minutes.")


def _fake_stripe(sessions_by_reference, currency):
    """Stripe's HTTP layer answered in this process: payment intents expanded down to their fee."""
    import stripe

    fixture = json.loads(FIXTURES.read_text())

    class BenchStripeHTTP(stripe.HTTPClient):
        name = "bench"

        def request(self, method, url, headers, post_data=None):
            object_id = url.split("?")[0].rstrip("/").split("/")[-1]
            reference = f"arl_bench_{object_id[-5:]}"
            amount = sessions_by_reference[reference]
            fee = round(amount * 0.015) + 25
            balance = dict(fixture["balance_transaction"], amount=amount, fee=fee, net=amount - fee, currency=currency)
            charge = dict(
                fixture["charge"], id=f"ch_bench_{object_id[-5:]}", amount=amount, balance_transaction=balance
            )
            intent = dict(
                fixture["payment_intent"],
                id=object_id,
                amount=amount,
                amount_received=amount,
                status="succeeded",
                latest_charge=charge,
                metadata={"reference": reference},
            )
            if "/checkout/sessions/" in url:
                body = dict(
                    fixture["checkout.session"],
                    id=object_id,
                    client_reference_id=reference,
                    amount_total=amount,
                    currency=currency,
                    payment_intent=dict(intent, id=f"pi_bench_{object_id[-5:]}"),
                    payment_status="paid",
                    status="complete",
                )
            else:
                body = intent
            return json.dumps(body), 200, {}

        def close(self):
            return None

    return BenchStripeHTTP()


def run(n):
    from odoo import api
    from odoo.api import SUPERUSER_ID

    fixture = json.loads(FIXTURES.read_text())
    with bench_database(DB, modules=["payment_link_stripe"]) as registry:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            start = time.perf_counter()
            sessions = _seed(env, n + 3)
            rows = sessions.read(["reference", "stripe_session_id", "amount_minor"])
            for row in rows:
                row["currency"] = sessions.currency_id.name.lower()
            cr.commit()
            cr.execute("ANALYZE")
            print(f"N={n}: seeded {len(rows)} open checkouts in {time.perf_counter() - start:.1f} s (not measured)")

        port = _free_port()
        server = _start_server(port)
        try:
            sender = _Sender(f"http://127.0.0.1:{port}/arrears/stripe/webhook")
            # Every worker loads the registry and opens its connections before the measure.
            warmup = [_completed_event(fixture, rows[-1], f"evt_bench_warmup_{i}") for i in range(4 * SENDERS)]
            with ThreadPoolExecutor(SENDERS) as pool:
                list(pool.map(sender.post, warmup))
            half = n // 2
            payloads = [_completed_event(fixture, row, f"evt_bench_{i:05d}") for i, row in enumerate(rows[:n])]

            print(f"  {WORKERS} workers; client side (what a sender waits: queueing, TCP, server):")
            offset = _log_offset(server)
            start = time.perf_counter()
            sequential = [sender.post(payload) for payload in payloads[:half]]
            seconds = time.perf_counter() - start
            _figures("sequential, 1 sender", sequential, seconds)
            middle = _log_offset(server)
            start = time.perf_counter()
            with ThreadPoolExecutor(SENDERS) as pool:
                concurrent = list(pool.map(sender.post, payloads[half:]))
            concurrent_seconds = time.perf_counter() - start
            _figures(f"concurrent, {SENDERS} senders", concurrent, concurrent_seconds)
            end = _log_offset(server)
            print("  server side (Odoo's access log: verify, record, trigger, commit):")
            _figures("sequential, 1 sender", _server_times(server.log_path, offset, middle), seconds)
            _figures(f"concurrent, {SENDERS} senders", _server_times(server.log_path, middle, end), concurrent_seconds)

            replayed = _completed_event(fixture, rows[n], "evt_bench_replayed")
            for _replay in range(10):
                sender.post(replayed)
            same = _completed_event(fixture, rows[n + 1], "evt_bench_concurrent")
            barrier = threading.Barrier(SENDERS)

            def deliver_at_once(_index):
                barrier.wait()
                return sender.post(same)

            with ThreadPoolExecutor(SENDERS) as pool:
                list(pool.map(deliver_at_once, range(SENDERS)))
        finally:
            server.terminate()
            server.wait(timeout=60)
            problems = [
                line
                for line in Path(server.log_path).read_text().splitlines()
                if " WARNING " in line or " ERROR " in line
            ]
            print(f"  server log {server.log_path}: {len(problems)} warning/error lines", *problems[:5], sep="\n    ")

        _process_and_count(registry, rows, n)


def _process_and_count(registry, rows, n):
    import logging
    from unittest.mock import patch

    logging.getLogger("stripe").setLevel(logging.WARNING)  # one INFO line per call otherwise

    from odoo import api, sql_db
    from odoo.addons.payment_link_stripe import utils
    from odoo.api import SUPERUSER_ID

    amounts = {row["reference"]: row["amount_minor"] for row in rows}
    fake = _fake_stripe(amounts, rows[0]["currency"])
    with patch.object(utils, "_http_client", lambda: fake):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            Event = env["stripe.event"]
            pending = Event.search_count([("state", "=", "pending")])
            queries = sql_db.sql_counter
            start = time.perf_counter()
            Event._cron_process()
            cr.commit()
            seconds = time.perf_counter() - start
            done = Event.search_count([("state", "=", "done")])
            print(
                f"  processing into the accounts: {pending} events in {seconds:.1f} s, "
                f"{pending / seconds:.1f} events/s, {(sql_db.sql_counter - queries) / max(pending, 1):.0f} queries "
                f"per event, {done} done, {Event.search_count([('state', '=', 'error')])} in error"
            )
            for event_id, row, label in (
                ("evt_bench_replayed", rows[n], "10 replays of one event"),
                ("evt_bench_concurrent", rows[n + 1], f"{SENDERS} concurrent deliveries of one event"),
            ):
                session = env["stripe.checkout.session"].search([("reference", "=", row["reference"])])
                recorded = Event.search_count([("stripe_event_id", "=", event_id)])
                print(
                    f"  {label}: {recorded} event recorded, {len(session.link_id.payment_ids)} payment "
                    f"({session.payment_id.amount:.2f}), fee entry {session.fee_move_id.amount_total:.2f}"
                )
            fees = env["stripe.checkout.session"].search_count([("fee_move_id", "!=", False)])
            print(f"  fees booked: {fees}")

        _cron_and_poll_race(registry, rows[n + 2])


def _cron_and_poll_race(registry, row):
    """The processing cron and the polling on the same payment, in two transactions at once."""
    from odoo import api
    from odoo.api import SUPERUSER_ID

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        fixture = json.loads(FIXTURES.read_text())
        payload = _completed_event(fixture, row, "evt_bench_race")
        env["stripe.event"]._record(env["payment.provider"].browse(), json.loads(payload))
        cr.commit()
    barrier = threading.Barrier(2)

    def in_transaction(work):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            barrier.wait()
            try:
                work(env)
                cr.commit()
            except Exception as error:  # the losing transaction rolls back; its error is printed
                cr.rollback()
                return type(error).__name__
        return "committed"

    def process(env):
        env["stripe.event"]._cron_process()

    def poll(env):
        env["stripe.checkout.session"].search([("reference", "=", row["reference"])])._poll()

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(in_transaction, (process, poll)))
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["stripe.event"]._cron_process()  # an event left pending by the race is handled now
        cr.commit()
        session = env["stripe.checkout.session"].search([("reference", "=", row["reference"])])
        event = env["stripe.event"].search([("stripe_event_id", "=", "evt_bench_race")])
        print(
            f"  cron and polling at once on one payment: {outcomes}, "
            f"{len(session.link_id.payment_ids)} payment, event {event.state} ({event.outcome})"
        )


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
