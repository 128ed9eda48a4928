"""Boot a real Odoo 19 database with our addons, for the benchmark scripts.

Not a test module: benchmarks print figures, they assert nothing about time.
Connection and Odoo location come from the same variables as bin/run-tests
(ODOO_PATH, PGHOST, PGPORT, PGUSER, PGPASSWORD).
"""

import contextlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ODOO_PATH = Path(os.environ.get("ODOO_PATH", "/opt/odoo"))
ADDONS = ["insurance_arrears", "sepa_dunning", "payment_link_stripe"]


def _odoo():
    if (ODOO_PATH / "odoo-bin").exists():
        sys.path.insert(0, str(ODOO_PATH))
    try:
        import odoo
    except ImportError:
        sys.exit(f"Odoo 19 not found: set ODOO_PATH (now {ODOO_PATH}).")
    return odoo


_odoo()  # importing this module makes `import odoo` work for the benchmark


def _configure(data_dir=None):
    from odoo.tools import config

    addons_path = [str(ROOT / "addons")]
    if (ODOO_PATH / "addons").exists():
        addons_path[:0] = [str(ODOO_PATH / "addons"), str(ODOO_PATH / "odoo" / "addons")]
    args = [
        f"--addons-path={','.join(addons_path)}",
        f"--db_host={os.environ.get('PGHOST', '127.0.0.1')}",
        f"--db_port={os.environ.get('PGPORT', '5432')}",
        "--log-level=warn",
    ]
    if os.environ.get("PGUSER"):
        args.append(f"--db_user={os.environ['PGUSER']}")
    if os.environ.get("PGPASSWORD"):
        args.append(f"--db_password={os.environ['PGPASSWORD']}")
    if data_dir:  # where the attachments go (bin/demo: the one its server reads)
        args.append(f"--data-dir={data_dir}")
    config.parse_config(args, setup_logging=True)


@contextlib.contextmanager
def bench_database(name, modules=ADDONS, keep=False, data_dir=None):
    """Yield a registry of a fresh database with ``modules`` installed; drop it after (unless ``keep``)."""
    odoo = _odoo()
    from odoo.modules.registry import Registry
    from odoo.service import db as db_service

    _configure(data_dir)
    with contextlib.suppress(Exception):
        db_service.exp_drop(name)
    db_service._create_empty_database(name)
    try:
        registry = Registry.new(name, update_module=True, install_modules=modules)
        yield registry
    finally:
        odoo.sql_db.close_all()
        if not keep:
            db_service.exp_drop(name)


@contextlib.contextmanager
def existing_database(name):
    """Yield the registry of a database a previous ``bench_database(..., keep=True)`` made; drop it after."""
    odoo = _odoo()
    from odoo.modules.registry import Registry
    from odoo.service import db as db_service

    _configure()
    try:
        yield Registry(name)
    finally:
        odoo.sql_db.close_all()
        db_service.exp_drop(name)


def update_database(name, modules):
    """Update ``modules`` in an existing database (then close it)."""
    odoo = _odoo()
    from odoo.modules.registry import Registry

    _configure()
    try:
        Registry.new(name, update_module=True, upgrade_modules=modules)
    finally:
        odoo.sql_db.close_all()


def accounting_company(env):
    """The main company with a chart of accounts and the insurance journal and accounts."""
    company = env.company
    if not company.chart_template:
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    company._insurance_ensure_accounting()
    return company
