"""Binding checks for `pv verify`: compare an implementation with its formula.

This imports and calls project code named by the contract, so it runs only
under `pv verify` (the user's opt-in), never under `pv validate`; and only
functions and classes defined in the repository's own tracked source, checked
from the source text before anything is imported (`pv.checks.formulas.targets`).

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
import math
import os
import sys
import types
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
from pv.checks.formulas.targets import TargetError, check_target
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


def _same_file(a: str | None, b: Path) -> bool:
    return bool(a) and os.path.realpath(a) == os.path.realpath(b)


def _imported_elsewhere(module_name: str, root: Path) -> str | None:
    """A package on the way to `module_name` that is already imported from outside the root."""
    real_root = os.path.realpath(root)
    parts = module_name.split(".")
    for i in range(1, len(parts) + 1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is None:
            continue
        places = list(getattr(module, "__path__", None) or []) or [getattr(module, "__file__", None)]
        if not all(_inside(place, real_root) for place in places):
            return ".".join(parts[:i])
    return None


def _origin_file(obj: Any) -> str | None:
    """The source file of a function (or a method's function); None for anything else."""
    func = getattr(obj, "__func__", obj)  # a classmethod bound to its class
    if isinstance(func, types.FunctionType):
        return func.__code__.co_filename
    return None


def check_targets(bind: Mapping[str, Any], root: Path, allowed: tuple[str, ...] = ()) -> list[tuple[tuple, str]]:
    """(path inside `bind`, reason) for every target in `bind` (its function, every `call`) not allowed.

    Static: nothing is imported. Arguments must be symbol names, `{value: plain data}` or `{call: ...}`.
    """
    problems: list[tuple[tuple, str]] = []
    try:
        check_target(bind.get("function"), root, allowed)
    except TargetError as exc:
        problems.append((("function",), str(exc)))

    def visit(args: Any, where: tuple) -> None:
        if args is None:
            return
        if not isinstance(args, dict):
            problems.append((where, "`args` must map parameter names to arguments"))
            return
        for param, arg in args.items():
            here = where + (param,)
            if isinstance(arg, dict) and "call" in arg:
                try:
                    check_target(arg["call"], root, allowed)
                except TargetError as exc:
                    problems.append((here + ("call",), str(exc)))
                visit(arg.get("args"), here + ("args",))
            elif isinstance(arg, dict) and "value" in arg:
                if not _plain(arg["value"]):
                    problems.append((here + ("value",), "a `value` must be plain data (numbers, strings, "
                                     "booleans, null, lists and mappings of them)"))
            elif not isinstance(arg, str | int | float | bool) and arg is not None:
                problems.append((here, "an argument is a symbol name, `{value: ...}` or `{call: ...}`"))

    visit(bind.get("args"), ("args",))
    return problems


def _plain(value: Any, depth: int = 0) -> bool:
    if depth > 32:
        return False
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    return False


def resolve(target: str, root: Path, allowed: tuple[str, ...] = ()) -> Any:
    """Import `package.module:attr.attr` from the repository root, once the target passed `check_target`."""
    try:
        path = check_target(target, root, allowed)
    except TargetError as exc:
        raise BindingError(str(exc)) from None
    module_name, _, qualname = target.partition(":")
    elsewhere = _imported_elsewhere(module_name, root)
    if elsewhere is not None:
        raise BindingError(f"`{elsewhere}` is already imported from outside the repository root; "
                           "pv verify only calls the repository's own code")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        module: Any = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or anything the module raises on import
        raise BindingError(f"cannot import `{module_name}`: {type(exc).__name__}: {exc}") from None
    if not _same_file(getattr(module, "__file__", None), path):
        raise BindingError(f"`{module_name}` was imported from {getattr(module, '__file__', None)}, not from "
                           f"{path}; pv verify only calls the repository's own code")
    obj: Any = module
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise BindingError(f"`{module_name}` has no attribute `{qualname}`") from None
    # The source said `def`/`class`; the object must still be that (a decorator can return anything).
    if isinstance(obj, type):
        ok = obj.__module__ == module_name
    else:
        ok = _same_file(_origin_file(obj), path)
    if not ok or not callable(obj):
        raise BindingError(f"`{target}` is not a function or class defined in {path.name} (a decorator "
                           "replaced it?); pv verify only calls the repository's own code")
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
                root: Path, allowed: tuple[str, ...] = ()) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for param, arg in (spec or {}).items():
        kwargs[param] = _build_arg(arg, point, domains, root, allowed)
    return kwargs


def _build_arg(arg: Any, point: Mapping[str, Any], domains: Mapping[str, Domain | None], root: Path,
               allowed: tuple[str, ...] = ()) -> Any:
    if isinstance(arg, str):
        if arg not in point:
            raise BindingError(f"argument `{arg}` is not a free symbol of the formula")
        return _python_value(point[arg], domains.get(arg))
    if isinstance(arg, dict):
        if "call" in arg:
            func = resolve(arg["call"], root, allowed)
            kwargs = _build_args(arg.get("args"), point, domains, root, allowed)
            try:
                return func(**kwargs)
            except Exception as exc:
                raise BindingError(f"`{arg['call']}` raised {type(exc).__name__}: {exc}") from None
        return arg.get("value")
    return arg


def verify_binding(section: Section, formula: Formula, root: Path, allowed: tuple[str, ...] = ()) -> Verdict:
    """Compare one binding with its formula. `allowed`: module globs from `verify_modules`."""
    from pv.checks.formulas.prover import points  # sympy-free generator of domain points

    doc = section.doc
    bind = formula.bind or {}
    where = formula.item_path + ("bind",)
    target = bind["function"]
    verdict = Verdict()
    refused = check_targets(bind, root, allowed)  # before anything is imported
    if refused:
        at, why = refused[0]
        verdict.finding = doc.finding(where + at, "PV341", f"`{formula.name}`: {why}")
        return verdict
    try:
        func = resolve(target, root, allowed)
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
            actual = func(**_build_args(bind.get("args"), passed, domains, root, allowed))
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
