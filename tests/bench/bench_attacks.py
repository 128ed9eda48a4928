"""Attack suite: what an outsider can do to the running product, over HTTP, on the loopback.

    python3 tests/bench/bench_attacks.py [N]        (default: 20)

On a database of its own (N contracts per partner, seeded and committed, not
measured): company A takes card payments through Stripe (test mode, webhook
secret A), company B too (its own keys and webhook secret B); company C has no
Stripe key, so its links fall back to the demo provider although nobody chose
demo mode, and its partner's calls are rate limited. Three introducers have partner API keys
issued the way a manager issues them (the key wizard). An Odoo server is started
on 127.0.0.1 only, on a free port, and each attack below runs against it:

- a partner's API key on Odoo's RPC: ``/json/2/<model>/search_read``,
  ``/xmlrpc/2/object`` and ``/jsonrpc``;
- another partner's case ids and link tokens on the partner API;
- enumeration of case ids (partner API) and of random tokens (``/arrears/pay/<token>``);
- the page of a revoked link, of a link paid by card and of a link whose case was settled
  by transfer (must name nobody: no policyholder, no contract);
- the Stripe return page with a forged cookie ``arrears_stripe_checkout=<reference>``;
- forged, stale, replayed, unknown-secret and other-provider-signed webhooks, an
  event paying 0.01 for a real checkout, a live-mode event for a test provider;
- the demo provider's "simulate a payment" on a company that did not choose demo mode;
- plan requests with absurd instalments or delays, and two at once;
- concurrent partner API calls beyond the rate limit;
- oversized, XXE, billion-laughs and truncated bank files, through the import
  model in the seeded database (no public route takes bank files);
- schemathesis against ``/api/arrears/v1/openapi.json`` with a partner key
  (bounded in examples and time), with the ``schemathesis`` package of this
  python (``SCHEMATHESIS=/path/to/schemathesis`` to run another command instead,
  ``SCHEMATHESIS_EXAMPLES`` for its examples per operation, default 30).

``BENCH_PORT`` chooses the server's port (default: a free one), ``BENCH_DB`` the
database's name (default: arrears_bench_attacks; dropped afterwards).

Prints, per kind of attack: tried, refused, accepted, errors (5xx or a crash),
and what changed in the database (account.move, account.payment and
arrears.case rows by state, before/after). The goal is 0 accepted, 0 errors and
nothing changed. Every loop is bounded in count and in time. Not a test: it
asserts nothing.
"""

import base64
import importlib.util
import json
import logging
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from unittest.mock import patch

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The Stripe objects and signatures of payment_link_stripe's tests (a plain module, no odoo import).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "addons" / "payment_link_stripe" / "tests"))
from bench_api import _free_port, _start_server
from odoo_env import accounting_company, bench_database
from stripe_fake import sign, stripe_object

DB = os.environ.get("BENCH_DB", "arrears_bench_attacks")
SECRET_A = "whsec_attacks_company_a_1b7e"
SECRET_B = "whsec_attacks_company_b_93c4"
TIMEOUT = 30  # seconds, each HTTP request
ATTACK_SECONDS = 120  # each attack stops trying after this long
RATE_LIMIT = 20  # company C's partner calls per minute
PARTNER_API_GROUP = "insurance_arrears.group_arrears_partner_api"
READ = {"fields": ["display_name"], "limit": 5}  # what every RPC attempt reads: names, nothing restricted
MODELS = ["insurance.contract", "insurance.premium.receipt", "arrears.case", "arrears.payment.link", "res.partner"]


@dataclass
class Tally:
    """What one kind of attack did."""

    kind: str
    tried: int = 0
    refused: int = 0
    accepted: int = 0
    errors: int = 0
    notes: list = field(default_factory=list)
    changed: str = ""

    def count(self, accepted, error=False, note=None):
        self.tried += 1
        if error:
            self.errors += 1
        elif accepted:
            self.accepted += 1
        else:
            self.refused += 1
        if note and note not in self.notes and len(self.notes) < 5:
            self.notes.append(note)


class Clock:
    """A loop's time budget."""

    def __init__(self, seconds=ATTACK_SECONDS):
        self.end = time.monotonic() + seconds

    def left(self):
        return time.monotonic() < self.end


# ---------------------------------------------------------------------------
# Seed (the only part that knows the product's models)
# ---------------------------------------------------------------------------


def _company(env, name):
    company = env["res.company"].create({"name": name, "currency_id": env.company.currency_id.id})
    env.user.company_ids |= company
    env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    company._insurance_ensure_accounting()
    return company


def _partner_key(env, company, name):
    """An introducer with a portal user in the partner API group, and a key issued by the manager's wizard."""
    from odoo.fields import Command

    introducer = env["res.partner"].create({"name": name, "is_introducer": True, "is_company": True})
    user = env["res.users"].create(
        {
            "name": f"{name} extranet",
            "login": f"api-{name.lower().replace(' ', '-')}",
            "partner_id": introducer.id,
            "company_id": company.id,
            "company_ids": [Command.set(company.ids)],
            "group_ids": [
                Command.set(
                    [env.ref("base.group_portal").id, env.ref("insurance_arrears.group_arrears_partner_api").id]
                )
            ],
        }
    )
    wizard = env["arrears.api.key.wizard"].create({"user_id": user.id, "name": "Attack suite"})
    wizard.action_generate()
    return introducer, user, wizard.key


def _contracts(env, company, introducer, insurer, n, prefix):
    cenv = env(context={"allowed_company_ids": company.ids, "tracking_disable": True, "mail_create_nolog": True})
    start = date.today() - timedelta(days=40)
    partners = cenv["res.partner"].create([{"name": f"{prefix} Policyholder {i:04d}"} for i in range(n)])
    contracts = cenv["insurance.contract"].create(
        [
            {
                "name": f"{prefix}-{i:04d}",
                "company_id": company.id,
                "partner_id": partner.id,
                "insurer_id": insurer.id,
                "introducer_id": introducer.id,
                "date_start": start,
                "split": "annual",
                "premium_net": 300.0 + i,
                "state": "active",
            }
            for i, partner in enumerate(partners)
        ]
    )
    contracts._generate_receipts(until=start)
    cenv["arrears.case"]._cron_sync()
    cases = cenv["arrears.case"].search([("contract_id", "in", contracts.ids), ("state", "=", "open")], order="id")
    cases._ensure_payment_links()
    return cases


def _stripe_provider(env, company, journal_code, secret_key, webhook_secret):
    provider = env["payment.provider"].search([("code", "=", "stripe"), ("company_id", "=", company.id)], limit=1)
    if not provider:
        template = env["payment.provider"].search([("code", "=", "stripe")], limit=1)
        provider = template.copy({"company_id": company.id})
    journal = env["account.journal"].create(
        {"name": f"Stripe {journal_code}", "code": journal_code, "type": "bank", "company_id": company.id}
    )
    provider.write(
        {
            "state": "test",
            "stripe_secret_key": secret_key,
            "stripe_publishable_key": f"pk_test_attacks_{journal_code.lower()}",
            "stripe_link_webhook_secret": webhook_secret,
            "journal_id": journal.id,
        }
    )
    return provider


def _checkouts(env, provider, links):
    expires = env.cr.now() + timedelta(hours=1)
    sessions = env["stripe.checkout.session"].create(
        [
            {
                "link_id": link.id,
                "provider_id": provider.id,
                "currency_id": link.currency_id.id,
                "reference": f"arl_attack_{i:04d}_{secrets.token_hex(4)}",
                "stripe_session_id": f"cs_test_attack_{i:04d}_{secrets.token_hex(4)}",
                "url": f"https://checkout.stripe.com/c/pay/cs_test_attack_{i:04d}",
                "amount_minor": round(link.amount_due * 100),
                "amount": link.amount_due,
                "expires_at": expires,
            }
            for i, link in enumerate(links)
        ]
    )
    return [
        {
            "reference": s.reference,
            "stripe_session_id": s.stripe_session_id,
            "amount_minor": s.amount_minor,
            "currency": s.currency_id.name.lower(),
            "token": s.link_id.token,
        }
        for s in sessions
    ]


def _link_seen(case):
    """What the holder of ``case``'s active link may have noted: its token and whom its page named."""
    return {"token": case.payment_link_id.token, "name": case.partner_id.name, "contract": case.contract_id.name}


def seed(env, n):
    """The database the attacks run against; returns what an attacker is assumed to know or hold."""
    company_a = accounting_company(env)
    bank_journal = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company_a.id)], limit=1)
    company_a.arrears_api_rate_limit = 0  # the enumerations below measure the rules, not the limiter
    company_b = _company(env, "Attack Broker B")
    company_b.arrears_api_rate_limit = 0
    company_c = _company(env, "Attack Broker C")
    company_c.arrears_api_rate_limit = RATE_LIMIT
    # A and B take Stripe's test-mode payments: the product settles them only for a company flagged as a
    # test company (else the genuine payment below is refused, and the replays have nothing to double).
    (company_a | company_b).arrears_test_company = True
    provider_a = _stripe_provider(env, company_a, "STRA", "sk_test_attacks_a", SECRET_A)
    # B takes its own card payments: its secret verifies webhooks, for B's checkouts only.
    _stripe_provider(env, company_b, "STRB", "sk_test_attacks_b", SECRET_B)
    env["arrears.plan.rule"].search([]).unlink()
    for company in (company_a, company_b, company_c):
        env["arrears.plan.rule"].create(
            {
                "name": "Standard",
                "company_id": company.id,
                "max_amount": 2000.0,
                "max_delay_days": 30,
                "max_instalments": 3,
                "spacing_days": 30,
            }
        )
    insurer = env["res.partner"].create({"name": "Attack Insurer", "is_insurer": True, "is_company": True})
    p1, user1, key1 = _partner_key(env, company_a, "Introducer One")
    p2, _user2, key2 = _partner_key(env, company_a, "Introducer Two")
    p3, _user3, key3 = _partner_key(env, company_b, "Introducer Three")
    _p4, _user4, key4 = _partner_key(env, company_c, "Introducer Four")
    # The first 9 are revoked, paid or in a checkout, the last is settled by a transfer; the others
    # take plan requests (12 at least).
    cases1 = _contracts(env, company_a, p1, insurer, max(n, 22), "ONE")
    cases2 = _contracts(env, company_a, p2, insurer, max(3, n // 4), "TWO")
    cases3 = _contracts(env, company_b, p3, insurer, max(6, n // 4), "THREE")
    # C configured no card payments: its links fall back to the demo provider, chosen by nobody.
    cases4 = _contracts(env, company_c, _p4, insurer, 3, "FOUR")

    # A link revoked by an accountant (leaked): its token must open nothing personal.
    revoked_case = cases1[0]
    revoked = _link_seen(revoked_case)
    revoked_case.action_new_payment_link()
    # Checkouts of company A; the first is paid by a genuine event before the attacks (its link: paid).
    sessions = _checkouts(env, provider_a, cases1[1:9].payment_link_id)
    paid = _link_seen(cases1[1])
    # A case the client settled by bank transfer: the case closes, and its link with it (closed).
    closed = _link_seen(cases1[-1])
    cases1[-1].open_receipt_ids._register_payments(bank_journal)
    env.cr.commit()
    return {
        "n": n,
        "db": DB,
        "user1": {"login": user1.login, "uid": user1.id, "key": key1},
        "key2": key2,
        "key3": key3,
        "key4": key4,
        "own_case_ids": cases1.ids,
        "other_case_ids": (cases2 | cases3 | cases4).ids,
        "other_tokens": (cases2 | cases3 | cases4).payment_link_id.mapped("token"),
        "max_case_id": max((cases1 | cases2 | cases3 | cases4).ids),
        "own_tokens": cases1[9:-1].payment_link_id.mapped("token"),
        "demo_tokens": cases4.payment_link_id.mapped("token"),
        "demo_case_of_token": {link.token: link.case_id.id for link in cases4.payment_link_id},
        "revoked": revoked,
        "paid": paid,
        "closed": closed,
        "sessions": sessions,
    }


def snapshot(registry):
    """Rows by state of what an attack must never change: entries, payments, cases."""
    with registry.cursor() as cr:
        cr.execute(
            """
            SELECT 'account.move ' || state, count(*) FROM account_move GROUP BY state
             UNION ALL
            SELECT 'account.payment ' || state, count(*) FROM account_payment GROUP BY state
             UNION ALL
            SELECT 'arrears.case ' || state, count(*) FROM arrears_case GROUP BY state
            """
        )
        return dict(cr.fetchall())


def checkout_states(registry, references):
    with registry.cursor() as cr:
        cr.execute("SELECT reference, state FROM stripe_checkout_session WHERE reference = ANY(%s)", [references])
        return dict(cr.fetchall())


def link_states(registry, tokens):
    with registry.cursor() as cr:
        cr.execute("SELECT token, state FROM arrears_payment_link WHERE token = ANY(%s)", [tokens])
        return dict(cr.fetchall())


def case_states(registry, case_ids):
    with registry.cursor() as cr:
        cr.execute("SELECT id, state FROM arrears_case WHERE id = ANY(%s)", [case_ids])
        return dict(cr.fetchall())


def plan_request_counts(registry, tokens):
    with registry.cursor() as cr:
        cr.execute(
            """
            SELECT l.token, count(r.id) FROM arrears_payment_link l
              LEFT JOIN arrears_plan_request r ON r.case_id = l.case_id
             WHERE l.token = ANY(%s) GROUP BY l.token
            """,
            [tokens],
        )
        return dict(cr.fetchall())


def events_named(registry, event_id):
    with registry.cursor() as cr:
        cr.execute("SELECT count(*) FROM stripe_event WHERE stripe_event_id = %s", [event_id])
        return cr.fetchone()[0]


def process_stripe_events(registry):
    """Run the events' processing cron as the server's cron would, Stripe's API unreachable (as here)."""
    import stripe

    from odoo import api
    from odoo.addons.payment_link_stripe import utils

    class Offline(stripe.HTTPClient):
        name = "offline"

        def request(self, method, url, headers, post_data=None):
            raise stripe.APIConnectionError("Stripe is not reachable from the attack suite.")

        def _sleep_time_seconds(self, num_retries, response=None):
            return 0

        def close(self):
            return None

    # The fee cannot be read offline: the product says so in a warning, expected here.
    quiet = [logging.getLogger(name) for name in ("stripe", "odoo.addons.payment_link_stripe")]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    with patch.object(utils, "_http_client", Offline), registry.cursor() as cr:
        api.Environment(cr, api.SUPERUSER_ID, {})["stripe.event"]._cron_process()


def import_bank_file(registry, content, filename):
    """Feed a bank file to the import as an accountant would: refused (with its reason) or read."""
    from odoo import api
    from odoo.exceptions import UserError, ValidationError

    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        record = env["sepa.return.import"].create({"file": base64.b64encode(content), "filename": filename})
        try:
            with cr.savepoint():
                record.action_parse()
        except (UserError, ValidationError) as refusal:
            return "refused", str(refusal)[:80]
        except Exception as error:  # what a crash looks like is the finding
            return "error", f"{type(error).__name__}: {str(error)[:60]}"
        text = " ".join(str(v) for v in record.line_ids.read(["end_to_end_id", "bank_reference", "additional_info"]))
        return "accepted", ("/etc/passwd read" if "root:" in text else f"{len(record.line_ids)} lines read")


# ---------------------------------------------------------------------------
# HTTP helpers
# ---------------------------------------------------------------------------


def _bearer(key):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    return session


def _csrf(session, base, token):
    """The CSRF token any page of the link gives to the browser holding it (None if the page has no form)."""
    page = session.get(f"{base}/arrears/pay/{token}", timeout=TIMEOUT)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return found and found.group(1)


def _checkout_event(row, event_id, amount_minor=None, livemode=False):
    amount = row["amount_minor"] if amount_minor is None else amount_minor
    obj = stripe_object(
        "checkout.session",
        id=row["stripe_session_id"],
        client_reference_id=row["reference"],
        metadata={"reference": row["reference"]},
        amount_total=amount,
        amount_subtotal=amount,
        currency=row["currency"],
        customer_details=None,
        payment_intent=f"pi_attack_{event_id[-8:]}",
        payment_status="paid",
        status="complete",
        livemode=livemode,
    )
    event = stripe_object(
        "event",
        id=event_id,
        type="checkout.session.completed",
        created=int(time.time()),
        livemode=livemode,
        data={"object": obj},
    )
    return json.dumps(event)


def _webhook(base, payload, signature):
    headers = {"Content-Type": "application/json"}
    if signature:
        headers["Stripe-Signature"] = signature
    return requests.post(f"{base}/arrears/stripe/webhook", data=payload, headers=headers, timeout=TIMEOUT)


# ---------------------------------------------------------------------------
# The attacks: each returns its Tally
# ---------------------------------------------------------------------------


def attack_partner_key_on_json2(ctx):
    tally = Tally("partner key on /json/2")
    session = _bearer(ctx["user1"]["key"])
    for model in MODELS:
        response = session.post(
            f"{ctx['base']}/json/2/{model}/search_read",
            json={"domain": [], **READ},
            headers={"X-Odoo-Database": ctx["db"]},
            timeout=TIMEOUT,
        )
        status = response.status_code
        tally.count(status == 200, error=status >= 500, note=f"{model}: HTTP {status}")
    return tally


def attack_partner_key_on_xmlrpc(ctx):
    tally = Tally("partner key on /xmlrpc/2")
    user = ctx["user1"]
    common = xmlrpc.client.ServerProxy(f"{ctx['base']}/xmlrpc/2/common", allow_none=True)
    objects = xmlrpc.client.ServerProxy(f"{ctx['base']}/xmlrpc/2/object", allow_none=True)
    try:
        uid = common.authenticate(ctx["db"], user["login"], user["key"], {}) or user["uid"]
    except xmlrpc.client.Fault:
        uid = user["uid"]
    for model in MODELS:
        try:
            rows = objects.execute_kw(ctx["db"], uid, user["key"], model, "search_read", [[]], READ)
            tally.count(True, note=f"{model}: {len(rows)} rows read")
        except xmlrpc.client.Fault as fault:
            tally.count(False, note=f"{model}: {str(fault.faultString).strip().splitlines()[0][:60]}")
        except xmlrpc.client.ProtocolError as error:
            tally.count(False, error=error.errcode >= 500, note=f"HTTP {error.errcode}")
    return tally


def attack_partner_key_on_jsonrpc(ctx):
    tally = Tally("partner key on /jsonrpc")
    user = ctx["user1"]
    for model in MODELS:
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [ctx["db"], user["uid"], user["key"], model, "search_read", [[]], READ],
            },
        }
        answer = requests.post(f"{ctx['base']}/jsonrpc", json=body, timeout=TIMEOUT).json()
        read = "result" in answer
        tally.count(read, note=f"{model}: {len(answer['result'])} rows read" if read else f"{model}: refused")
    return tally


def attack_other_partner_ids(ctx):
    tally = Tally("another partner's ids and tokens")
    session, base = _bearer(ctx["user1"]["key"]), f"{ctx['base']}/api/arrears/v1"
    clock = Clock()
    for case_id in ctx["other_case_ids"][:20]:
        for method, url in (("GET", f"{base}/cases/{case_id}"), ("POST", f"{base}/cases/{case_id}/link")):
            if not clock.left():
                break
            status = session.request(method, url, timeout=TIMEOUT).status_code
            tally.count(status != 404, error=status >= 500, note=f"{method} cases/<id>: {status}")
    for token in ctx["other_tokens"][:20]:
        if not clock.left():
            break
        status = session.get(f"{base}/links/{token}", timeout=TIMEOUT).status_code
        tally.count(status != 404, error=status >= 500, note=f"GET links/<token>: {status}")
    return tally


def attack_enumerate_case_ids(ctx):
    tally = Tally("enumeration of case ids")
    session, base = _bearer(ctx["user1"]["key"]), f"{ctx['base']}/api/arrears/v1"
    own, clock = set(ctx["own_case_ids"]), Clock()
    for case_id in range(1, min(ctx["max_case_id"] + 20, 400)):
        if case_id in own or not clock.left():
            continue
        status = session.get(f"{base}/cases/{case_id}", timeout=TIMEOUT).status_code
        tally.count(status != 404, error=status >= 500, note=f"HTTP {status}")
    return tally


def attack_enumerate_tokens(ctx):
    tally = Tally("enumeration of link tokens")
    session, clock = requests.Session(), Clock()
    partner = _bearer(ctx["user1"]["key"])
    for _attempt in range(100):
        if not clock.left():
            break
        token = secrets.token_urlsafe(32)
        status = session.get(f"{ctx['base']}/arrears/pay/{token}", timeout=TIMEOUT).status_code
        tally.count(status != 404, error=status >= 500, note=f"page: {status}")
        status = partner.get(f"{ctx['base']}/api/arrears/v1/links/{token}", timeout=TIMEOUT).status_code
        tally.count(status != 404, error=status >= 500, note=f"API: {status}")
    return tally


def attack_revoked_and_closed_link_pages(ctx):
    """The pages of a revoked link (cancelled), of a link paid by card (paid), of a case settled otherwise (closed)."""
    tally = Tally("revoked, paid or closed link's page")
    links = {label: ctx[label] for label in ("revoked", "paid", "closed")}
    states = link_states(ctx["registry"], [link["token"] for link in links.values()])
    for label, link in links.items():
        state = states.get(link["token"])
        if state == "active":  # the seed failed to end it: the page is rightly shown, nothing is tested
            tally.count(False, error=True, note=f"{label}: link still active, not tested")
            continue
        response = requests.get(f"{ctx['base']}/arrears/pay/{link['token']}", timeout=TIMEOUT)
        told = [what for what in ("name", "contract") if link[what] in response.text]
        note = f"{label} ({state}): HTTP {response.status_code}, shows {', '.join(told) or 'nobody'}"
        tally.count(bool(told), error=response.status_code >= 500, note=note)
    return tally


def attack_stripe_return_cookie(ctx):
    tally = Tally("Stripe return, forged cookie")
    for row in ctx["sessions"][1:]:
        response = requests.get(
            f"{ctx['base']}/arrears/stripe/return/{row['reference']}",
            cookies={"arrears_stripe_checkout": row["reference"]},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        leaked = row["token"] in response.headers.get("Location", "") or row["token"] in response.text
        tally.count(leaked, error=response.status_code >= 500, note="token given" if leaked else "no token")
    return tally


def prepare_genuine_payment(ctx):
    """Stripe's genuine event for the first checkout: the payment the replays below try to double."""
    row = ctx["sessions"][0]
    payload = _checkout_event(row, "evt_attack_genuine_0001")
    ctx["genuine"] = {"payload": payload, "signature": sign(payload, SECRET_A), "row": row}
    _webhook(ctx["base"], payload, ctx["genuine"]["signature"])
    process_stripe_events(ctx["registry"])
    ctx["genuine"]["paid"] = checkout_states(ctx["registry"], [row["reference"]]).get(row["reference"]) == "paid"


def attack_webhooks(ctx):
    """Forged, stale, unknown-secret, other-provider, underpaid and live-mode events; each aims at its own checkout."""
    tally = Tally("forged/stale/foreign webhooks")
    base, rows = ctx["base"], ctx["sessions"]
    now = int(time.time())
    attempts = [
        ("forged signature", rows[2], lambda p: f"t={now},v1={'0' * 64}", {}),
        ("no signature", rows[2], lambda p: None, {}),
        ("stale, 1 h old", rows[3], lambda p: sign(p, SECRET_A, now - 3600), {}),
        ("unknown secret", rows[4], lambda p: sign(p, "whsec_" + secrets.token_hex(16)), {}),
        ("company B's secret", rows[5], lambda p: sign(p, SECRET_B), {}),
        ("pays 0.01", rows[6], lambda p: sign(p, SECRET_A), {"amount_minor": 1}),
        ("live event, test provider", rows[7], lambda p: sign(p, SECRET_A), {"livemode": True}),
    ]
    answers = []
    for label, row, signer, options in attempts:
        payload = _checkout_event(row, f"evt_attack_{secrets.token_hex(6)}", **options)
        answers.append((label, row, _webhook(base, payload, signer(payload)).status_code))
    process_stripe_events(ctx["registry"])
    states = checkout_states(ctx["registry"], [row["reference"] for _label, row, _status in answers])
    for label, row, status in answers:
        paid = states.get(row["reference"]) == "paid"
        tally.count(paid, error=status >= 500, note=f"{label}: paid" if paid else None)
    return tally


def attack_replayed_webhooks(ctx):
    tally = Tally("replayed webhook (x10, x8 at once)")
    genuine, base = ctx["genuine"], ctx["base"]
    if not genuine["paid"]:  # no payment to double: the replays would test nothing
        tally.count(False, error=True, note="the genuine event paid nothing: not tested")
        return tally
    event_id = json.loads(genuine["payload"])["id"]
    payments_before = _payment_count(ctx)
    for _replay in range(10):
        _webhook(base, genuine["payload"], genuine["signature"])
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _i: _webhook(base, genuine["payload"], genuine["signature"]), range(8)))
    process_stripe_events(ctx["registry"])
    extra_payments = _payment_count(ctx) - payments_before
    recorded = events_named(ctx["registry"], event_id)
    for replay in range(18):
        tally.count(replay < extra_payments, note=f"event recorded {recorded} time(s), +{extra_payments} payments")
    return tally


def _payment_count(ctx):
    return sum(count for key, count in snapshot(ctx["registry"]).items() if key.startswith("account.payment"))


def attack_demo_simulation(ctx):
    tally = Tally("demo payment, demo not chosen")
    for token in ctx["demo_tokens"]:
        session = requests.Session()
        csrf = _csrf(session, ctx["base"], token)
        response = session.post(
            f"{ctx['base']}/arrears/pay/{token}/demo/success",
            data={"csrf_token": csrf or ""},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        closed = case_states(ctx["registry"], [ctx["demo_case_of_token"][token]]).values()
        settled = "closed" in closed
        tally.count(settled, error=response.status_code >= 500, note="case settled" if settled else None)
    return tally


def _ask(base, token, data):
    session = requests.Session()
    csrf = _csrf(session, base, token)
    response = session.post(
        f"{base}/arrears/pay/{token}/request",
        data={"csrf_token": csrf or "", **data},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    return response.status_code, response.headers.get("Location", "")


def attack_absurd_plan_requests(ctx):
    tally = Tally("absurd plan requests")
    absurd = [
        {"kind": "plan", "instalments": "1000000000"},
        {"kind": "plan", "instalments": "99999"},
        {"kind": "plan", "instalments": "9" * 40},
        {"kind": "plan", "instalments": "-3"},
        {"kind": "plan", "instalments": "0"},
        {"kind": "delay", "delay_until": "9999-12-31"},
        {"kind": "delay", "delay_until": "1900-01-01"},
        {"kind": "delay", "delay_until": "2026-13-45"},
        {"kind": "refund", "instalments": "2"},
    ]
    tokens = ctx["own_tokens"]
    for data, token in zip(absurd, tokens, strict=False):
        status, location = _ask(ctx["base"], token, data)
        stored = "request_pending" in location or "request_granted" in location
        tally.count(stored, error=status >= 500, note=f"{data}: {location.rsplit('=', 1)[-1] or status}")
    return tally


def attack_two_plan_requests_at_once(ctx):
    tally = Tally("two plan requests at once")
    tokens = ctx["own_tokens"][10:13]
    before = plan_request_counts(ctx["registry"], tokens)
    for token in tokens:
        sessions = [requests.Session(), requests.Session()]
        tokens_csrf = [_csrf(s, ctx["base"], token) for s in sessions]
        barrier = threading.Barrier(2)

        def ask(index, token=token, sessions=sessions, tokens_csrf=tokens_csrf, barrier=barrier):
            barrier.wait(timeout=TIMEOUT)
            return (
                sessions[index]
                .post(
                    f"{ctx['base']}/arrears/pay/{token}/request",
                    data={"csrf_token": tokens_csrf[index] or "", "kind": "plan", "instalments": str(2 + index)},
                    allow_redirects=False,
                    timeout=TIMEOUT,
                )
                .status_code
            )

        with ThreadPoolExecutor(2) as pool:
            statuses = list(pool.map(ask, range(2)))
        made = plan_request_counts(ctx["registry"], [token])[token] - before.get(token, 0)
        # The first request (within the rules) is the debtor's right; the second, at the same moment,
        # must not be another. None recorded: the debtor's right refused, or nothing tested.
        error = max(statuses) >= 500 or made == 0
        tally.count(made > 1, error=error, note=f"{made} requests made, HTTP {statuses}")
    return tally


def attack_rate_limit(ctx):
    tally = Tally(f"API calls over the limit ({RATE_LIMIT}/min)")
    url = f"{ctx['base']}/api/arrears/v1/cases"
    local = threading.local()

    def call(_index):
        session = getattr(local, "session", None) or _bearer(ctx["key4"])
        local.session = session
        return session.get(url, timeout=TIMEOUT).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(call, range(RATE_LIMIT * 3)))
    beyond = max(0, statuses.count(200) - RATE_LIMIT)
    for index, status in enumerate(sorted(statuses, key=lambda s: s != 200)):
        tally.count(RATE_LIMIT <= index < RATE_LIMIT + beyond, error=status >= 500)
        if index < RATE_LIMIT and status == 200:  # within the limit: the service, not an attack
            tally.tried -= 1
            tally.refused -= 1
    tally.notes.append(f"{statuses.count(200)} answered 200 of {len(statuses)}, {statuses.count(429)} got 429")
    return tally


def attack_hostile_bank_files(ctx):
    tally = Tally("hostile bank files (import model)")
    header = '<?xml version="1.0" encoding="UTF-8"?>\n'
    document = (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>{msg}</MsgId><CreDtTm>2026-01-07T09:00:00</CreDtTm></GrpHdr>"
        "<OrgnlGrpInfAndSts><OrgnlMsgId>X</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId>"
        "</OrgnlGrpInfAndSts><OrgnlPmtInfAndSts><OrgnlPmtInfId>X-RCUR</OrgnlPmtInfId><TxInfAndSts>"
        "<OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AM04</Cd></Rsn>"
        "<AddtlInf>{info}</AddtlInf></StsRsnInf></TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    )
    laughs = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)
    )
    files = {
        "oversized (50 MB + 1 KB)": (header + document.format(msg="BIG", e2e="E2E-BIG", info="x")).encode()
        + b" " * (50 * 1024 * 1024 + 1024),
        "XXE, external entity": (
            header
            + '<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            + document.format(msg="XXE", e2e="&xxe;", info="&xxe;")
        ).encode(),
        "billion laughs": (
            header + f"<!DOCTYPE Document [{laughs}]>" + document.format(msg="LOL", e2e="E2E", info="&lol9;")
        ).encode(),
        "truncated": (header + document.format(msg="CUT", e2e="E2E-CUT", info="cut")).encode()[:300],
    }
    for label, content in files.items():
        verdict, detail = import_bank_file(ctx["registry"], content, "status.xml")
        tally.count(verdict == "accepted", error=verdict == "error", note=f"{label}: {verdict} ({detail})")
    return tally


def attack_schemathesis(ctx):
    tally = Tally("schemathesis on openapi.json")
    if os.environ.get("SCHEMATHESIS"):
        command = [os.environ["SCHEMATHESIS"]]
    elif importlib.util.find_spec("schemathesis"):
        command = [sys.executable, "-m", "schemathesis.cli"]
    else:
        tally.notes.append("schemathesis not found (pip install -r requirements-test.txt)")
        return tally
    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "junit.xml"
        run = [
            *command,
            "run",
            f"{ctx['base']}/api/arrears/v1/openapi.json",
            "-H",
            f"Authorization: Bearer {ctx['key3']}",
            f"--max-examples={ctx['examples']}",
            "--max-time=180",
            "--request-timeout=20",
            "--generation-deterministic",
            "--report=junit",
            f"--report-junit-path={junit}",
        ]
        try:
            # Run in the temporary folder: schemathesis keeps a cache of its findings in its working directory.
            done = subprocess.run(run, capture_output=True, text=True, timeout=300, check=False, cwd=folder)
        except subprocess.TimeoutExpired:
            tally.notes.append("stopped after 300 s")
            return tally
        report = junit.read_text() if junit.exists() else ""
    generated = re.search(r"(\d+) generated", done.stdout)
    unique = re.search(r"(\d+) unique failures", done.stdout)
    errored = int(re.search(r'errors="(\d+)"', report).group(1)) if 'errors="' in report else 0
    tally.tried = int(generated.group(1)) if generated else 0
    tally.accepted = int(unique.group(1)) if unique else len(re.findall(r"<failure", report))
    tally.errors = errored
    tally.refused = max(0, tally.tried - tally.accepted - tally.errors)
    # Its summary counts each kind of failure ("ST108 Response violates schema: 4"), its body
    # heads each failing operation with a rule ("____ GET /cases ____").
    tally.notes.extend(re.findall(r"^\s*\W*\s*(ST\d+ [^\n]+: \d+)$", done.stdout, re.M)[:3])
    failing = re.findall(r"^_{3,} ([A-Z]+ \S+|Stateful tests) _{3,}$", done.stdout, re.M)
    if failing:
        tally.notes.append(f"failing: {', '.join(failing)}"[:110])
    Path(tempfile.gettempdir(), "bench_attacks_schemathesis.txt").write_text(done.stdout)
    tally.notes.append(f"whole output: {Path(tempfile.gettempdir(), 'bench_attacks_schemathesis.txt')}")
    return tally


ATTACKS = [
    attack_partner_key_on_json2,
    attack_partner_key_on_xmlrpc,
    attack_partner_key_on_jsonrpc,
    attack_other_partner_ids,
    attack_enumerate_case_ids,
    attack_enumerate_tokens,
    attack_revoked_and_closed_link_pages,
    attack_stripe_return_cookie,
    attack_webhooks,
    attack_replayed_webhooks,
    attack_demo_simulation,
    attack_absurd_plan_requests,
    attack_two_plan_requests_at_once,
    attack_rate_limit,
    attack_hostile_bank_files,
    attack_schemathesis,
]


def _changes(before, after):
    keys = sorted(set(before) | set(after))
    return ", ".join(
        f"{key} {after.get(key, 0) - before.get(key, 0):+d}" for key in keys if after.get(key, 0) != before.get(key, 0)
    )


def _print(tallies, before, after):
    width = max(len(t.kind) for t in tallies)
    print(f"\n  {'attack':<{width}}  tried refused accepted errors  changed in the database")
    for t in tallies:
        print(f"  {t.kind:<{width}}  {t.tried:>5} {t.refused:>7} {t.accepted:>8} {t.errors:>6}  {t.changed or '-'}")
        for note in t.notes:
            print(f"  {'':<{width}}    · {note}")
    total = Tally("total")
    for t in tallies:
        total.tried += t.tried
        total.refused += t.refused
        total.accepted += t.accepted
        total.errors += t.errors
    print(f"  {'total':<{width}}  {total.tried:>5} {total.refused:>7} {total.accepted:>8} {total.errors:>6}")
    print("\n  rows by state, before -> after the attacks:")
    for key in sorted(set(before) | set(after)):
        print(f"    {key:<32} {before.get(key, 0):>6} -> {after.get(key, 0):>6}")


def run(n, examples):
    from odoo import api
    from odoo.api import SUPERUSER_ID

    with bench_database(DB, modules=["payment_link_stripe"]) as registry:
        with registry.cursor() as cr:
            start = time.perf_counter()
            ctx = seed(api.Environment(cr, SUPERUSER_ID, {}), n)
            cr.execute("ANALYZE")
            print(f"N={n}: seeded in {time.perf_counter() - start:.0f} s (not measured)")
        port = int(os.environ.get("BENCH_PORT") or 0) or _free_port()
        server = _start_server(DB, port)
        ctx.update(base=f"http://127.0.0.1:{port}", registry=registry, examples=examples)
        try:
            prepare_genuine_payment(ctx)
            first = snapshot(registry)
            tallies = []
            for attack in ATTACKS:
                before = snapshot(registry)
                started = time.perf_counter()
                try:
                    tally = attack(ctx)
                except Exception as error:  # an attack that cannot run is reported
                    tally = Tally(attack.__name__.removeprefix("attack_"))
                    tally.notes.append(f"could not run: {type(error).__name__}: {str(error)[:80]}")
                tally.changed = _changes(before, snapshot(registry))
                tally.notes.append(f"{time.perf_counter() - started:.1f} s")
                tallies.append(tally)
            _print(tallies, first, snapshot(registry))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 20, int(os.environ.get("SCHEMATHESIS_EXAMPLES", "30")))
