"""Obligations of kernel contracts (`proof_obligations[].formal`): proved, refuted, or undecided.

A formal statement is decided when it lies in the fragment pv's prover knows
(numbers, scalar names, + - · / ^, pv's functions, comparisons, connectives,
`∀ x ∈ [a, b]`). Its symbols take the domains the contract states for them
in its equations' `domain` strings (`k ∈ ℤ, k >= 1`, `beta1 in (0, 1)`, `x ∈ ℝ`);
a symbol with no stated domain ranges over all reals.

1. Screen on generated points without sympy (mpmath). A statement false at
   some point is refuted only when every symbol's domain is stated (the point
   is then re-checked exactly by the prover); otherwise it is undecided: the
   author's unstated domain may rule the point out.
2. A statement true at every point goes to the symbolic prover (sympy, in a
   forked step with a time limit): proved, or undecided.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from pv.checks.formulas import numeric
from pv.checks.formulas.domains import Domain
from pv.checks.formulas.exact import Evaluator, NoValue, Open
from pv.checks.formulas.kernel import Reading
from pv.checks.formulas.lexer import FUNCTIONS
from pv.checks.formulas.nodes import (
    BinOp,
    Call,
    Compare,
    Interval,
    Logic,
    Many,
    Name,
    Neg,
    Node,
    Not,
    Note,
    Num,
    Quant,
    show,
    walk,
)
from pv.checks.formulas.outcome import Outcome

SCREEN_POINTS = 200
# The symbolic prover is tried on statements of at most this many symbols: a deterministic bound (a
# larger statement that sympy would chew on until its time limit is reported undecided at once, and
# that verdict can be cached, where a time limit's could not).
MAX_PROVER_SYMBOLS = 3
_SPACES = {"Reals": "real", "R": "real", "Integers": "integer", "Z": "integer", "Naturals": "natural",
           "N": "natural"}


class Unsupported(Exception):
    """Outside the fragment the prover decides."""


@dataclass
class Candidate:
    reading: Reading
    node: Node  # in pv's strict tree shapes
    domains: dict[str, Domain]
    stated: bool  # every symbol's domain is stated by the contract or the statement itself
    defs: dict[str, Node] = field(default_factory=dict)  # equations' definitions the statement uses
    outcome: Outcome | None = None


def _closed(node: Node) -> Fraction | None:
    try:
        value = Evaluator().value(node)
    except (Open, NoValue, ZeroDivisionError, OverflowError, ValueError):
        return None
    return value if isinstance(value, Fraction) else None


def _merge(domains: dict[str, Domain | None], name: str, new: Domain | None) -> None:
    if name not in domains:
        domains[name] = new
        return
    old = domains[name]
    if old is None or new is None:
        domains[name] = None
        return
    lower, lower_open = old.lower, old.lower_open
    if new.lower is not None and (lower is None or new.lower > lower):
        lower, lower_open = new.lower, new.lower_open
    upper, upper_open = old.upper, old.upper_open
    if new.upper is not None and (upper is None or new.upper < upper):
        upper, upper_open = new.upper, new.upper_open
    kind = "integer" if "integer" in (old.kind, new.kind) else "real"
    merged = Domain(kind, lower, lower_open, upper, upper_open)
    domains[name] = None if merged.is_empty() else merged


def _statement_domains(node: Node, out: dict[str, Domain | None]) -> None:
    """What `x ∈ [0, 1]`, `k ∈ ℤ`, `n ≥ 1`, `x ∈ ℝ^n` (not a scalar: None) say about names."""
    items = node.items if isinstance(node, Many) else (node,)
    for item in items:
        while isinstance(item, Note):
            item = item.body
        if not (isinstance(item, Compare) and len(item.ops) == 1 and isinstance(item.operands[0], Name)):
            continue
        name, op, right = item.operands[0].name, item.ops[0], item.operands[1]
        if op == "in":
            if isinstance(right, Interval):
                low, high = _closed(right.low), _closed(right.high)
                _merge(out, name, Domain("real", low, right.left_open and low is not None, high,
                                         right.right_open and high is not None))
            elif isinstance(right, Name) and right.name in _SPACES:
                kind = _SPACES[right.name]
                _merge(out, name, Domain("integer", Fraction(0)) if kind == "natural" else Domain(kind))
            elif isinstance(right, Name) and right.name in ("NonNegReals", "PosReals", "NonNegIntegers",
                                                            "PosIntegers"):
                kind = "integer" if right.name.endswith("Integers") else "real"
                _merge(out, name, Domain(kind, Fraction(0), right.name.startswith("Pos")))
            else:
                _merge(out, name, None)  # ℝ^n, a set, a named set: not a scalar pv can sample
        elif op in ("<", "<=", ">", ">="):
            bound = _closed(right)
            if bound is None:
                continue
            if op in (">", ">="):
                _merge(out, name, Domain("real", bound, op == ">"))
            else:
                _merge(out, name, Domain("real", None, False, bound, op == "<"))


def contract_domains(readings: list[Reading]) -> dict[str, Domain | None]:
    """Domains the contract's equations state; None for a name stated as a vector or inconsistently."""
    out: dict[str, Domain | None] = {}
    for reading in readings:
        if reading.node is not None and reading.site.kind == "domain":
            _statement_domains(reading.node, out)
    return out


def to_strict(node: Node) -> Node:
    """The statement in the strict grammar's node shapes the prover builds; Unsupported otherwise."""
    if isinstance(node, Note):
        if node.kind == "within":
            raise Unsupported("a tolerance pv does not model")
        if node.kind in ("context", "where"):
            # `for OLS with intercept`, `where …`: words that may restrict the statement
            raise Unsupported("a qualifier in words")
        return to_strict(node.body)
    if isinstance(node, Many):
        parts = tuple(to_strict(i) for i in node.items)
        return Logic(node.start, node.end, "and", parts)
    if isinstance(node, Quant):
        if node.kind != "forall":
            raise Unsupported(f"a `{node.kind}` quantifier")
        body = to_strict(node.body)
        if node.domain is None:
            return body
        conditions = tuple(_membership(Name(node.start, node.start, n, n), node.domain) for n in node.names)
        premise = conditions[0] if len(conditions) == 1 else Logic(node.start, node.end, "and", conditions)
        return Logic(node.start, node.end, "implies", (premise, body))
    if isinstance(node, Compare):
        if any(op not in ("<", "<=", "=", "!=", ">=", ">", "in") for op in node.ops):
            raise Unsupported("a relation the prover does not decide")
        if "in" in node.ops:
            if len(node.ops) != 1:
                raise Unsupported("a chained membership")
            return _membership(to_strict(node.operands[0]), node.operands[1])
        return Compare(node.start, node.end, node.ops, tuple(to_strict(o) for o in node.operands))
    if isinstance(node, Logic):
        return Logic(node.start, node.end, node.op, tuple(to_strict(o) for o in node.operands))
    if isinstance(node, Not):
        return Not(node.start, node.end, to_strict(node.operand))
    if isinstance(node, BinOp):
        if node.op not in ("+", "-", "*", "/", "^"):
            raise Unsupported(f"`{node.op}`")
        return BinOp(node.start, node.end, node.op, to_strict(node.left), to_strict(node.right))
    if isinstance(node, Neg):
        return Neg(node.start, node.end, to_strict(node.operand))
    if isinstance(node, Call):
        arity = FUNCTIONS.get(node.func)
        if arity is None or len(node.args) < arity[0] or (arity[1] is not None and len(node.args) > arity[1]):
            raise Unsupported(f"the function `{node.func}`")
        return Call(node.start, node.end, node.func, tuple(to_strict(a) for a in node.args))
    if isinstance(node, Num | Name):
        if isinstance(node, Name) and node.name in ("inf", "Reals", "Integers", "Naturals"):
            raise Unsupported(f"`{node.name}`")
        return node
    raise Unsupported(type(node).__name__)


def _numbers_only(node: Node) -> None:
    """A name standing as a statement (`⟹ is_garbage`, `= false`) is a truth value the prover does not model."""
    for part in walk(node):
        operands = part.operands if isinstance(part, Logic) else (part.operand,) if isinstance(part, Not) else ()
        if any(isinstance(o, Name) for o in operands):
            raise Unsupported("a truth-valued name")
        if isinstance(part, Name) and part.name in ("true", "false"):
            raise Unsupported("a truth value")


def _membership(item: Node, space: Node) -> Node:
    if isinstance(space, Interval):
        ops = ("<" if space.left_open else "<=", "<" if space.right_open else "<=")
        return Compare(item.start, space.end, ops, (to_strict(space.low), item, to_strict(space.high)))
    raise Unsupported("membership in a set other than an interval")


def definitions(readings: list[Reading]) -> dict[str, Node]:
    """`y_i = max(0, x_i)`: an equation's formula `name = expression` defines the name for the prover.

    Only plain definitions: the expression is in the prover's fragment and mentions neither the
    name itself (`r = d·M·r + …` is an equation to solve, not a definition) nor another defined
    name (no chains, so no cycles); a name defined twice differently defines nothing.
    """
    found: dict[str, Node | None] = {}
    for reading in readings:
        node = reading.node
        if reading.site.kind != "formula" or node is None:
            continue
        while isinstance(node, Note) and node.kind in ("comment", "unit", "label"):
            node = node.body
        if not (isinstance(node, Compare) and node.ops == ("=",) and isinstance(node.operands[0], Name)):
            continue
        name = node.operands[0].name
        try:
            expression = to_strict(node.operands[1])
            _numbers_only(expression)
        except Unsupported:
            continue
        if name in found and (found[name] is None or show(found[name]) != show(expression)):
            found[name] = None
        else:
            found[name] = expression
    plain = {k: v for k, v in found.items() if v is not None}
    return {name: expression for name, expression in plain.items()
            if not {n.name for n in walk(expression) if isinstance(n, Name)} & set(plain)}


def candidate(reading: Reading, stated: dict[str, Domain | None],
              defs: dict[str, Node] | None = None) -> Candidate | None:
    """A kernel obligation the prover can try, with its symbols' domains; None when outside the fragment."""
    if reading.node is None or reading.site.kind != "formal" or reading.links:
        return None
    try:
        node = to_strict(reading.node)
        _numbers_only(node)
    except Unsupported:
        return None
    used_defs = {n.name: defs[n.name] for n in walk(node) if isinstance(n, Name) and n.name in (defs or {})}
    names = sorted(({n.name for n in walk(node) if isinstance(n, Name)} - set(used_defs) | {
        n.name for d in used_defs.values() for n in walk(d) if isinstance(n, Name)}) - {"pi"})
    if not names:
        return None
    domains: dict[str, Domain] = {}
    all_stated = True
    for name in names:
        if name in stated:
            domain = stated[name]
            if domain is None:
                return None  # a vector or an inconsistently stated name
            domains[name] = domain
        else:
            domains[name] = Domain("real")
            all_stated = False
    return Candidate(reading, node, domains, all_stated, used_defs)


def screen(c: Candidate) -> dict[str, Any] | None:
    """A point where the statement is numerically false, or None if it held on every point tried."""
    from pv.checks.formulas.sampling import points

    seed = zlib.crc32(show(c.node).encode())
    for point in points(c.node, c.defs, c.domains, seed, SCREEN_POINTS):
        try:
            if not numeric.evaluate(c.node, c.defs, point):
                return point
        except (numeric.EvalError, numeric.Close):
            continue
    return None


def _implied(domain: Domain, op: str, bound: Fraction, name_left: bool) -> bool:
    """Does `name op bound` (or `bound op name`) hold for every value of the domain?"""
    if not name_left:
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
    if op in (">", ">="):
        low = domain.lower
        return low is not None and (low > bound or (low == bound and (op == ">=" or domain.lower_open)))
    if op in ("<", "<="):
        high = domain.upper
        return high is not None and (high < bound or (high == bound and (op == "<=" or domain.upper_open)))
    return False


def by_bounds(c: Candidate) -> Outcome | None:
    """`x > 0`, `0 ≤ p ≤ 1` and conjunctions of them: bounds on bare names, settled without sympy.

    Such an obligation says no more than a domain can: when the contract's domains
    already assume the bound, that is a restatement, not a proof of how the value is
    computed; when they allow other values, the names may denote different things in
    different equations. Either way it stays undecided, with the reason.
    """
    parts = c.node.operands if isinstance(c.node, Logic) and c.node.op == "and" else (c.node,)
    implied = True
    for part in parts:
        if not isinstance(part, Compare):
            return None
        for op, left, right in zip(part.ops, part.operands, part.operands[1:], strict=False):
            if any(isinstance(side, Name) and side.name in c.defs for side in (left, right)):
                return None  # a defined quantity (`y_i = max(0, x_i)`): for the prover, not a bare bound
            if isinstance(left, Name) and isinstance(right, Num):
                implied = implied and _implied(c.domains[left.name], op, right.value, True)
            elif isinstance(left, Num) and isinstance(right, Name):
                implied = implied and _implied(c.domains[right.name], op, left.value, False)
            else:
                return None
    note = ("it restates bounds the contract's domains already assume; nothing proves how the values are "
            "computed") if implied else "it bounds bare names, which the contract's domains do not settle"
    return Outcome("undecided", method="bounds", note=note, complete=True)


def _describe(domains: dict[str, Domain]) -> str:
    return ";".join(f"{k}∈{v.describe()}" for k, v in sorted(domains.items()))


def decide_all(candidates: list[Candidate], memo: Any) -> None:
    """Set each candidate's outcome: screen first (no sympy), then prove in forked, time-limited steps."""
    from pv.checks.formulas.limits import FILE_SECONDS, STEP_SECONDS, run_steps
    from pv.checks.formulas.memo import storable, well_formed
    from pv.checks.formulas.outcome import from_data, to_data

    todo: list[tuple[Candidate, str]] = []
    for c in candidates:
        defs = ";".join(f"{k}:={show(v)}" for k, v in sorted(c.defs.items()))
        key = memo.key("kernel-obligation", show(c.node), _describe(c.domains), str(c.stated), defs)
        hit = memo.get(key)
        if hit is not None and well_formed("obligation", hit):
            c.outcome = from_data(hit)
            continue
        settled = by_bounds(c)  # never sent to sympy: it would only echo the assumptions back
        if settled is not None:
            c.outcome = settled
            memo.put(key, to_data(settled))
            continue
        try:
            point = screen(c)
        except RecursionError:
            continue
        if point is None and len(c.domains) > MAX_PROVER_SYMBOLS:
            c.outcome = Outcome("undecided", "search", note=f"true on {SCREEN_POINTS} generated points; pv's "
                                f"prover tries statements of at most {MAX_PROVER_SYMBOLS} symbols",
                                points=SCREEN_POINTS, complete=True)
            memo.put(key, to_data(c.outcome))
            continue
        if point is not None and not c.stated:
            shown = {k: numeric.fmt(v, 10) for k, v in sorted(point.items())}
            c.outcome = Outcome("undecided", "search", shown, note="false at this point, which the "
                                "contract's stated domains do not rule out", complete=True)
            memo.put(key, to_data(c.outcome))
            continue
        todo.append((c, key))
    if not todo:
        return

    def step_for(c: Candidate):
        def step() -> Outcome:
            from pv.checks.formulas.prover import decide

            return decide(c.node, c.defs, c.domains)
        return step

    from pv.checks.formulas.contract import prepare_sympy

    prepare_sympy()
    results = run_steps([step_for(c) for c, _ in todo], STEP_SECONDS, FILE_SECONDS)
    for (c, key), result in zip(todo, results, strict=True):
        if not result.ok:  # run_steps has noted the limit (pv.core.limited): nothing of this file is cached
            c.outcome = Outcome("undecided", note=f"the prover did not finish ({result.error})")
            continue
        outcome = result.value
        if outcome.status == "refuted" and not c.stated:
            outcome = Outcome("undecided", outcome.method, outcome.counterexample, note="false at this point, "
                              "which the contract's stated domains do not rule out", complete=True)
        c.outcome = outcome
        data = to_data(outcome)
        if storable("obligation", data):
            memo.put(key, data)
        else:  # reached by hitting a limit: neither this result nor the file's findings are cached
            from pv.core import limited

            limited.note()
