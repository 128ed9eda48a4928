"""Benchmark: build and validate a SEPA credit transfer file (pain.001) of N transfers.

    python3 tests/bench/bench_pain001.py [N ...]        (default: 10000 100000)

Pure Python, no Odoo: the builder streams the file and the validator reads it back
against the official XSD, dropping each transfer once read. Prints seconds for
each step and the file's size; the target is 10,000 transfers in 5 s or less.
Not a test: it asserts nothing.
"""

import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
import conftest  # noqa: E402, F401 (makes the addons' pure modules importable without Odoo)
from sepa_dunning.iso20022 import pain001  # noqa: E402
from sepa_dunning.iso20022.pain008 import Party  # noqa: E402

IBANS = ["FR7630004000031234567890143", "DE89370400440532013000", "FR7610107001019876543210113"]


def message(count):
    return pain001.Message(
        message_id="SCT2026-BENCH",
        created_at=datetime(2026, 12, 3, 9, 0),
        initiating_party="Cabinet Durand Assurances",
        debtor=Party("Cabinet Durand Assurances", "FR7630006000011234567890189", "AGRIFRPP"),
        payment_info_id="SCT2026-BENCH-1",
        execution_date=date(2026, 12, 7),
        transfers=[
            pain001.Transfer(
                f"BRD-{n:07d}",
                Decimal(100 + n % 9000) + Decimal("0.37"),
                Party(f"Assureur {n % 97}", IBANS[n % 3], "BNPAFRPP" if n % 2 else ""),
                f"Statement BRD/2026/{n:07d}",
            )
            for n in range(count)
        ],
    )


def main(sizes):
    for count in sizes:
        msg = message(count)
        for version in pain001.VERSIONS:
            start = time.perf_counter()
            content = pain001.build(msg, version)
            built = time.perf_counter()
            pain001.validate(content, version)
            done = time.perf_counter()
            print(
                f"pain001 {version} {count:>7} transfers: build {built - start:6.2f} s, "
                f"validate {done - built:6.2f} s, total {done - start:6.2f} s, {len(content) / 1e6:6.1f} MB",
                flush=True,
            )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10000, 100000])
