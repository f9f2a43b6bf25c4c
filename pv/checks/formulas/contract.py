"""All formula checks of one contract: static model, then claims and obligations.

sympy is imported here (via `claims`/`prover`) only when there is a claim or
an obligation whose formulas passed the static checks.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

from pv.checks.formulas.limits import FILE_SECONDS, STEP_SECONDS, StepResult, run_steps
from pv.checks.formulas.memo import Memo, storable, well_formed
from pv.checks.formulas.model import BOOL, SECTION, Formula, Section, _suggest, load_section, parse_claim_value
from pv.checks.formulas.nodes import show
from pv.checks.formulas.outcome import from_data, to_data
from pv.checks.formulas.written import exact_as_written, exact_decimal, shown_as_written
from pv.core import limited
from pv.core.document import Document, source_lines
from pv.core.findings import Finding

REF_OWNERS = ("invariants", "gates")


def check_contract(doc: Document, ctx: Any = None) -> list[Finding]:
    section = load_section(doc)
    findings = list(section.findings)
    findings += check_references(doc, section)
    from pv.checks.formulas.restated import check_restated

    findings += check_restated(section)
    findings += symbolic_findings(section, Memo.for_context(ctx))
    return findings


def check_references(doc: Document, section: Section) -> list[Finding]:
    """`invariants[].formulas` / `gates[].formulas` must name formulas of this contract."""
    out: list[Finding] = []
    known = sorted(section.formulas)
    for owner in REF_OWNERS:
        items = doc.data.get(owner)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            refs = item.get("formulas") if isinstance(item, dict) else None
            if not isinstance(refs, list):
                continue
            for j, ref in enumerate(refs):
                if isinstance(ref, str) and ref not in section.formulas:
                    where = "no `formulas` section" if not known else f"`{SECTION}` does not define it"
                    out.append(doc.finding((owner, i, "formulas", j), "PV330",
                                           f"`{ref}` is not a formula of this contract ({where})"
                                           f"{_suggest(ref, known)}",
                                           hint=f"define it under `{SECTION}.definitions` or "
                                                f"`{SECTION}.obligations`"))
    return out


def _domains(section: Section) -> dict[str, Any]:
    return {name: symbol.domain for name, symbol in section.symbols.items()}


def symbolic_findings(section: Section, memo: Memo | None = None) -> list[Finding]:
    memo = memo or Memo(None, "")
    steps: list[Any] = []  # (kind, key, step, report)
    for formula in section.formulas.values():
        if not section.depends_ok(formula.name):
            continue
        if formula.section == "definitions":
            for index, (path, claim) in enumerate(formula.claims):
                prepared = _prepare_claim(section, formula, claim, path)
                if prepared is not None:
                    step, report = _claim_step(section, formula, path, index, *prepared)
                    steps.append(("claim", memo.key("claim", _depends_text(section, formula), *map(
                        _exact_text, prepared[:3])), step, report))
        else:
            step, report = _obligation_step(section, formula)
            steps.append(("obligation", memo.key("obligation", _depends_text(section, formula)), step, report))
    if not steps:
        return []
    results: dict[int, StepResult] = {}
    for i, (kind, key, _step, _report) in enumerate(steps):
        hit = memo.get(key)
        if hit is not None and well_formed(kind, hit):
            results[i] = StepResult(True, hit if kind == "claim" else from_data(hit))
    missing = [i for i in range(len(steps)) if i not in results]
    if missing:
        prepare_sympy()
        ran = run_steps([steps[i][2] for i in missing], STEP_SECONDS, FILE_SECONDS)
        for i, result in zip(missing, ran, strict=True):
            results[i] = result
            kind, key = steps[i][0], steps[i][1]
            if result.ok:
                data = result.value if kind == "claim" else to_data(result.value)
                if storable(kind, data):
                    memo.put(key, data)
                else:  # reached by hitting a limit: the file's findings are not cached either
                    limited.note()
    findings: list[Finding] = []
    for i, (_kind, _key, _step, report) in enumerate(steps):
        findings.extend(report(results[i]))
    return findings


def _depends_text(section: Section, formula: Formula) -> str:
    """What a formula's maths depends on: its canonical text, the definitions it uses, its symbols' domains."""
    seen: set[str] = set()
    parts: list[str] = []
    stack = [formula.name]
    while stack:
        name = stack.pop()
        if name in seen or name not in section.formulas:
            continue
        seen.add(name)
        current = section.formulas[name]
        parts.append(f"{name}:{current.section}:{show(current.node) if current.node is not None else current.text}")
        stack.extend(sorted(current.refs))
    for name in sorted(section.free_symbols(formula.name)):
        domain = section.symbols[name].domain
        parts.append(f"{name}∈{domain.describe() if domain is not None else '?'}")
    return "\n".join(sorted(parts))


def _exact_text(value: Any) -> str:
    """A claim's point, value or tolerance as exact text (Fractions keep every digit)."""
    if isinstance(value, dict):
        return ";".join(f"{k}={_exact_text(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return "[" + ",".join(_exact_text(v) for v in value) + "]"
    return f"{type(value).__name__}:{value}"


_DECIMAL = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")  # 21.640, 1e-400


def _written(section: Section, path: tuple, value: Any) -> Any:
    """The claim's value as written in the file (`21.640` keeps its three decimals), else `value`."""
    line, col, end_line, end_col = section.doc.span(path)
    lines = source_lines(section.doc.text)
    if isinstance(value, float) and line == end_line and 0 < line <= len(lines):
        text = lines[line - 1][col - 1:end_col - 1].strip()
        if parse_claim_value(text) is not None or _DECIMAL.fullmatch(text):
            return text
    return value


_warm = False
_files = 0  # files with symbolic steps checked by this process


def prepare_sympy() -> None:
    """Import sympy in this process before forking symbolic steps, so each child starts warm."""
    global _files
    _files += 1
    if _files >= 2:  # a process checking many files: pay sympy's lazy imports once, here
        _warm_up()
    else:
        import sympy  # noqa: F401  -- at least the import itself is shared with the children


def _warm_up() -> None:
    """Import sympy and exercise its lazily imported parts once per process, on a fixed input.

    Forked steps inherit the parent's memory, so without this every child
    would pay for sympy's lazy imports and cold caches again (~300 ms). For
    a single file the child pays that once anyway, so pv warms up only from
    the second file on (`pv validate` of a whole directory, the corpus).
    """
    global _warm
    if _warm:
        return
    _warm = True
    from pv.checks.formulas.claims import evaluate_claim
    from pv.checks.formulas.domains import parse_domain
    from pv.checks.formulas.grammar import parse
    from pv.checks.formulas.prover import _prove

    domains = {"v": parse_domain("integer ≥ 2"), "s": parse_domain("sequence of real ≥ 0"),
               "n": parse_domain("integer ≥ 1")}
    _prove(parse("2·ln(v) > 10 ⟺ v ≥ 149"), {}, domains)
    _prove(parse("s[n] ≤ 2 × s[n-1] ⟹ s[n] ≤ 3 × s[n-1]"), {}, domains)
    evaluate_claim(parse("2·ln(v)"), {}, domains, {"v": 50257}, Fraction(2164, 100), Fraction(1, 100))


def _prepare_claim(section: Section, formula: Formula, claim: dict, path: tuple) -> tuple | None:
    """(point, expected, tolerance) when the claim is well formed (shape findings are elsewhere)."""
    at = claim.get("at") or {}
    if not isinstance(at, dict):
        return None
    free = section.free_symbols(formula.name)
    if set(at) != free:
        return None
    point: dict[str, Any] = {}
    shown: dict[str, str] = {}
    doc = section.doc
    for name, value in at.items():
        domain = section.symbols[name].domain
        where = path + ("at", name)
        if domain is None:
            return None
        if domain.sequence:
            if not isinstance(value, list) or not value or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in value):
                return None
            exact = [exact_as_written(doc, where + (i,), v) for i, v in enumerate(value)]
            if not all(v is not None and domain.contains(v) for v in exact):
                return None
            point[name] = exact
            shown[name] = "[" + ", ".join(shown_as_written(doc, where + (i,), v) for i, v in enumerate(value)) + "]"
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            exact_value = exact_as_written(doc, where, value)  # the point as written, like the value
            if exact_value is None or not domain.contains(exact_value):
                return None
            point[name] = exact_value
            shown[name] = shown_as_written(doc, where, value)
    value = claim.get("value")
    if formula.type == BOOL:
        if not isinstance(value, bool):
            return None
        return point, value, Fraction(0), shown
    parsed = parse_claim_value(value)
    if parsed is None:
        return None
    expected, tolerance = parsed
    if isinstance(value, float):  # the value as written, not its nearest double (3.000…0001, 1e-400)
        written = _written(section, path + ("value",), value)
        if isinstance(written, str):
            exact = exact_decimal(written)
            if exact is None:
                return None  # reported by the claim's shape check (PV311)
            expected = exact
    explicit = claim.get("tolerance")
    if isinstance(explicit, int | float) and not isinstance(explicit, bool) and explicit >= 0:
        if isinstance(explicit, float) and not math.isfinite(explicit):
            return None  # reported by the claim's shape check (PV311)
        tolerance = Fraction(repr(explicit)) if isinstance(explicit, float) else Fraction(explicit)
    if tolerance is None:
        from pv.checks.formulas.written import default_tolerance

        tolerance = default_tolerance(_written(section, path + ("value",), value))
    return point, expected, tolerance, shown


def _failure_text(error: str) -> str:
    if error == "timeout":
        return f"timed out after {STEP_SECONDS:g} s"
    if error == "budget":
        return f"skipped: this file's {FILE_SECONDS:g} s budget for symbolic checks is spent"
    return error


def _point_text(point: dict[str, Any], shown: dict[str, str] | None = None) -> str:
    """The point for messages: each value as the author wrote it where known."""
    if shown:
        return ", ".join(f"{k} = {shown.get(k, v)}" for k, v in sorted(point.items())) or "the only point"
    from pv.checks.formulas.numeric import fmt

    return ", ".join(f"{k} = {fmt(v, 10)}" for k, v in sorted(point.items())) or "the only point"


def _claim_step(section: Section, formula: Formula, path: tuple, index: int,
                point: dict[str, Any], expected: Fraction | bool, tolerance: Fraction, shown: dict[str, str]):
    defs = section.definitions
    domains = _domains(section)

    def step() -> dict[str, Any]:
        from pv.checks.formulas.claims import evaluate_claim

        return evaluate_claim(formula.node, defs, domains, point, expected, tolerance)

    def report(result: StepResult) -> list[Finding]:
        doc = section.doc
        where = path + ("value",)
        if not result.ok:
            why = _failure_text(result.error)
            return [doc.finding(where, "PV311", f"claim {index + 1} of `{formula.name}` could not be "
                                f"evaluated: {why}")]
        data = result.value
        if "error" in data:
            return [doc.finding(where, "PV311", f"claim {index + 1} of `{formula.name}` at "
                                f"{_point_text(point, shown)}: {data['error']}")]
        if data["ok"]:
            return []
        if isinstance(expected, bool):
            claimed = "true" if expected else "false"
            return [doc.finding(where, "PV310", f"claim {index + 1} of `{formula.name}` is wrong: at "
                                f"{_point_text(point, shown)}, `{show(formula.node)}` is {data['actual']}, "
                                f"not {claimed}")]
        from pv.checks.formulas.numeric import fmt

        claimed = fmt(expected, 15) + (f" ± {fmt(tolerance, 6)}" if tolerance else "")
        return [doc.finding(where, "PV310", f"claim {index + 1} of `{formula.name}` is wrong: at "
                            f"{_point_text(point, shown)}, `{show(formula.node)}` is {data['actual']} "
                            f"({data['precise']}), not {claimed}",
                            hint=f"fix the claimed value (the formula gives {data['actual']}) or the formula")]

    return step, report


def _obligation_step(section: Section, formula: Formula):
    defs = section.definitions
    domains = _domains(section)

    def step() -> Any:
        from pv.checks.formulas.prover import decide

        return decide(formula.node, defs, domains)

    def report(result: StepResult) -> list[Finding]:
        doc = section.doc
        at = doc.position_in_scalar(formula.path, 0)
        if not result.ok:
            why = _failure_text(result.error)
            return [doc.finding(formula.path, "PV321", f"obligation `{formula.name}` is undecided: "
                                f"{why}", at=at)]
        outcome = result.value
        if outcome.status == "proved":
            return [doc.finding(formula.path, "PV322", f"obligation `{formula.name}` is proved "
                                f"({outcome.method})", at=at)]
        if outcome.status == "refuted":
            point = ", ".join(f"{k} = {v}" for k, v in outcome.counterexample.items())
            how = f"found by search after {outcome.points} point(s)" if outcome.method == "search" \
                else outcome.method
            detail = f": {outcome.detail}" if outcome.detail else ""
            what = f"counterexample {point}{detail} ({how}, checked exactly)" if point else \
                f"it is false (it has no free symbols){detail}"
            return [doc.finding(formula.path, "PV320", f"obligation `{formula.name}` is refuted: {what}", at=at,
                                hint="fix the formula, the obligation's direction, or the symbols' domains")]
        note = f"; {outcome.note}" if outcome.note else ""
        skipped = f" ({outcome.skipped} not evaluable)" if outcome.skipped else ""
        return [doc.finding(formula.path, "PV321", f"obligation `{formula.name}` is undecided: no proof "
                            f"found and no counterexample in {outcome.points} point(s) of the domain"
                            f"{skipped}: boundaries, small, large and random values{note}", at=at,
                            hint="narrow the domains, split the obligation, or state it so sympy can "
                                 "solve it")]

    return step, report
