"""Read a contract's `formulas:` section into a model and run the static checks.

Static means: no sympy. Parsing, name resolution, cycles, types ("dimensionally
silly" uses of truth values and sequences), unused symbols, and the shape of
claims and bindings. The symbolic checks (claims, obligations) run on the
model afterwards, in `pv.checks.formulas.symbolic_checks`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from pv.checks.formulas.domains import Domain, parse_domain
from pv.checks.formulas.grammar import CONSTANTS, FormulaError, parse, parse_full
from pv.checks.formulas.nodes import (
    BinOp,
    Call,
    Compare,
    Index,
    Logic,
    Name,
    Neg,
    Node,
    Not,
    Num,
    names,
    show,
    walk,
)
from pv.core.document import Document, YamlPath
from pv.core.findings import Finding

SECTION = "formulas"
NUM, BOOL, SEQ = "number", "statement", "sequence"
TARGET_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*"
                       r"(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass
class Symbol:
    name: str
    domain: Domain | None
    path: YamlPath  # the domain string
    key_path: YamlPath  # the symbol's key
    used: bool = False


@dataclass
class Formula:
    name: str
    section: str  # "definitions" or "obligations"
    item_path: YamlPath
    path: YamlPath  # the formula string
    text: str
    node: Node | None = None
    type: str | None = None
    ok: bool = False  # parsed, resolved and typed
    refs: set[str] = field(default_factory=set)  # definitions it uses
    syms: set[str] = field(default_factory=set)  # symbols it uses directly
    claims: list[tuple[YamlPath, dict]] = field(default_factory=list)
    bind: dict | None = None


@dataclass
class Section:
    doc: Document
    symbols: dict[str, Symbol] = field(default_factory=dict)
    formulas: dict[str, Formula] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def definitions(self) -> dict[str, Node]:
        return {f.name: f.node for f in self.formulas.values()
                if f.section == "definitions" and f.node is not None}

    def free_symbols(self, name: str) -> set[str]:
        """Symbols a formula depends on, through the definitions it uses."""
        seen: set[str] = set()
        out: set[str] = set()
        stack = [name]
        while stack:
            current = stack.pop()
            if current in seen or current not in self.formulas:
                continue
            seen.add(current)
            formula = self.formulas[current]
            out |= formula.syms
            stack.extend(formula.refs)
        return out

    def depends_ok(self, name: str) -> bool:
        """The formula and everything it uses parsed and type-checked."""
        seen: set[str] = set()
        stack = [name]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            formula = self.formulas.get(current)
            if formula is None or not formula.ok:
                return False
            stack.extend(formula.refs)
        return True

    def add(self, path: YamlPath, code: str, message: str, **kw: Any) -> None:
        self.findings.append(self.doc.finding(path, code, message, **kw))

    def add_at(self, path: YamlPath, index: int, code: str, message: str, *, length: int = 1,
               **kw: Any) -> None:
        """A finding at character `index` of the string at `path`, spanning `length` characters."""
        line, col = self.doc.position_in_scalar(path, index)
        finding = self.doc.finding(path, code, message, at=(line, col), **kw)
        end_line, end_col = self.doc.position_in_scalar(path, index + max(1, length))
        if end_line == line and end_col > col:
            finding = dataclasses.replace(finding, end_line=end_line, end_col=end_col)
        self.findings.append(finding)


class _TypeProblem(Exception):
    def __init__(self, message: str, node: Node, code: str = "PV308") -> None:
        super().__init__(message)
        self.message = message
        self.node = node
        self.code = code


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def load_section(doc: Document) -> Section:
    """Build the model of `doc`'s formula section with its static findings."""
    section = Section(doc)
    raw = doc.data.get(SECTION) if isinstance(doc.data, dict) else None
    if not isinstance(raw, dict):  # wrong shapes are the schema's findings
        return section
    _read_symbols(section, raw.get("symbols"))
    for part in ("definitions", "obligations"):
        _read_formulas(section, part, raw.get(part))
    _resolve(section)
    _check_cycles(section)
    _typecheck(section)
    for symbol in section.symbols.values():
        if not symbol.used:
            section.add(symbol.key_path, "PV304", f"symbol `{symbol.name}` is declared but no formula uses it",
                        key=True, hint="remove it, or use it in a formula")
    for formula in section.formulas.values():
        for index, (path, claim) in enumerate(formula.claims):
            _check_claim_shape(section, formula, path, claim, index)
        if formula.bind is not None:
            _check_bind_shape(section, formula)
    return section


def _read_symbols(section: Section, raw: Any) -> None:
    if not isinstance(raw, dict):
        return
    for name, spec in raw.items():
        key_path = (SECTION, "symbols", name)
        path = key_path + ("domain",) if isinstance(spec, dict) else key_path
        text = spec.get("domain") if isinstance(spec, dict) else spec
        domain = None
        if isinstance(text, str):
            try:
                domain = parse_domain(text)
            except FormulaError as exc:
                section.add_at(path, exc.index, "PV307", f"domain of `{name}`: {exc.message}",
                               hint="write e.g. `integer ≥ 2`, `real > 0`, `real in [0, 1]`, "
                                    "`sequence of real > 0`")
        section.symbols[str(name)] = Symbol(str(name), domain, path, key_path)


def _read_formulas(section: Section, part: str, raw: Any) -> None:
    if not isinstance(raw, dict):
        return
    for name, spec in raw.items():
        name = str(name)
        item_path = (SECTION, part, name)
        path = item_path + ("formula",) if isinstance(spec, dict) else item_path
        text = spec.get("formula") if isinstance(spec, dict) else spec
        if not isinstance(text, str):
            continue  # the schema reports a missing or non-string formula
        if name in section.formulas:
            other = section.formulas[name]
            section.add(item_path, "PV305",
                        f"`{name}` is defined in both {other.section} and {part}"
                        + ("" if show_or_text(other.text) == show_or_text(text) else ", with different formulas"),
                        key=True, hint="give each formula one name; refer to it by that name")
            continue
        if name in section.symbols:
            section.add(item_path, "PV305", f"`{name}` is both a symbol and a formula name", key=True,
                        hint="rename the formula or the symbol")
            continue
        formula = Formula(name, part, item_path, path, text)
        if isinstance(spec, dict):
            claims = spec.get("claims")
            if isinstance(claims, list):
                formula.claims = [(item_path + ("claims", i), c) for i, c in enumerate(claims)
                                  if isinstance(c, dict)]
            if isinstance(spec.get("bind"), dict):
                formula.bind = spec["bind"]
        try:
            formula.node, ambiguous = parse_full(text, quantifier=part == "obligations")
            for start, end in ambiguous:
                section.add_at(path, start, "PV352", f"formula `{name}`: `…{text[start:end]}…` reads as "
                               "(…/…)·…: a `/` followed by an implicit product divides by the first factor only",
                               length=end - start, hint="add brackets: write `x/(2y)` for x over 2y, or `(x/2)·y`")
        except FormulaError as exc:
            code = "PV302" if exc.kind == "limit" else "PV301"
            section.add_at(path, exc.index, code, f"formula `{name}`: {exc.message}",
                           hint=None if code == "PV301" else "simplify the formula; pv refuses inputs "
                                                              "that could exhaust time or memory")
        section.formulas[name] = formula


def show_or_text(text: str) -> str:
    try:
        return show(parse(text))
    except FormulaError:
        return text.strip()


def _resolve(section: Section) -> None:
    known = sorted(set(section.symbols) | set(section.formulas))
    for formula in section.formulas.values():
        if formula.node is None:
            continue
        problems = False
        for name in names(formula.node):
            if name.name in section.symbols:
                section.symbols[name.name].used = True
                formula.syms.add(name.name)
            elif name.name in section.formulas:
                target = section.formulas[name.name]
                if target.section == "obligations":
                    section.add_at(formula.path, name.start, "PV303",
                                   f"`{name.raw}` is an obligation, not a value; formulas can use "
                                   "definitions only", length=name.end - name.start)
                    problems = True
                else:
                    formula.refs.add(name.name)
            elif name.name in CONSTANTS:
                continue
            else:
                section.add_at(formula.path, name.start, "PV303",
                               f"formula `{formula.name}`: `{name.raw}` is neither a declared symbol nor "
                               f"a formula{_suggest(name.name, known)}",
                               hint=f"declare it under `{SECTION}.symbols` with its domain, "
                                    "e.g. `vocab_size: integer ≥ 2`", length=name.end - name.start)
                problems = True
        formula.ok = not problems


def _check_cycles(section: Section) -> None:
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for ref in sorted(section.formulas[name].refs):
            if state.get(ref) == 1:
                cycle = trail[trail.index(ref):] + [ref] if ref in trail else [name, ref]
                formula = section.formulas[name]
                section.add(formula.path, "PV306", f"definitions refer to each other in a cycle: "
                            f"{' → '.join(cycle)}", hint="a formula cannot depend on itself")
                formula.ok = False
            elif state.get(ref) is None and ref in section.formulas:
                visit(ref, trail + [ref])
        state[name] = 2

    for name in section.formulas:
        if state.get(name) is None:
            visit(name, [name])


def _typecheck(section: Section) -> None:
    types: dict[str, str | None] = {}

    def type_of(name: str, stack: tuple[str, ...] = ()) -> str | None:
        if name in types:
            return types[name]
        formula = section.formulas[name]
        types[name] = None
        if formula.node is None or not formula.ok or name in stack:
            return None
        for ref in formula.refs:  # settle dependencies first
            type_of(ref, stack + (name,))
        try:
            result = _infer(formula.node, section, types)
            if formula.section == "obligations" and result != BOOL:
                raise _TypeProblem(f"obligation `{name}` is a {result}, not a statement that can hold or "
                                   "fail; write a comparison such as `a ≤ b`", formula.node)
            if result == SEQ:
                raise _TypeProblem(f"`{name}` is a whole sequence; index it, e.g. `{show(formula.node)}[N]`",
                                   formula.node)
        except _TypeProblem as problem:
            section.add_at(formula.path, problem.node.start, problem.code,
                           f"formula `{name}`: {problem.message}",
                           length=problem.node.end - problem.node.start)
            formula.ok = False
            return None
        except _Unresolved:
            formula.ok = False
            return None
        types[name] = result
        formula.type = result
        return result

    for name in section.formulas:
        type_of(name)


class _Unresolved(Exception):
    """A dependency has its own finding already."""


def _infer(node: Node, section: Section, types: dict[str, str | None]) -> str:
    if isinstance(node, Num):
        return NUM
    if isinstance(node, Name):
        if node.name in section.symbols:
            domain = section.symbols[node.name].domain
            if domain is None:
                raise _Unresolved
            return SEQ if domain.sequence else NUM
        if node.name in section.formulas:
            result = types.get(node.name)
            if result is None:
                raise _Unresolved
            return result
        return NUM  # a constant (pi, e)
    if isinstance(node, Index):
        symbol = section.symbols.get(node.base.name)
        if symbol is None or symbol.domain is None or not symbol.domain.sequence:
            raise _TypeProblem(f"`{node.base.raw}` is not a sequence, so it cannot be indexed; "
                               "declare it as `sequence of …`", node)
        _expect(node.index, NUM, section, types, "an index")
        for part in walk(node.index):
            bad = (isinstance(part, Num) and part.value.denominator != 1) or (
                isinstance(part, BinOp) and part.op in ("/", "^")) or (
                isinstance(part, Name) and not (part.name in section.symbols
                                                and section.symbols[part.name].domain is not None
                                                and section.symbols[part.name].domain.integer))
            if bad or isinstance(part, Call):
                raise _TypeProblem(f"the index `{show(node.index)}` is not an integer expression; "
                                   "index sequences by integer symbols and integer constants", node.index)
        return NUM
    if isinstance(node, Call):
        for arg in node.args:
            _expect(arg, NUM, section, types, f"an argument of `{node.func}`")
        return NUM
    if isinstance(node, Neg):
        _expect(node.operand, NUM, section, types, "the operand of `-`")
        return NUM
    if isinstance(node, BinOp):
        _expect(node.left, NUM, section, types, f"an operand of `{node.op}`")
        _expect(node.right, NUM, section, types, f"an operand of `{node.op}`")
        return NUM
    if isinstance(node, Compare):
        for operand in node.operands:
            _expect(operand, NUM, section, types, "a side of a comparison")
        return BOOL
    if isinstance(node, Logic | Not):
        operands = node.operands if isinstance(node, Logic) else (node.operand,)
        word = {"and": "`∧`", "or": "`∨`", "implies": "`⟹`", "iff": "`⟺`"}.get(
            getattr(node, "op", ""), "`¬`")
        for operand in operands:
            _expect(operand, BOOL, section, types, f"an operand of {word}")
        return BOOL
    raise _TypeProblem(f"unsupported construct {type(node).__name__}", node)


def _expect(node: Node, want: str, section: Section, types: dict[str, str | None], role: str) -> None:
    got = _infer(node, section, types)
    if got == want:
        return
    text = show(node)
    if got == SEQ:
        raise _TypeProblem(f"`{text}` is a whole sequence used as {role}; index it, e.g. `{text}[N]`", node)
    if want == NUM:
        raise _TypeProblem(f"`{text}` is a statement (true or false) used as {role}, which needs a number",
                           node)
    raise _TypeProblem(f"`{text}` is a number used as {role}, which needs a statement such as `a ≤ b`",
                       node)


def _check_claim_shape(section: Section, formula: Formula, path: YamlPath, claim: dict, index: int) -> None:
    """Claims must give exactly the formula's free symbols, inside their domains."""
    if not formula.ok:
        return
    free = section.free_symbols(formula.name)
    at = claim.get("at", {})
    if at is None:
        at = {}
    if not isinstance(at, dict):
        return  # schema
    for name, value in at.items():
        if name not in free:
            reason = "is not a declared symbol" if name not in section.symbols else \
                f"is not used by `{formula.name}`"
            section.add(path + ("at", name), "PV311", f"claim {index + 1} of `{formula.name}` sets `{name}`, "
                        f"which {reason}", key=True)
            continue
        domain = section.symbols[name].domain
        if domain is None:
            continue
        problem = _value_problem(value, domain, section.doc, path + ("at", name))
        if problem:
            section.add(path + ("at", name), "PV311", f"claim {index + 1} of `{formula.name}`: `{name}` "
                        f"= {_shown(section.doc, path + ('at', name), value)} {problem}")
    missing = sorted(free - set(at))
    if missing:
        section.add(path, "PV311", f"claim {index + 1} of `{formula.name}` gives no value for "
                    + ", ".join(f"`{m}`" for m in missing),
                    hint="a claim names a point: give every symbol the formula depends on")
    value = claim.get("value")
    if formula.type == BOOL and not isinstance(value, bool):
        section.add(path + ("value",), "PV311", f"`{formula.name}` is a statement; its claim's value must "
                    "be true or false")
    elif formula.type == NUM and (isinstance(value, bool) or parse_claim_value(value) is None):
        section.add(path + ("value",), "PV311", f"`{formula.name}` is a number; its claim's value must be "
                    f"a number or `number ± tolerance`, got {value!r}")
    elif formula.type == NUM and isinstance(value, float) and _beyond_exact_range(section.doc, path + ("value",),
                                                                                  value):
        from pv.checks.formulas.written import MAX_EXPONENT

        section.add(path + ("value",), "PV311", f"claim {index + 1} of `{formula.name}`: the value "
                    f"{_shown(section.doc, path + ('value',), value)} has an exponent beyond ±{MAX_EXPONENT}, "
                    "which pv does not evaluate exactly", hint="state the claim at a point where the value is "
                    "a number of ordinary size")
    tolerance = claim.get("tolerance")
    if isinstance(tolerance, float) and not math.isfinite(tolerance):  # .inf passes anything; .nan nothing
        section.add(path + ("tolerance",), "PV311", f"claim {index + 1} of `{formula.name}`: the tolerance "
                    f"must be a finite number, got {tolerance!r}")


def _beyond_exact_range(doc: Document, path: YamlPath, value: float) -> bool:
    """A value written with an exponent pv will not expand exactly (`1.7e-77513339`)."""
    from pv.checks.formulas.written import exact_decimal, written_text

    text = written_text(doc, path, value)
    return text is not None and exact_decimal(text) is None


def _shown(doc: Document, path: YamlPath, value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_shown(doc, path + (i,), v) for i, v in enumerate(value)) + "]"
    from pv.checks.formulas.written import shown_as_written

    return shown_as_written(doc, path, value)


def _value_problem(value: Any, domain: Domain, doc: Document, path: YamlPath) -> str | None:
    """Why a claim's point value does not fit its domain, judged on the number as written."""
    from pv.checks.formulas.written import MAX_EXPONENT, exact_as_written

    if domain.sequence:
        if not isinstance(value, list) or not value:
            return f"must be a non-empty list (it is a {domain.describe()})"
        for i, item in enumerate(value):
            problem = _value_problem(item, domain.element(), doc, path + (i,))
            if problem:
                return f"has an element {_shown(doc, path + (i,), item)} that {problem}"
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "is not a number"
    if isinstance(value, float) and not math.isfinite(value):
        return f"is outside the domain {domain.describe()}"
    exact = exact_as_written(doc, path, value)
    if exact is None:
        return f"has an exponent beyond ±{MAX_EXPONENT}, which pv does not evaluate exactly"
    if not domain.contains(exact):
        return f"is outside the domain {domain.describe()}"
    return None


_PM = re.compile(r"^\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*(?:±|\+-|\+/-)\s*([0-9.]+(?:[eE][-+]?[0-9]+)?)\s*$")


def parse_claim_value(value: Any) -> tuple[Fraction, Fraction | None] | None:
    """`21.64` -> (21.64, None); `"21.64 ± 0.01"` -> (21.64, 0.01); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value), None
    if isinstance(value, float):
        return (Fraction(repr(value)), None) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        match = _PM.match(value)
        if match:
            try:
                return Fraction(match.group(1)), Fraction(match.group(2))
            except (ValueError, ZeroDivisionError):
                return None
    return None


def _check_bind_shape(section: Section, formula: Formula) -> None:
    bind = formula.bind or {}
    path = formula.item_path + ("bind",)
    target = bind.get("function")
    if not isinstance(target, str) or not TARGET_RE.match(target):
        section.add(path + ("function",), "PV340", f"`{formula.name}` binds to {target!r}, which is not "
                    "`package.module:function`")
        return
    free = section.free_symbols(formula.name)
    _check_args(section, formula, bind.get("args", {}), path + ("args",), free)


def _check_args(section: Section, formula: Formula, args: Any, path: YamlPath, free: set[str]) -> None:
    if args is None:
        return
    if not isinstance(args, dict):
        return  # the schema reports the wrong type
    for param, spec in args.items():
        where = path + (param,)
        if isinstance(spec, str):
            if spec not in free:
                section.add(where, "PV340", f"binding argument `{param}` maps to `{spec}`, which is not a "
                            f"symbol of `{formula.name}`{_suggest(spec, sorted(free))}",
                            hint="use a symbol name, a number, {value: …} for a literal, or "
                                 "{call: module:function, args: {…}} to build an object")
        elif isinstance(spec, dict):
            if "call" in spec:
                if not isinstance(spec["call"], str) or not TARGET_RE.match(spec["call"]):
                    section.add(where + ("call",), "PV340", f"{spec['call']!r} is not `package.module:name`")
                else:
                    _check_args(section, formula, spec.get("args", {}), where + ("args",), free)
            elif "value" not in spec:
                section.add(where, "PV340", f"binding argument `{param}` must be a symbol name, a number, "
                            "{value: …} or {call: …, args: …}")
