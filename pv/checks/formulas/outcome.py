"""The verdict on an obligation (proved, refuted, undecided) as data; no sympy, so cached verdicts load light."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    status: str  # "proved" | "refuted" | "undecided"
    method: str = ""
    counterexample: dict[str, str] = field(default_factory=dict)  # as shown to the user
    point: dict[str, Any] = field(default_factory=dict)  # exact values (Fractions, lists of them)
    detail: str = ""
    points: int = 0
    skipped: int = 0
    note: str = ""
    complete: bool = False  # the search ran its full course (no time limit cut it short)


def to_data(outcome: Outcome) -> dict[str, Any]:
    """An outcome as plain JSON data (for the per-formula cache); the exact point is not kept."""
    return {"status": outcome.status, "method": outcome.method, "counterexample": outcome.counterexample,
            "detail": outcome.detail, "points": outcome.points, "skipped": outcome.skipped,
            "note": outcome.note, "complete": outcome.complete}


def from_data(data: dict[str, Any]) -> Outcome:
    return Outcome(data["status"], data.get("method", ""), dict(data.get("counterexample", {})), {},
                   data.get("detail", ""), data.get("points", 0), data.get("skipped", 0), data.get("note", ""),
                   data.get("complete", False))
