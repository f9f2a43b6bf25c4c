"""Static index of a Python test module, built with `ast` only.

Nothing is imported or executed. For every function and class we record
where it is, whether pytest would collect it, its skip/xfail marks, its
statically known parametrize ids, whether its body is empty or asserts
anything, and the gates it declares with `@pytest.mark.contract("GATE-…")`.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

_ASSERT_NAME = re.compile(r"_*(assert|check|verify|expect|ensure|require)", re.IGNORECASE)
_RAISES = {"raises", "warns", "deprecated_call", "assertRaises", "assertRaisesRegex", "assertWarns",
           "assertWarnsRegex", "assertLogs"}
_NONASCII = re.compile(r"[^\x20-\x7e]")


@dataclass
class PyFunction:
    qualname: tuple[str, ...]
    line: int
    is_test: bool  # pytest would collect it (name test*, in a Test* class or at module level)
    skip: str | None = None  # why it is unconditionally skipped / xfail, if it is
    empty: bool = False  # body is only `pass` / `...` / a docstring
    asserts: bool = True
    has_args: bool = False
    param_ids: frozenset[str] | None = None  # None: not parametrized or not statically known
    parametrized: bool = False
    param_skips: dict[str, str] = field(default_factory=dict)  # param id -> skip/xfail reason
    gates: tuple[str, ...] = ()  # from @pytest.mark.contract


@dataclass
class PyClass:
    qualname: tuple[str, ...]
    line: int
    bases: tuple[str, ...]
    skip: str | None = None
    gates: tuple[str, ...] = ()
    collected: bool = True


@dataclass
class PyModule:
    functions: dict[tuple[str, ...], PyFunction] = field(default_factory=dict)
    classes: dict[tuple[str, ...], PyClass] = field(default_factory=dict)
    skip: str | None = None
    gates: tuple[str, ...] = ()
    error: str | None = None  # the file does not parse

    def names_in(self, scope: tuple[str, ...]) -> list[str]:
        """Names defined directly in a scope (for "did you mean")."""
        items = list(self.functions) + list(self.classes)
        return [q[-1] for q in items if q[:-1] == scope]

    def find(self, qualname: tuple[str, ...]) -> PyFunction | PyClass | None:
        """Look up a qualified name, following base classes defined in the module."""
        if qualname in self.functions:
            return self.functions[qualname]
        if qualname in self.classes:
            return self.classes[qualname]
        if len(qualname) >= 2:
            owner = self.classes.get(qualname[:-1])
            seen: set[tuple[str, ...]] = set()
            stack = [owner] if owner else []
            while stack:
                cls = stack.pop()
                if cls.qualname in seen:
                    continue
                seen.add(cls.qualname)
                for base in cls.bases:
                    for candidate in ((base,), cls.qualname[:-1] + (base,)):
                        hit = self.functions.get(candidate + qualname[-1:])
                        if hit is not None:
                            return hit
                        if candidate in self.classes:
                            stack.append(self.classes[candidate])
        return None

    def find_loose(self, name: str) -> PyFunction | PyClass | None:
        for table in (self.functions, self.classes):
            for qualname, item in table.items():
                if qualname[-1] == name:
                    return item
        return None


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def _mark(node: ast.AST) -> tuple[str, ast.Call | None]:
    """`pytest.mark.skip(...)` -> ("skip", call); `unittest.skip` -> ("unittest.skip", None)."""
    call = node if isinstance(node, ast.Call) else None
    name = _dotted(call.func if call else node)
    for prefix in ("pytest.mark.", "mark."):
        if name.startswith(prefix):
            return name[len(prefix):], call
    if name.startswith("unittest.") or name in ("skip", "skipIf", "skipUnless", "expectedFailure"):
        return "unittest." + name.rsplit(".", 1)[-1], call
    return name, call


def _literal_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _literal_false(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _src(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # unparse of odd trees; the text is only used in messages
        return "…"


def _skip_reason(marks: list[ast.AST]) -> str | None:
    """The first unconditional skip or any xfail among decorator expressions."""
    for node in marks:
        name, call = _mark(node)
        args = call.args if call else []
        if name == "skip" or name == "unittest.skip":
            return "marked skip"
        if name == "skipif" and args and _literal_true(args[0]):
            return "marked skipif(True)"
        if name == "unittest.skipIf" and args and _literal_true(args[0]):
            return "marked unittest.skipIf(True)"
        if name == "unittest.skipUnless" and args and _literal_false(args[0]):
            return "marked unittest.skipUnless(False)"
        if name in ("xfail", "unittest.expectedFailure"):
            if args and _literal_false(args[0]):
                continue
            return f"marked xfail ({_src(args[0])})" if args else "marked xfail"
    return None


def _gates(marks: list[ast.AST]) -> tuple[str, ...]:
    found = []
    for node in marks:
        name, call = _mark(node)
        if name == "contract" and call is not None:
            for arg in call.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append(arg.value)
    return tuple(found)


def _pytestmark(body: list[ast.stmt]) -> list[ast.AST]:
    """Marks assigned to `pytestmark` in a module or class body."""
    marks: list[ast.AST] = []
    for stmt in body:
        if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets):
            value = stmt.value
            marks.extend(value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value])
    return marks


def _body_skip(body: list[ast.stmt]) -> str | None:
    """An unconditional `pytest.skip()` / `pytest.xfail()` / `raise SkipTest` at the top of a body."""
    for stmt in body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            name = _dotted(stmt.value.func)
            if name in ("pytest.skip", "skip"):
                return "calls pytest.skip() unconditionally"
            if name in ("pytest.xfail", "xfail"):
                return "calls pytest.xfail() unconditionally"
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            target = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if _dotted(target).endswith("SkipTest"):
                return "raises SkipTest unconditionally"
    return None


def _is_empty(body: list[ast.stmt]) -> bool:
    stmts = list(body)
    if stmts and isinstance(stmts[0], ast.Expr) and isinstance(stmts[0].value, ast.Constant) \
            and isinstance(stmts[0].value.value, str):
        stmts = stmts[1:]
    return all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                           and s.value.value is Ellipsis) for s in stmts)


def _callee_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _direct_checks(body: list[ast.stmt]) -> tuple[bool, set[str]]:
    """(asserts directly, names of functions it calls)."""
    called: set[str] = set()
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Assert, ast.Raise)):
                return True, called
            if isinstance(node, ast.Call):
                name = _callee_name(node)
                dotted = _dotted(node.func)
                if name in _RAISES or dotted in ("pytest.fail", "self.fail") or _ASSERT_NAME.match(name):
                    return True, called
                if name:
                    called.add(name)
    return False, called


WILDCARD = "\0"  # in a param id: a part pv cannot compute statically


def param_id_matches(param: str, ids: frozenset[str]) -> bool:
    """Whether `param` is one of `ids`, where a WILDCARD part stands for any text."""
    if param in ids:
        return True
    return any(WILDCARD in ident and re.fullmatch(".*".join(map(re.escape, ident.split(WILDCARD))), param,
                                                  re.DOTALL) for ident in ids)


def _ascii_id(text: str) -> str:
    """pytest escapes non-printable / non-ASCII characters in generated ids."""
    if not _NONASCII.search(text):
        return text
    return text.encode("unicode_escape").decode("ascii")


def _auto_id(node: ast.AST, argname: str, index: int) -> str | None:
    """The id pytest generates for one parameter value, or None if not static."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) \
            and isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, (int, float)):
        value = node.operand.value
        return str(-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str | bytes) and len(value) > 100:
            return None  # pytest ≥ 9 falls back to argname+index, older ones keep the text: not static
        if isinstance(value, str):
            return _ascii_id(value)
        if isinstance(value, bytes):
            return _ascii_id(value.decode("latin-1"))
        if value is None or isinstance(value, (bool, int, float, complex)):
            return str(value)
        return None  # Ellipsis
    if isinstance(node, (ast.Dict, ast.List, ast.Tuple, ast.Set)):
        return f"{argname}{index}"
    if isinstance(node, ast.Lambda):
        return "<lambda>"  # pytest uses a function's __name__
    # A name, a call or an operation (`10**30`, `str(5)`, `"a" * 3`): the id is that of the value it
    # computes (a number, a string, an object's argname+index), so it is not static.
    return None


def _unique(ids: list[str]) -> list[str]:
    """pytest's disambiguation of duplicate ids (`a`, `a` -> `a0`, `a1`)."""
    counts = Counter(ids)
    if all(n == 1 for n in counts.values()):
        return ids
    suffixes: dict[str, int] = defaultdict(int)
    out = []
    for ident in ids:
        if counts[ident] > 1:
            sep = "_" if ident and ident[-1].isdigit() else ""
            out.append(f"{ident}{sep}{suffixes[ident]}")
            suffixes[ident] += 1
        else:
            out.append(ident)
    return out


def _parametrize_ids(call: ast.Call, constants: dict[str, ast.AST]) -> tuple[list[str] | None, dict[str, str]]:
    """Ids of one `@pytest.mark.parametrize(...)`, or None when not static."""
    args = list(call.args)
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    names_node = args[0] if args else keywords.get("argnames")
    values_node = args[1] if len(args) > 1 else keywords.get("argvalues")
    ids_node = args[2] if len(args) > 2 else keywords.get("ids")
    if isinstance(names_node, ast.Constant) and isinstance(names_node.value, str):
        names = [n.strip() for n in names_node.value.split(",") if n.strip()]
        bare = len(names) == 1  # "a": each value is the argument itself
    elif isinstance(names_node, (ast.List, ast.Tuple)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in names_node.elts):
        names = [e.value for e in names_node.elts]
        bare = False  # ("a",): each value is a 1-tuple, as pytest reads it
    else:
        return None, {}
    if isinstance(values_node, ast.Name):
        values_node = constants.get(values_node.id)
    if not isinstance(values_node, (ast.List, ast.Tuple)) or not names:
        return None, {}
    explicit: list[str | None] | None = None
    if ids_node is not None:
        if isinstance(ids_node, ast.Name):
            ids_node = constants.get(ids_node.id)
        if not isinstance(ids_node, (ast.List, ast.Tuple)) or not all(
                isinstance(e, ast.Constant) and (e.value is None or isinstance(e.value, str))
                for e in ids_node.elts):
            return None, {}
        explicit = [e.value for e in ids_node.elts]
    ids: list[str] = []
    skips: dict[int, str] = {}
    for index, element in enumerate(values_node.elts):
        given: str | None = explicit[index] if explicit and index < len(explicit) else None
        values: list[ast.AST]
        if isinstance(element, ast.Call) and _dotted(element.func) in ("pytest.param", "param"):
            values = list(element.args)
            for keyword in element.keywords:
                if keyword.arg == "id":
                    if not (isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str)):
                        return None, {}
                    given = keyword.value.value
                elif keyword.arg == "marks":
                    marks = keyword.value
                    reason = _skip_reason(list(marks.elts) if isinstance(marks, (ast.List, ast.Tuple))
                                          else [marks])
                    if reason:
                        skips[index] = reason
        elif bare:
            values = [element]
        elif isinstance(element, (ast.Tuple, ast.List)):
            values = list(element.elts)
        else:
            return None, {}
        if given is not None:
            ids.append(_ascii_id(given))
            continue
        if len(values) != len(names):
            return None, {}
        parts = [_auto_id(v, n, index) for v, n in zip(values, names)]
        # A value whose id only the running code knows (`10**30`, `str(x)`) matches any text there.
        ids.append("-".join(WILDCARD if p is None else p for p in parts))
    if all(not ident.replace(WILDCARD, "").replace("-", "") for ident in ids):
        return None, {}  # nothing is known about any id
    if not any(WILDCARD in ident for ident in ids):  # duplicates cannot be told with unknown parts
        ids = _unique(ids)
    return ids, {ids[i]: reason for i, reason in skips.items()}


class _Indexer:
    def __init__(self, tree: ast.Module) -> None:
        self.module = PyModule()
        self.constants = {
            t.id: stmt.value for stmt in tree.body if isinstance(stmt, ast.Assign)
            for t in stmt.targets if isinstance(t, ast.Name)
        }
        self.direct: dict[tuple[str, ...], tuple[bool, set[str]]] = {}
        module_marks = _pytestmark(tree.body)
        self.module.skip = _skip_reason(module_marks) or self._module_level_skip(tree.body)
        self.module.gates = _gates(module_marks)
        self._scope(tree.body, (), collected=True, class_gates=())
        self._settle_asserts()

    @staticmethod
    def _module_level_skip(body: list[ast.stmt]) -> str | None:
        for stmt in body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                    and _dotted(stmt.value.func) == "pytest.skip":
                return "module calls pytest.skip(allow_module_level=True)"
        return None

    def _scope(self, body: list[ast.stmt], prefix: tuple[str, ...], *, collected: bool,
               class_gates: tuple[str, ...], class_skip: str | None = None) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                qualname = prefix + (stmt.name,)
                marks = list(stmt.decorator_list) + _pytestmark(stmt.body)
                has_init = any(isinstance(s, ast.FunctionDef) and s.name == "__init__" for s in stmt.body)
                is_collected = collected and stmt.name.startswith("Test") and not has_init
                skip = class_skip or _skip_reason(marks)
                gates = class_gates + _gates(marks)
                self.module.classes[qualname] = PyClass(
                    qualname, stmt.lineno, tuple(_dotted(b).rsplit(".", 1)[-1] for b in stmt.bases),
                    skip, gates, is_collected)
                self._scope(stmt.body, qualname, collected=is_collected, class_gates=gates, class_skip=skip)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(stmt, prefix, collected=collected, class_gates=class_gates,
                               class_skip=class_skip)
            elif isinstance(stmt, (ast.If, ast.Try, ast.With)):
                # Definitions under `if sys.version_info …:` / `try:` exist at run time too.
                for block in (stmt.body, getattr(stmt, "orelse", []), getattr(stmt, "finalbody", []),
                              *(h.body for h in getattr(stmt, "handlers", []))):
                    self._scope(block, prefix, collected=collected, class_gates=class_gates,
                                class_skip=class_skip)
            elif isinstance(stmt, ast.Assign) and collected:
                # `test_x = make_test(...)`: pytest collects it; its body is not visible here.
                for target in stmt.targets:
                    if isinstance(target, ast.Name) and target.id.startswith("test"):
                        qualname = prefix + (target.id,)
                        self.module.functions[qualname] = PyFunction(
                            qualname, stmt.lineno, is_test=True, skip=class_skip, has_args=True,
                            gates=self.module.gates + class_gates)
                        self.direct[qualname] = (True, set())

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, prefix: tuple[str, ...], *,
                  collected: bool, class_gates: tuple[str, ...], class_skip: str | None) -> None:
        qualname = prefix + (node.name,)
        marks = list(node.decorator_list)
        fn = PyFunction(qualname, node.lineno, is_test=collected and node.name.startswith("test"))
        fn.skip = class_skip or _skip_reason(marks) or _body_skip(node.body)
        fn.empty = _is_empty(node.body)
        args = node.args
        names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        fn.has_args = any(n not in ("self", "cls") for n in names) or bool(args.vararg or args.kwarg)
        fn.gates = self.module.gates + class_gates + _gates(marks)
        self._parametrize(fn, marks)
        self.direct[qualname] = _direct_checks(node.body)
        self.module.functions[qualname] = fn

    def _parametrize(self, fn: PyFunction, marks: list[ast.AST]) -> None:
        layers: list[tuple[list[str], dict[str, str]]] = []
        known = True
        # Decorators apply bottom-up, and pytest joins ids in that order.
        for node in reversed(marks):
            name, call = _mark(node)
            if name != "parametrize" or call is None:
                continue
            fn.parametrized = True
            ids, layer_skips = _parametrize_ids(call, self.constants)
            if ids is None:
                known = False
                continue
            layers.append((ids, layer_skips))
        if not (fn.parametrized and known and layers):
            return
        combined: set[str] = set()
        for combo in itertools.product(*(ids for ids, _ in layers)):
            full = "-".join(combo)
            combined.add(full)
            for part, (_, skips) in zip(combo, layers):
                if part in skips:
                    fn.param_skips[full] = skips[part]
        fn.param_ids = frozenset(combined)

    def _settle_asserts(self) -> None:
        """A function asserts if it does so itself or calls a same-module helper that does."""
        by_name: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for qualname in self.direct:
            by_name[qualname[-1]].append(qualname)
        memo: dict[tuple[str, ...], bool] = {}

        def asserts(qualname: tuple[str, ...], active: set[tuple[str, ...]]) -> bool:
            if qualname in memo:
                return memo[qualname]
            direct, called = self.direct[qualname]
            result = direct
            if not result:
                active.add(qualname)
                result = any(asserts(other, active) for name in called for other in by_name.get(name, ())
                             if other not in active)
                active.discard(qualname)
            memo[qualname] = result
            return result

        for qualname, fn in self.module.functions.items():
            fn.asserts = asserts(qualname, set())


def index_source(text: str, filename: str = "<evidence>") -> PyModule:
    """Index Python source text (no import, no execution)."""
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError as exc:
        return PyModule(error=f"does not parse (line {exc.lineno}: {exc.msg})")
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, absurd nesting
        return PyModule(error=f"does not parse ({type(exc).__name__})")
    return _Indexer(tree).module
