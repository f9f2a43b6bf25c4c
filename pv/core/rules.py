"""The rule registry: every finding pv can emit has a code registered here.

Loading rules (PV0xx) and pv's own (PV9xx) live in this module. Every check
family registers its codes from `pv/checks/<family>/rules.py`, listed in
`pv.checks.RULE_MODULES`, so `pv rules` and `pv explain` see all of them
without importing anything heavy.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass

from pv.core.findings import Severity


@dataclass(frozen=True)
class Rule:
    code: str  # e.g. "PV101"
    name: str  # short kebab-case name, e.g. "unknown-key"
    severity: Severity  # default severity
    summary: str  # one line, shown by `pv rules`
    explanation: str  # why it matters and how to fix it, shown by `pv explain`
    module: str = ""  # the module that registered it, e.g. "pv.checks.schema.rules"


_REGISTRY: dict[str, Rule] = {}

# Modules that register more rules; each must be cheap to import.
from pv.checks import RULE_MODULES  # noqa: E402  (data only: cheap)


def register(code: str, name: str, severity: Severity, summary: str, explanation: str) -> Rule:
    """Register one rule; codes must be unique."""
    if code in _REGISTRY:
        raise ValueError(f"rule {code} registered twice")
    module = sys._getframe(1).f_globals.get("__name__", "")  # so `pv explain` can say where the rule lives
    rule = Rule(code, name, severity, summary, explanation.strip(), module)
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
register("PV011", "too-many-nodes", E, "The file holds more YAML nodes than the cap.",
         "Within the size cap, a file of tiny values (`[[],[],…]`) can hold hundreds of thousands of "
         "nodes, which takes seconds and hundreds of MB to check. pv stops at 200,000 nodes, about 80 "
         "times the largest real contract it has seen. Split the contract.")

# --- PV9xx: pv itself ---------------------------------------------------------
register("PV900", "internal-error", E, "pv hit an internal error on this file.",
         "This is a bug in pv, not in the contract. The message has the exception; "
         "please report it with the file.")
register("PV901", "no-contracts", E, "No contract file was found.",
         "pv was asked to validate paths that contain no *.yaml/*.yml files; it never "
         "reports success over zero files.")

# --- PV91x: the repository's policy (suppressions, baseline) ----------------------
register("PV910", "unused-suppression", W, "A `# pv: ignore[CODE]` comment suppresses nothing.",
         "The finding the comment was written for is gone (fixed, or moved to another line), so "
         "the comment now only hides the next mistake of that kind on that line. Remove the code "
         "from the comment, or the whole comment. A comment alone on its line covers the next "
         "line that is not blank or a comment; a comment after a value covers its own line.")
register("PV911", "invalid-suppression", W, "A `# pv: ignore` comment names no rule, or a rule that does not exist.",
         "Write `# pv: ignore[PV104] reason`: the rule codes (or names) in brackets, comma-separated, "
         "then why. A bare `# pv: ignore` suppresses nothing: pv never hides every rule on a line.")
register("PV912", "stale-baseline-entry", W, "A baseline entry matches no finding any more.",
         "The baseline (`.pv-baseline.json`, written by `pv baseline`) records findings that were "
         "accepted when pv was adopted. This one is fixed (or its file is gone), so the entry would "
         "only let the same mistake back in unnoticed. Run `pv baseline` to drop it: the baseline "
         "only shrinks.")
