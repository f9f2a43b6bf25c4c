"""pv's formula tokenizer: characters to tokens, with offsets kept for messages.

Two modes. The strict mode is the notation of pv's own `formulas:` section.
The loose mode (`loose=True`) also reads the notation authors use in kernel
contracts: `≈`, `mod`/`%`, `@ ⊗ ⊙`, norms `‖x‖`/`||x||`, primes `x'`, field
access `a.b`, `f32::EPSILON`, `Σ ∏`, `ℝ ℤ ℕ`, `∞`, `…`, `∃`, set operators,
uppercase `AND OR NOT`, and number suffixes (`7.62B`, see `SUFFIXES`).
Nothing here imports sympy.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

# Functions pv knows: name -> (min args, max args or None for "any").
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "ln": (1, 1), "log": (1, 2), "log2": (1, 1), "log10": (1, 1), "exp": (1, 1),
    "sqrt": (1, 1), "abs": (1, 1), "max": (2, None), "min": (2, None),
    "floor": (1, 1), "ceil": (1, 1), "sin": (1, 1), "cos": (1, 1), "tan": (1, 1),
    "tanh": (1, 1),
}
CONSTANTS = ("pi", "e")  # meaningful only when not declared as symbols

# Number suffixes of the loose notation, written directly after the number (`7.62B`, `1.5K`).
# Counts: powers of ten. Byte units only where the text speaks of bytes or memory (see
# `pv.checks.formulas.statements.bytes_context`); GiB-style units are powers of two.
SUFFIXES: dict[str, int] = {"K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
BYTE_UNITS: dict[str, int] = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
                              "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile formula from exhausting time or memory."""

    max_length: int = 1000  # characters
    max_tokens: int = 300
    max_depth: int = 40  # nested brackets, calls, unary signs
    max_digits: int = 40  # digits of one number literal
    max_literal_exponent: int = 300  # the 400 of 1e400
    max_exponent: int = 1000  # |n| of a constant exponent in x^n
    max_constant_digits: int = 2000  # digits a folded constant power may reach


DEFAULT_LIMITS = Limits()


class FormulaError(Exception):
    """A formula that does not parse (kind "syntax") or breaks a limit (kind "limit")."""

    def __init__(self, message: str, index: int, *, kind: str = "syntax", reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.index = index
        self.kind = kind
        self.reason = reason or message  # short category, for corpus statistics


@dataclass(frozen=True)
class Token:
    kind: str  # num name op sup ( ) [ ] { } , | ‖ sqrt floor( floor) ceil( ceil) reduce … end
    value: str
    start: int
    end: int
    scale: int | Fraction = 1  # a loose number's suffix multiplier (7.62B: 10**9, 5%: 1/100)
    unit: str = ""  # the suffix as written ("B", "GiB")


# Longest spellings first so `<=>` wins over `<=` and `**` over `*`.
_OPERATORS: tuple[tuple[str, str], ...] = (
    ("<=>", "iff"), ("⟺", "iff"), ("⇔", "iff"), ("↔", "iff"),
    ("=>", "implies"), ("->", "implies"), ("⟹", "implies"), ("⇒", "implies"), ("→", "implies"),
    ("<=", "<="), ("≤", "<="), ("⩽", "<="), (">=", ">="), ("≥", ">="), ("⩾", ">="),
    ("!=", "!="), ("≠", "!="), ("==", "="), ("=", "="), ("<", "<"), (">", ">"),
    ("**", "^"), ("^", "^"), ("*", "*"), ("×", "*"), ("·", "*"), ("⋅", "*"), ("∙", "*"),
    ("/", "/"), ("÷", "/"), ("∕", "/"), ("+", "+"), ("-", "-"), ("−", "-"), ("–", "-"),
    ("&&", "and"), ("∧", "and"), ("∨", "or"), ("¬", "not"), ("∈", "in"), ("∀", "forall"),
)
# Only in the loose notation.
_LOOSE_OPERATORS: tuple[tuple[str, str], ...] = (
    ("≈", "≈"), ("~=", "≈"), ("≃", "≈"), ("%", "mod"), ("@", "@"), ("⊗", "⊗"), ("⊙", "⊙"),
    ("∉", "notin"), ("⊆", "subset"), ("⊂", "subset"), ("∪", "union"), ("∩", "intersect"),
    ("∃!", "exists"), ("∃", "exists"), ("±", "±"),
)
def _by_first(table: tuple[tuple[str, str], ...]) -> dict[str, tuple[tuple[str, str], ...]]:
    """Spellings grouped by first character, longest first, so a character tries only its own."""
    out: dict[str, list[tuple[str, str]]] = {}
    for spelling, op in table:
        out.setdefault(spelling[0], []).append((spelling, op))
    return {k: tuple(sorted(v, key=lambda pair: -len(pair[0]))) for k, v in out.items()}


_BY_FIRST = _by_first(_OPERATORS)
_BY_FIRST_LOOSE = _by_first(_OPERATORS + _LOOSE_OPERATORS)
_WORD_OPERATORS = {"and": "and", "or": "or", "not": "not", "implies": "implies", "iff": "iff",
                   "forall": "forall"}
_LOOSE_WORDS = {"AND": "and", "OR": "or", "NOT": "not", "IMPLIES": "implies", "IFF": "iff",
                "mod": "mod", "in": "in", "exists": "exists"}
_PUNCT = {"(": "(", ")": ")", "[": "[", "]": "]", "{": "{", "}": "}", ",": ",", "|": "|",
          "√": "sqrt", "⌊": "floor(", "⌋": "floor)", "⌈": "ceil(", "⌉": "ceil)", ":": ":"}
_LOOSE_PUNCT = {"‖": "‖", ";": ";", "∑": "reduce", "∏": "reduce", "Σ": "reduce", "…": "…"}
_REDUCE_NAMES = {"∑": "sum", "Σ": "sum", "∏": "prod"}
_SPACES = {"ℝ": "Reals", "ℤ": "Integers", "ℕ": "Naturals", "ℚ": "Rationals", "ℂ": "Complexes",
           "∞": "inf"}
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+", strict=True))
_LOOSE_SUPERSCRIPTS = {"ⁿ": "n", "ⁱ": "i", "ᵀ": "T", "ᵏ": "k", "ᵈ": "d", "ᵐ": "m"}
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼ", "0123456789aeoxhklmnpstij", strict=True))
_GREEK_VARIANTS = {"ϵ": "epsilon", "ϑ": "theta", "ϕ": "phi", "ϖ": "pi", "ς": "sigma"}
_MARKS = {"\u0302": "_hat", "\u0304": "_bar", "\u0305": "_bar", "\u0303": "_tilde", "\u0307": "_dot",
          "\u0308": "_ddot"}
_COMBINING = "".join(_MARKS)  # ŷ, x̄, ẋ: part of a name in the loose notation


def greek_name(char: str) -> str | None:
    """`α` -> "alpha", `Σ` -> "Sigma"; None for anything that is not a Greek letter."""
    if char in _GREEK_VARIANTS:
        return _GREEK_VARIANTS[char]
    if not ("\u0391" <= char <= "\u03a9" or "\u03b1" <= char <= "\u03c9"):
        return None
    name = unicodedata.name(char, "")
    if not name.startswith("GREEK "):
        return None
    word = name.split()[-1].lower()
    return word.capitalize() if "CAPITAL" in name else word


def _accented(char: str) -> str:
    """`ŷ` -> "y" when `char` is an accented ASCII letter (NFD: letter + combining marks), else ""."""
    if char.isascii() or not char.isalpha():
        return ""
    base = unicodedata.normalize("NFD", char)
    return base[0] if base[0].isascii() and base[0].isalpha() and all(c in _COMBINING for c in base[1:]) else ""


def _is_name_start(char: str) -> bool:
    return char.isascii() and (char.isalpha() or char == "_") or greek_name(char) is not None


def _is_name_char(char: str) -> bool:
    return _is_name_start(char) or (char.isascii() and char.isdigit()) or char in _SUBSCRIPTS


def _read_number(text: str, i: int) -> int:
    """End offset of the number literal starting at `i` (digits, fraction, exponent)."""
    n = len(text)
    j = i
    while j < n and text[j].isascii() and text[j].isdigit():
        j += 1
    if j < n and text[j] == "." and j + 1 < n and text[j + 1].isascii() and text[j + 1].isdigit():
        j += 1
        while j < n and text[j].isascii() and text[j].isdigit():
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and text[k].isascii() and text[k].isdigit():
            while k < n and text[k].isascii() and text[k].isdigit():
                k += 1
            j = k
    return j


def _suffix(text: str, j: int) -> tuple[str, int | Fraction]:
    """A count or byte suffix written directly after a number at `j` (`B` of 7.62B), else ("", 1)."""
    if text.startswith("%", j):  # 5% is 5/100 unless an operand follows (`n % k` is mod)
        k = j + 1
        while k < len(text) and text[k] == " ":
            k += 1
        if k >= len(text) or not (_is_name_start(text[k]) or text[k].isdigit() or text[k] == "("):
            return "%", Fraction(1, 100)
    for table in (BYTE_UNITS, SUFFIXES):
        for unit in sorted(table, key=len, reverse=True):
            end = j + len(unit)
            if text.startswith(unit, j) and (end >= len(text) or not _is_name_char(text[end])):
                return unit, table[unit]
    return "", 1


def _read_name(text: str, i: int, loose: bool) -> tuple[int, str]:
    n = len(text)
    j, parts = i, []
    while j < n:
        c = text[j]
        if loose and c == "@" and parts and j + 1 < n and _is_name_start(text[j + 1]) and text[j - 1] != " ":
            parts.append("@")  # NDCG@k, hit@k: a metric's name, not a product
        elif _is_name_char(c):
            if c in _SUBSCRIPTS:
                # x₁ -> x_1; a run of subscripts shares one underscore
                if not _prev_sub(text, j) and not parts[-1].endswith("_"):
                    parts.append("_")
                parts.append(_SUBSCRIPTS[c])
            else:
                parts.append(greek_name(c) or c)
        elif loose and _accented(c):
            marks = unicodedata.normalize("NFD", c)
            parts.append(marks[0] + "".join(_MARKS[m] for m in marks[1:]))
        elif loose and c in _COMBINING:
            parts.append(_MARKS[c])
        elif loose and c == "'" and j + 1 < n and text[j + 1] == "s" and (j + 2 >= n or not _is_name_char(
                text[j + 2])) and parts and parts[-1].isalpha():
            parts.append("'s")  # Jensen's: a possessive, part of the word
            j += 1
        elif loose and c == "*" and parts and (j + 1 >= n or text[j + 1] in "_)|‖,]["):
            parts.append("*")  # x*_t, r*: an optimum, part of the name (not a product)
        elif loose and c in "'′" and (j + 1 >= n or not _is_name_char(text[j + 1])):
            parts.append("'")  # a prime: x' is a name of its own
        elif loose and c == "." and j + 1 < n and _is_name_start(text[j + 1]) and parts:
            parts.append(".")  # field access a.b: one opaque name
        elif loose and text.startswith("::", j) and j + 2 < n and _is_name_start(text[j + 2]) and parts:
            parts.append("::")
            j += 1
        else:
            break
        j += 1
    return j, "".join(parts)


def tokenize(text: str, limits: Limits = DEFAULT_LIMITS, *, loose: bool = False) -> list[Token]:
    if len(text) > limits.max_length:
        raise FormulaError(f"formula is {len(text)} characters long; the limit is {limits.max_length}",
                           limits.max_length, kind="limit", reason="too long")
    tokens: list[Token] = []
    i, n = 0, len(text)
    operators = _BY_FIRST_LOOSE if loose else _BY_FIRST
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if len(tokens) >= limits.max_tokens:
            raise FormulaError(f"formula has more than {limits.max_tokens} tokens", i,
                               kind="limit", reason="too long")
        if (char.isascii() and char.isdigit()) or (
                char == "." and i + 1 < n and text[i + 1].isascii() and text[i + 1].isdigit()):
            j = _read_number(text, i)
            unit, scale = _suffix(text, j) if loose else ("", 1)
            tokens.append(Token("num", text[i:j], i, j + len(unit), scale, unit))
            i = j + len(unit)
            continue
        if loose and (text.startswith("...", i) or char == "…"):
            width = 1 if char == "…" else 3
            tokens.append(Token("…", "…", i, i + width))
            i += width
            continue
        if loose and text.startswith("||", i):
            tokens.append(Token("‖", "||", i, i + 2))
            i += 2
            continue
        if loose and char in _REDUCE_NAMES:
            tokens.append(Token("reduce", _REDUCE_NAMES[char], i, i + 1))
            i += 1
            continue
        signed = _SIGNED_REALS.match(text, i) if loose and char in "ℝRℤZ" and not (
            i and (text[i - 1].isalnum() or text[i - 1] == "_")) else None
        if signed:
            whole = signed.group(1) in "ℤZ"
            kind = ("NonNeg" if signed.group(2) in (">=", "≥") else "Pos") + ("Integers" if whole else "Reals")
            tokens.append(Token("name", kind, i, signed.end()))
            i = signed.end()
            continue
        if loose and char in _SPACES:
            tokens.append(Token("name", _SPACES[char], i, i + 1))
            i += 1
            continue
        if loose and char in _SUBSCRIPTS and tokens and tokens[-1].kind == "reduce" and tokens[-1].end == i:
            j = i
            while j < n and text[j] in _SUBSCRIPTS:
                j += 1
            tokens.append(Token("name", "_" + "".join(_SUBSCRIPTS[c] for c in text[i:j]), i, j))
            i = j
            continue
        if loose and not _is_name_start(char) and _accented(char):
            char = _accented(char)
        if loose and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) and _MODEL_NAME.match(text, i):
            j = _MODEL_NAME.match(text, i).end()
            tokens.append(Token("name", text[i:j], i, j, unit="word"))  # a model's name, not a subtraction
            i = j
            continue
        if loose and _hyphenated(text, i):
            j = _hyphenated(text, i)
            tokens.append(Token("name", text[i:j], i, j, unit="word"))  # `Memory-bound`: a word, not a - b
            i = j
            continue
        if _is_name_start(char):
            j, name = _read_name(text, i, loose)
            word = _WORD_OPERATORS.get(name) or (_LOOSE_WORDS.get(name) if loose else None)
            tokens.append(Token("op", word, i, j) if word else Token("name", name, i, j))
            i = j
            continue
        if loose and char == "²" and tokens and tokens[-1].kind == "name" and tokens[-1].value == "R" \
                and tokens[-1].end == i:
            tokens[-1] = Token("name", "R²", tokens[-1].start, i + 1)  # R²: the statistic, not R squared
            i += 1
            continue
        supers = dict(_SUPERSCRIPTS, **_LOOSE_SUPERSCRIPTS) if loose else _SUPERSCRIPTS
        if char in supers:
            j = i
            while j < n and text[j] in supers:
                j += 1
            tokens.append(Token("sup", "".join(supers[c] for c in text[i:j]), i, j))
            i = j
            continue
        for spelling, op in operators.get(char, ()):
            if text.startswith(spelling, i):
                tokens.append(Token("op", op, i, i + len(spelling)))
                i += len(spelling)
                break
        else:
            punct = dict(_PUNCT, **_LOOSE_PUNCT) if loose else _PUNCT
            if char in punct:
                tokens.append(Token(punct[char], char, i, i + 1))
                i += 1
                continue
            shown = char if char.isprintable() else f"U+{ord(char):04X}"
            raise FormulaError(f"unexpected character `{shown}`", i, reason=f"unsupported character `{shown}`")
    tokens.append(Token("end", "", n, n))
    return tokens


_MODEL_NAME = re.compile(r"[A-Z][a-z]{2,}[0-9.]*(?:-[A-Za-z0-9.]+)*-(?:[0-9.]+[A-Za-z]+|[A-Za-z]+[0-9]+[A-Za-z]*)"
                         r"(?:-[A-Za-z0-9.]+)*(?![\w.])")  # Qwen3-235B, Qwen2.5-7B, Qwen3-Coder-30B
_SIGNED_REALS = re.compile(r"(ℝ|R|ℤ|Z)(?:_\{?(>=|≥|>|\+)\s*0?\}?|⁺|_\+)(?![\w])")  # ℝ_≥0, R_{>0}, ℝ⁺, ℤ⁺
_HYPHENATED = re.compile(r"(?=[A-Za-z-]{6})[A-Za-z]{2,}(?:-[A-Za-z]{2,})+(?![\w(])")


def _hyphenated(text: str, i: int) -> int:
    """End of a hyphenated English word starting at `i` (`Memory-bound`, `non-negativity`), else 0."""
    if i and (text[i - 1].isalnum() or text[i - 1] == "_"):
        return 0
    match = _HYPHENATED.match(text, i)
    return match.end() if match else 0


def _prev_sub(text: str, j: int) -> bool:
    return j > 0 and text[j - 1] in _SUBSCRIPTS


def describe(token: Token) -> str:
    return "the end of the formula" if token.kind == "end" else f"`{token.value}`"
