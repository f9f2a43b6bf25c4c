"""Points of a domain to test a statement on: boundaries, small and large values, seeded random samples.

No sympy (the prover's search and the kernel obligations' screening share it).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from pv.checks.formulas import numeric
from pv.checks.formulas.domains import Domain
from pv.checks.formulas.nodes import Index, Name, Node, walk

MAX_POINTS = 3000
MAX_TRACE = 64

_SPECIAL_REALS = ("0", "1e-9", "0.001", "0.1", "0.5", "1", "2", "2.718281828", "3", "10", "100", "1000",
                  "1e6", "1e12", "1e100")
_SPECIAL_INTS = (0, 1, 2, 3, 5, 7, 10, 16, 100, 1000, 10**4, 10**6, 10**9, 10**12, 2**31, 2**53)


def candidates(domain: Domain | None, rng: random.Random) -> list[Fraction]:
    """Boundaries first, then small and large values, then seeded random samples."""
    if domain is None:
        return []
    out: list[Fraction] = []
    lo, hi = domain.lower, domain.upper
    if domain.integer:
        if lo is not None:
            out += [lo + k for k in range(13)]
        if hi is not None:
            out += [hi - k for k in range(13)]
        for v in _SPECIAL_INTS:
            out += [Fraction(v), Fraction(-v), Fraction(v + 1), Fraction(v - 1)]
        low = int(lo) if lo is not None else -10**12
        high = int(hi) if hi is not None else 10**12
        for _ in range(40):
            span = max(1, min(high, 10**12) - max(low, -10**12))
            out.append(Fraction(max(low, -10**12) + int(span ** rng.random())))
    else:
        tiny = [Fraction("1e-12"), Fraction("1e-6"), Fraction("0.5"), Fraction(1)]
        if lo is not None:
            out += ([] if domain.lower_open else [lo]) + [lo + t for t in tiny]
        if hi is not None:
            out += ([] if domain.upper_open else [hi]) + [hi - t for t in tiny]
        for text in _SPECIAL_REALS:
            out += [Fraction(text), -Fraction(text)]
        for _ in range(40):
            magnitude = 10 ** rng.uniform(-6, 12)
            out.append(Fraction(f"{magnitude * rng.choice((1, -1)):.4g}"))
    seen: set[Fraction] = set()
    result = []
    for value in out:
        if value not in seen and domain.contains(value):
            seen.add(value)
            result.append(value)
    return result


def _indices(node: Node, defs: Mapping[str, Node]) -> list[Index]:
    out: list[Index] = []
    seen: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        for part in walk(current):
            if isinstance(part, Index):
                out.append(part)
            elif isinstance(part, Name) and part.name in defs and part.name not in seen:
                seen.add(part.name)
                stack.append(defs[part.name])
    return out


def used_symbols(node: Node, defs: Mapping[str, Node], domains: Mapping[str, Domain | None]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        for part in walk(current):
            if isinstance(part, Name):
                if part.name in defs and part.name not in seen:
                    seen.add(part.name)
                    stack.append(defs[part.name])
                elif part.name in domains and part.name not in names:
                    names.append(part.name)
    return sorted(names)


def make_trace(length: int, domain: Domain, pool: list[Fraction], rng: random.Random) -> list[Fraction] | None:
    """A sequence of `length` values from `domain`, mixing random values and exact ratios (½, 1, 2, 3 …)."""
    if not pool:
        return None
    trace = [rng.choice(pool)]
    for _ in range(length - 1):
        if rng.random() < 0.5:
            value = trace[-1] * rng.choice((Fraction(1, 2), Fraction(1), Fraction(2), Fraction(3),
                                            Fraction(2) + Fraction(1, 2**20), Fraction(2) - Fraction(1, 2**20)))
            trace.append(value if domain.contains(value) else rng.choice(pool))
        else:
            trace.append(rng.choice(pool))
    return trace


def points(node: Node, defs: Mapping[str, Node], domains: Mapping[str, Domain | None], seed: int,
           limit: int = MAX_POINTS):
    """Generate assignments (dicts) over the domains: boundaries first, then mixtures and random ones."""
    rng = random.Random(seed)
    names = used_symbols(node, defs, domains)
    scalars = [n for n in names if domains[n] is not None and not domains[n].sequence]
    sequences = [n for n in names if domains[n] is not None and domains[n].sequence]
    pools = {n: candidates(domains[n], rng) for n in scalars}
    elem_pools = {n: candidates(domains[n].element(), rng) for n in sequences}
    indices = _indices(node, defs)
    if any(not pools[n] for n in scalars):
        return
    if not scalars and not sequences:  # a closed statement: one evaluation decides it
        yield {}
        return

    def with_traces(assignment: dict[str, Fraction]) -> dict[str, Any] | None:
        if not sequences:
            return dict(assignment)
        needed: dict[str, int] = {}
        for index in indices:
            try:
                value = numeric.evaluate(index.index, defs, assignment)
            except (numeric.EvalError, numeric.Close):
                return None
            if value != int(value) or not 0 <= int(value) < MAX_TRACE:
                return None
            needed[index.base.name] = max(needed.get(index.base.name, 0), int(value) + 1)
        out: dict[str, Any] = dict(assignment)
        for name in sequences:
            trace = make_trace(needed.get(name, 1), domains[name].element(), elem_pools[name], rng)
            if trace is None:
                return None
            out[name] = trace
        return out

    count = 0
    heads = [pools[n][:16] for n in scalars]
    total = 1
    for head in heads:
        total *= max(1, len(head))
    combos = itertools.product(*heads) if total <= limit // 2 else iter(())
    for combo in combos:
        point = with_traces(dict(zip(scalars, combo, strict=True)))
        if point is not None:
            count += 1
            yield point
    tries = 0
    while count < limit and tries < limit * 4:
        tries += 1
        assignment = {n: rng.choice(pools[n]) for n in scalars}
        point = with_traces(assignment)
        if point is not None:
            count += 1
            yield point
