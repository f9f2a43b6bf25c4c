"""The Rust pv's checks (PV6xx), its vocabularies and aliases, and a repository's own conventions.

Mutation tests take a real kernel contract from the corpus (skipped when the corpus is
absent), make one mistake, and require the rule to fire at the line of the mistake
and not before it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from pv.checks.consistency.check import _longest_chain
from pv.core import rules
from pv.core.config import Config, load_config
from pv.core.engine import CheckContext, validate_file
from pv.core.findings import Severity

FIXTURES = Path(__file__).parent / "fixtures"
PURE = frozenset({"evidence", "formulas", "peer-files"})

KERNEL = """\
metadata:
  version: "1.0.0"
  description: "Softmax kernel."
  references:
    - "Bridle (1990), softmax"
equations:
  softmax:
    formula: "exp(x_i) / sum_j exp(x_j)"
proof_obligations:
  - id: SM-INV-001
    type: invariant
    property: "outputs sum to one"
    formal: "sum(softmax(x)) = 1"
    lean:
      theorem: Softmax.sum_one
      status: proved
falsification_tests:
  - id: FALSIFY-SM-001
    rule: "normalisation"
    prediction: "sum is 1 within 1e-6"
    test: "proptest"
    if_fails: "missing max subtraction"
kani_harnesses:
  - id: KANI-SM-001
    obligation: SM-INV-001
    bound: 8
    strategy: stub_float
qa_gate:
  id: QA-SM
  name: "softmax quality gate"
"""


def _check(tmp_path: Path, text: str, name: str = "softmax-kernel-v1.yaml", config: Config | None = None) -> list:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    ctx = CheckContext(config or Config(root=tmp_path), skip=PURE)
    return validate_file(path, ctx).findings


def _errors(findings: list) -> list[tuple[str, int, str]]:
    return [(f.code, f.line, f.message) for f in findings if f.severity >= Severity.ERROR]


# --- every parity rule is registered with a fixture named after it -------------------------

PARITY_CODES = [f"PV6{n:02d}" for n in range(1, 16)]


@pytest.mark.parametrize("code", PARITY_CODES)
def test_parity_rule_is_documented_and_has_its_fixture(code: str) -> None:
    rule = rules.get(code)
    assert rule.summary and rule.explanation
    fixture = FIXTURES / "invalid" / f"{rule.name}-v1.yaml"
    assert fixture.is_file(), f"no fixture for {code} ({rule.name})"
    assert re.search(rf"#\s*expect:\s*{code}\s", fixture.read_text(encoding="utf-8"))


def test_the_base_kernel_is_clean(tmp_path: Path) -> None:
    assert [f for f in _check(tmp_path, KERNEL) if f.severity >= Severity.WARNING] == []


# --- the Rust pv's accepted values never produce an error ---------------------------------

OBLIGATION_TYPES = ["invariant", "equivalence", "bound", "monotonicity", "idempotency", "linearity", "symmetry",
                    "associativity", "conservation", "ordering", "completeness", "soundness", "involution",
                    "determinism", "roundtrip", "state_machine", "classification", "independence", "termination",
                    "safety", "liveness", "precondition", "postcondition", "frame", "loop_invariant",
                    "loop_variant", "old_state", "subcontract"]
KINDS = ["kernel", "registry", "model-family", "model-family-variant", "tokenizer", "training-loop",
         "pretraining-corpus", "training-precondition-gate", "corpus-assembly", "pattern", "schema",
         "beat-benchmark", "competitive-parity", "kaizen"]


def test_the_rust_vocabularies_are_complete() -> None:
    assert len(OBLIGATION_TYPES) == 28 and len(set(OBLIGATION_TYPES)) == 28


@pytest.mark.parametrize("value", OBLIGATION_TYPES)
def test_every_rust_obligation_type_is_accepted(tmp_path: Path, value: str) -> None:
    assert _errors(_check(tmp_path, KERNEL.replace("type: invariant", f"type: {value}"))) == []


@pytest.mark.parametrize("status", ["proved", "sorry", "wip", "not-applicable"])
def test_every_rust_lean_status_is_accepted(tmp_path: Path, status: str) -> None:
    assert _errors(_check(tmp_path, KERNEL.replace("status: proved", f"status: {status}"))) == []


@pytest.mark.parametrize("strategy", ["exhaustive", "stub_float", "compositional", "bounded_int"])
def test_every_rust_kani_strategy_is_accepted(tmp_path: Path, strategy: str) -> None:
    assert _errors(_check(tmp_path, KERNEL.replace("strategy: stub_float", f"strategy: {strategy}"))) == []


@pytest.mark.parametrize("level", ["basic", "standard", "strict", "proven"])
def test_every_rust_enforcement_level_is_accepted(tmp_path: Path, level: str) -> None:
    text = KERNEL.replace('  description: "Softmax kernel."\n',
                          f'  description: "Softmax kernel."\n  enforcement_level: {level}\n')
    assert _errors(_check(tmp_path, text)) == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_rust_contract_kind_is_accepted(tmp_path: Path, kind: str) -> None:
    text = KERNEL.replace('  description: "Softmax kernel."\n', f'  description: "Softmax kernel."\n  kind: {kind}\n')
    assert _errors(_check(tmp_path, text)) == []


@pytest.mark.parametrize(("canonical", "legacy"), [
    ("property", "statement"), ("formal", "verification"), ("rule", "description"),
    ("prediction", "expected"), ("test", "test_harness"), ("test", "command"), ("if_fails", "fails_if")])
def test_every_rust_legacy_alias_is_accepted(tmp_path: Path, canonical: str, legacy: str) -> None:
    text = re.sub(rf"^(\s+){canonical}:", rf"\1{legacy}:", KERNEL, count=1, flags=re.M)
    assert f"{legacy}:" in text
    found = _check(tmp_path, text)
    assert [f for f in found if f.severity >= Severity.WARNING] == []


def test_a_value_outside_the_rust_vocabulary_is_an_error(tmp_path: Path) -> None:
    found = _check(tmp_path, KERNEL.replace("type: invariant", "type: commutativity"))
    assert [(c, line) for c, line, _ in _errors(found)] == [("PV104", 11)]


def test_a_missing_property_names_its_legacy_name(tmp_path: Path) -> None:
    found = _check(tmp_path, KERNEL.replace('    property: "outputs sum to one"\n', ""))
    (finding,) = [f for f in found if f.code == "PV103"]
    assert finding.line == 10 and "`statement`" in (finding.hint or "")


# --- metadata.kind selects the family ----------------------------------------------------

def test_metadata_kind_kernel_selects_the_kernel_family(tmp_path: Path) -> None:
    text = 'metadata:\n  version: "1.0.0"\n  kind: kernel\n  references: ["a paper"]\n'
    codes = {f.code for f in _check(tmp_path, text)}
    assert "PV615" in codes and "PV608" in codes and "PV100" not in codes


def test_a_declared_non_kernel_kind_is_not_unknown_and_not_held_to_kernel_rules(tmp_path: Path) -> None:
    text = 'metadata:\n  version: "1.0.0"\n  kind: model-family\n  references: ["a paper"]\nfamily: llama\n'
    assert _check(tmp_path, text) == []
    assert {f.code for f in _check(tmp_path, text.replace("  kind: model-family\n", ""))} == {"PV100"}
    registry = KERNEL.replace("qa_gate:\n  id: QA-SM\n  name: \"softmax quality gate\"\n", "") \
        .replace('  description: "Softmax kernel."\n', '  description: "Softmax kernel."\n  registry: true\n')
    assert "PV608" not in {f.code for f in _check(tmp_path, registry)}


# --- mutations of a real corpus kernel contract ----------------------------------------------

def _softmax(corpus_dir: Path) -> str:
    return (corpus_dir / "provable-contracts" / "contracts" / "softmax-kernel-v1.yaml").read_text(encoding="utf-8")


BLOCK_KANI = re.compile(r"^kani_harnesses:\n(?:  .*\n)+", re.M)
BLOCK_QA = re.compile(r"^qa_gate:\n(?:  .*\n)+", re.M)
AFTER_BOUND_TYPE = '  - type: bound\n    property: "Each output bounded in (0,1)"\n'

MUTATIONS = [
    # (rule, how to break it, the line where the mistake is)
    ("PV601", lambda t: re.sub(r'  references:\n(?:    - .*\n)+', "  references: []\n", t), 6),
    ("PV602", lambda t: t.replace('formula: "σ(x)_i = exp(x_i - max(x)) / Σ_j exp(x_j - max(x))"',
                                  'formula: "TBD"'), 12),
    ("PV603", lambda t: t.replace('property: "Output sums to 1"', 'property: ""'), 22),
    ("PV604", lambda t: t.replace('prediction: "softmax(x)_i > 0 for all i"', 'prediction: " "'), 141),
    ("PV605", lambda t: t.replace("obligation: SM-INV-001", 'obligation: ""'), 167),
    ("PV606", lambda t: t.replace('formal: "σ(x)_i > 0 for all i"', 'formal: "|Σ σ(x)_i - 1.0| < ε"'), 39),
    ("PV607", lambda t: t.replace("    bound: 8\n    strategy: stub_float\n    solver: cadical\n"
                                  "    harness: verify_softmax_positivity",
                                  "    strategy: stub_float\n    solver: cadical\n"
                                  "    harness: verify_softmax_positivity"), 173),
    ("PV608", lambda t: BLOCK_QA.sub("", t), 1),
    ("PV609", lambda t: t.replace(AFTER_BOUND_TYPE, AFTER_BOUND_TYPE.replace(
        "  - type: bound\n", "  - type: bound\n    requires: SM-INV-001\n")), 51),
    ("PV610", lambda t: t.replace(AFTER_BOUND_TYPE, AFTER_BOUND_TYPE.replace(
        "  - type: bound\n", "  - type: bound\n    applies_to_phase: normalize\n")), 51),
    ("PV611", lambda t: t.replace(AFTER_BOUND_TYPE, AFTER_BOUND_TYPE.replace(
        "  - type: bound\n", "  - type: bound\n    parent_contract: exp-kernel-v1\n")), 51),
    ("PV612", lambda t: t.replace(AFTER_BOUND_TYPE, AFTER_BOUND_TYPE.replace(
        "  - type: bound\n", "  - type: subcontract\n    parent_contract: exp-kernel-v1\n")), 51),
    ("PV613", lambda t: "kind: KernelContract\n" + t, 1),
    ("PV614", lambda t: t.replace("falsification_tests:\n", "falsification:\n"), 133),
    ("PV615", lambda t: BLOCK_KANI.sub("kani_harnesses: []\n", t), 165),
    ("PV103", lambda t: t.replace('  version: "1.0.0"\n', "", 1), 1),  # SCHEMA-002, reused
    ("PV218", lambda t: t.replace('version: "1.0.0"', 'version: "1.0"', 1), 2),
]


@pytest.mark.parametrize(("code", "mutate", "line"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_mutation_of_a_corpus_kernel_is_caught_at_its_line(corpus_dir: Path, tmp_path: Path,
                                                             code: str, mutate, line: int) -> None:
    original = _softmax(corpus_dir)
    assert code not in {f.code for f in _check(tmp_path, original)}
    mutated = mutate(original)
    assert mutated != original
    hits = [(f.line, f.message) for f in _check(tmp_path, mutated) if f.code == code]
    assert [h for h, _ in hits] == [line], hits


def test_an_undefined_id_in_gate_text_is_caught_at_its_line(corpus_dir: Path, tmp_path: Path) -> None:
    path = corpus_dir / "aprender" / "contracts" / "tokenizer-bpe-v1.yaml"
    text = path.read_text(encoding="utf-8")
    mutated = text.replace("satisfied (INV-BPE-001).", "satisfied (INV-BPE-099).", 1)
    assert mutated != text
    before = {(f.code, f.line) for f in _check(tmp_path, text, path.name)}
    after = {(f.code, f.line) for f in _check(tmp_path, mutated, path.name)}
    line = text[:text.index("satisfied (INV-BPE-001).")].count("\n") + 1
    assert after - before == {("PV202", line)}


# --- versions ------------------------------------------------------------------------------

def test_a_two_part_version_is_a_warning_with_a_fix_unless_strict(tmp_path: Path) -> None:
    text = KERNEL.replace('version: "1.0.0"', 'version: "1.0"')
    (finding,) = [f for f in _check(tmp_path, text) if f.severity >= Severity.WARNING]
    assert (finding.code, finding.severity, finding.line) == ("PV218", Severity.WARNING, 2)
    assert finding.fix is not None
    (edit,) = finding.fix.edits
    line = text.splitlines()[edit.line - 1]
    assert line[:edit.col - 1] + edit.new_text + line[edit.end_col - 1:] == '  version: "1.0.0"'
    strict = replace(Config(root=tmp_path), strict_versions=True)
    (finding,) = [f for f in _check(tmp_path, text, config=strict) if f.severity >= Severity.WARNING]
    assert (finding.code, finding.severity) == ("PV210", Severity.ERROR)


def test_version_drift_is_reported_once_at_the_stale_version(tmp_path: Path) -> None:
    text = """\
contract_id: C-X
version: 1.1.0
status: ACTIVE
metadata:
  version: "1.2.0"
  references: ["a spec"]
  changelog:
    - "1.2.0 (2026-02-01): second."
    - "1.1.0 (2026-01-01): first."
gates:
  - id: GATE-X-001
    rule: "holds"
"""
    found = [f for f in _check(tmp_path, text, "x-v1.yaml") if f.code.startswith("PV2")]
    assert [(f.code, f.line) for f in found] == [("PV211", 2)]
    assert "1.2.0" in (found[0].hint or "") and found[0].fix is not None
    assert found[0].fix.edits[0].new_text == "1.2.0"


@pytest.mark.parametrize(("order", "flagged"), [
    (["1.5.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"], ["1.5.0"]),  # newest pushed on top of an oldest-first log
    (["1.2.0", "1.0.0", "1.1.0"], ["1.1.0"]),
    (["1.0.0", "1.1.0", "1.3.0", "1.2.0", "1.4.0"], ["1.2.0"]),
    (["1.3.0", "1.2.0", "1.1.0"], []),
    (["1.7.0", "1.6.0", "1.5.0", "1.4.0", "1.0.0", "1.1.0", "1.2.0", "1.3.0"], ["1.1.0,"]),  # one run, one finding
])
def test_changelog_order_names_the_entry_out_of_place(tmp_path: Path, order: list[str], flagged: list[str]) -> None:
    newest = max(order, key=lambda v: tuple(map(int, v.split("."))))
    entries = "".join(f'    - "{v} (2026-01-0{i + 1}): change {i}."\n' for i, v in enumerate(order))
    text = (f'contract_id: C-X\nversion: {newest}\nstatus: ACTIVE\nmetadata:\n  version: "{newest}"\n'
            f'  references: ["a spec"]\n  changelog:\n{entries}gates:\n  - id: GATE-X-001\n    rule: "holds"\n')
    found = [f for f in _check(tmp_path, text, "x-v1.yaml") if f.code == "PV214"]
    assert [re.search(r"entr(?:y|ies) (\S+)", f.message).group(1) for f in found] == flagged
    assert all("move" in (f.hint or "") for f in found)


def test_longest_chain_prefers_the_earliest_entries() -> None:
    assert _longest_chain([3, 1, 2], lambda a, b: a < b) == [1, 2]
    assert _longest_chain([7, 6, 5, 4, 0, 1, 2, 3], lambda a, b: a > b) == [0, 1, 2, 3, 4]


# --- a repository's own conventions (config) -------------------------------------------------

GATED_LOCAL = """\
contract_id: C-LOCAL
version: 1.0.0
status: ACTIVE
metadata:
  version: "1.0.0"
  references: ["a spec"]
gates:
  - id: GATE-LOCAL-001
    condition: "the loss decreases"
    verdict: active
"""


def test_local_vocabulary_and_alias_come_from_the_config(tmp_path: Path) -> None:
    codes = [f.code for f in _check(tmp_path, GATED_LOCAL, "local-v1.yaml") if f.severity >= Severity.ERROR]
    assert sorted(codes) == ["PV103", "PV104"]  # `rule` missing, `active` unknown
    (tmp_path / "pyproject.toml").write_text('[tool.pv]\nstrict_versions = false\n[tool.pv.vocabularies]\n'
                                             'verdict = ["active"]\n[tool.pv.aliases]\nrule = ["condition"]\n')
    config = load_config(tmp_path)
    assert config.errors == ()
    assert config.vocabularies == {"verdict": ("active",)} and config.aliases == {"rule": ("condition",)}
    found = _check(tmp_path, GATED_LOCAL, "local-v1.yaml", config=config)
    assert [f for f in found if f.severity >= Severity.ERROR] == []
    other = GATED_LOCAL.replace("verdict: active", "verdict: activ")
    (bad,) = [f for f in _check(tmp_path, other, "local-v1.yaml", config=config) if f.code == "PV104"]
    assert "active" in bad.message  # the local value is listed with the built-in ones


def test_a_malformed_convention_is_a_config_error(tmp_path: Path) -> None:
    # (a single string is a list of one, as for every list-valued key; a number is not)
    (tmp_path / "pyproject.toml").write_text('[tool.pv]\nstrict_versions = "yes"\nvocabularies = {verdict = 1}\n')
    assert len(load_config(tmp_path).errors) == 2


def test_the_cache_key_covers_the_conventions(tmp_path: Path) -> None:
    # Config.check_fingerprint names the cache index: another convention, another index.
    base = Config(root=tmp_path)
    keys = {c.check_fingerprint() for c in (
        base, replace(base, strict_versions=True), replace(base, vocabularies={"verdict": ("active",)}),
        replace(base, aliases={"rule": ("condition",)}))}
    assert len(keys) == 4


def test_ids_cited_in_gate_and_invariant_prose_must_exist(tmp_path: Path) -> None:
    text = """\
contract_id: C-X
version: 1.0.0
status: ACTIVE
metadata:
  version: "1.0.0"
  references: ["a spec"]
invariants:
  - id: INV-X-001
    description: "holds"
gates:
  - id: GATE-X-001
    condition: "INV-X-001 holds"
    motivation: "without INV-X-002 the run diverges"
    rule: "holds"
"""
    found = [(f.code, f.line) for f in _check(tmp_path, text, "x-v1.yaml") if f.code == "PV202"]
    assert found == [("PV202", 13)]


def test_a_zero_bound_is_accepted_as_the_rust_pv_does_but_warned(tmp_path: Path) -> None:
    found = _check(tmp_path, KERNEL.replace("bound: 8", "bound: 0"))
    assert _errors(found) == []
    assert [(f.code, f.severity) for f in found if f.severity >= Severity.WARNING] == [("PV607", Severity.WARNING)]


@pytest.mark.parametrize(("typo", "meant"), [
    # the Rust pv's own SCHEMA-019 cases (validator_tests_top_level.rs), plus aprender#2504's `falsification:`
    ("falsification_test", "falsification_tests"), ("falsification-tests", "falsification_tests"),
    ("Falsification_Tests", "falsification_tests"), ("falsificationTests", "falsification_tests"),
    ("proof_obligation", "proof_obligations"), ("proofObligations", "proof_obligations"),
    ("equation", "equations"), ("kani_harness", "kani_harnesses"), ("qa_gates", "qa_gate"),
    ("simd_dispatches", "simd_dispatch"), ("type_invariant", "type_invariants"), ("coq_specs", "coq_spec"),
    ("beats", "beat"), ("kernel_structures", "kernel_structure"), ("meta_data", "metadata"),
    ("falsification", "falsification_tests")])
def test_near_miss_blocks_name_the_real_block(typo: str, meant: str) -> None:
    from pv.checks.parity.check import near_miss

    assert near_miss(typo) == meant


@pytest.mark.parametrize("key", ["version", "name", "status", "contract", "surface", "date", "pmat_work_tracking",
                                 "scope", "description", "preconditions", "postconditions", "invariants", "gates",
                                 "spec", "family", "architectures", "references", "summary", "constraints"])
def test_legitimate_top_level_blocks_are_not_near_misses(key: str) -> None:
    from pv.checks.parity.check import near_miss

    assert near_miss(key) is None


def test_an_unquoted_two_part_version_is_the_same_warning_read_from_the_source(tmp_path: Path) -> None:
    text = KERNEL.replace('version: "1.0.0"', "version: 1.10")  # a YAML float; 1.10 must not become 1.1
    found = [f for f in _check(tmp_path, text) if f.severity >= Severity.WARNING]
    assert [(f.code, f.line) for f in found] == [("PV218", 2)]
    assert "1.10.0" in found[0].message and found[0].fix.edits[0].new_text == '"1.10.0"'
    strict = replace(Config(root=tmp_path), strict_versions=True)
    assert [f.code for f in _check(tmp_path, text, config=strict) if f.severity >= Severity.WARNING] == ["PV210"]
    other = KERNEL.replace('version: "1.0.0"', "version: 2026")  # not a version at all: still the schema's
    assert [f.code for f in _check(tmp_path, other) if f.severity >= Severity.WARNING] == ["PV102"]
