"""The one place where check families register.

Every family is a package under `pv/checks/<family>/` with the same shape:
`rules.py` registers its codes (severity, summary, explanation) and `check.py`
holds the function(s) the engine calls. This module is data only, so importing
it is free; the engine imports a check when it first runs it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckSpec:
    name: str
    target: str  # "module:function", imported only when first used
    pure: bool  # result depends only on the file's bytes (and the config), so it may be cached
    # For impure checks: "module:function" telling from the data alone whether the check
    # has anything to look at, so a cached file that needs none of them is not even parsed.
    applies: str | None = None
    # Prefixes of the rule codes it reports (None: not stated). When it is skipped, a suppression
    # or baseline entry for these codes cannot match, so pv does not call it unused.
    codes: tuple[str, ...] | None = None


# Order matters only for report stability; findings are sorted anyway.
CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("schema", "pv.checks.schema.check:check", pure=True, codes=("PV1",)),
    CheckSpec("consistency", "pv.checks.consistency.check:check", pure=True, codes=("PV2",)),
    CheckSpec("parity", "pv.checks.parity.check:check", pure=True, codes=("PV6",)),
    CheckSpec("peer-files", "pv.checks.consistency.check:check_peer_files", pure=False,
              applies="pv.checks.consistency.check:peer_files_apply", codes=("PV203",)),
    CheckSpec("formulas", "pv.checks.formulas.check:check", pure=True, codes=("PV3",)),
    CheckSpec("evidence", "pv.checks.evidence.check:check", pure=False,
              applies="pv.checks.evidence.check:applies", codes=("PV4",)),
)

CHECK_NAMES: tuple[str, ...] = tuple(spec.name for spec in CHECKS)

# Modules that register rules besides the core's PV0xx/PV9xx; each must be cheap to import.
RULE_MODULES: tuple[str, ...] = (
    "pv.checks.schema.rules",
    "pv.checks.consistency.rules",
    "pv.checks.parity.rules",
    "pv.checks.formulas.rules",
    "pv.checks.evidence.rules",
    "pv.runcheck.rules",
    "pv.lifecycle.rules",
)
