"""pv diff's policy: every row of the table with a mutation pair (bumped enough passes, one less fails)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pv.core.loader import Source, parse_source
from pv.lifecycle.policy import BUMP_NAMES, MAJOR, MINOR, NONE, PATCH, POLICY
from pv.lifecycle.semdiff import diff_contracts
from pv.lifecycle.versioning import bump_between, judge

BASE = {
    "contract_id": "C-X",
    "version": "1.4.2",
    "status": "ACTIVE",
    "metadata": {"version": "1.4.2", "description": "A small contract for the policy tests.",
                 "changelog": ["1.4.2 (2026-01-01): base"]},
    "training_regime": {"epoch_zero_val_loss_cap": "2·ln(V)", "epoch_n_rule": "val_loss[N] ≤ 2·val_loss[N-1]"},
    "limits": {"max_grad_norm": 10.0, "min_epochs": 3, "threshold": 0.5},
    "hyperparams": {"lr": 0.001, "optimizer": "adamw"},
    "invariants": [{"id": "INV-X-001", "description": "the loss never doubles between two epochs"}],
    "gates": [{"id": "GATE-X-001", "rule": "the loss never doubles", "verdict": "pending",
               "discharge_status": "PARTIAL_ALGORITHM_LEVEL", "invariants": ["INV-X-001"],
               "evidence_discharged_by": ["tests/test_a.py::test_a", "tests/test_a.py::test_b"]}],
}


def _set(path: tuple, value) -> Callable[[dict], None]:
    def apply(data: dict) -> None:
        node = data
        for part in path[:-1]:
            node = node[part]
        if value is KeyError:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return apply


def _append(path: tuple, value) -> Callable[[dict], None]:
    def apply(data: dict) -> None:
        node = data
        for part in path:
            node = node[part]
        node.append(value)
    return apply


# kind -> a mutation of BASE that is exactly that change (several where the row has two sides).
MUTATIONS: dict[str, list[Callable[[dict], None]]] = {
    "contract-id-changed": [_set(("contract_id",), "C-Y")],
    "item-removed": [_set(("invariants",), []),
                     _set(("gates", 0, "id"), "GATE-X-009")],  # a rename is removed + added
    "block-removed": [_set(("hyperparams",), KeyError)],
    "bound-stricter": [_set(("limits", "max_grad_norm"), 5.0), _set(("limits", "min_epochs"), 4)],
    "bound-changed": [_set(("limits", "threshold"), 0.6)],
    "formula-changed": [_set(("training_regime", "epoch_zero_val_loss_cap"), "3·ln(V)"),
                        _set(("training_regime", "epoch_n_rule"), "val_loss[N] < 2·val_loss[N-1]")],
    "item-added": [_append(("gates",), {"id": "GATE-X-002", "rule": "new"})],
    "block-added": [_set(("schedule",), {"warmup": 100})],
    "bound-looser": [_set(("limits", "max_grad_norm"), 20.0), _set(("limits", "min_epochs"), 2),
                     _set(("limits", "max_grad_norm"), "12.5")],  # a number written as text still compares
    "verdict-weakened": [_set(("gates", 0, "discharge_status"), "PENDING"), _set(("gates", 0, "verdict"), "fail")],
    "evidence-removed": [_set(("gates", 0, "evidence_discharged_by"), ["tests/test_a.py::test_a"])],
    "status-changed": [_set(("status",), "DEPRECATED")],
    "value-changed": [_set(("hyperparams", "optimizer"), "sgd"), _set(("hyperparams", "lr"), 0.002),
                      _set(("gates", 0, "invariants"), [])],
    "verdict-advanced": [_set(("gates", 0, "discharge_status"), "DISCHARGED"), _set(("gates", 0, "verdict"), "pass")],
    "evidence-added": [_append(("gates", 0, "evidence_discharged_by"), "tests/test_a.py::test_c")],
    "wording": [_set(("invariants", 0, "description"), "the validation loss never doubles from one epoch to the next"),
                _set(("metadata", "description"), "Reworded."), _set(("gates", 0, "rule"), "no doubling")],
    "notation": [_set(("training_regime", "epoch_zero_val_loss_cap"), "2*log(V)"),
                 _set(("training_regime", "epoch_n_rule"), "val_loss[N] <= val_loss[N - 1] + val_loss[N - 1]"),
                 _set(("limits", "max_grad_norm"), 10)],
}


def test_every_policy_row_has_mutations() -> None:
    assert set(MUTATIONS) == set(POLICY)


CASES = [(kind, i) for kind, fns in MUTATIONS.items() for i in range(len(fns))]


def _doc(data: dict):
    text = json.dumps(data, ensure_ascii=False, indent=2)  # JSON is YAML
    doc, findings = parse_source(Source("contracts/x-v1.yaml", Path("x-v1.yaml"), Path("."), text, []))
    assert doc is not None, findings
    return doc


def _mutated(kind: str, index: int) -> dict:
    data = copy.deepcopy(BASE)
    MUTATIONS[kind][index](data)
    return data


@pytest.mark.parametrize("kind, index", CASES)
def test_each_mutation_is_exactly_its_policy_row(kind: str, index: int) -> None:
    changes = diff_contracts(BASE, _mutated(kind, index))
    if kind == "item-removed" and index == 1:  # a renamed id: one change, major as a removal
        assert [(c.kind, c.message) for c in changes] == [
            ("item-removed", "gates item `GATE-X-001` renamed to `GATE-X-009`")]
    elif kind == "formula-changed" and index == 1:  # < vs <=: a stricter rule, reported as changed maths
        assert {c.kind for c in changes} == {"formula-changed"}
    else:
        assert {c.kind for c in changes} == {kind}, changes
    assert max(c.bump for c in changes) == POLICY[kind][0]


def _with_version(data: dict, version: str, *, entry: bool = True) -> dict:
    data = copy.deepcopy(data)
    data["version"] = data["metadata"]["version"] = version
    if entry:
        data["metadata"]["changelog"] = [f"{version} (2026-02-01): change"] + data["metadata"]["changelog"]
    return data


NEXT = {MAJOR: "2.0.0", MINOR: "1.5.0", PATCH: "1.4.3", NONE: "1.4.2"}


@pytest.mark.parametrize("kind, index", CASES)
def test_bumped_as_required_passes_and_one_less_fails(kind: str, index: int) -> None:
    need = POLICY[kind][0]
    enough = judge(BASE, _doc(_with_version(_mutated(kind, index), NEXT[need], entry=need > NONE)), "base")
    assert not [f for f in enough if f.severity.label == "error"], enough
    if need == NONE:
        assert not [f for f in enough if f.code == "PV710"]
        return
    short = judge(BASE, _doc(_with_version(_mutated(kind, index), NEXT[need - 1], entry=need - 1 > NONE)), "base")
    codes = {f.code for f in short if f.severity.label == "error"}
    assert codes == ({"PV701"} if need == PATCH else {"PV702"}), short
    assert any(BUMP_NAMES[need] in f.message for f in short if f.code in ("PV701", "PV702"))


def test_a_bump_without_a_changelog_entry_fails() -> None:
    findings = judge(BASE, _doc(_with_version(_mutated("item-added", 0), "1.5.0", entry=False)), "base")
    assert {f.code for f in findings if f.severity.label == "error"} == {"PV703"}


def test_a_version_that_goes_backwards_fails() -> None:
    findings = judge(BASE, _doc(_with_version(BASE, "1.4.1")), "base")
    assert "PV704" in {f.code for f in findings}


def test_an_unchanged_contract_reports_nothing() -> None:
    assert judge(BASE, _doc(BASE), "base") == []
    with_nan = {**BASE, "limits": {**BASE["limits"], "floor": float("nan")}}
    assert diff_contracts(with_nan, copy.deepcopy(with_nan)) == []


@pytest.mark.parametrize("old, new, expected", [
    ("1.2.3", "2.0.0", MAJOR), ("1.2.3", "1.3.0", MINOR), ("1.2.3", "1.2.4", PATCH), ("1.2.3", "1.2.3", NONE),
    ("1.2.3", "1.2.2", None), ("1.3.0-rc.1", "1.3.0", PATCH),
])
def test_bump_between(old: str, new: str, expected: int | None) -> None:
    assert bump_between(old, new) == expected
