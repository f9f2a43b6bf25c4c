"""A formula restated outside `formulas:` must be one of its definitions (PV353).

The repo's contract writes `2·ln(vocab_size)` both in `training_regime` and in
`formulas.definitions.epoch_zero_cap_from_scratch`; nothing but this check
keeps the two from drifting apart. Every whole string outside the section
that is a formula over the section's declared names (at least one symbol or
definition, and an operator or a function) must equal a formula of the
section: the same canonical text, or the same value at a fixed set of points
of the symbols' domains (so `ln(vocab_size)·2` matches too). No sympy.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from pv.checks.formulas.domains import Domain
from pv.checks.formulas.grammar import CONSTANTS, FormulaError, parse
from pv.checks.formulas.model import SECTION, Section
from pv.checks.formulas.nodes import BinOp, Call, Compare, Index, Logic, Name, Node, Not, Num, names, show
from pv.core.document import YamlPath
from pv.core.findings import Finding

MAX_STRINGS = 2000  # strings of one contract looked at
MAX_LENGTH = 200  # a longer string is prose, not a restated formula


def _strings(data: Any, path: YamlPath = ()) -> Iterator[tuple[YamlPath, str]]:
    stack: list[tuple[YamlPath, Any]] = [(path, data)]
    seen = 0
    while stack and seen < MAX_STRINGS:
        where, value = stack.pop()
        if isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                if not where and key == SECTION:
                    continue
                stack.append((where + (key,), item))
        elif isinstance(value, list):
            stack.extend((where + (i,), item) for i, item in reversed(list(enumerate(value))))
        elif isinstance(value, str) and len(value) <= MAX_LENGTH:
            seen += 1
            yield where, value


def _is_formula(node: Node) -> bool:
    return isinstance(node, BinOp | Call | Compare | Logic | Not | Index)


def _sample_points(symbols: list[str], section: Section) -> list[dict[str, Any]]:
    """A few fixed points of the symbols' domains (scalars only; sequences make the match textual)."""
    from fractions import Fraction

    domains: list[Domain] = []
    for name in symbols:
        domain = section.symbols[name].domain
        if domain is None or domain.sequence:
            return []
        domains.append(domain)
    out = []
    for k in range(5):
        point = {}
        for name, domain in zip(symbols, domains, strict=True):
            base = domain.lower if domain.lower is not None else Fraction(-3)
            value = base + Fraction(k * 7 + 3, 2 if not domain.integer else 1)
            if domain.upper is not None and value > domain.upper:
                value = domain.upper
            if not domain.contains(value):
                return []
            point[name] = value
        out.append(point)
    return out


def _same_values(a: Node, b: Node, section: Section) -> bool:
    from pv.checks.formulas import numeric

    used = sorted({n.name for n in names(a) + names(b) if n.name in section.symbols})
    points = _sample_points(used, section)
    if not points:
        return False
    defs = section.definitions
    for point in points:
        try:
            x, y = numeric.evaluate(a, defs, point), numeric.evaluate(b, defs, point)
        except (numeric.EvalError, numeric.Close):
            return False
        if isinstance(x, bool) or isinstance(y, bool):
            if x != y:
                return False
        elif abs(x - y) > max(abs(x), abs(y), 1) * numeric.mpmath.mpf(10) ** -30:
            return False
    return True


def check_restated(section: Section) -> list[Finding]:
    doc = section.doc
    if not isinstance(doc.data, dict) or not section.formulas:
        return []
    known = set(section.symbols) | set(section.formulas)
    formulas = {name: f for name, f in section.formulas.items() if f.node is not None and f.ok}
    canonical = {show(f.node): name for name, f in formulas.items()}
    out: list[Finding] = []
    for path, text in _strings(doc.data):
        try:
            node = parse(text, quantifier=False)
        except FormulaError:
            continue
        used = {n.name for n in names(node)}
        if not _is_formula(node) or not used or not used <= known | set(CONSTANTS) or not used & known:
            continue
        if isinstance(node, Name | Num):
            continue
        if show(node) in canonical or any(_same_values(node, f.node, section) for f in formulas.values()):
            continue
        closest = difflib.get_close_matches(show(node), list(canonical), n=1, cutoff=0.0)
        near = f"; the closest is `{canonical[closest[0]]}` = `{closest[0]}`" if closest else ""
        out.append(doc.finding(path, "PV353", f"`{text.strip()}` restates a formula over the declared symbols "
                               f"that no formula of `{SECTION}` defines{near}",
                               hint=f"write the definition's formula exactly, or define this one under "
                                    f"`{SECTION}.definitions`"))
    return out
