"""The semantic-versioning policy: which contract change requires which bump.

This table is the documentation (README "pv diff"): each row is a change
kind, the bump it requires and why. `pv diff` fails when a changed
contract's version was bumped less than the largest requirement.
"""

from __future__ import annotations

NONE, PATCH, MINOR, MAJOR = 0, 1, 2, 3
BUMP_NAMES = {NONE: "none", PATCH: "patch", MINOR: "minor", MAJOR: "major"}

# kind -> (required bump, why). Order is the README's.
POLICY: dict[str, tuple[int, str]] = {
    "contract-id-changed": (MAJOR, "every reference to the contract breaks"),
    "item-removed": (MAJOR, "an invariant, gate, obligation, falsification test, equation, failure mode or "
                            "harness is gone, or its id was renamed (reported as a rename)"),
    "block-removed": (MAJOR, "a section or field others read is gone"),
    "bound-stricter": (MAJOR, "a threshold or cap is tighter: implementations that passed may now fail"),
    "bound-changed": (MAJOR, "a number changed where pv cannot tell stricter from looser"),
    "formula-changed": (MAJOR, "a formula means something else (compared as maths, not text)"),
    "item-added": (MINOR, "a new invariant, gate, obligation, test, equation or failure mode"),
    "block-added": (MINOR, "a new section or field"),
    "bound-looser": (MINOR, "a threshold or cap is looser: everything that passed still passes"),
    "verdict-weakened": (MINOR, "a gate's verdict or discharge status went back (e.g. DISCHARGED -> PENDING)"),
    "evidence-removed": (MINOR, "a gate cites less evidence"),
    "status-changed": (MINOR, "the contract's lifecycle status changed"),
    "value-changed": (MINOR, "any other value changed (numbers, names, lists)"),
    "verdict-advanced": (PATCH, "a gate's verdict or discharge status moved forward"),
    "evidence-added": (PATCH, "a gate cites more evidence"),
    "wording": (PATCH, "prose only: descriptions, rules, falsifiers, notes, references"),
    "notation": (NONE, "a formula is written differently but means the same (2·ln(V) vs 2*log(V))"),
}

# Changing these is the bump itself.
BUMP_FIELDS = {("version",), ("metadata", "version"), ("metadata", "updated"), ("metadata", "changelog")}

# Lists whose items are contract items with ids.
ITEM_LISTS = {"invariants", "gates", "failure_modes", "falsification_tests", "proof_obligations",
              "kani_harnesses", "equations"}
EVIDENCE_KEYS = {"evidence_discharged_by", "harness_discharged_by"}

PROSE_KEYS = {
    "description", "rule", "falsifier", "summary", "motivation", "rationale", "notes", "note", "title",
    "author", "authors", "references", "evidence_required", "discharge_notes", "partial_discharge_note",
    "full_discharge_blocks_on", "comment", "comments", "explanation", "name", "prediction", "if_fails",
    "doc", "docs", "purpose", "context", "asserts", "expected", "reason", "scope", "owner", "notes_md",
}

# Bound direction by key: smaller is stricter for upper bounds, larger for lower bounds.
_UPPER = ("cap", "max", "maximum", "upper", "limit", "ceiling", "tolerance", "tol", "atol", "rtol",
          "epsilon", "eps", "at_most", "budget")
_LOWER = ("min", "minimum", "lower", "floor", "at_least")

VERDICT_ORDER = {"fail": 0, "pending": 1, "pass": 2}
DISCHARGE_ORDER = {"PENDING": 0, "PARTIAL_ALGORITHM_LEVEL": 1, "DISCHARGED": 2, "ACTIVE_WITH_LIVE_EVIDENCE": 3}


def bound_direction(key: str) -> str | None:
    """'upper', 'lower' or None for a key such as `epoch_zero_val_loss_cap` or `min_epochs`."""
    parts = [p for p in key.lower().replace("-", "_").split("_") if p]
    if any(p in _UPPER for p in parts):
        return "upper"
    if any(p in _LOWER for p in parts):
        return "lower"
    return None


def is_bound_key(key: str) -> bool:
    parts = set(key.lower().replace("-", "_").split("_"))
    return bound_direction(key) is not None or bool(parts & {"threshold", "bound", "bounds"})


def required(kind: str) -> int:
    return POLICY[kind][0]
