"""Read, evaluate and judge the formulas of kernel contracts (no sympy).

Every string `pv.checks.formulas.locate` finds is read with the loose
notation; each comparison whose two sides are closed (no free names, or
names the same equation assigns a number: `domain: "V=152064, d=3584"`) is
evaluated exactly (`pv.checks.formulas.exact`). A false one is an error at
its exact position with the true values.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from pv.checks.formulas.exact import Evaluator, NoValue, Open, fmt
from pv.checks.formulas.judging import Link, links
from pv.checks.formulas.lexer import FormulaError
from pv.checks.formulas.locate import REQUIRED, Site, is_placeholder, looks_like_code, looks_like_prose, sites
from pv.checks.formulas.nodes import Compare, Logic, Many, Name, Node, Note, Num, Quant, walk
from pv.checks.formulas.notation import parse_loose
from pv.checks.formulas.pretty import pretty

_SIGN = {"<=": "≤", ">=": "≥", "!=": "≠", "in": "∈", "notin": "∉"}
_NO_BIND = ("tolerance", "float_tolerance")


@dataclass
class Reading:
    site: Site
    status: str  # "formula" | "prose" | "code" | "placeholder" | "not understood" | "opted out"
    node: Node | None = None
    reason: str = ""  # why it was not understood
    error_index: int = 0
    ambiguous: list[tuple[int, int]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    bindings: dict[str, Fraction] = field(default_factory=dict)  # the names this reading's links used

    @property
    def false_links(self) -> list[Link]:
        return [link for link in self.links if link.verdict is False]


def read(site: Site) -> Reading:
    """Classify and parse one string."""
    if site.opted_out:
        return Reading(site, "opted out")
    if is_placeholder(site.text):
        return Reading(site, "placeholder")
    try:
        node, ambiguous = parse_loose(site.text)
    except FormulaError as exc:
        # a paragraph of words over the length limit is still prose; other limits are not understood
        prose = looks_like_prose(site.text) and (exc.kind != "limit" or exc.reason == "too long")
        status = "prose" if prose else "code" if exc.kind != "limit" and looks_like_code(site.text) \
            else "not understood"
        return Reading(site, status, reason=exc.reason, error_index=exc.index)
    if _only_words(node):
        return Reading(site, "prose")
    return Reading(site, "formula", node, ambiguous=ambiguous)


def _only_words(node: Node) -> bool:
    """A bare name or number is not a formula (`bool`, `Result<V>` read as a name), nor are
    words joined by a connective (`Longer sequence => more KV cache`)."""
    while isinstance(node, Note | Quant):
        node = node.body
    if isinstance(node, Logic) and all(isinstance(_core(o), Name) and " " in _core(o).name for o in node.operands):
        return True
    return isinstance(node, Name | Num)


def _core(node: Node) -> Node:
    while isinstance(node, Note):
        node = node.body
    return node


def assignments(node: Node, env: dict[str, Fraction]) -> None:
    """Add the statement's `name = closed expression` parts to `env` (first assignment wins)."""
    items = node.items if isinstance(node, Many) else (node,)
    for item in items:
        while isinstance(item, Note):
            item = item.body
        if not (isinstance(item, Compare) and item.ops[0] == "=" and isinstance(item.operands[0], Name)):
            continue
        name = item.operands[0].name
        if name in env:
            continue
        for operand in item.operands[1:]:
            try:
                value = Evaluator(env).value(operand)
            except (Open, NoValue, ZeroDivisionError, OverflowError, ValueError):
                continue
            if isinstance(value, Fraction):
                env[name] = value
                break


def read_contract(data: Any) -> list[Reading]:
    """Every formula site of a kernel contract, read and (where closed or bound) evaluated."""
    readings = [read(site) for site in sites(data)]
    envs: dict[str, dict[str, Fraction]] = {}
    equations = data.get("equations") if isinstance(data, dict) else None
    for reading in readings:  # the equation's own numeric assignments and fields bind names
        group = reading.site.group
        if not group:
            continue
        env = envs.setdefault(group, _numeric_fields(equations.get(group) if isinstance(equations, dict) else None))
        if reading.node is not None and reading.site.kind in ("domain", "precondition"):
            assignments(reading.node, env)
    for reading in readings:  # a defined name whose formula is then closed: `P = V*d + …`
        env = envs.get(reading.site.group)
        if env and reading.node is not None and reading.site.kind == "formula":
            assignments(reading.node, env)
    shared = _consistent(envs)
    for reading in readings:
        if reading.node is None:
            continue
        # the equation's own values first, then values the contract states once and never differently
        env = {**shared, **envs.get(reading.site.group, {})}
        try:
            found = links(reading.node, env)
        except RecursionError:
            found = []
        # `V=152064` in a domain states a value; it is not a statement to check
        reading.links = [link for link in found if not (
            reading.site.kind in ("domain", "precondition") and link.node.ops[link.index] == "="
            and isinstance(link.node.operands[link.index], Name) and link.node.operands[link.index].name in env)]
        used = {n.name for n in walk(reading.node) if isinstance(n, Name)}
        reading.bindings = {k: v for k, v in env.items() if k in used}
    return readings


def _consistent(envs: dict[str, dict[str, Fraction]]) -> dict[str, Fraction]:
    """Names every equation that assigns them gives the same value (a name with two values binds nowhere else)."""
    values: dict[str, set[Fraction]] = {}
    for env in envs.values():
        for name, value in env.items():
            values.setdefault(name, set()).add(value)
    return {name: next(iter(found)) for name, found in values.items() if len(found) == 1}


def _numeric_fields(spec: Any) -> dict[str, Fraction]:
    env: dict[str, Fraction] = {}
    if isinstance(spec, dict):
        for key, value in spec.items():
            if isinstance(value, int) and not isinstance(value, bool) and key not in _NO_BIND:
                env[str(key)] = Fraction(value)
    return env


def link_text(link: Link) -> str:
    op = link.node.ops[link.index]
    return f"{pretty(link.node.operands[link.index])} {_SIGN.get(op, op)} {pretty(link.node.operands[link.index + 1])}"


def link_values(link: Link) -> str:
    """`152064 * 3584 = 545017856, 545.0M = 545000000`: the value of each side that is not a plain number."""
    parts = []
    for side, value in ((link.node.operands[link.index], link.left), (link.node.operands[link.index + 1], link.right)):
        text = pretty(side)
        shown = fmt(value)
        if text != shown:
            parts.append(f"{text} = {shown}")
    return ", ".join(parts)


@dataclass
class Summary:
    total: int = 0
    formulas: int = 0
    prose: int = 0
    placeholders: int = 0
    code: int = 0  # source code in a formula field (`x.iter().all(|v| …)`, `Result<V>`)
    opted_out: int = 0
    not_understood: int = 0
    true_links: int = 0
    false_links: int = 0
    undecided_links: int = 0
    bound: int = 0  # readings evaluated with the equation's bindings
    reasons: Counter = field(default_factory=Counter)

    @classmethod
    def of(cls, readings: list[Reading]) -> Summary:
        out = cls()
        for r in readings:
            out.total += 1
            if r.status == "formula":
                out.formulas += 1
            elif r.status == "prose":
                out.prose += 1
            elif r.status == "placeholder":
                out.placeholders += 1
            elif r.status == "opted out":
                out.opted_out += 1
            elif r.status == "code":
                out.code += 1
            else:
                out.not_understood += 1
                out.reasons[r.reason] += 1
            for link in r.links:
                if link.verdict is True:
                    out.true_links += 1
                elif link.verdict is False:
                    out.false_links += 1
                else:
                    out.undecided_links += 1
            if r.bindings and r.links:
                out.bound += 1
        return out


def is_required(reading: Reading) -> bool:
    return reading.site.kind in REQUIRED
