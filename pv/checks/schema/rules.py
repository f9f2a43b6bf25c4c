"""PV1xx: the contract against its JSON Schema."""

from __future__ import annotations

from pv.core.findings import Severity
from pv.core.rules import register

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

# --- PV1xx: schema ----------------------------------------------------------
register("PV100", "unknown-family", I, "The contract's family could not be recognised.",
         "pv knows two contract families: gated contracts (contract_id, gates, "
         "invariants) and kernel contracts (equations, proof_obligations, "
         "falsification_tests). A file that looks like neither gets only the generic "
         "checks. Declare the family with a `$schema` modeline or `metadata.kind` (the Rust "
         "pv's kinds: `kernel` selects the kernel schema and its rules; any other declared "
         "kind, or `registry: true`, is known and is checked by the blocks it has).")
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
