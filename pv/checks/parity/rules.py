"""PV6xx: the Rust pv's checks (SCHEMA-001…019, PROVABILITY-001), each located at its line.

Teams switching from the Rust `pv validate` keep every protection it gave them.
Where pv already had a rule for the same mistake it is reused, not reported twice:

  SCHEMA-002 metadata.version missing      -> PV103 (the schema requires it)
  SCHEMA-007 / SCHEMA-010 duplicate ids     -> PV201
  SCHEMA-020 duplicate mapping key          -> PV002
  SCHEMA-004/005 key missing altogether     -> PV103
  SCHEMA-019 near miss within a typo        -> PV101 (PV614 covers case, separators, plurals)
  an id cited in invariant or gate text     -> PV202
"""

from __future__ import annotations

from pv.core.findings import Severity
from pv.core.rules import register

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

register("PV601", "empty-references", E, "metadata.references is missing or empty.",
         "Every contract must cite its source: the paper, specification or document its "
         "equations and claims come from (the Rust pv's SCHEMA-001). List them under "
         "`metadata.references`. A gated contract may list them in its top-level `references:`.")
register("PV602", "placeholder-formula", E, "An equation's formula is empty or a placeholder such as TBD.",
         "An equation whose formula is empty, `TBD`, `TODO` or `...` states nothing, yet counts "
         "as an equation for scores and coverage (the Rust pv's SCHEMA-004 checks emptiness only). "
         "Write the formula, or remove the equation until it is known.")
register("PV603", "empty-property", E, "A proof obligation has an empty property.",
         "`proof_obligations[].property` (legacy name `statement`) says in words what must be "
         "proved; an empty one proves nothing (the Rust pv's SCHEMA-005).")
register("PV604", "empty-prediction", E, "A falsification test has no prediction.",
         "Every falsification test must make a falsifiable prediction: what is observed when the "
         "rule holds (`prediction:`, legacy name `expected:`). Without it a passing test says "
         "nothing (the Rust pv's SCHEMA-008).")
register("PV605", "harness-no-obligation", E, "A Kani harness names no proof obligation.",
         "`kani_harnesses[].obligation` must name the proof obligation the harness checks "
         "(the Rust pv's SCHEMA-011). pv also checks that a named id exists (PV202).")
register("PV606", "duplicate-formal", W, "Two proof obligations have the same `formal` predicate.",
         "Two obligations that state the same formal predicate are one obligation counted twice, "
         "or a copy-paste whose second predicate was never written (the Rust pv's SCHEMA-006).")
register("PV607", "harness-without-bound", W, "A Kani harness has no unwind `bound` (or bound 0).",
         "Kani needs an unwind bound for every loop; without one the harness may not terminate "
         "or may prove less than it claims (the Rust pv's SCHEMA-012). A bound of 0, which the "
         "Rust pv accepts, unwinds no iteration at all. Add `bound: N`.")
register("PV608", "kernel-without-qa-gate", W, "A kernel contract defines no `qa_gate`.",
         "A kernel contract should define the quality gate (certeza) its implementation must "
         "pass (the Rust pv's SCHEMA-013).")
register("PV609", "requires-misplaced", E, "`requires` on an obligation that is not a postcondition.",
         "`requires` links a postcondition to the precondition it relies on; on any other "
         "obligation type the Rust pv rejects it (SCHEMA-014) and nothing reads it. Move it to the "
         "postcondition, or change the obligation's type.")
register("PV610", "phase-misplaced", E, "`applies_to_phase` on an obligation that is not a loop invariant or variant.",
         "`applies_to_phase` names the kernel_structure phase a loop invariant or loop variant "
         "holds in; on other obligation types it means nothing (the Rust pv's SCHEMA-015).")
register("PV611", "parent-misplaced", E, "`parent_contract` on an obligation that is not a subcontract.",
         "Only a `subcontract` obligation refines a parent contract (the Rust pv's SCHEMA-016). "
         "Change the type to `subcontract` or remove `parent_contract`.")
register("PV612", "parent-not-dependency", E, "A subcontract's parent is not listed in metadata.depends_on.",
         "A subcontract refines its `parent_contract`, so the contract depends on it and must "
         "list it in `metadata.depends_on` (the Rust pv's SCHEMA-017); otherwise tools that "
         "follow dependencies never see the refinement.")
register("PV613", "top-level-kind", E, "`kind:` is written at the top level, where it is not read.",
         "The contract's kind lives in `metadata.kind`; a top-level `kind:` is ignored by pv and "
         "silently dropped by the Rust pv (SCHEMA-018), so the contract is checked as another "
         "kind than its author meant. Move it under `metadata:` with one of the known kinds.")
register("PV614", "near-miss-block", E, "A top-level key is a near miss of a real block and is ignored.",
         "A key such as `falsification:`, `Proof_Obligations:` or `kani_harness:` differs from a "
         "real block (`falsification_tests:`, `proof_obligations:`, `kani_harnesses:`) only by "
         "case, separators, a plural or a missing word, so its content is silently not checked "
         "(the Rust pv's SCHEMA-019; aprender#2504 lost four tests this way). Rename it. Typos "
         "within an edit or two are reported as PV101 instead. A block that hides nothing is only a "
         "warning: an empty one, or a `falsification:` list without test fields (the book chapters' "
         "`{condition, severity, action}` entries).")
register("PV615", "kernel-unprovable", E,
         "A kernel contract lacks proof obligations, falsification tests or harnesses.",
         "A kernel contract (metadata.kind `kernel`, or no kind and a kernel's blocks) must carry "
         "proof obligations, falsification tests and Kani harnesses, and at least one falsification "
         "test per obligation (the Rust pv's PROVABILITY-001). A contract that only records data "
         "declares another `metadata.kind` (e.g. `registry`, `schema`, `pattern`).")
