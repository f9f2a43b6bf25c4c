"""'Did you mean …?' by edit distance: catches typos, not deliberate names.

difflib's ratio also matches truncations (`falsification` ~ `falsification_tests`),
which in real contracts are different keys on purpose, so we use the
optimal-string-alignment distance with a small, length-dependent budget.
"""

from __future__ import annotations

from collections.abc import Iterable


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance (adjacent swaps cost 1), capped at limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return min(prev[len(b)], limit + 1)


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate within a typo's reach of `word` (case-insensitively), if any."""
    budget = 1 if len(word) <= 4 else 2
    best: tuple[int, str] | None = None
    for candidate in candidates:
        distance = edit_distance(word.lower(), candidate.lower(), budget)
        if distance <= budget and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None
