"""Mutators, formula generators and the oracle shared by the fuzz tests and the long campaign.

Everything here is driven by a `random.Random`, so one integer seed reproduces an
input exactly: hypothesis draws the seeds (and shrinks them), the campaign counts them.

The oracle runs pv in-process (`validate_file`, then every report format) and
returns the broken promises it sees: a traceback, a PV900, a position outside
the file, invalid JSON/SARIF, unsafe bytes in an output, a claim judged wrongly.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import mpmath

from pv.checks.formulas.written import MAX_EXPONENT

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures"

# --- seeds --------------------------------------------------------------------------------------------

FORMULA_SEED = """\
metadata:
  version: "1.0.0"
  created: "2024-01-01"
  author: "fuzz"
  description: "A small contract with formulas, claims and obligations."
formulas:
  symbols:
    n: {domain: "integer ≥ 1"}
    x: {domain: "real ≥ 0"}
    s: {domain: "sequence of real ≥ 0"}
  definitions:
    half: {formula: "n/2", claims: [{at: {n: 3}, value: 1.5}]}
    grow: {formula: "ln(n) + x^2", claims: [{at: {n: 1, x: 2}, value: 4}]}
    step: {formula: "s[n] ≤ 2 × s[n-1]", claims: [{at: {n: 1, s: [1.0, 3.0]}, value: false}]}
  obligations:
    pos: {formula: "half > 0"}
    mono: {formula: "x^2 ≥ 0"}
"""


def seed_texts(corpus: Path | None = None, limit: int = 0) -> list[tuple[str, str]]:
    """(name, text) of real-shaped contracts: the repo's, the valid/invalid fixtures, the corpus when given."""
    paths = sorted((REPO_ROOT / "contracts").glob("*.yaml"))
    paths += sorted((FIXTURES / "valid").glob("*.yaml")) + sorted((FIXTURES / "invalid").glob("*.yaml"))
    if corpus is not None and corpus.is_dir():
        found = sorted(corpus.rglob("*.yaml"))
        paths += found[:limit] if limit else found
    seeds = [("formula-seed.yaml", FORMULA_SEED)]
    for path in paths:
        try:
            seeds.append((path.name, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    return seeds


# --- contract mutations ----------------------------------------------------------------------------------

HOSTILE_CHARS = ["\u2028", "\u2029", "\x85", "\ufeff", "\x00", "\u202e", "\u2066", "\u2069", "\u200f",
                 "\x1b[31m", "\r", "\t", "\x7f", "\x9b", "\ufffe", "\U0001f600", "é", "\u0301", "ﬁ",
                 "\x0b", "\x0c"]
YAML_TOKENS = ["&a ", "*a", "!!str ", "!!python/object:os.system ", "<<: ", "---\n", "...\n", "? ", "- ",
               ": ", "|\n", ">-\n", "# ", "%YAML 1.1\n", "{", "}", "[", "]", ", ", "'", '"', "@", "`",
               "~", "null", ".inf", "-.nan", "1e999", "0x" + "f" * 40, "9" * 400, "2024-13-45",
               "'''", '"\\x"', '"\\uD800"', "\\", ":", "::", "http://x/a", "pkg.mod:Func"]
SWAP_VALUES = ["[1, 2]", "{a: 1}", "~", "\"\"", "[]", "{}", "true", "-1", "1.5", "[[[]]]", "x",
               "{call: os:system}", "[tests/test_x.py::test_y]"]


def _flip_bytes(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 4)):
        if not data:
            break
        i = rng.randrange(len(data))
        data[i] = rng.randrange(256) if rng.random() < 0.5 else data[i] ^ (1 << rng.randrange(8))
    return bytes(data)


def _truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text) + 1)]


def _lines_op(text: str, rng: random.Random, op: Callable[[list[str], int], None]) -> str:
    lines = text.split("\n")
    if lines:
        op(lines, rng.randrange(len(lines)))
    return "\n".join(lines)


def _indent(text: str, rng: random.Random) -> str:
    shift = rng.choice([-4, -2, -1, 1, 2, 3, 4])

    def op(lines: list[str], i: int) -> None:
        for j in range(i, min(len(lines), i + rng.randint(1, 6))):
            lines[j] = " " * shift + lines[j] if shift > 0 else lines[j][min(-shift, len(lines[j]) -
                                                                              len(lines[j].lstrip(" "))):]
    return _lines_op(text, rng, op)


def _insert(text: str, rng: random.Random, pieces: list[str]) -> str:
    i = rng.randrange(len(text) + 1)
    return text[:i] + rng.choice(pieces) + text[i:]


_VALUE = re.compile(r"^(\s*-?\s*[\w\-\"']+:)([ \t]+)(\S.*)$", re.M)
_KEY_BLOCK = re.compile(r"^(\s*-?\s*[\w\-]+:)[ \t]*$", re.M)


def _swap(text: str, rng: random.Random) -> str:
    """Scalar <-> collection: a value becomes a collection, or a block key becomes a scalar."""
    values = list(_VALUE.finditer(text))
    blocks = list(_KEY_BLOCK.finditer(text))
    if values and (not blocks or rng.random() < 0.6):
        m = rng.choice(values)
        return text[: m.start(3)] + rng.choice(SWAP_VALUES) + text[m.end(3):]
    if blocks:
        m = rng.choice(blocks)
        return text[: m.end(1)] + " " + rng.choice(["1", "x", "~", "[]", "\"s\""]) + text[m.end(1):]
    return text


def _deep(text: str, rng: random.Random) -> str:
    depth = rng.choice([10, 63, 64, 65, 200, 256, 257, 300, 1000, 5000])
    if rng.random() < 0.5:
        nest = "[" * depth + "]" * depth
    else:
        nest = "\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(min(depth, 400))) + \
               "  " * (min(depth, 400) + 1) + "v"
    m = rng.choice(list(_VALUE.finditer(text)) or [None])
    if m is None:
        return text + "\ndeep: " + nest + "\n"
    return text[: m.start(3)] + nest + text[m.end(3):]


def _line_ends(text: str, rng: random.Random) -> str:
    return text.replace("\n", rng.choice(["\r\n", "\r", "\u2028", "\x85", "\n\n"]))


def _dup_line(text: str, rng: random.Random) -> str:
    def op(lines: list[str], i: int) -> None:
        choice = rng.random()
        if choice < 0.4:
            lines.insert(i, lines[i])
        elif choice < 0.7 and len(lines) > 1:
            del lines[i]
        else:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
    return _lines_op(text, rng, op)


TEXT_MUTATORS: dict[str, Callable[[str, random.Random], str]] = {
    "truncate": _truncate,
    "indent": _indent,
    "unicode": lambda t, r: _insert(t, r, HOSTILE_CHARS),
    "token": lambda t, r: _insert(t, r, YAML_TOKENS),
    "swap": _swap,
    "deep": _deep,
    "line-ends": _line_ends,
    "lines": _dup_line,
}
MUTATORS = [*TEXT_MUTATORS, "bytes"]


def mutate(text: str, rng: random.Random, rounds: int | None = None) -> tuple[bytes, list[str]]:
    """Apply 1-3 random mutations; returns the bytes to write and the mutators used."""
    used: list[str] = []
    raw: bytes | None = None
    for _ in range(rounds or rng.randint(1, 3)):
        name = rng.choice(MUTATORS)
        used.append(name)
        if name == "bytes":
            raw = _flip_bytes(raw if raw is not None else text.encode("utf-8", errors="surrogateescape"), rng)
        else:
            if raw is not None:
                text = raw.decode("utf-8", errors="surrogateescape")
                raw = None
            text = TEXT_MUTATORS[name](text, rng)
    if raw is None:
        raw = text.encode("utf-8", errors="surrogateescape")
    return raw, used


# --- formulas with an independently computed exact value --------------------------------------------------

mpmath.mp.dps = 60


@dataclass
class Expr:
    text: str
    value: mpmath.mpf
    exact: Fraction | None  # when the value is rational (floor/ceil only take these)


class Discard(Exception):
    """The generated expression has no usable real value (domain error, overflow)."""


def _check(value: mpmath.mpf) -> mpmath.mpf:
    if not isinstance(value, mpmath.mpf) or not mpmath.isfinite(value) or abs(value) > 10**12:
        raise Discard
    return value


def _leaf(rng: random.Random, point: dict[str, int]) -> Expr:
    if point and rng.random() < 0.5:
        name = rng.choice(sorted(point))
        return Expr(name, mpmath.mpf(point[name]), Fraction(point[name]))
    if rng.random() < 0.6:
        n = rng.randint(0, 20)
        return Expr(str(n), mpmath.mpf(n), Fraction(n))
    num, den = rng.randint(0, 999), rng.choice([10, 100, 4, 8])
    frac = Fraction(num, den)
    text = f"{num / den:.{len(str(den)) - 1 if den in (10, 100) else 3}f}"
    frac = Fraction(text)
    return Expr(text, mpmath.mpf(frac.numerator) / frac.denominator, frac)


def _mp(exact: Fraction) -> mpmath.mpf:
    return mpmath.mpf(exact.numerator) / exact.denominator


def random_expr(rng: random.Random, point: dict[str, int], depth: int = 3) -> Expr:
    """A random formula over `point`'s names and its exact value (mpmath at 60 digits)."""
    if depth <= 0 or rng.random() < 0.25:
        return _leaf(rng, point)
    kind = rng.choice(["+", "-", "*", "/", "^", "neg", "fn", "fn", "minmax", "round"])
    a = random_expr(rng, point, depth - 1)
    if kind in ("+", "-", "*", "/"):
        b = random_expr(rng, point, depth - 1)
        if kind == "/" and b.value == 0:
            raise Discard
        value = {"+": a.value + b.value, "-": a.value - b.value, "*": a.value * b.value,
                 "/": a.value / b.value if b.value else 0}[kind]
        exact = None
        if a.exact is not None and b.exact is not None:
            exact = {"+": a.exact + b.exact, "-": a.exact - b.exact, "*": a.exact * b.exact,
                     "/": a.exact / b.exact if b.exact else None}[kind]
        op = {"*": rng.choice(["*", "·", "×"]), "-": rng.choice(["-", "−"])}.get(kind, kind)
        return Expr(f"({a.text}) {op} ({b.text})", _check(value), exact)
    if kind == "^":
        k = rng.randint(-2, 3)
        if k < 0 and a.value == 0:
            raise Discard
        value = _check(a.value ** k)
        exact = a.exact ** k if a.exact is not None and (k >= 0 or a.exact) else None
        return Expr(f"({a.text})^{k}" if k >= 0 else f"({a.text})^({k})", value, exact)
    if kind == "neg":
        return Expr(f"-({a.text})", -a.value, -a.exact if a.exact is not None else None)
    if kind == "minmax":
        b = random_expr(rng, point, depth - 1)
        fn = rng.choice(["max", "min"])
        pick = max if fn == "max" else min
        exact = pick(a.exact, b.exact) if a.exact is not None and b.exact is not None else None
        return Expr(f"{fn}({a.text}, {b.text})", pick(a.value, b.value), exact)
    if kind == "round":
        if a.exact is None:  # floor of a transcendental value near an integer is not ours to guess
            return a
        fn = rng.choice(["floor", "ceil"])
        whole = (a.exact.numerator // a.exact.denominator) if fn == "floor" else \
            -((-a.exact.numerator) // a.exact.denominator)
        return Expr(f"{fn}({a.text})", mpmath.mpf(whole), Fraction(whole))
    fn = rng.choice(["ln", "exp", "sqrt", "abs", "sin", "cos", "tanh", "log2", "log10"])
    v = a.value
    if fn in ("ln", "log2", "log10") and v <= 0 or fn == "sqrt" and v < 0 or fn == "exp" and v > 25:
        raise Discard
    value = {"ln": mpmath.log, "exp": mpmath.exp, "sqrt": mpmath.sqrt, "abs": abs, "sin": mpmath.sin,
             "cos": mpmath.cos, "tanh": mpmath.tanh, "log2": lambda z: mpmath.log(z, 2),
             "log10": mpmath.log10}[fn](v)
    exact = abs(a.exact) if fn == "abs" and a.exact is not None else None
    if fn == "sqrt" and a.exact is not None:  # sqrt of a perfect square stays rational
        root = _exact_sqrt(a.exact)
        exact = root
    return Expr(f"{fn}({a.text})", _check(mpmath.mpf(value)), exact)


def _exact_sqrt(value: Fraction) -> Fraction | None:
    import math

    n, d = math.isqrt(value.numerator), math.isqrt(value.denominator)
    return Fraction(n, d) if n * n == value.numerator and d * d == value.denominator else None


def claim_contract(rng: random.Random) -> tuple[str, bool, str]:
    """(contract text, whether its claim is true, the formula): one definition with one claim."""
    for _ in range(50):
        point = {"n": rng.randint(1, 50)}
        if rng.random() < 0.5:
            point["m"] = rng.randint(1, 9)
        try:
            expr = random_expr(rng, point, rng.randint(1, 4))
        except (Discard, ZeroDivisionError, OverflowError, ValueError):
            continue
        if set(point) - set(re.findall(r"[a-z]+", expr.text)):
            point = {k: v for k, v in point.items() if re.search(rf"\b{k}\b", expr.text)}
        if not point:
            continue
        value = expr.value
        if value != 0 and abs(value) < mpmath.mpf(10) ** -MAX_EXPONENT:
            continue  # pv refuses such a value as written (PV311, documented): not a claim to judge
        scale = max(mpmath.mpf(1), abs(value))
        exponent = int(mpmath.floor(mpmath.log10(scale))) - 8
        tolerance = mpmath.mpf(10) ** exponent
        true_claim = rng.random() < 0.7
        claimed = value if true_claim else value + tolerance * rng.choice([-50, 50, -1000, 7])
        written = mpmath.nstr(claimed, 30, strip_zeros=False, min_fixed=-30, max_fixed=30)
        symbols = "".join(f"    {k}: {{domain: \"integer ≥ 1\"}}\n" for k in sorted(point))
        at = ", ".join(f"{k}: {v}" for k, v in sorted(point.items()))
        text = (FORMULA_HEADER + "formulas:\n  symbols:\n" + symbols + "  definitions:\n    f:\n"
                f"      formula: {json.dumps(expr.text, ensure_ascii=False)}\n"
                f"      claims:\n        - at: {{{at}}}\n          value: {written}\n"
                f"          tolerance: 1e{exponent}\n")
        return text, true_claim, expr.text
    raise Discard


FORMULA_HEADER = """\
metadata:
  version: "1.0.0"
  created: "2024-01-01"
  author: "fuzz"
  description: "generated"
"""

HOSTILE_FORMULAS = ["", " ", "(" * 60 + "x" + ")" * 60, "x" * 2000, "9" * 50, "1e999999", "2^2^2^2^2^2^2",
                    "10^1000^1000", "x/0", "ln(0)", "sqrt(-1)", "√√√√x", "⌊⌈x⌉⌋", "∀ n: n > 0",
                    "__import__('os')", "exec('x')", "x\u202ey", "x\x00", "x\u2028+1", "∑ x", "x ∈ [1, 2)",
                    "max()", "log(x, 0)", "floor(1e300)", "0^0", "(-8)^(1/3)", "x_{n_{m}}", "s[s[s[n]]]",
                    "|||x|||", "x¹²³⁴", "ln" * 200, "¬¬¬¬¬(x>1)", "x<y<z<w", "tan(pi/2)", "e^e^e^e",
                    "exp(exp(exp(10)))", "2^(10^10)", "(1/3)^-1000", "9999999999^9999"]


def formula_contract(formula: str, obligation: bool) -> str:
    section = "obligations" if obligation else "definitions"
    return (FORMULA_HEADER + "formulas:\n  symbols:\n    x: {domain: \"real ≥ 0\"}\n    n: {domain: \"integer ≥ 1\"}\n"
            f"  {section}:\n    f:\n      formula: {json.dumps(formula, ensure_ascii=False)}\n")


# --- the oracle ------------------------------------------------------------------------------------------

_UNSAFE_OUTPUT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    exit_code: int = 0


def _inside(text: str, line: int, col: int) -> bool:
    from pv.core.document import source_lines

    lines = source_lines(text)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return 1 <= line <= len(lines) and 1 <= col <= len(lines[line - 1]) + 1


def check_file(path: Path, root: Path, *, sarif_schema: dict | None = None) -> Verdict:
    """Validate one file in-process and render every format; collect what pv promises and breaks."""
    from pv.commands.common import exit_code
    from pv.core.config import Config
    from pv.core.engine import CheckContext, validate_file
    from pv.core.report import Report
    from pv.reports import render

    verdict = Verdict()
    ctx = CheckContext(config=Config(root=root), options={"run": False})
    try:
        result = validate_file(path, ctx)
    except Exception as exc:  # the engine has its own net; this must never be reached
        verdict.problems.append(f"traceback: {type(exc).__name__}: {exc}")
        return verdict
    verdict.codes = [f.code for f in result.findings]
    verdict.exit_code = exit_code(result.findings)
    for f in result.findings:
        if f.code == "PV900":
            verdict.problems.append(f"PV900: {f.message}")
        if f.line > 0 and result.text is not None and not _inside(result.text, f.line, f.col):
            verdict.problems.append(f"position {f.line}:{f.col} of {f.code} is outside the file")
        if f.end_line is not None and f.line > 0 and f.end_line < f.line:
            verdict.problems.append(f"{f.code} ends (line {f.end_line}) before it starts (line {f.line})")
    report = Report(root=root, files=[result.file], findings=sorted(result.findings),
                    sources={result.file: result.text} if result.text is not None else {})
    for fmt in ("text", "json", "sarif", "github"):
        try:
            out = render(fmt, report, color=False)
            out.encode("utf-8")  # strict: a surrogate would crash a UTF-8 stdout
        except Exception as exc:
            verdict.problems.append(f"traceback in --format {fmt}: {type(exc).__name__}: {exc}")
            continue
        if _UNSAFE_OUTPUT.search(out.replace("\n", "").replace("\t", "")):
            verdict.problems.append(f"--format {fmt} output holds a raw control character")
        if fmt in ("json", "sarif"):
            try:
                data = json.loads(out)
            except ValueError as exc:
                verdict.problems.append(f"--format {fmt} is not JSON: {exc}")
                continue
            if fmt == "sarif" and sarif_schema is not None:
                import jsonschema

                error = jsonschema.exceptions.best_match(
                    jsonschema.Draft7Validator(sarif_schema).iter_errors(data))
                if error is not None:
                    verdict.problems.append(f"invalid SARIF: {error.message[:200]}")
    return verdict


def sarif_schema() -> dict:
    return json.loads((REPO_ROOT / "tests" / "reports" / "data" / "sarif-schema-2.1.0.json").read_text())


def judge_claim(verdict: Verdict, true_claim: bool) -> str | None:
    """The wrong verdict, if any, on a generated claim (PV310 = refuted, PV311 = not evaluated)."""
    refuted = "PV310" in verdict.codes
    if "PV311" in verdict.codes:
        return "claim not evaluated (PV311)"
    if true_claim and refuted:
        return "a true claim was refuted"
    if not true_claim and not refuted:
        return "a false claim was accepted"
    return None
