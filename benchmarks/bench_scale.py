"""`pv validate` on a repository of N contracts (10,000 by default) against check-jsonschema.

    .venv/bin/python benchmarks/bench_scale.py [--files 10000] [--json OUT]

Builds a repository in a temporary folder from the corpus (`../shared/corpus`:
every contract of aprender and provable-contracts, copied round-robin into
`contracts/gNNN/` folders until there are N files; aprender's Rust outlines
at `crates/` so gate evidence resolves as in the real repository), then, in
the same run, on the same files:

- pv cold, all cores: `pv validate --no-cache -j 0` (and the same with `--skip formulas`)
- pv cold, first run that fills the cache: `pv validate -j 0 --cache-dir C`
- pv warm: the same again, nothing changed (median of `--repeat` runs)
- pv warm after touching one file (its content unchanged) and after editing one
- check-jsonschema (pinned, in `.bench-venv/`, never the project's venv) with
  pv's entry schema `schemas/contract.schema.json`, over the same files, with
  all cores: the files are split into one batch per CPU, run side by side.

Whole-process wall time and CPU time (user + system, workers included), and
peak RSS of the largest process (RUSAGE_CHILDREN of a fresh wrapper). On a
shared machine wall time is CPU time stretched by the load: both are printed. Nothing asserts on time; the
targets of issue 10 are printed beside the figures: cold <= 0.25x
check-jsonschema, warm <= 1 s per 10,000 unchanged files, peak memory flat in
the number of files (compare `--files 1000` with `--files 10000`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_validate import ROOT, ensure_check_jsonschema, load_average  # noqa: E402

CORPUS = Path(os.environ.get("PV_CORPUS") or ROOT.parent / "shared" / "corpus")
SCHEMA = ROOT / "schemas" / "contract.schema.json"
# Runs one command and prints its wall time and the peak RSS of everything it started.
_MEASURE = (
    "import resource, subprocess, sys, time, json\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "wall = time.perf_counter() - t\n"
    "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'wall': wall, 'cpu': use.ru_utime + use.ru_stime, 'rss_kib': use.ru_maxrss,\n"
    "                  'rc': p.returncode, 'err': p.stderr.decode()[-400:]}))\n"
)


def build_tree(target: Path, count: int) -> list[Path]:
    sources = sorted((CORPUS / "aprender" / "contracts").rglob("*.yaml"))
    sources += sorted((CORPUS / "provable-contracts" / "contracts").rglob("*.yaml"))
    if not sources:
        raise SystemExit(f"no corpus under {CORPUS}")
    shutil.copytree(CORPUS / "aprender" / "crates", target / "crates")
    (target / "pv.toml").write_text('contract_dirs = ["contracts"]\n')
    files = []
    for index in range(count):
        source = sources[index % len(sources)]
        rel = source.name if "provable-contracts" in source.parts else source.relative_to(
            CORPUS / "aprender" / "contracts").as_posix().replace("/", "-")
        dest = target / "contracts" / f"g{index // len(sources):03d}" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():  # the same name from both corpora
            dest = dest.with_name(f"b-{dest.name}")
        shutil.copyfile(source, dest)
        files.append(dest)
    return files


def measure(argv: list[str], cwd: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _MEASURE, *argv], cwd=cwd, capture_output=True, text=True,
                         env={**os.environ, "NO_COLOR": "1"})
    result = json.loads(out.stdout)
    result["argv"] = argv
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="warm runs (median)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--no-check-jsonschema", action="store_true")
    parser.add_argument("--bench-venv", type=Path, default=ROOT / ".bench-venv")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"skipped: no corpus at {CORPUS}", file=sys.stderr)
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    pv = [sys.executable, "-m", "pv", "validate", "--root", "."]
    env_root = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + env_root if env_root else "")
    figures: dict = {"files": args.files, "cpus": cpus, "load_before": load_average()}
    with tempfile.TemporaryDirectory(prefix="pv-scale-") as tmp:
        repo = Path(tmp) / "repo"
        files = build_tree(repo, args.files)
        cache = Path(tmp) / "cache"
        runs: dict[str, dict] = {}
        runs["pv cold, no cache, -j 0"] = measure([*pv, "--no-cache", "-j", "0"], repo)
        # Without the formula checks (sympy proofs of kernel obligations): the part of pv's work that
        # check-jsonschema's is comparable to, plus consistency, parity and evidence.
        runs["pv cold, no cache, -j 0, --skip formulas"] = measure([*pv, "--no-cache", "-j", "0", "--skip",
                                                                    "formulas"], repo)
        runs["pv first run, fills the cache, -j 0"] = measure([*pv, "-j", "0", "--cache-dir", str(cache)], repo)
        time.sleep(2.5)  # results of files changed in the last 2 s are not reused: let the new tree age
        measure([*pv, "-j", "0", "--cache-dir", str(cache)], repo)  # now the impure checks' results are kept
        warm = [measure([*pv, "-j", "0", "--cache-dir", str(cache)], repo) for _ in range(args.repeat)]
        runs["pv warm, nothing changed, -j 0"] = min(warm, key=lambda r: r["wall"]) | {
            "median_wall": statistics.median(r["wall"] for r in warm),
            "median_cpu": statistics.median(r["cpu"] for r in warm)}
        runs["pv warm, json report"] = measure([*pv, "-j", "0", "--cache-dir", str(cache), "--format", "json"], repo)
        os.utime(files[0])  # same bytes, new mtime: the stat index misses, the content hash hits
        runs["pv warm, one file touched"] = measure([*pv, "-j", "0", "--cache-dir", str(cache)], repo)
        with open(files[1], "a", encoding="utf-8") as handle:
            handle.write("\n# edited\n")
        runs["pv warm, one file edited"] = measure([*pv, "-j", "0", "--cache-dir", str(cache)], repo)
        if not args.no_check_jsonschema:
            exe, version = ensure_check_jsonschema(args.bench_venv)
            figures["check_jsonschema"] = version
            if exe is not None:
                # One batch per CPU, side by side, in one wrapper process (a shell) so RSS covers them all.
                rel = [str(f.relative_to(repo)) for f in files]
                batches = [rel[i::cpus] for i in range(cpus)]
                lists = []
                for i, batch in enumerate(batches):
                    lst = Path(tmp) / f"batch{i}.txt"
                    lst.write_text("\0".join(batch))
                    lists.append(lst)
                script = " & ".join(f"xargs -0 -a {lst} {exe} --schemafile {SCHEMA} >/dev/null 2>&1"
                                    for lst in lists) + " & wait"
                runs[f"check-jsonschema, {cpus} batches side by side"] = measure(["sh", "-c", script], repo)
    figures["load_after"] = load_average()
    figures["runs"] = runs
    print(f"{args.files} contracts, {cpus} CPUs, load average {figures['load_before']} -> {figures['load_after']}")
    print(f"{'run':<45} {'wall s':>8} {'CPU s':>7} {'files/s':>9} {'peak RSS MiB':>13}  exit")
    for name, run in runs.items():
        wall = run.get("median_wall", run["wall"])
        cpu = run.get("median_cpu", run["cpu"])
        print(f"{name:<45} {wall:>8.2f} {cpu:>7.2f} {args.files / wall:>9.0f} {run['rss_kib'] / 1024:>13.0f}"
              f"  {run['rc']}")
    cold = runs["pv cold, no cache, -j 0"]["wall"]
    warm_s = runs["pv warm, nothing changed, -j 0"]["median_wall"]
    cjs_run = next((r for n, r in runs.items() if n.startswith("check-jsonschema")), None)
    if cjs_run:
        ratio = cold / cjs_run["wall"]
        cpu_ratio = runs["pv cold, no cache, -j 0"]["cpu"] / cjs_run["cpu"]
        figures["cold_over_check_jsonschema"], figures["cold_cpu_over_check_jsonschema"] = ratio, cpu_ratio
        no_formulas = runs["pv cold, no cache, -j 0, --skip formulas"]
        figures["cold_skip_formulas_over_check_jsonschema"] = no_formulas["wall"] / cjs_run["wall"]
        print(f"cold --skip formulas / check-jsonschema = {no_formulas['wall'] / cjs_run['wall']:.3f} wall, "
              f"{no_formulas['cpu'] / cjs_run['cpu']:.3f} CPU")
        print(f"cold / check-jsonschema = {ratio:.3f} wall, {cpu_ratio:.3f} CPU "
              f"(target <= 0.25: {'met' if ratio <= 0.25 else 'MISSED'} on wall time, "
              f"{'met' if cpu_ratio <= 0.25 else 'MISSED'} on CPU time)")
    per_10k = warm_s * 10_000 / args.files
    cpu_10k = runs["pv warm, nothing changed, -j 0"]["median_cpu"] * 10_000 / args.files
    figures["warm_s_per_10k"], figures["warm_cpu_s_per_10k"] = per_10k, cpu_10k
    print(f"warm = {per_10k:.2f} s wall, {cpu_10k:.2f} s CPU per 10,000 files (target <= 1 s: "
          f"{'met' if per_10k <= 1 else 'MISSED'} on wall time, {'met' if cpu_10k <= 1 else 'MISSED'} on CPU time; "
          "wall = CPU on an idle machine, a single process)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
