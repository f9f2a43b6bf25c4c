"""Binding checks for `pv verify`: compare an implementation with its formula.

This imports and calls project code named by the contract, so it runs only
under `pv verify` (the user's opt-in), never under `pv validate`.

For a numeric formula the implementation's return value must equal the
formula's value within the tolerance (relative and absolute, default 1e-9);
for a relation its truthy/falsy verdict must equal the formula's truth value.
Points come from the same generator as the obligation search: boundaries
first, then small, large and random values, and generated traces for
sequences. Points where a relation is too close to call in floating point
(within the tolerance) are counted and skipped.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import sys
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from pv.checks.formulas import numeric
from pv.checks.formulas.domains import Domain
from pv.checks.formulas.model import BOOL, Formula, Section
from pv.checks.formulas.nodes import show
from pv.core.findings import Finding

DEFAULT_POINTS = 200
DEFAULT_TOLERANCE = 1e-9


class BindingError(Exception):
    """The target or an argument's `call` cannot be imported or called."""


@dataclass
class Verdict:
    agreed: int = 0
    too_close: int = 0
    not_evaluable: int = 0
    finding: Finding | None = None


def _inside(path: str | None, real_root: str) -> bool:
    if not path or not os.path.isabs(path):  # None, "built-in", "frozen"
        return False
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _package_inside_root(module_name: str, root: Path) -> None:
    """Refuse a module that is not the repository's own code, before importing anything.

    Only the top-level name is looked up (find_spec of a top-level name runs
    no code); `os:system` or `subprocess:run` in a contract must not be called.
    """
    top = module_name.split(".")[0]
    if not all(part.isidentifier() for part in module_name.split(".")):
        raise BindingError(f"`{module_name}` is not a module name")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError) as exc:
        raise BindingError(f"cannot import `{module_name}`: {type(exc).__name__}: {exc}") from None
    if spec is None:
        raise BindingError(f"cannot import `{module_name}`: no module named `{top}`")
    real_root = os.path.realpath(root)
    places = list(spec.submodule_search_locations or []) or [spec.origin]
    if not all(_inside(place, real_root) for place in places):
        raise BindingError(f"`{top}` is not inside the repository root {root}; "
                           "pv verify only calls the repository's own code")


def resolve(target: str, root: Path) -> Any:
    """Import `package.module:attr.attr` from the repository root (and only from it)."""
    module_name, _, qualname = target.partition(":")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    _package_inside_root(module_name, root)
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or anything the module raises on import
        raise BindingError(f"cannot import `{module_name}`: {type(exc).__name__}: {exc}") from None
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise BindingError(f"`{module_name}` has no attribute `{qualname}`") from None
    if not callable(obj):
        raise BindingError(f"`{target}` is not callable")
    # `repomod:os.system` reaches outside through an attribute: the callable
    # itself must be defined in a module inside the root.
    owner = sys.modules.get(getattr(obj, "__module__", None) or "")
    if not _inside(getattr(owner, "__file__", None), os.path.realpath(root)):
        raise BindingError(f"`{target}` is not defined in the repository's own code; "
                           "pv verify only calls the repository's own code")
    return obj


def _python_value(value: Any, domain: Domain | None) -> Any:
    """What the implementation receives: int for integer symbols, float otherwise, lists for traces."""
    if isinstance(value, list):
        element = domain.element() if domain is not None else None
        return [_python_value(v, element) for v in value]
    if domain is not None and domain.integer:
        return int(value)
    return float(value)


def _build_args(spec: Any, point: Mapping[str, Any], domains: Mapping[str, Domain | None],
                root: Path) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for param, arg in (spec or {}).items():
        kwargs[param] = _build_arg(arg, point, domains, root)
    return kwargs


def _build_arg(arg: Any, point: Mapping[str, Any], domains: Mapping[str, Domain | None], root: Path) -> Any:
    if isinstance(arg, str):
        return _python_value(point[arg], domains.get(arg))
    if isinstance(arg, dict):
        if "call" in arg:
            func = resolve(arg["call"], root)
            kwargs = _build_args(arg.get("args"), point, domains, root)
            try:
                return func(**kwargs)
            except Exception as exc:
                raise BindingError(f"`{arg['call']}` raised {type(exc).__name__}: {exc}") from None
        return arg.get("value")
    return arg


def verify_binding(section: Section, formula: Formula, root: Path) -> Verdict:
    from pv.checks.formulas.prover import points  # sympy-free generator of domain points

    doc = section.doc
    bind = formula.bind or {}
    where = formula.item_path + ("bind",)
    target = bind["function"]
    verdict = Verdict()
    try:
        func = resolve(target, root)
    except BindingError as exc:
        verdict.finding = doc.finding(where + ("function",), "PV341", f"`{formula.name}`: {exc}")
        return verdict
    tolerance = bind.get("tolerance", DEFAULT_TOLERANCE)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not tolerance >= 0:
        tolerance = DEFAULT_TOLERANCE  # the schema reports a bad value
    limit = bind.get("points", DEFAULT_POINTS)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100_000:
        limit = DEFAULT_POINTS
    defs = section.definitions
    domains = {name: symbol.domain for name, symbol in section.symbols.items()}
    seed = zlib.crc32(f"{formula.name}:{target}".encode())
    for point in points(formula.node, defs, domains, seed, limit):
        # The formula sees exactly the numbers the implementation receives.
        passed = {k: _python_value(v, domains.get(k)) for k, v in point.items()}
        exact = {k: ([Fraction(x) for x in v] if isinstance(v, list) else Fraction(v)) for k, v in passed.items()}
        try:
            expected = numeric.Evaluator(defs, exact, close_digits=_digits(tolerance)).value(formula.node)
        except numeric.EvalError:
            verdict.not_evaluable += 1
            continue
        except numeric.Close:
            verdict.too_close += 1
            continue
        inputs = ", ".join(f"{k} = {numeric.fmt(v, 10)}" for k, v in sorted(passed.items())) or "no inputs"
        try:
            actual = func(**_build_args(bind.get("args"), passed, domains, root))
        except BindingError as exc:
            verdict.finding = doc.finding(where, "PV341", f"`{formula.name}` at {inputs}: {exc}")
            return verdict
        except Exception as exc:
            verdict.finding = doc.finding(where, "PV342", f"`{formula.name}` disagrees with `{target}` at "
                                          f"{inputs}: the formula gives {numeric.fmt(expected)}, the "
                                          f"implementation raised {type(exc).__name__}: {exc}")
            return verdict
        problem = _compare(formula, expected, actual, tolerance)
        if problem:
            verdict.finding = doc.finding(where, "PV342", f"`{formula.name}` disagrees with `{target}` at "
                                          f"{inputs}: {problem}",
                                          hint=f"formula: {show(formula.node)}")
            return verdict
        verdict.agreed += 1
    return verdict


def _digits(tolerance: float) -> int:
    return max(1, min(35, int(-math.log10(tolerance)) if tolerance > 0 else 35))


def _compare(formula: Formula, expected: Any, actual: Any, tolerance: float) -> str | None:
    if formula.type == BOOL:
        if not isinstance(actual, bool | int) and actual is not None:
            return f"the implementation returned {actual!r}, not a truth value"
        if bool(actual) != bool(expected):
            return (f"the formula is {numeric.fmt(bool(expected))}, the implementation returned "
                    f"{actual!r}")
        return None
    try:
        got = float(actual)
    except (TypeError, ValueError):
        return f"the implementation returned {actual!r}, not a number"
    want = float(expected)
    if not math.isfinite(got) or abs(got - want) > tolerance * max(1.0, abs(want)):
        return f"the formula gives {numeric.fmt(expected, 12)}, the implementation returned {got!r}"
    return None
