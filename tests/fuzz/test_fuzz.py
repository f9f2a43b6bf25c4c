"""Property-based fuzzing of pv (bounded profile for every test run; see campaign.py for the long one).

Real-shaped contracts are mutated (byte flips, truncation, indentation shifts,
hostile Unicode, scalar <-> collection swaps, deep nesting, YAML tokens, line
ends), formulas are generated with an exact value computed independently
(mpmath, 60 digits) or taken from a list of hostile strings. For every input:
no traceback, no PV900, an exit status of 0 or 1 (2 from the CLI), every
position inside the file, valid JSON and SARIF, no raw control character in
any output, and every generated claim judged right.
"""

from __future__ import annotations

import random
from pathlib import Path

import fuzzlib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SEEDS = fuzzlib.seed_texts()  # the repository's own contracts and fixtures: the same on every machine
PROFILE = settings(deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    return fuzzlib.sarif_schema()


def _check(raw: bytes, workdir: Path, schema: dict | None = None) -> fuzzlib.Verdict:
    path = workdir / "fuzz-v1.yaml"
    path.write_bytes(raw)
    verdict = fuzzlib.check_file(path, workdir, sarif_schema=schema)
    assert verdict.problems == [], (raw[:300], verdict.problems)
    assert verdict.exit_code in (0, 1)
    return verdict


@settings(PROFILE, max_examples=250)
@given(seed=st.integers(0, len(SEEDS) - 1), salt=st.integers(0, 2**32 - 1))
def test_mutated_contracts_keep_every_promise(workdir: Path, seed: int, salt: int) -> None:
    raw, _ = fuzzlib.mutate(SEEDS[seed][1], random.Random(salt))
    _check(raw, workdir)


@pytest.mark.parametrize("mutator", fuzzlib.MUTATORS)
def test_each_mutator_on_every_seed(workdir: Path, sarif_schema: dict, mutator: str) -> None:
    rng = random.Random(f"pv-fuzz-{mutator}")
    for index, (_, text) in enumerate(SEEDS):
        if mutator == "bytes":
            raw = fuzzlib._flip_bytes(text.encode("utf-8"), rng)
        else:
            raw = fuzzlib.TEXT_MUTATORS[mutator](text, rng).encode("utf-8", "surrogateescape")
        _check(raw, workdir, sarif_schema if index % 10 == 0 else None)


@settings(PROFILE, max_examples=40)
@given(salt=st.integers(0, 2**32 - 1))
def test_generated_claims_are_judged_exactly(workdir: Path, salt: int) -> None:
    try:
        text, true_claim, formula = fuzzlib.claim_contract(random.Random(salt))
    except fuzzlib.Discard:
        return
    verdict = _check(text.encode(), workdir)
    assert fuzzlib.judge_claim(verdict, true_claim) is None, (formula, true_claim, verdict.codes)


@pytest.mark.parametrize("formula", fuzzlib.HOSTILE_FORMULAS)
def test_hostile_formulas(workdir: Path, formula: str) -> None:
    for obligation in (False, True):
        _check(fuzzlib.formula_contract(formula, obligation).encode(), workdir)


@settings(PROFILE, max_examples=30)
@given(text=st.text(alphabet=st.sampled_from(list("xn0123456789.+-*/^()[]|√⌊⌋≤≥<>=¬∧∨⟹∀:, e")), max_size=60))
def test_random_formula_strings(workdir: Path, text: str) -> None:
    _check(fuzzlib.formula_contract(text, obligation=True).encode(), workdir)


def test_the_cli_exits_0_1_or_2_without_a_traceback(workdir: Path) -> None:
    import campaign

    rng = random.Random("pv-fuzz-cli")
    (workdir / "contracts").mkdir(exist_ok=True)
    path = workdir / "contracts" / "cli-v1.yaml"
    for name, text in (SEEDS[0], SEEDS[1], SEEDS[-1]):
        path.write_bytes(fuzzlib.mutate(text, rng)[0])
        assert campaign.run_subprocess(path, workdir, 120) is None, name
