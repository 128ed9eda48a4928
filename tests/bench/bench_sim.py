"""Benchmark: the simulated brokerage at scale (tests/sim/run_sim.py), a long run.

    python3 tests/bench/bench_sim.py [--contracts 10000] [--days 365] [--seed 14] [--chart generic|fr]
                                     [--faults 0.1] [--keep] [--strict]

Not a test: it prints days simulated per minute, the count of each event, and
the invariants checked and broken (the short simulation in bin/run-tests is the
test). On a database of its own (``sim_bench_<seed>``), dropped afterwards
unless ``--keep``.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim"))
import run_sim


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=10000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--chart", choices=["generic", "fr"], default="generic")
    parser.add_argument("--faults", type=float, default=0.1)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    argv = [
        f"--contracts={args.contracts}",
        f"--days={args.days}",
        f"--seed={args.seed}",
        f"--db=sim_bench_{args.seed}",
        f"--progress={max(args.days // 12, 1)}",
        f"--chart={args.chart}",
        f"--faults={args.faults}",
    ]
    argv += ["--keep"] * args.keep + ["--strict"] * args.strict
    return run_sim.main(argv)


if __name__ == "__main__":
    sys.exit(main())
