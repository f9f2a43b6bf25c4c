"""A long fuzz campaign: mutated contracts, generated claims and hostile formulas, checked in-process.

    PYTHONPATH=. python tests/fuzz/campaign.py --inputs 100000 --corpus ../shared/corpus --out fuzz-report.json

Each input is checked in this process (fast: no interpreter start); every
`--sample`-th input is also run as `python -m pv validate` in a subprocess, for
exit codes and tracebacks on stderr. Prints and writes the figures: inputs,
tracebacks, PV900s, hangs, positions outside the file, invalid output, wrong
claim verdicts and peak memory. Inputs that broke a promise are saved under
`--keep` with their seed, so each one can be replayed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fuzzlib  # noqa: E402


def _peak_mib() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self": round(own, 1), "children": round(children, 1)}


def make_input(rng: random.Random, seeds: list[tuple[str, str]]) -> tuple[str, bytes, bool | None]:
    """(description, bytes of the file, truth of its generated claim or None)."""
    roll = rng.random()
    if roll < 0.85:
        name, text = rng.choice(seeds)
        raw, used = fuzzlib.mutate(text, rng)
        return f"{name} + {'+'.join(used)}", raw, None
    if roll < 0.95:
        text, true_claim, formula = fuzzlib.claim_contract(rng)
        return f"claim {formula!r} {'true' if true_claim else 'false'}", text.encode(), true_claim
    formula = rng.choice(fuzzlib.HOSTILE_FORMULAS)
    if rng.random() < 0.5:
        formula = fuzzlib.mutate(formula or "x", rng, rounds=1)[0].decode("utf-8", "replace")
    return f"formula {formula[:60]!r}", fuzzlib.formula_contract(formula, rng.random() < 0.5).encode(), None


def run_subprocess(path: Path, root: Path, timeout: float) -> str | None:
    """None when the CLI behaved; else what went wrong."""
    env = {**os.environ, "PYTHONPATH": str(fuzzlib.REPO_ROOT)}
    try:
        proc = subprocess.run([sys.executable, "-m", "pv", "validate", str(path), "--root", str(root),
                               "--format", "sarif", "--no-cache"], capture_output=True, timeout=timeout,
                              env=env, cwd=root)
    except subprocess.TimeoutExpired:
        return "hang: the CLI did not finish"
    if proc.returncode not in (0, 1, 2):
        return f"exit {proc.returncode}"
    if b"Traceback" in proc.stderr:
        return "traceback on stderr: " + proc.stderr.decode("utf-8", "replace")[-300:]
    try:
        json.loads(proc.stdout)
    except ValueError:
        return f"SARIF on stdout is not JSON (exit {proc.returncode})"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--corpus", type=Path, default=fuzzlib.REPO_ROOT.parent / "shared" / "corpus")
    parser.add_argument("--sample", type=int, default=500, help="every Nth input also runs in a subprocess")
    parser.add_argument("--hang-seconds", type=float, default=30.0)
    parser.add_argument("--schema-every", type=int, default=50, help="validate SARIF against its schema every N")
    parser.add_argument("--keep", type=Path, default=Path("fuzz-findings"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    seeds = fuzzlib.seed_texts(args.corpus if args.corpus.is_dir() else None)
    schema = fuzzlib.sarif_schema()
    work = Path(tempfile.mkdtemp(prefix="pv-fuzz-"))
    (work / "contracts").mkdir()
    path = work / "contracts" / "fuzz-v1.yaml"
    counts: Counter[str] = Counter()
    slowest = 0.0
    examples: dict[str, list[dict]] = {}
    current = {"started": time.monotonic(), "seed": None}
    stop = threading.Event()

    def watchdog() -> None:  # an input still running long after the limit: say so while it runs
        while not stop.wait(5):
            if current["seed"] is not None and time.monotonic() - current["started"] > args.hang_seconds * 4:
                print(f"  ... input seed {current['seed']} still running", file=sys.stderr, flush=True)

    threading.Thread(target=watchdog, daemon=True).start()
    began = time.monotonic()

    def record(kind: str, seed: int, what: str, detail: str, raw: bytes) -> None:
        counts[kind] += 1
        examples.setdefault(kind, [])
        if len(examples[kind]) < 20:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / f"{kind}-{seed}.yaml").write_bytes(raw)
            examples[kind].append({"seed": seed, "input": what, "detail": detail[:400]})

    for index in range(args.inputs):
        seed = args.seed * 1_000_003 + index
        rng = random.Random(seed)
        try:
            what, raw, true_claim = make_input(rng, seeds)
        except fuzzlib.Discard:
            counts["discarded"] += 1
            continue
        path.write_bytes(raw)
        current.update(started=time.monotonic(), seed=seed)
        verdict = fuzzlib.check_file(path, work, sarif_schema=schema if index % args.schema_every == 0 else None)
        elapsed = time.monotonic() - current["started"]
        current["seed"] = None
        counts["inputs"] += 1
        slowest = max(slowest, elapsed)
        if elapsed > args.hang_seconds:
            record("hang", seed, what, f"{elapsed:.1f} s", raw)
        for problem in verdict.problems:
            kind = ("traceback" if problem.startswith("traceback") else "pv900" if problem.startswith("PV900")
                    else "position" if "position" in problem or "ends" in problem else "output")
            record(kind, seed, what, problem, raw)
        if true_claim is not None:
            counts["claims"] += 1
            wrong = fuzzlib.judge_claim(verdict, true_claim)
            if wrong:
                record("not-judged" if "PV311" in wrong else "wrong-verdict", seed, what, wrong, raw)
        if args.sample and index % args.sample == 0:
            counts["subprocess"] += 1
            problem = run_subprocess(path, work, max(60.0, args.hang_seconds * 2))
            if problem:
                record("hang" if problem.startswith("hang") else "cli", seed, what, problem, raw)
        if index and index % 5000 == 0:
            rate = index / (time.monotonic() - began)
            print(f"{index} inputs, {rate:.0f}/s, problems: "
                  f"{ {k: v for k, v in counts.items() if k not in ('inputs', 'claims', 'subprocess')} }",
                  file=sys.stderr, flush=True)
    stop.set()
    figures = {
        "inputs": counts["inputs"],
        "claims_generated": counts["claims"],
        "subprocess_runs": counts["subprocess"],
        "discarded": counts["discarded"],
        "tracebacks": counts["traceback"],
        "subprocess_failures": counts["cli"],
        "pv900": counts["pv900"],
        "hangs": counts["hang"],
        "positions_outside": counts["position"],
        "invalid_output": counts["output"],
        "wrong_verdicts": counts["wrong-verdict"],
        "claims_not_judged": counts["not-judged"],
        "slowest_input_s": round(slowest, 2),
        "seconds": round(time.monotonic() - began, 1),
        "peak_rss_mib": _peak_mib(),
        "examples": examples,
    }
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    broken = sum(figures[k] for k in ("tracebacks", "pv900", "hangs", "positions_outside", "invalid_output",
                                      "wrong_verdicts", "subprocess_failures"))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
