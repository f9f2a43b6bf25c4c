"""Cost of formula checking, measured side by side in one run.

    .venv/bin/python benchmarks/bench_formulas.py [--runs 7] [CONTRACT]
    .venv/bin/python benchmarks/bench_formulas.py --corpus ../shared/corpus [--runs 3]
    .venv/bin/python benchmarks/bench_formulas.py --stats ../shared/corpus

Times `pv validate` (a fresh process each run, as CI and pre-commit run it)
on the repo's contract:
  1. with formula checks, no cache (sympy import + claims + proofs),
  2. without formula checks (`--skip formulas`): the baseline,
  3. with formula checks and a warm result cache (cache keyed by content),
and, in this process, the formula check alone (first call, then warm).
Prints medians and ratios against the baseline.

`--corpus DIR` validates a whole corpus (as its own root, one process, `-j 1`)
with formula checks and with `--skip formulas`, interleaved: cold (no cache)
and warm (a primed cache), and prints the formula cost per contract, the
warm ratio and the targets of issue 9 (warm ≤ 1.1× plain; cold formula cost
≤ 20 ms per contract). It also times the formula check alone in process
(CPU time, so less sensitive to other load).

`--stats DIR` prints, per repository (first folder under DIR), what pv's
formula reading finds: strings, formulas, prose, placeholders, not
understood, closed statements true/false, bound formulas checked, and kernel
obligations proved/refuted/undecided.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PV = [sys.executable, "-m", "pv"]


CPU: list[float] = []  # CPU seconds (user + sys, the process and all it waited for) of each timed run


def timed(cmd: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def timed_cpu(cmd: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU time does not grow with other load on the machine."""
    wall = timed(cmd)
    return wall, CPU[-1]


def median(cmd: list[str], runs: int) -> float:
    return statistics.median(timed(cmd) for _ in range(runs))


def corpus(directory: Path, runs: int) -> None:
    directory = directory.resolve()
    files = sorted(p for p in directory.rglob("*.y*ml"))
    base = [*PV, "validate", str(directory), "--root", str(directory), "-j", "1"]
    cold_with, cold_without, warm_with, warm_without = [], [], [], []
    caches = [Path(tempfile.mkdtemp(prefix="pv-bench-cache-")) for _ in range(2)]
    try:
        timed([*base, "--cache-dir", str(caches[0])])  # prime both warm caches (untimed)
        timed([*base, "--cache-dir", str(caches[1]), "--skip", "formulas"])
        for _ in range(runs):  # interleaved, so load changes hit both sides alike
            cold_without.append(timed_cpu([*base, "--no-cache", "--skip", "formulas"]))
            cold_with.append(timed_cpu([*base, "--no-cache"]))
            warm_without.append(timed_cpu([*base, "--cache-dir", str(caches[1]), "--skip", "formulas"]))
            warm_with.append(timed_cpu([*base, "--cache-dir", str(caches[0])]))
    finally:
        for cache in caches:
            shutil.rmtree(cache, ignore_errors=True)
    def med(samples: list[tuple[float, float]], i: int) -> float:
        return statistics.median(s[i] for s in samples)

    touched_with, touched_without = touched(directory, runs)
    cw, cwo, ww, wwo = (med(s, 0) for s in (cold_with, cold_without, warm_with, warm_without))
    tw, two = med(touched_with, 0), med(touched_without, 0)
    ccw, ccwo, cww, cwwo = (med(s, 1) for s in (cold_with, cold_without, warm_with, warm_without))
    per = (cw - cwo) / len(files) * 1000
    per_cpu = (ccw - ccwo) / len(files) * 1000

    sys.path.insert(0, str(ROOT))
    from pv.checks.formulas.check import check
    from pv.core.loader import load

    cpu = 0.0
    for path in files:
        doc, _ = load(path, directory)
        if doc is None:
            continue
        start = time.process_time()
        list(check(doc, None))
        cpu += time.process_time() - start
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"pv validate {directory} ({len(files)} files, -j 1, median of {runs}; load average {load_avg:.1f})")
    print(f"  cold, --skip formulas        {cwo * 1000:8.0f} ms   1.00x")
    print(f"  cold, with formulas          {cw * 1000:8.0f} ms   {cw / cwo:.2f}x   formula cost "
          f"{per:.1f} ms/contract  (target ≤ 20: {'met' if per <= 20 else 'MISSED'})")
    print(f"  warm, --skip formulas        {wwo * 1000:8.0f} ms   1.00x")
    print(f"  warm, with formulas          {ww * 1000:8.0f} ms   {ww / wwo:.2f}x   (target ≤ 1.10x: "
          f"{'met' if ww / wwo <= 1.1 else 'MISSED'})")
    print("  every file edited outside its formulas (file cache misses, per-formula results hit):")
    print(f"    --skip formulas            {two * 1000:8.0f} ms   1.00x")
    print(f"    with formulas              {tw * 1000:8.0f} ms   {tw / two:.2f}x   CPU "
          f"{med(touched_without, 1) * 1000:.0f} -> {med(touched_with, 1) * 1000:.0f} ms")
    print(f"  CPU time (user+sys, incl. forked steps): cold {ccwo * 1000:.0f} -> {ccw * 1000:.0f} ms, formula "
          f"cost {per_cpu:.1f} ms/contract (target ≤ 20: {'met' if per_cpu <= 20 else 'MISSED'}); warm "
          f"{cwwo * 1000:.0f} -> {cww * 1000:.0f} ms = {cww / cwwo:.2f}x")
    print(f"  formula check alone, in process, CPU time: {cpu * 1000:.0f} ms = {cpu / len(files) * 1000:.1f} "
          "ms/contract (forked proof steps not included)")


def touched(directory: Path, runs: int) -> tuple[list, list]:
    """Runs on a copy whose every file changed outside its formulas since the caches were primed."""
    with_formulas: list[tuple[float, float]] = []
    without: list[tuple[float, float]] = []
    for _ in range(runs):
        for skip, out in ((False, with_formulas), (True, without)):
            work = Path(tempfile.mkdtemp(prefix="pv-bench-touched-"))
            try:
                copy = work / "corpus"
                shutil.copytree(directory, copy)
                cmd = [*PV, "validate", str(copy), "--root", str(copy), "-j", "1", "--cache-dir", str(work / "cache")]
                cmd += ["--skip", "formulas"] if skip else []
                timed(cmd)  # prime the file cache and the per-formula results
                for path in copy.rglob("*.y*ml"):
                    with path.open("a", encoding="utf-8") as handle:
                        handle.write("\n# edited outside its formulas\n")
                out.append(timed_cpu(cmd))
            finally:
                shutil.rmtree(work, ignore_errors=True)
    return with_formulas, without


def stats(directory: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from collections import Counter, defaultdict

    from pv.checks.formulas.judge import obligations
    from pv.checks.formulas.kernel import Summary, read_contract
    from pv.core.loader import load

    directory = directory.resolve()
    rows: dict[str, Counter] = defaultdict(Counter)
    for path in sorted(directory.rglob("*.y*ml")):
        doc, _ = load(path, directory)
        if doc is None or not isinstance(doc.data, dict):
            continue
        repo = path.relative_to(directory).parts[0]
        readings = read_contract(doc.data)
        s = Summary.of(readings)
        row = rows[repo]
        row["files"] += 1
        for name in ("total", "formulas", "prose", "placeholders", "code", "opted_out", "not_understood", "true_links",
                     "false_links", "bound"):
            row[name] += getattr(s, name)
        _, candidates = obligations(doc, readings)
        formal = sum(1 for r in readings if r.site.kind == "formal")
        row["formal"] += formal
        for c in candidates:
            row[c.outcome.status if c.outcome else "undecided"] += 1
        row["formal_not_tried"] += formal - len(candidates)
    columns = ["files", "total", "formulas", "not_understood", "prose", "placeholders", "code", "opted_out",
               "true_links", "false_links", "bound", "formal", "proved", "refuted", "undecided", "formal_not_tried"]
    print("repository".ljust(28) + "".join(c[:9].rjust(10) for c in columns) + "  parse rate")
    total: Counter = Counter()
    for repo, row in sorted(rows.items()):
        total.update(row)
        rate = row["formulas"] / max(1, row["formulas"] + row["not_understood"])
        print(repo.ljust(28) + "".join(str(row[c]).rjust(10) for c in columns) + f"  {rate:.1%}")
    rate = total["formulas"] / max(1, total["formulas"] + total["not_understood"])
    print("all".ljust(28) + "".join(str(total[c]).rjust(10) for c in columns) + f"  {rate:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contract", nargs="?", default="contracts/training-loop-pretrain-v1.yaml")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--corpus", type=Path, help="benchmark a whole corpus instead of one contract")
    parser.add_argument("--stats", type=Path, help="print the formula statistics of a corpus and exit")
    args = parser.parse_args()
    if args.stats:
        stats(args.stats)
        return
    if args.corpus:
        corpus(args.corpus, args.runs)
        return
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
