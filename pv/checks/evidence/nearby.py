"""What a file holds near a name it lacks: the hint of PV402.

A cited test that is missing was usually renamed, moved, or never written. The
hint always lists the nearest names the file does define, so the reader sees
what is there. It says "did you mean" only when one name is clearly the same
test: a typo, the same words in another order, or the same words with a
`test_`-style prefix. Two tests that share most words but differ in one
(`…_aborts_above_2_ln_vocab` vs `…_aborts_on_epoch_zero_blowup`) test different
things, so they are listed, never proposed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from pv.core.suggest import edit_distance

_PREFIXES = ("test", "tests", "prop", "falsify")
_SHOWN = 3


def words(name: str) -> list[str]:
    """`gate_train_005FromScratch` -> ['gate', 'train', '005', 'from', 'scratch']."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])", spaced) if w]


def _core(name: str) -> tuple[str, ...]:
    """The words that carry meaning: without a leading test_/prop_/falsify_ marker, in order."""
    parts = words(name)
    while parts and parts[0] in _PREFIXES:
        parts = parts[1:]
    return tuple(parts)


def same_test(missing: str, candidate: str) -> bool:
    """Whether `candidate` is plausibly `missing` under another spelling, not another test."""
    a, b = _core(missing), _core(candidate)
    if not a or not b:
        return False
    if a == b or sorted(a) == sorted(b):
        return True  # a prefix added or dropped, or the words reordered
    joined_a, joined_b = "_".join(a), "_".join(b)
    budget = 1 if len(joined_a) <= 12 else 2
    if edit_distance(joined_a, joined_b, budget) > budget:
        return False
    # A typo changes letters within words; it does not swap one number or word for another.
    return [w for w in a if w.isdigit()] == [w for w in b if w.isdigit()]


def _closeness(missing: str, candidate: str) -> tuple[float, float]:
    a, b = set(_core(missing)), set(_core(candidate))
    shared = len(a & b) / len(a | b) if a | b else 0.0
    return shared, difflib.SequenceMatcher(None, missing.lower(), candidate.lower()).ratio()


def nearest(missing: str, candidates: Iterable[str], limit: int = _SHOWN) -> list[str]:
    """The `limit` candidates closest to `missing` (shared words first, then spelling)."""
    unique = sorted(set(candidates) - {missing})
    ranked = sorted(unique, key=lambda c: (_closeness(missing, c), c), reverse=True)
    return [c for c in ranked if _closeness(missing, c)[0] > 0][:limit]


def hint(missing: str, scopes: list[tuple[str, list[str]]]) -> str:
    """The PV402 hint: a "did you mean" when exactly one name is the same test, plus what is near.

    `scopes` lists (where, names) from the narrowest (the cited module) to the widest
    (the whole file); the first scope with any names is described.
    """
    for where, names in scopes:
        names = [n for n in dict.fromkeys(names) if n != missing]
        if not names:
            continue
        same = [n for n in names if same_test(missing, n)]
        near = nearest(missing, names)
        if len(same) == 1:
            others = [n for n in near if n != same[0]][:2]
            tail = f"; also near: {', '.join(f'`{n}`' for n in others)}" if others else ""
            return f"did you mean `{same[0]}`?{tail}"
        if near:
            shown = ", ".join(f"`{n}`" for n in near)
            return f"no test of that name {where}; nearest: {shown} (none is the same test)"
        listed = ", ".join(f"`{n}`" for n in sorted(names)[:_SHOWN])
        more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
        return f"nothing of a similar name {where}; it defines {listed}{more}"
    return "the file defines no functions or tests"
