"""PV7xx: a contract's version against what changed since the base (`pv diff`)."""

from __future__ import annotations

from pv.core.findings import Severity
from pv.core.rules import register

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

register("PV701", "version-not-bumped", E, "The contract changed but its version did not.",
         "`pv diff` compared the contract with the base (a git ref or an older file) and "
         "found changes in meaning or wording, but the version is the same. Bump it with "
         "`pv bump major|minor|patch -m \"…\"`; the message of PV711 says which part the "
         "policy requires (README, \"pv diff\").")
register("PV702", "bump-too-small", E, "The version was bumped less than the changes require.",
         "Each kind of change requires a bump by pv's policy table (README, \"pv diff\"): "
         "removing an item, tightening a threshold or changing a formula's maths is major; "
         "adding an item or loosening a threshold is minor; wording is patch. The listed "
         "PV710 changes say which one raised the requirement.")
register("PV703", "bump-without-changelog", E, "The new version has no changelog entry.",
         "A bumped version must say what changed: add an entry for the new version to "
         "`metadata.changelog` (`pv bump` writes it in the file's own style).")
register("PV704", "version-went-backwards", E, "The version is lower than the base's.",
         "A contract's version only grows. Restore a version above the base's.")
register("PV710", "contract-change", I, "One change in the contract's meaning or wording.",
         "What `pv diff` found, in contract terms (items by id, thresholds, formulas compared "
         "as maths, evidence, verdicts, metadata), with the bump the policy requires for it.")
register("PV711", "required-bump", I, "The bump a changed contract requires, and the one it got.",
         "A summary per changed contract: the largest bump its changes require, the base "
         "version and the new version.")
