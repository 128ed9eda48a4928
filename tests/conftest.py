"""Make each addon's plain-Python modules importable without Odoo.

An addon's ``__init__`` imports its models, hence ``odoo``. The pure tier needs only
the modules that import nothing from Odoo (``insurance_arrears.schedule``...), so each
addon is registered as a bare package whose ``__init__`` is never run.
"""

import sys
import types
from pathlib import Path

ADDONS = Path(__file__).resolve().parent.parent / "addons"

for addon in ADDONS.iterdir():
    if (addon / "__manifest__.py").exists() and addon.name not in sys.modules:
        package = types.ModuleType(addon.name)
        package.__path__ = [str(addon)]
        sys.modules[addon.name] = package
