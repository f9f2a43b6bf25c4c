"""PV4xx: rules about the evidence that discharges gates.

Imported by `pv rules` / `pv explain` through `pv.core.rules.RULE_MODULES`, so it
imports nothing but the registry. The severities here are defaults; the
discharge policy (pv/checks/evidence/policy.py) lowers them for gates that do not
claim to be discharged (PENDING) and raises nothing above ERROR.
"""

from __future__ import annotations

from pv.core.findings import Severity
from pv.core.rules import register

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

register("PV401", "evidence-missing-file", E, "Cited evidence names a file that does not exist.",
         "A gate (or harness) cites a file as evidence, but there is no such file under the "
         "repository root. The test was moved or renamed, or was never written. Fix the path, "
         "or mark the gate `discharge_status: PENDING` until the evidence exists. Paths are "
         "relative to the repository root (`pv validate --root DIR`).")
register("PV402", "evidence-missing-symbol", E, "Cited evidence names a test or item that the file lacks.",
         "The file exists, but the test, class, function, constant or parametrize id after `::` "
         "is not defined in it (pv reads Python with `ast` and Rust with a scanner that skips "
         "comments and strings; nothing is imported or executed). A renamed test is the usual "
         "cause; the hint names close matches.")
register("PV403", "evidence-unresolvable", E, "An evidence entry is not a reference pv can resolve.",
         "Evidence entries must name something that exists: a pytest node id "
         "(`tests/test_x.py::TestC::test_m[id]`), a Rust item (`crates/a/src/b.rs::tests::name`, "
         "`…/b.rs::Type::method`, `…/b.rs::CONST`), or a repository file. Prose, shell commands "
         "and `LIVE-PENDING:` notes cannot be checked, so they cannot discharge a gate. Put "
         "notes in a trailing parenthesis (`path.rs::name (const fn)`) or in `discharge_notes`.")
register("PV404", "evidence-outside-root", E, "An evidence path is absolute or leaves the repository root.",
         "Contracts come from pull requests, and pv never reads outside the repository root. "
         "Absolute paths, `..` segments that climb above the root, and symbolic links that "
         "point outside it are refused. Write the path relative to the repository root.")
register("PV405", "evidence-skipped", E, "A cited test is unconditionally skipped or marked xfail.",
         "A test that never runs, or is expected to fail, proves nothing, so it cannot discharge "
         "a gate. This covers `@pytest.mark.skip`, `skipif(True)`, `xfail`, module or class "
         "`pytestmark`, an unconditional `pytest.skip()` in the body, `unittest.skip`, and "
         "Rust's `#[ignore]`. Remove the mark or cite another test.")
register("PV406", "evidence-asserts-nothing", W, "A cited test asserts nothing.",
         "The test body has no `assert`, no `pytest.raises`/`pytest.warns`, no `raise`, and calls "
         "no assert-style helper (a name starting with assert/check/verify/expect/ensure/require, "
         "or a helper of the same module that asserts). It passes whatever the code does. Add "
         "the assertion the gate relies on.")
register("PV407", "evidence-empty-test", E, "A cited test's body is only `pass` or `...`.",
         "An empty test always passes; citing it as evidence discharges the gate on nothing. "
         "Write the test, or mark the gate PENDING.")
register("PV408", "evidence-not-a-test", W, "A cited item in test code is not a test.",
         "The reference resolves to a function that the test runner does not collect: a Python "
         "function in a test file whose name does not start with `test`, or a Rust function in "
         "a `#[cfg(test)]` module without a `#[test]`-style attribute. It is a helper; cite the "
         "test that calls it.")
register("PV409", "evidence-inexact-path", I, "A Rust reference omits part of the item's path.",
         "The item exists, but at a longer path than the one written (for example the test lives "
         "in `mod ship_002_tests` and the reference omits the module). pv resolved it by suffix; "
         "write the full path so the reference stays unambiguous.")
register("PV410", "gate-ready-to-discharge", I, "A PENDING gate's evidence all exists.",
         "Every entry a PENDING gate cites resolves and passes the static quality checks. Run the "
         "tests (`pv discharge`) and, if they pass, set `discharge_status: DISCHARGED` and "
         "`verdict: pass`.")
register("PV411", "gate-without-evidence", E, "A gate cites no checkable evidence.",
         "A gate that claims `verdict: pass` or DISCHARGED must list the tests that discharge it in "
         "`evidence_discharged_by`; otherwise nothing backs the claim. For gates that do not claim "
         "discharge this is reported at a lower severity.")
register("PV412", "partial-without-blocker", E,
         "A PARTIAL_ALGORITHM_LEVEL gate does not say what blocks full discharge.",
         "`PARTIAL_ALGORITHM_LEVEL` means the algorithm is proven but the live evidence is not. "
         "The gate must say what full discharge is blocked on, in `full_discharge_blocks_on`, "
         "`blocks_full_active_on`, `partial_discharge_note` or `discharge_notes`.")
register("PV413", "ship-blocker-not-discharged", W, "A ship-blocking gate of an ACTIVE contract is not discharged.",
         "The contract is ACTIVE and the gate is `ship_blocking: true`, but its discharge status is "
         "not DISCHARGED (or ACTIVE_WITH_LIVE_EVIDENCE). Shipping now would ship past an open "
         "blocker. `pv validate --strict` turns this into a failure.")
register("PV414", "evidence-failed", E, "A cited test did not pass when run.",
         "`pv discharge` (or `pv validate --run`) ran the cited tests, or read them from a JUnit "
         "report, and this one failed, errored, was skipped, or was not collected. A gate that "
         "claims pass cannot rest on it.")
register("PV415", "verdict-status-conflict", W, "A gate's verdict and discharge status disagree.",
         "`verdict: pass` with `discharge_status: PENDING` (or DISCHARGED with a pending or failing "
         "verdict) says two different things; readers cannot tell whether the gate holds. Make "
         "them agree.")
register("PV416", "evidence-not-run", W, "Cited evidence could not be run.",
         "Rust evidence needs `cargo`, and Python evidence needs pytest in the interpreter that "
         "runs it. Evidence that was not run is reported as not run, never as passed.")
register("PV417", "unlisted-contract-marker", W, "A test declares a gate that does not list it.",
         "The test carries `@pytest.mark.contract(\"GATE-…\")`, but that gate's "
         "`evidence_discharged_by` does not cite it (or no traced contract defines the gate). "
         "Add the node id to the gate, or fix the marker.")
register("PV418", "duplicate-evidence", W, "A gate cites the same evidence twice.",
         "The same reference appears twice in one evidence list; the second copy adds nothing "
         "and usually hides a copy-paste slip where another test was meant.")
