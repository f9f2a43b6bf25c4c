"""Benchmark `pv validate` against its floor and against check-jsonschema, in one run.

Run it with the project's venv interpreter (never a pyenv shim):

    .venv/bin/python benchmarks/bench_validate.py [--repeat 15] [--json OUT]

(a) Single file (`contracts/training-loop-pretrain-v1.yaml` by default), wall
    time of a whole process, median over interleaved repeats:
      - `python -c pass`                                (interpreter start-up)
      - `python -c "import ruamel.yaml, jsonschema, click"`   (the floor)
      - `pv validate FILE --no-cache`                   (the headline figure)
      - `pv validate FILE` with a warm cache in a temp dir
      - `check-jsonschema --schemafile schemas/<schema> FILE`, installed on
        demand into its own venv (`.bench-venv/`, git-ignored)
    and their ratios to the floor and to check-jsonschema.
(b) The corpus (`../shared/corpus`, skipped cleanly when absent): files per
    second cold (`--no-cache`) in one process and with all cores (`--jobs 0`),
    warm (same `--cache-dir` as a priming run), and check-jsonschema over the
    same files for reference.

Every command runs with this interpreter (`sys.executable`) and `NO_COLOR=1`.
Nothing here asserts on time: the targets from issue 2 are printed next to
the figures, each with the criterion used for its met/missed label.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILE = "contracts/training-loop-pretrain-v1.yaml"
DEFAULT_SCHEMA = "schemas/gated-contract.schema.json"  # the family of the default file
CORPUS_SCHEMA = "schemas/contract.schema.json"  # entry schema that picks the family
CHECK_JSONSCHEMA = "check-jsonschema==0.39.0"  # pinned so figures compare across runs
HEAVY = ("sympy", "torch", "numpy", "mpmath")

TARGET_ONE_FILE_MS = 150.0
TARGET_FILES_PER_S_PER_CORE = 300.0
WARM_FACTOR = 2.0  # "near-instant": a warm corpus run within 2x one single-file run


@dataclass
class Case:
    name: str
    argv: list[str]
    ok_codes: tuple[int, ...] = (0,)
    samples: list[float] = field(default_factory=list)  # seconds
    codes: set[int] = field(default_factory=set)
    stderr: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def min_ms(self) -> float:
        return min(self.samples) * 1000

    @property
    def failed(self) -> bool:
        return not self.codes <= set(self.ok_codes)

    def to_dict(self) -> dict:
        return {
            "argv": self.argv,
            "samples_ms": [round(s * 1000, 3) for s in self.samples],
            "median_ms": round(self.median_ms, 3) if self.samples else None,
            "min_ms": round(self.min_ms, 3) if self.samples else None,
            "exit_codes": sorted(self.codes),
            "failed": self.failed,
            "stderr_tail": self.stderr if self.failed else "",
        }


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["NO_COLOR"] = "1"
    e.pop("FORCE_COLOR", None)
    e.pop("PYTHONPROFILEIMPORTTIME", None)
    return e


def run_once(case: Case, timeout: float) -> None:
    start = time.perf_counter()
    try:
        proc = subprocess.run(case.argv, cwd=ROOT, env=env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
        code, err = proc.returncode, proc.stderr
    except subprocess.TimeoutExpired:
        code, err = 124, b"timed out"
    case.samples.append(time.perf_counter() - start)
    case.codes.add(code)
    if code not in case.ok_codes:
        case.stderr = err.decode("utf-8", "replace")[-800:]


def measure(cases: list[Case], repeat: int, timeout: float) -> None:
    """One untimed warm-up each (page cache, .pyc files), then interleaved rounds so drift hits all alike."""
    for case in cases:
        run_once(case, timeout)
        case.samples.clear()
    for _ in range(repeat):
        for case in cases:
            run_once(case, timeout)


def bin_dir(venv: Path) -> Path:
    return venv / ("Scripts" if sys.platform == "win32" else "bin")


def ensure_check_jsonschema(venv: Path) -> tuple[Path | None, str]:
    """check-jsonschema in its own venv, created on first use. Returns (executable, version or why not)."""
    exe = bin_dir(venv) / ("check-jsonschema.exe" if sys.platform == "win32" else "check-jsonschema")
    pinned = CHECK_JSONSCHEMA.split("==")[1]

    def version() -> str:
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
        return out.stdout.strip().rsplit(" ", 1)[-1]

    try:
        if exe.exists() and version() == pinned:
            return exe, pinned
        print(f"installing {CHECK_JSONSCHEMA} into {venv} ...", file=sys.stderr)
        if not (bin_dir(venv) / "python").exists() and not (bin_dir(venv) / "python.exe").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True,
                           timeout=300)
        py = bin_dir(venv) / ("python.exe" if sys.platform == "win32" else "python")
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        CHECK_JSONSCHEMA], check=True, capture_output=True, timeout=600)
        return exe, version()
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return None, f"could not install check-jsonschema: {exc} {detail[-300:]}".strip()


def pv_argv(*args: str) -> list[str]:
    """`pv` run by this interpreter: the console script next to it, else `-m pv`."""
    script = bin_dir(Path(sys.executable).parent.parent) / "pv"
    if script.is_file():
        return [sys.executable, str(script), *args]
    return [sys.executable, "-m", "pv", *args]


def import_profile(argv: list[str]) -> tuple[list[str], list[tuple[str, float]]]:
    """From `python -X importtime`: the heavy packages a run imports, and the 6 costliest
    top-level imports as (module, cumulative ms)."""
    cmd = [argv[0], "-X", "importtime", *argv[1:]]
    proc = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=600)
    found = set()
    top: list[tuple[str, float]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        fields = line[len("import time:"):].split("|")
        if len(fields) != 3 or not fields[1].strip().isdigit():
            continue  # the header line
        raw_name = fields[2].rstrip()
        name = raw_name.strip()
        if name.split(".")[0] in HEAVY:
            found.add(name.split(".")[0])
        if raw_name.startswith(" ") and not raw_name.startswith("  "):  # depth 0: imported directly
            top.append((name, int(fields[1]) / 1000))
    return sorted(found), sorted(top, key=lambda item: -item[1])[:6]


def yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_average() -> list[float] | None:
    """1/5/15-minute load: other work on the machine skews every figure alike, so say how busy it was."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", default=DEFAULT_FILE, help="contract for the single-file figures")
    parser.add_argument("--schema", default=DEFAULT_SCHEMA, help="schema check-jsonschema uses for --file")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per single-file command")
    parser.add_argument("--corpus-repeat", type=int, default=5, help="timed runs per corpus command")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--bench-venv", type=Path, default=ROOT / ".bench-venv")
    parser.add_argument("--no-check-jsonschema", action="store_true", help="skip the check-jsonschema rows")
    parser.add_argument("--json", type=Path, help="also write every sample and figure as JSON here")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per command")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.corpus_repeat < 1:
        parser.error("--repeat and --corpus-repeat must be at least 1")

    probe = subprocess.run([sys.executable, "-c", "import pv, ruamel.yaml, jsonschema, click"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"error: {sys.executable} cannot import pv and its dependencies; run this script with the "
              f"project's venv: .venv/bin/python benchmarks/bench_validate.py", file=sys.stderr)
        return 2
    target = (ROOT / args.file).resolve()
    if not target.is_file():
        print(f"error: {args.file} not found under {ROOT}", file=sys.stderr)
        return 2

    cjs, cjs_version = (None, "skipped (--no-check-jsonschema)")
    if not args.no_check_jsonschema:
        cjs, cjs_version = ensure_check_jsonschema(args.bench_venv)
    cores = cpu_count()
    pv_version = subprocess.run(pv_argv("--version"), capture_output=True, text=True).stdout.strip()
    results: dict = {
        "meta": {
            "python": sys.version.split()[0],
            "executable": sys.executable,
            "platform": platform.platform(),
            "cpus": cores,
            "pv": pv_version,
            "check_jsonschema": cjs_version,
            "repeat": args.repeat,
            "corpus_repeat": args.corpus_repeat,
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "loadavg_before": load_average(),
        },
        "targets": {"one_file_ms": TARGET_ONE_FILE_MS, "files_per_s_per_core": TARGET_FILES_PER_S_PER_CORE,
                    "warm_within_x_single_file": WARM_FACTOR},
    }
    rel = os.path.relpath(target, ROOT)
    print(f"pv validate benchmark: {pv_version}, Python {results['meta']['python']}, {cores} CPUs, "
          f"{sys.executable}")
    print(f"check-jsonschema: {cjs_version}; load average before: {results['meta']['loadavg_before']}")

    with tempfile.TemporaryDirectory(prefix="pv-bench-") as tmp:
        # (a) one file
        single = [
            Case("python startup", [sys.executable, "-c", "pass"]),
            Case("floor: import ruamel.yaml, jsonschema, click",
                 [sys.executable, "-c", "import ruamel.yaml, jsonschema, click"]),
            Case("pv validate --no-cache --skip formulas",
                 pv_argv("validate", rel, "--no-cache", "--skip", "formulas")),
            Case("pv validate --no-cache (with formula checks)", pv_argv("validate", rel, "--no-cache")),
            Case("pv validate (warm cache)", pv_argv("validate", rel, "--cache-dir", str(Path(tmp) / "one"))),
        ]
        if cjs is not None:
            single.append(Case(f"check-jsonschema --schemafile {Path(args.schema).name}",
                               [str(cjs), "--schemafile", args.schema, rel], ok_codes=(0, 1)))
        measure(single, args.repeat, args.timeout)
        by_name = {c.name: c for c in single}
        floor = by_name["floor: import ruamel.yaml, jsonschema, click"].median_ms
        # The plain validation path (issue target); formula checks import sympy and are measured
        # against it in benchmarks/bench_formulas.py.
        pv_cold = by_name["pv validate --no-cache --skip formulas"].median_ms
        cjs_case = single[-1] if cjs is not None else None
        print(f"\n(a) one file: {rel}  (median of {args.repeat} interleaved runs, whole process)")
        print(f"  {'command':<58} {'median':>9} {'min':>9} {'x floor':>8}")
        for case in single:
            note = f"  exit {sorted(case.codes)}" if case.failed else ""
            print(f"  {case.name:<58} {case.median_ms:>7.1f}ms {case.min_ms:>7.1f}ms "
                  f"{case.median_ms / floor:>7.2f}x{note}")
        print(f"  target: pv validate one file (plain path, no sympy) <= {TARGET_ONE_FILE_MS:.0f} ms median: "
              f"{pv_cold:.1f} ms, {verdict(pv_cold <= TARGET_ONE_FILE_MS)}")
        ratios = {"pv_over_floor": pv_cold / floor}
        if cjs_case is not None:
            ratios["pv_over_check_jsonschema"] = pv_cold / cjs_case.median_ms
            ratios["check_jsonschema_over_floor"] = cjs_case.median_ms / floor
            print(f"  pv / check-jsonschema = {ratios['pv_over_check_jsonschema']:.2f} "
                  f"(check-jsonschema takes {cjs_case.median_ms / pv_cold:.2f}x pv's time)"
                  + (f"; check-jsonschema exited {sorted(cjs_case.codes)}: {cjs_case.stderr.strip()[:200]}"
                     if cjs_case.failed else ""))
        heavy_one, top_one = import_profile(pv_argv("validate", rel, "--no-cache", "--skip", "formulas"))
        print(f"  heavy modules imported by pv validate (of {', '.join(HEAVY)}): {', '.join(heavy_one) or 'none'}")
        print("  costliest imports (cumulative, one -X importtime run): "
              + ", ".join(f"{name} {ms:.0f}ms" for name, ms in top_one))
        results["single_file"] = {"file": rel, "cases": {c.name: c.to_dict() for c in single},
                                  "ratios": {k: round(v, 4) for k, v in ratios.items()},
                                  "heavy_imports": heavy_one,
                                  "costliest_imports_ms": dict(top_one),
                                  "target_met": pv_cold <= TARGET_ONE_FILE_MS}

        # (b) the corpus
        corpus = args.corpus.resolve()
        files = yaml_files(corpus) if corpus.is_dir() else []
        if not files:
            print(f"\n(b) corpus: skipped ({args.corpus} is absent or holds no YAML)")
            results["corpus"] = {"skipped": True, "path": str(args.corpus)}
        else:
            n = len(files)
            base = ["validate", str(corpus), "--root", str(corpus)]
            warm_dir = str(Path(tmp) / "corpus-cache")
            corpus_cases = [
                Case("pv cold, 1 process (--no-cache --jobs 1)", pv_argv(*base, "--no-cache", "--jobs", "1"),
                     ok_codes=(0, 1)),
                Case(f"pv cold, all cores (--no-cache --jobs 0, {cores} CPUs)",
                     pv_argv(*base, "--no-cache", "--jobs", "0"), ok_codes=(0, 1)),
                Case("pv warm cache (--cache-dir, --jobs 1)", pv_argv(*base, "--cache-dir", warm_dir, "--jobs", "1"),
                     ok_codes=(0, 1)),
            ]
            if cjs is not None:
                corpus_cases.append(Case(f"check-jsonschema --schemafile {Path(CORPUS_SCHEMA).name}",
                                         [str(cjs), "--schemafile", CORPUS_SCHEMA, *map(str, files)],
                                         ok_codes=(0, 1)))
            measure(corpus_cases, args.corpus_repeat, args.timeout)  # the warm-up primes the warm cache
            cold1, coldn, warm = corpus_cases[:3]
            print(f"\n(b) corpus: {corpus} ({n} YAML files; median of {args.corpus_repeat} runs)")
            print(f"  {'mode':<58} {'median':>9} {'files/s':>9} {'ms/file':>8}")
            rows = {}
            for case in corpus_cases:
                rate = n / (case.median_ms / 1000)
                marginal = max(0.0, case.median_ms - pv_cold) / max(1, n - 1)
                rows[case.name] = {**case.to_dict(), "files": n, "files_per_s": round(rate, 1),
                                   "ms_per_file": round(case.median_ms / n, 3),
                                   "marginal_ms_per_file": round(marginal, 3)}
                note = f"  exit {sorted(case.codes)}: {case.stderr.strip()[:120]}" if case.failed else ""
                print(f"  {case.name:<58} {case.median_ms:>7.1f}ms {rate:>9.0f} {case.median_ms / n:>8.2f}{note}")
            per_core_1 = n / (cold1.median_ms / 1000)
            per_core_n = n / (coldn.median_ms / 1000) / cores
            marginal_rate = (n - 1) / max(1e-9, (cold1.median_ms - pv_cold) / 1000)
            print(f"  target: >= {TARGET_FILES_PER_S_PER_CORE:.0f} contracts/s per core cold: "
                  f"1 process {per_core_1:.0f}/s ({verdict(per_core_1 >= TARGET_FILES_PER_S_PER_CORE)}), "
                  f"all cores {per_core_n:.0f}/s per core; excluding start-up "
                  f"(corpus minus one-file run) {marginal_rate:.0f}/s")
            warm_met = warm.median_ms <= WARM_FACTOR * pv_cold
            print(f"  target: warm cache near-instant (criterion: <= {WARM_FACTOR:.0f}x one single-file run = "
                  f"{WARM_FACTOR * pv_cold:.0f} ms): {warm.median_ms:.1f} ms, {verdict(warm_met)}; "
                  f"cold/warm = {cold1.median_ms / warm.median_ms:.1f}x")
            heavy_corpus, _ = import_profile(pv_argv(*base, "--no-cache", "--jobs", "1"))
            print(f"  heavy modules imported over the corpus (--jobs 1): {', '.join(heavy_corpus) or 'none'}")
            results["corpus"] = {
                "path": str(corpus), "files": n, "cases": rows,
                "per_core_files_per_s_1_process": round(per_core_1, 1),
                "per_core_files_per_s_all_cores": round(per_core_n, 1),
                "files_per_s_excluding_startup": round(marginal_rate, 1),
                "cold_over_warm": round(cold1.median_ms / warm.median_ms, 2),
                "target_met": {"per_core": per_core_1 >= TARGET_FILES_PER_S_PER_CORE, "warm": warm_met},
                "heavy_imports": heavy_corpus,
            }

    results["meta"]["loadavg_after"] = load_average()
    print(f"\nload average after: {results['meta']['loadavg_after']} "
          f"(figures from a busy machine are slower, but the side-by-side ratios still hold)")
    if args.json:
        out = args.json
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(results, handle, indent=2, sort_keys=True)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, out)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
        print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
