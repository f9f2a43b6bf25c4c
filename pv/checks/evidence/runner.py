"""Run the tests that gates cite, or read their outcomes from a JUnit report.

Python evidence runs in one `python -m pytest` subprocess per call, in the
repository root, with a tiny plugin that deselects everything but the cited
node ids (so one missing or broken test file cannot stop the others from
running) and `--continue-on-collection-errors`. Outcomes come from the
JUnit XML pytest writes. Rust evidence runs with `cargo test` only where
`cargo` is on PATH; otherwise it is reported as not run, never as passed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pv.checks.evidence.resolve import Resolution
from pv.checks.evidence.sites import LIVE

if TYPE_CHECKING:
    from pv.checks.evidence.policy import OwnerResult

PASSED, FAILED, ERROR, SKIPPED, XFAILED = "passed", "failed", "error", "skipped", "xfailed"
NOT_FOUND, NOT_RUN, STATIC, UNRESOLVED = "not-found", "not-run", "exists", "unresolved"
_RANK = {FAILED: 6, ERROR: 5, NOT_FOUND: 4, XFAILED: 3, SKIPPED: 3, NOT_RUN: 2, PASSED: 1}
MAX_JUNIT_BYTES = 64 * 1024 * 1024
DEFAULT_TIMEOUT = 600.0

_SELECT_PLUGIN = '''
import os

def pytest_collection_modifyitems(config, items):
    with open(os.environ["PV_EVIDENCE_SELECT"], encoding="utf-8") as handle:
        wanted = [line.rstrip("\\n") for line in handle if line.strip()]
    exact = set(wanted)
    prefixes = tuple(w + "::" for w in wanted)
    keep, drop = [], []
    for item in items:
        base = item.nodeid.split("[", 1)[0]
        if item.nodeid in exact or base in exact or item.nodeid.startswith(prefixes):
            keep.append(item)
        else:
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep
'''


@dataclass
class Outcome:
    status: str
    message: str = ""
    duration: float | None = None


@dataclass(frozen=True)
class _Case:
    classname: str
    name: str
    status: str
    message: str
    duration: float | None


def nodeid(res: Resolution) -> str:
    ref = res.ref
    symbol = res.exact or ref.symbol
    text = ref.file or ""
    if symbol:
        text += "::" + "::".join(symbol)
    if ref.param is not None:
        text += f"[{ref.param}]"
    return text


def _worst(outcomes: list[Outcome]) -> Outcome:
    return max(outcomes, key=lambda o: _RANK.get(o.status, 0))


def _first_line(text: str, limit: int = 160) -> str:
    """The most telling line of a failure text: the first `E   …` line, else the first line."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln[1:].strip() for ln in lines if ln.startswith("E ")]
    line = errors[0] if errors else (lines[0] if lines else "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --- JUnit XML -------------------------------------------------------------------


class JUnitError(Exception):
    """The JUnit report cannot be used (unreadable, hostile or not JUnit)."""


def read_junit(path: Path | str) -> bytes:
    """The report's bytes, at most one past the cap (`--junit /dev/zero` must not read forever)."""
    with open(path, "rb") as handle:
        return handle.read(MAX_JUNIT_BYTES + 1)


def parse_junit(data: bytes) -> list[_Case]:
    if len(data) > MAX_JUNIT_BYTES:
        raise JUnitError(f"report is larger than {MAX_JUNIT_BYTES} bytes")
    if re.search(rb"<!(DOCTYPE|ENTITY)", data, re.IGNORECASE):
        raise JUnitError("report declares a DOCTYPE or entities; refused (entity expansion)")
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise JUnitError(f"not well-formed XML: {exc}") from None
    except (LookupError, ValueError) as exc:  # <?xml encoding="klingon"?>
        raise JUnitError(f"unusable XML: {exc}") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise JUnitError(f"root element is <{root.tag}>, not <testsuites> or <testsuite>")
    cases = []
    for case in root.iter("testcase"):
        status, message = PASSED, ""
        for child in case:
            tag = child.tag
            text = (child.get("message") or "") + "\n" + (child.text or "")
            if tag == "failure":
                status, message = FAILED, _first_line(text)
            elif tag == "error":
                status, message = ERROR, _first_line(text)
            elif tag == "skipped":
                kind = child.get("type") or ""
                status = XFAILED if "xfail" in kind else SKIPPED
                message = _first_line(child.get("message") or child.text or "")
        try:
            duration = float(case.get("time") or "nan")
        except ValueError:
            duration = None
        cases.append(_Case(case.get("classname") or "", case.get("name") or "", status, message,
                           duration if duration == duration else None))
    return cases


def _dotted(file: str) -> str:
    stem = file[:-3] if file.endswith(".py") else file
    return stem.strip("/").replace("/", ".")


def _class_match(actual: str, expected: str) -> bool:
    return actual == expected or actual.endswith("." + expected) or expected.endswith("." + actual)


def match_cases(res: Resolution, cases: list[_Case]) -> Outcome | None:
    """The outcome of one cited Python item among JUnit test cases (None: not present)."""
    ref = res.ref
    module = _dotted(ref.file or "")
    symbol = res.exact or ref.symbol
    for case in cases:  # a collection error of the module decides everything in it
        if not case.classname and case.status == ERROR and _class_match(case.name, module):
            return Outcome(ERROR, f"collection failed: {case.message}")
    hits: list[_Case] = []
    if not symbol:
        hits = [c for c in cases if c.classname and (_class_match(c.classname, module) or any(
            _class_match(c.classname.rsplit(".", k)[0], module) for k in (1, 2)))]
    elif res.target == "class":
        expected = ".".join((module,) + tuple(symbol))
        hits = [c for c in cases if _class_match(c.classname, expected)]
    else:
        expected = ".".join((module,) + tuple(symbol[:-1]))
        func = symbol[-1]
        for case in cases:
            if not _class_match(case.classname, expected):
                continue
            if ref.param is not None:
                if case.name == f"{func}[{ref.param}]":
                    hits.append(case)
            elif case.name == func or case.name.startswith(func + "["):
                hits.append(case)
    if not hits:
        return None
    worst = _worst([Outcome(c.status, c.message, c.duration) for c in hits])
    total = sum(c.duration or 0.0 for c in hits)
    if len(hits) > 1:
        worst.message = (f"{len(hits)} cases; " + worst.message).rstrip("; ")
    worst.duration = total
    return worst


# --- running pytest ----------------------------------------------------------------


def _communicate(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """Run a command in its own process group; kill the group on timeout. (rc or None, output)."""
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        return -1, f"cannot start {cmd[0]}: {exc.strerror or exc}"
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        out, _ = proc.communicate()
        return None, out.decode("utf-8", errors="replace")
    return proc.returncode, out.decode("utf-8", errors="replace")


def run_pytest(items: list[Resolution], root: Path, *, python: str | None = None,
               timeout: float = DEFAULT_TIMEOUT) -> dict[int, Outcome]:
    """Run the cited Python tests; outcome per index into `items`."""
    if not items:
        return {}
    ids = sorted({nodeid(r) for r in items})
    files = sorted({r.ref.file or "" for r in items})
    with tempfile.TemporaryDirectory(prefix="pv-discharge-") as tmp:
        plugin = Path(tmp, "_pv_evidence_select.py")
        plugin.write_text(_SELECT_PLUGIN, encoding="utf-8")
        select = Path(tmp, "select.txt")
        select.write_text("\n".join(ids) + "\n", encoding="utf-8")
        junit = Path(tmp, "junit.xml")
        env = dict(os.environ)
        env["PYTHONPATH"] = tmp + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["PV_EVIDENCE_SELECT"] = str(select)
        env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        cmd = [python or sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-p", "_pv_evidence_select", "--continue-on-collection-errors",
               "--maxfail=2147483647",  # an `-x` in the project's addopts must not hide later tests
               "-o", "junit_family=xunit1", f"--junitxml={junit}", f"--rootdir={root}", "--", *files]
        rc, output = _communicate(cmd, root, env, timeout)
        cases: list[_Case] = []
        problem, problem_status = None, ERROR
        if junit.is_file():
            try:
                cases = parse_junit(junit.read_bytes())
            except JUnitError as exc:
                problem = f"pytest wrote an unusable report: {exc}"
    if rc is None:
        problem = f"pytest timed out after {timeout:g} s"
    elif not cases and rc not in (0, 5):
        tail = [ln for ln in output.strip().splitlines() if ln.strip()][-1:] or ["no output"]
        problem = problem or f"pytest exited with status {rc}: {tail[0][:200]}"
        if tail[0].startswith("Skipped:"):  # a conftest skipped the whole run (e.g. importorskip)
            problem_status = SKIPPED
    out: dict[int, Outcome] = {}
    for index, res in enumerate(items):
        found = match_cases(res, cases)
        if found is not None:
            out[index] = found
        elif problem:
            out[index] = Outcome(problem_status if rc is not None else NOT_RUN, problem)
        else:
            out[index] = Outcome(NOT_FOUND, "pytest did not report it (not collected, or the run stopped early)")
    return out


def outcomes_from_junit(items: list[Resolution], data: bytes, source: str) -> dict[int, Outcome]:
    cases = parse_junit(data)
    out: dict[int, Outcome] = {}
    for index, res in enumerate(items):
        found = match_cases(res, cases)
        out[index] = found if found is not None else Outcome(NOT_RUN, f"not in the JUnit report {source}")
    return out


# --- running cargo -----------------------------------------------------------------

_CARGO_LINE = re.compile(r"^test (\S+) \.\.\. (ok|FAILED|ignored)", re.MULTILINE)


def _crate_dir(file: Path, root: Path) -> Path | None:
    real_root = Path(os.path.realpath(root))
    directory = file.parent
    while True:
        if (directory / "Cargo.toml").is_file():
            return directory
        if directory == real_root or real_root not in directory.parents:
            return None
        directory = directory.parent


def run_cargo(items: list[Resolution], root: Path, *, timeout: float = DEFAULT_TIMEOUT) -> dict[int, Outcome]:
    """Run cited Rust tests with `cargo test`, per crate."""
    if not items:
        return {}
    cargo = shutil.which("cargo")
    if cargo is None:
        return {i: Outcome(NOT_RUN, "cargo is not on PATH; Rust evidence not run") for i in range(len(items))}
    by_crate: dict[Path | None, list[int]] = {}
    for index, res in enumerate(items):
        crate = _crate_dir(res.path, root) if res.path else None
        by_crate.setdefault(crate, []).append(index)
    out: dict[int, Outcome] = {}
    for crate, indices in by_crate.items():
        if crate is None:
            for i in indices:
                out[i] = Outcome(NOT_RUN, "no Cargo.toml above the file inside the root")
            continue
        filters = sorted({(items[i].exact or items[i].ref.symbol)[-1] for i in indices})
        cmd = [cargo, "test", "--manifest-path", str(crate / "Cargo.toml"), "--no-fail-fast", "--", *filters]
        rc, output = _communicate(cmd, crate, dict(os.environ), timeout)
        results = [(m.group(1), m.group(2)) for m in _CARGO_LINE.finditer(output)]
        problem = None
        if rc is None:
            problem = f"cargo test timed out after {timeout:g} s"
        elif not results and rc != 0:
            errors = [ln for ln in output.splitlines() if ln.startswith("error")]
            problem = f"cargo test failed (status {rc}): {(errors or ['no output'])[0][:200]}"
        for i in indices:
            symbol = "::".join(items[i].exact or items[i].ref.symbol)
            hits = [status for path, status in results
                    if path == symbol or path.endswith("::" + symbol) or path.startswith(symbol + "::")
                    or ("::" + symbol + "::") in path]
            if hits:
                mapped = [Outcome({"ok": PASSED, "FAILED": FAILED, "ignored": SKIPPED}[s]) for s in hits]
                out[i] = _worst(mapped)
                if out[i].status == SKIPPED:
                    out[i].message = "ignored by cargo test"
            elif problem:
                out[i] = Outcome(ERROR if rc is not None else NOT_RUN, problem)
            else:
                out[i] = Outcome(NOT_FOUND, "cargo test did not run it")
    return out


# --- all evidence of some contracts ------------------------------------------------


def run_all(groups: list[tuple[str, list[OwnerResult]]], root: Path, *,
            junit: tuple[bytes, str] | None = None, python: str | None = None,
            timeout: float = DEFAULT_TIMEOUT, rust: bool = True) -> dict[tuple[str, tuple], Outcome]:
    """Outcome of every entry of some contracts, keyed by (contract key, entry YAML path).

    All Python evidence runs in one pytest process and all Rust evidence in
    one `cargo test` per crate, however many contracts cite it.
    """
    outcomes: dict[tuple[str, tuple], Outcome] = {}
    py_items: list[tuple[tuple[str, tuple], Resolution]] = []
    rs_items: list[tuple[tuple[str, tuple], Resolution]] = []
    for doc_key, results in groups:
        for result in results:
            for entry, res in zip(result.owner.entries, result.resolutions):
                key = (doc_key, entry.path)
                if entry.role == LIVE:
                    outcomes[key] = Outcome(UNRESOLVED, "prose record of a live run")
                elif not res.ok:
                    outcomes[key] = Outcome(UNRESOLVED, res.message)
                elif res.runnable == "pytest":
                    py_items.append((key, res))
                elif res.runnable == "cargo":
                    if rust:
                        rs_items.append((key, res))
                    else:
                        outcomes[key] = Outcome(NOT_RUN, "Rust evidence skipped (--no-rust)")
                else:
                    outcomes[key] = Outcome(STATIC, f"{res.target or 'file'} exists (nothing to run)")
    if junit is not None:
        data, source = junit
        got = outcomes_from_junit([r for _, r in py_items], data, source)
        rs_got = {i: Outcome(NOT_RUN, f"Rust evidence is not read from the JUnit report {source}")
                  for i in range(len(rs_items))}
    else:
        got = run_pytest([r for _, r in py_items], root, python=python, timeout=timeout)
        rs_got = run_cargo([r for _, r in rs_items], root, timeout=timeout)
    for index, (key, _) in enumerate(py_items):
        outcomes[key] = got[index]
    for index, (key, _) in enumerate(rs_items):
        outcomes[key] = rs_got[index]
    return outcomes
