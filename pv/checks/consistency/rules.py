"""PV2xx: a contract agrees with itself (ids, versions, changelog, summaries)."""

from __future__ import annotations

from pv.core.findings import Severity
from pv.core.rules import register

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

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
         "must agree or readers cannot tell which is current. When the changelog's newest "
         "entry agrees with one of them, the finding points at the other one (with a fix), and "
         "the changelog is checked against both, so one drift is reported once.")
register("PV212", "filename-major", E, "The file name's `-vN` does not match the major version.",
         "Contract files are named `<name>-v<MAJOR>.yaml`; a breaking change (new "
         "major) is a new file. Rename the file or fix the version.")
register("PV213", "changelog-current", E, "The changelog lacks exactly one entry for the current version.",
         "Every version bump must say what changed and why. Add one changelog entry for "
         "the current version (and remove duplicates).")
register("PV214", "changelog-order", W, "A changelog entry is out of place.",
         "Keep changelog entries in one order (newest first or oldest first) so "
         "readers find the latest change where they expect it. pv finds the longest run of "
         "entries in one order and reports each entry outside it, saying where it belongs, "
         "so the finding names the entry to move, not its neighbour.")
register("PV215", "bad-date", E, "A date is not a valid YYYY-MM-DD date.",
         "Dates must be real calendar dates in ISO form (quoted), e.g. \"2026-04-20\".")
register("PV216", "date-order", E, "`updated` is earlier than `created` (or a changelog date is out of range).",
         "A contract cannot be updated before it was created; a changelog entry cannot "
         "be dated after `updated`.")
register("PV217", "changelog-future", E, "A changelog entry names a version newer than the contract.",
         "The changelog mentions a version greater than the contract's current version; "
         "bump the version or fix the entry.")
register("PV218", "two-part-version", W, "A version has two parts (\"1.0\") instead of three.",
         "Semantic versions are MAJOR.MINOR.PATCH. A two-part version such as \"1.0\" (quoted, or "
         "unquoted, which YAML reads as a number and the Rust pv still accepts) is common in "
         "hand-written contracts and unambiguous, so pv reads it as \"1.0.0\" for every other "
         "check and only warns; the fix writes \"1.0.0\". Set `strict_versions = true` in "
         "`[tool.pv]` to make it an error (PV210).")
register("PV220", "summary-mismatch", E, "A summary block disagrees with what it summarises.",
         "Counts such as `verification_summary.total_obligations` must equal the number "
         "of items they count; a stale summary misleads reviewers.")
