"""Cost of formula checking, measured side by side in one run.

    .venv/bin/python benchmarks/bench_formulas.py [--runs 7] [CONTRACT]

Times `pv validate` (a fresh process each run, as CI and pre-commit run it)
on the repo's contract:
  1. with formula checks, no cache (sympy import + claims + proofs),
  2. without formula checks (`--skip formulas`): the baseline,
  3. with formula checks and a warm result cache (cache keyed by content),
and, in this process, the formula check alone (first call, then warm).
Prints medians and ratios against the baseline.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PV = [sys.executable, "-m", "pv"]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def median(cmd: list[str], runs: int) -> float:
    return statistics.median(timed(cmd) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contract", nargs="?", default="contracts/training-loop-pretrain-v1.yaml")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    contract = args.contract
    cache = Path(tempfile.mkdtemp(prefix="pv-bench-cache-"))
    try:
        with_formulas = median([*PV, "validate", "--no-cache", contract], args.runs)
        without = median([*PV, "validate", "--no-cache", "--skip", "formulas", contract], args.runs)
        timed([*PV, "validate", "--cache-dir", str(cache), contract])  # warm the cache
        warm = median([*PV, "validate", "--cache-dir", str(cache), contract], args.runs)
    finally:
        shutil.rmtree(cache, ignore_errors=True)

    sys.path.insert(0, str(ROOT))
    from pv.checks.formulas.check import check
    from pv.core.loader import load

    doc, _ = load(ROOT / contract, ROOT)
    start = time.perf_counter()
    findings = list(check(doc, None))
    first = time.perf_counter() - start
    again = []
    for _ in range(args.runs):
        start = time.perf_counter()
        check(doc, None)
        again.append(time.perf_counter() - start)
    warm_check = statistics.median(again)

    print(f"pv validate {contract} (median of {args.runs} fresh processes)")
    print(f"  without formula checks (--skip formulas)  {without * 1000:8.1f} ms   1.00x  (baseline)")
    print(f"  with formula checks, no cache             {with_formulas * 1000:8.1f} ms   "
          f"{with_formulas / without:.2f}x")
    print(f"  with formula checks, warm cache           {warm * 1000:8.1f} ms   {warm / without:.2f}x")
    print(f"formula check alone, in process ({len(findings)} findings)")
    print(f"  first call (imports sympy, forks steps)   {first * 1000:8.1f} ms")
    print(f"  later calls (sympy already imported)      {warm_check * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
