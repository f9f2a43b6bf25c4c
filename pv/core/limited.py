"""A process-wide note that some result was reached by hitting a limit (time, budget, size).

Such a result is honest to report but not repeatable (CPU time varies a little
between machines and runs), so the engine never caches findings computed
while the count went up. Checks call `note()`; the engine compares `count()`
before and after running a file's checks.
"""

from __future__ import annotations

_count = 0


def note() -> None:
    """Record that a result was reached by hitting a limit."""
    global _count
    _count += 1


def count() -> int:
    """How many limit-reached results this process has produced so far."""
    return _count
