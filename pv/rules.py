"""The rule registry: every finding pv can emit has a code registered here.

Core rules live in this module. Feature packages (formulas, evidence,
run checks) register theirs from their own `rules` module, listed in
`RULE_MODULES` so `pv rules` and `pv explain` see all of them without
importing anything heavy.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from pv.findings import Severity


@dataclass(frozen=True)
class Rule:
    code: str  # e.g. "PV101"
    name: str  # short kebab-case name, e.g. "unknown-key"
    severity: Severity  # default severity
    summary: str  # one line, shown by `pv rules`
    explanation: str  # why it matters and how to fix it, shown by `pv explain`


_REGISTRY: dict[str, Rule] = {}

# Modules that register more rules; each must be cheap to import.
RULE_MODULES = ("pv.formulas.rules", "pv.evidence.rules", "pv.runcheck.rules")


def register(code: str, name: str, severity: Severity, summary: str, explanation: str) -> Rule:
    """Register one rule; codes must be unique."""
    if code in _REGISTRY:
        raise ValueError(f"rule {code} registered twice")
    rule = Rule(code, name, severity, summary, explanation.strip())
    _REGISTRY[code] = rule
    return rule


def _load_extensions() -> None:
    for module in RULE_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a feature package not present yet
            if exc.name is None or not module.startswith(exc.name):
                raise


def get(code: str) -> Rule:
    """Look up a rule by code (or by name)."""
    if code not in _REGISTRY:
        _load_extensions()
    if code in _REGISTRY:
        return _REGISTRY[code]
    for rule in _REGISTRY.values():
        if rule.name == code:
            return rule
    raise KeyError(code)


def all_rules() -> list[Rule]:
    _load_extensions()
    return sorted(_REGISTRY.values(), key=lambda r: r.code)


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

# --- PV0xx: reading the file -------------------------------------------------
register("PV001", "yaml-syntax", E, "The file is not valid YAML.",
         "pv could not parse the file. The message names the parser's complaint "
         "and the position where it noticed it; the real mistake is often on the "
         "line before (an unclosed quote, a tab used for indentation, a missing colon).")
register("PV002", "duplicate-key", E, "A mapping has the same key twice.",
         "YAML parsers silently keep one of two duplicate keys, so half of what the "
         "author wrote is lost without notice. Merge the two entries or rename one.")
register("PV003", "forbidden-tag", E, "An explicit YAML tag is used.",
         "Contracts come from pull requests. Tags such as `!!python/object` make some "
         "loaders construct arbitrary objects, so pv refuses every explicit tag. Write "
         "plain scalars, sequences and mappings instead.")
register("PV004", "anchor-alias", E, "An anchor (&name) or alias (*name) is used.",
         "Anchors and aliases let a few hundred bytes expand into gigabytes (the "
         "'billion laughs' attack) and make a contract harder to review. Write the "
         "value out where it is needed.")
register("PV005", "merge-key", E, "A `<<` merge key is used.",
         "Merge keys depend on anchors and hide where a value comes from. Write the "
         "keys out explicitly.")
register("PV006", "not-utf8", E, "The file is not valid UTF-8.",
         "Contracts must be UTF-8 text. The position points at the first byte that is "
         "not valid UTF-8; re-save the file as UTF-8.")
register("PV007", "not-a-mapping", E, "The document is not a mapping (or is empty).",
         "A contract is a YAML mapping of top-level keys. An empty file, a bare list "
         "or a scalar is not a contract. Files with several documents (`---`) are "
         "also refused: one contract per file.")
register("PV008", "file-too-large", E, "The file exceeds the size cap.",
         "pv refuses files over the size cap (default 2 MiB, `max_file_bytes` in "
         "`[tool.pv]`) so a hostile or generated file cannot exhaust memory. Split "
         "the contract or raise the cap deliberately.")
register("PV009", "nesting-too-deep", E, "Nesting exceeds the depth cap.",
         "Deeply nested YAML is a denial-of-service vector and never a sensible "
         "contract. Flatten the structure (default cap: 64 levels).")
register("PV010", "unreadable-file", E, "The file cannot be read.",
         "The path does not exist, is not a regular file, is outside the repository "
         "root, or cannot be opened. Check the path and permissions.")

# --- PV1xx: schema ----------------------------------------------------------
register("PV100", "unknown-family", I, "The contract's family could not be recognised.",
         "pv knows two contract families: gated contracts (contract_id, gates, "
         "invariants) and kernel contracts (equations, proof_obligations, "
         "falsification_tests). A file that looks like neither gets only the generic "
         "checks. Declare the family with `metadata.kind` or a `$schema` modeline.")
register("PV101", "unknown-key", E, "A key is not allowed here (probably misspelled).",
         "The schema does not know this key at this level and it is close to a known "
         "key, so it is most likely a typo: the value would be silently ignored. "
         "Rename it as suggested.")
register("PV102", "wrong-type", E, "A value has the wrong type.",
         "The schema expects another type here (for example a list of strings where a "
         "single string was written). Fix the value; quote numbers-like text such as "
         "versions (\"1.0\").")
register("PV103", "missing-key", E, "A required key is missing.",
         "The schema requires this key. Add it with a meaningful value.")
register("PV104", "bad-value", E, "A value is outside its closed vocabulary.",
         "Fields such as status, verdict or discharge_status take one of a fixed set of "
         "values, so tools can rely on them. Use one of the listed values.")
register("PV105", "schema-violation", E, "The value violates another schema constraint.",
         "The value breaks a schema constraint such as a pattern, a minimum or a "
         "minimum length. The message quotes the constraint.")

# --- PV2xx: internal consistency ---------------------------------------------
register("PV201", "duplicate-id", E, "Two items share one id.",
         "Ids of invariants, gates, failure modes, falsification tests, proof "
         "obligations and harnesses must be unique within a contract, or references to "
         "them are ambiguous.")
register("PV202", "dangling-reference", E, "An id is referenced but not defined.",
         "A gate, harness or falsifier names an id (INV-…, GATE-…, FALSIFY-…, FM-…) that "
         "no item of this contract defines. Fix the id or add the missing item.")
register("PV203", "missing-peer", W, "A referenced contract or file does not exist.",
         "`depends_on`, `peer_contracts` and similar lists name files by path relative "
         "to the repository root. The named file is not there.")
register("PV210", "bad-semver", E, "A version is not valid semantic versioning.",
         "Versions must be MAJOR.MINOR.PATCH (https://semver.org), written as a quoted "
         "string so YAML does not turn `1.0` into a number.")
register("PV211", "version-mismatch", E, "Top-level `version` differs from `metadata.version`.",
         "A contract states its version once at the top and once in metadata; the two "
         "must agree or readers cannot tell which is current.")
register("PV212", "filename-major", E, "The file name's `-vN` does not match the major version.",
         "Contract files are named `<name>-v<MAJOR>.yaml`; a breaking change (new "
         "major) is a new file. Rename the file or fix the version.")
register("PV213", "changelog-current", E, "The changelog lacks exactly one entry for the current version.",
         "Every version bump must say what changed and why. Add one changelog entry for "
         "the current version (and remove duplicates).")
register("PV214", "changelog-order", W, "Changelog entries are out of order.",
         "Keep changelog entries in one order (newest first or oldest first) so "
         "readers find the latest change where they expect it.")
register("PV215", "bad-date", E, "A date is not a valid YYYY-MM-DD date.",
         "Dates must be real calendar dates in ISO form (quoted), e.g. \"2026-04-20\".")
register("PV216", "date-order", E, "`updated` is earlier than `created` (or a changelog date is out of range).",
         "A contract cannot be updated before it was created; a changelog entry cannot "
         "be dated after `updated`.")
register("PV217", "changelog-future", E, "A changelog entry names a version newer than the contract.",
         "The changelog mentions a version greater than the contract's current version; "
         "bump the version or fix the entry.")
register("PV220", "summary-mismatch", E, "A summary block disagrees with what it summarises.",
         "Counts such as `verification_summary.total_obligations` must equal the number "
         "of items they count; a stale summary misleads reviewers.")


# --- PV9xx: pv itself ---------------------------------------------------------
register("PV900", "internal-error", E, "pv hit an internal error on this file.",
         "This is a bug in pv, not in the contract. The message has the exception; "
         "please report it with the file.")
register("PV901", "no-contracts", E, "No contract file was found.",
         "pv was asked to validate paths that contain no *.yaml/*.yml files; it never "
         "reports success over zero files.")
