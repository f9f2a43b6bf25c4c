"""Benchmark the evidence check against plain validation, and classify the corpus.

For every contract under ../shared/corpus (and the repo's own contracts) it
measures, in one process and one run:

- loading alone (the parser with positions), the floor of any validation;
- plain validation: load + every other check (`pv validate` minus evidence);
- the evidence check, cold (per-process file cache cleared before each
  repeat) and warm (cache filled);

and prints per-contract medians, the worst contract, the ratio of the
evidence check to plain validation, and how every evidence entry was
classified (resolved, missing-file, missing-symbol, unresolvable, unsafe).

    .venv/bin/python benchmarks/bench_evidence.py [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()


def contracts() -> list[tuple[Path, Path]]:
    """(contract file, repository root it belongs to)."""
    found = [(p, REPO) for p in sorted((REPO / "contracts").rglob("*.yaml"))]
    if CORPUS.is_dir():
        for sub in sorted(CORPUS.iterdir()):
            if not sub.is_dir():
                continue
            # aprender-older-versions/<commit>/contracts: the commit folder is the root.
            roots = sorted(p for p in sub.iterdir() if p.is_dir()) if sub.name.endswith("older-versions") \
                else [sub]
            for root in roots:
                found += [(p, root) for p in sorted(root.rglob("*.yaml"))]
    return found


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    from pv.checks.evidence import resolve as resolve_mod
    from pv.checks.evidence.check import analyze, check
    from pv.core.config import load_config
    from pv.core.engine import CheckContext, run_checks
    from pv.core.loader import load

    rows = []
    classes: Counter[str] = Counter()
    forms: Counter[str] = Counter()
    by_code: Counter[str] = Counter()
    for path, root in contracts():
        config = load_config(root)
        try:
            plain_ctx = CheckContext(config, skip=frozenset({"evidence"}))
        except TypeError:  # an engine without `skip`: time load + pure checks
            plain_ctx = None
        ctx = CheckContext(config)
        doc, _ = load(path, root, config.limits)
        if doc is None:
            continue

        def plain(path=path, root=root, config=config, plain_ctx=plain_ctx) -> None:
            loaded, _ = load(path, root, config.limits)
            if loaded is not None:
                if plain_ctx is not None:
                    run_checks(loaded, plain_ctx)
                else:
                    run_checks(loaded, CheckContext(config), pure=True)

        def load_only(path=path, root=root, config=config) -> None:
            load(path, root, config.limits)

        def cold(doc=doc, ctx=ctx) -> None:
            resolve_mod.clear_cache()
            check(doc, ctx)

        def warm(doc=doc, ctx=ctx) -> None:
            check(doc, ctx)

        plain()  # import the checks once, outside the timing
        results = analyze(doc, root)
        entries = [(e, r) for res in results for e, r in zip(res.owner.entries, res.resolutions)]
        for entry, res in entries:
            classes[res.status if entry.role != "live" else "unresolvable (live prose)"] += 1
            forms[entry.ref.form] += 1
        for finding in check(doc, ctx):
            by_code[f"{finding.code} {finding.severity.label}"] += 1
        rows.append({
            "file": str(path.relative_to(CORPUS) if CORPUS in path.parents else path.relative_to(REPO)),
            "entries": len(entries),
            "load_ms": median_ms(load_only, args.repeat),
            "plain_ms": median_ms(plain, args.repeat),
            "evidence_cold_ms": median_ms(cold, args.repeat),
            "evidence_warm_ms": median_ms(warm, args.repeat),
        })

    with_evidence = [r for r in rows if r["entries"]]
    summary = {
        "contracts": len(rows),
        "contracts_with_evidence": len(with_evidence),
        "entries": sum(r["entries"] for r in rows),
        "classification": dict(classes.most_common()),
        "forms": dict(forms.most_common()),
        "findings": dict(sorted(by_code.items())),
    }
    for label, subset in (("all", rows), ("with_evidence", with_evidence)):
        if not subset:
            continue
        load_med = statistics.median(r["load_ms"] for r in subset)
        plain_med = statistics.median(r["plain_ms"] for r in subset)
        cold_med = statistics.median(r["evidence_cold_ms"] for r in subset)
        warm_med = statistics.median(r["evidence_warm_ms"] for r in subset)
        worst = max(subset, key=lambda r: r["evidence_cold_ms"])
        summary[label] = {
            "load_ms_median": round(load_med, 3),
            "plain_validation_ms_median": round(plain_med, 3),
            "evidence_cold_ms_median": round(cold_med, 3),
            "evidence_warm_ms_median": round(warm_med, 3),
            "evidence_cold_over_plain": round(cold_med / plain_med, 3) if plain_med else None,
            "evidence_cold_over_load": round(cold_med / load_med, 3) if load_med else None,
            "worst_contract": worst["file"],
            "worst_evidence_cold_ms": round(worst["evidence_cold_ms"], 3),
            "worst_plain_ms": round(worst["plain_ms"], 3),
        }
    if args.json:
        print(json.dumps({"summary": summary, "rows": rows}, indent=2))
        return 0
    print(f"{'contract':<64} {'entries':>7} {'load ms':>8} {'plain ms':>9} {'evid cold':>9} {'evid warm':>9}")
    for r in sorted(with_evidence, key=lambda r: -r["evidence_cold_ms"]):
        print(f"{r['file'][:64]:<64} {r['entries']:>7} {r['load_ms']:>8.2f} {r['plain_ms']:>9.2f} "
              f"{r['evidence_cold_ms']:>9.2f} {r['evidence_warm_ms']:>9.2f}")
    print()
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
