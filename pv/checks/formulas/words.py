"""Which words mean what in the loose notation: qualifiers, units, words that never name a quantity.

Shared by the loose parser's modules (`notation`, `qualifiers`, `brackets`); no sympy.
"""

from __future__ import annotations

import re

from pv.checks.formulas.grammar import _RELOPS

LOOSE_RELOPS = _RELOPS + ("≈", "in", "notin", "subset")
NOT_IN_NAMES = frozenset(("during", "between", "while", "since", "across", "under", "over",
                           "for", "when", "if", "where", "within", "with", "is", "are", "be", "of", "to", "in",
                           "on", "at", "by", "as", "and", "or", "not", "no", "all", "each", "every", "any",
                           "always", "never", "then", "else", "iff", "mod", "yields", "gives", "than",
                           "the", "a", "an", "from", "per", "via", "after", "before", "until", "must"))
UNIT_WORDS = frozenset({
    "bytes", "byte", "bits", "bit", "tokens", "token", "params", "parameters", "elements", "FLOPs",
    "flops", "FLOP", "ms", "s", "sec", "seconds", "second", "us", "ns", "minutes", "min", "hours", "h",
    "ULP", "ULPs", "ulp", "ulps", "steps", "epochs", "layers", "heads", "experts", "tensors", "dims",
    "entries", "nats", "bpe", "x", "GB", "MB", "KB", "GiB", "MiB", "KiB", "TB", "percent",
    "exactly",  # `3584 / 28 = 128 exactly`: emphasis, not a factor
})
REDUCE_WORDS = {"sum": "sum", "prod": "prod", "max": "max", "min": "min", "argmax": "argmax",
                 "argmin": "argmin", "mean": "mean"}
QUALIFIERS = {"for", "when", "if", "whenever", "where", "within", "given", "as", "forall", "with",
               "unless", "since", "because", "via", "until", "per", "after", "before", "on", "at",
               "iff"}
ALL_WORDS = {"all", "any", "each", "every"}  # not "some": that is ∃
BYTES_WORDS = ("byte", "memory", "vram", "ram", "size", "disk", "storage", "footprint", "bandwidth",
               "cache", "gguf", "file")


def bytes_context(text: str) -> bool:
    """Whether a formula speaks of bytes, so `16GB` is a byte count and not 16·GB."""
    lowered = text.lower()
    return any(word in lowered for word in BYTES_WORDS)


# Names of number spaces: `ℝ^T` is T-dimensional, never a transpose
SPACE_NAMES = frozenset({"R", "Reals", "Z", "Integers", "N", "Naturals", "Q", "Rationals", "C", "Complexes",
                         "NonNegReals", "PosReals", "NonNegIntegers", "PosIntegers"})
# `integer in [0, 100]` says what type a value has; it is no quantity named `integer`
TYPE_WORDS = frozenset({"integer", "int", "real", "natural", "float", "bool", "boolean", "usize", "u32", "u64",
                        "i32", "i64", "f16", "f32", "f64", "string", "number"})
ENGLISH = re.compile(r"[A-Z][a-z]{3,}")
WORDLIKE = re.compile(r"[A-Za-z][A-Za-z']{2,}")
PLAIN = re.compile(r"[A-Za-z]+")
